-- Up Migration

-- Dashboard sign-in: the cookie holds a random session id, never the API key. Only the id's SHA-256 is
-- stored, so a database leak yields no usable cookie. Sign-out deletes the row; a revoked (or deleted)
-- key ends its sessions because every lookup joins the live key.
CREATE TABLE dashboard_sessions (
  id_hash text PRIMARY KEY,
  key_id bigint NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX dashboard_sessions_key_idx ON dashboard_sessions (key_id);
CREATE INDEX dashboard_sessions_expires_idx ON dashboard_sessions (expires_at);

-- Down Migration
DROP TABLE dashboard_sessions;
