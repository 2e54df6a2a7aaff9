-- Up Migration

-- A job belongs to the API key that first wrote it; jobs the server tracks itself (source 'api') belong
-- to the server. Another key's write to the job is refused for that record. No foreign key: keys are
-- revoked, not deleted, and a job's owner must not change because a key row went away.
ALTER TABLE jobs ADD COLUMN owner_key_id bigint;

-- Jobs ingested before this migration: the owner is the key whose name wrote the first version (the live
-- key of that name, else the newest revoked one). Rows whose key no longer exists stay unowned, and the
-- next key that writes a newer version claims them.
UPDATE jobs j SET owner_key_id = (
  SELECT k.id FROM api_keys k WHERE k.name = j.queued_by
  ORDER BY k.revoked_at IS NULL DESC, k.id DESC LIMIT 1
) WHERE j.source = 'extension';

-- Rows written with an updatedAt in the far future refused every later version; ingest now bounds
-- updatedAt, and those rows are brought back to the present so newer versions apply again.
UPDATE jobs SET updated_at = (extract(epoch FROM now()) * 1000)::bigint
WHERE updated_at > (extract(epoch FROM now()) * 1000)::bigint + 300000;

-- Down Migration
ALTER TABLE jobs DROP COLUMN owner_key_id;
