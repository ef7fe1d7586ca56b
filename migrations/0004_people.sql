-- People (issue 13): accounts with a role and a status, personal access tokens stored under a
-- keyed hash (HMAC-SHA256) with an expiry, device-flow codes, and failed-attempt counters.
-- Additive only: columns are added, no table is dropped or recreated.

-- `admin` or `member`; `active`, `pending` or `suspended`.
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'member';
ALTER TABLE users ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
ALTER TABLE users ADD COLUMN avatar_url TEXT;
-- The local user, and the oldest account of an existing installation, are admins.
UPDATE users SET role = 'admin' WHERE is_local = 1 OR id = (SELECT id FROM users ORDER BY created_at, id LIMIT 1);

-- `token_hash` holds the HMAC-SHA256 (under TOKEN_HASH_KEY) of tokens made from now on
-- (`hash_kind` 'hmac'); older rows hold a plain SHA-256 ('sha256') and are rewritten to the HMAC
-- the first time their token is used.
ALTER TABLE api_tokens ADD COLUMN hash_kind TEXT NOT NULL DEFAULT 'sha256';
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;

-- RFC 8628 device authorization: one row per device code (stored as its HMAC).
CREATE TABLE IF NOT EXISTS device_codes (
  device_code_hash TEXT PRIMARY KEY,
  user_code TEXT NOT NULL UNIQUE,
  client_id TEXT NOT NULL,
  -- pending, approved, denied or consumed (its token was handed out)
  status TEXT NOT NULL,
  user_id TEXT REFERENCES users(id),
  interval_s INTEGER NOT NULL,
  last_poll_at INTEGER,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);

-- Failed attempts (a wrong bearer token, a wrong user code) per key (client address or user)
-- per minute window, for rate limiting.
CREATE TABLE IF NOT EXISTS auth_failures (
  key TEXT NOT NULL,
  window_start INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (key, window_start)
);
