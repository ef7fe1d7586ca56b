-- Missions index (issue 3): which project a mission belongs to, for access checks.
-- Additive only.
CREATE TABLE IF NOT EXISTS missions (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects(id),
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS missions_project ON missions(project_id, created_at);
