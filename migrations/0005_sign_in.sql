-- Browser sign-in (issue 13): accounts linked to a GitHub identity, and sign-in sessions (the
-- HttpOnly cookie's secret is stored only as its HMAC). Additive only.
ALTER TABLE users ADD COLUMN github_id TEXT;
CREATE UNIQUE INDEX IF NOT EXISTS users_github_id ON users(github_id) WHERE github_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS sign_ins (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  secret_hash TEXT NOT NULL UNIQUE,
  -- the personal access token it was exchanged for, if any: revoking the token ends it
  token_id TEXT,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  last_seen_at TEXT
);
CREATE INDEX IF NOT EXISTS sign_ins_user ON sign_ins(user_id);
CREATE INDEX IF NOT EXISTS sign_ins_token ON sign_ins(token_id);
