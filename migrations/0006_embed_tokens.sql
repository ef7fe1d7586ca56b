-- Embed tokens (issue 13): short-lived, origin-bound, capability-scoped tokens that let another
-- web app open one project's WebSocket for a visitor. Stored as their HMAC. Additive only.
CREATE TABLE IF NOT EXISTS embed_tokens (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects(id),
  token_hash TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  -- JSON array of "chat:read" | "chat:write" | "tasks:read" | "tasks:write"
  capabilities_json TEXT NOT NULL,
  -- the one chat session it may use, or null for every session of the project
  session_id TEXT,
  -- JSON array of allowed origins, e.g. ["https://app.example"]
  origins_json TEXT NOT NULL,
  created_by TEXT NOT NULL REFERENCES users(id),
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS embed_tokens_project ON embed_tokens(project_id);
