-- Up Migration

-- One NOTIFY per statement instead of one per row: an ingest flush writes many jobs in one statement,
-- and every notification costs the committing backend, each listening backend and each instance's
-- client. The payload is a comma list of job seqs, in chunks that stay far below the 8000-byte limit.
-- Transition tables need one trigger per event.
CREATE FUNCTION comfypulse_notify_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  payload text;
BEGIN
  FOR payload IN
    SELECT string_agg(seq::text, ',') FROM (
      SELECT seq, (row_number() OVER () - 1) / 300 AS chunk FROM changed
    ) c GROUP BY chunk
  LOOP
    PERFORM pg_notify('comfypulse_jobs', payload);
  END LOOP;
  RETURN NULL;
END;
$$;

DROP TRIGGER jobs_notify ON jobs;
DROP FUNCTION comfypulse_notify_job();
CREATE TRIGGER jobs_notify_insert AFTER INSERT ON jobs REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION comfypulse_notify_jobs();
CREATE TRIGGER jobs_notify_update AFTER UPDATE ON jobs REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION comfypulse_notify_jobs();

-- Down Migration
DROP TRIGGER jobs_notify_update ON jobs;
DROP TRIGGER jobs_notify_insert ON jobs;
DROP FUNCTION comfypulse_notify_jobs();
CREATE FUNCTION comfypulse_notify_job() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('comfypulse_jobs', NEW.seq::text);
  RETURN NULL;
END;
$$;
CREATE TRIGGER jobs_notify AFTER INSERT OR UPDATE ON jobs
  FOR EACH ROW EXECUTE FUNCTION comfypulse_notify_job();
