-- Up Migration

-- A monotonically increasing change number across all jobs: the SSE event id, so a reconnecting
-- stream can ask for everything after the last change it saw (Last-Event-ID).
CREATE SEQUENCE jobs_rev_seq;

CREATE TABLE jobs (
  -- Immutable surrogate key: the NOTIFY payload and the tie-breaker of the list cursor.
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  server text NOT NULL,
  prompt_id text NOT NULL,
  status text NOT NULL,
  -- pending 0 < running 1 < rejected/terminal 2: breaks updated_at ties so a record never regresses.
  status_rank smallint NOT NULL,
  source text NOT NULL CHECK (source IN ('extension', 'api')),
  own boolean,
  client_id text,
  user_name text,
  -- Name of the API key that wrote the first version of the record.
  queued_by text,
  number double precision,
  queued_at timestamptz,
  started_at timestamptz,
  ended_at timestamptz,
  -- The producer's revision (ms since epoch); a write applies only when it is newer.
  updated_at bigint NOT NULL,
  -- When the job came into being (queued, else started, else first revision); never changes, so the
  -- list order (created_at, seq) and its cursor are stable.
  created_at timestamptz NOT NULL,
  current_node text,
  progress double precision NOT NULL DEFAULT 0,
  outputs jsonb NOT NULL DEFAULT '{}'::jsonb,
  error jsonb,
  node_errors jsonb,
  webhook_url text,
  webhook_status text,
  rev bigint NOT NULL DEFAULT nextval('jobs_rev_seq'),
  CONSTRAINT jobs_server_prompt_key UNIQUE (server, prompt_id)
);

CREATE INDEX jobs_created_idx ON jobs (created_at DESC, seq DESC);
CREATE INDEX jobs_status_created_idx ON jobs (status, created_at DESC, seq DESC);
CREATE INDEX jobs_server_created_idx ON jobs (server, created_at DESC, seq DESC);
CREATE INDEX jobs_source_created_idx ON jobs (source, created_at DESC, seq DESC);
CREATE INDEX jobs_prompt_idx ON jobs (prompt_id);
CREATE INDEX jobs_rev_idx ON jobs (rev);
-- The dashboard's "active jobs" panel.
CREATE INDEX jobs_active_idx ON jobs (created_at DESC) WHERE status IN ('pending', 'running');

CREATE TABLE model_usage_log (
  server text NOT NULL,
  prompt_id text NOT NULL,
  node_id text NOT NULL,
  display_node_id text,
  class_type text,
  state text NOT NULL,
  cached boolean NOT NULL,
  started_at timestamptz,
  ended_at timestamptz,
  duration_ms double precision,
  PRIMARY KEY (server, prompt_id, node_id),
  FOREIGN KEY (server, prompt_id) REFERENCES jobs (server, prompt_id) ON DELETE CASCADE
);
-- Per-class timing aggregates over a recent window.
CREATE INDEX model_usage_log_started_idx ON model_usage_log (started_at DESC);

CREATE TABLE job_previews (
  server text NOT NULL,
  prompt_id text NOT NULL,
  mime text NOT NULL,
  bytes bytea NOT NULL,
  preview_seq integer NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (server, prompt_id),
  FOREIGN KEY (server, prompt_id) REFERENCES jobs (server, prompt_id) ON DELETE CASCADE
);

CREATE TABLE api_keys (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL,
  -- sha-256 (hex) of the token; the token itself is shown once at creation and never stored.
  token_hash text NOT NULL UNIQUE,
  scopes text[] NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);
-- A name identifies one live key; revoked keys keep their name for the audit trail.
CREATE UNIQUE INDEX api_keys_live_name_idx ON api_keys (name) WHERE revoked_at IS NULL;

-- Fan-out of job changes to every server instance: the payload is only the job key; listeners fetch
-- the row, so the 8000-byte NOTIFY limit never matters.
CREATE FUNCTION comfypulse_notify_job() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('comfypulse_jobs', NEW.seq::text);
  RETURN NULL;
END;
$$;

CREATE TRIGGER jobs_notify AFTER INSERT OR UPDATE ON jobs
  FOR EACH ROW EXECUTE FUNCTION comfypulse_notify_job();

-- Down Migration
DROP TRIGGER jobs_notify ON jobs;
DROP FUNCTION comfypulse_notify_job();
DROP TABLE api_keys;
DROP TABLE job_previews;
DROP TABLE model_usage_log;
DROP TABLE jobs;
DROP SEQUENCE jobs_rev_seq;
