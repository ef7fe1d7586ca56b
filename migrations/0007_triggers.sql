-- Triggers (issue 15): which project a trigger belongs to, so `POST /hooks/<triggerId>` finds the
-- project actor that owns it (its definition, sealed secret and runs live in that actor's
-- SQLite). Additive only.
CREATE TABLE IF NOT EXISTS triggers (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects(id),
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS triggers_project ON triggers(project_id);
