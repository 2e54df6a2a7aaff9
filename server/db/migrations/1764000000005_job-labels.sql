-- Up Migration

-- What a person knows a job by, as told by whoever started it through POST /v1/prompts: the workflow's
-- name, and the client that called (an automation's label such as "n8n"). Remote text, rendered as text.
ALTER TABLE jobs ADD COLUMN workflow_name text;
ALTER TABLE jobs ADD COLUMN client_name text;

-- Down Migration
ALTER TABLE jobs DROP COLUMN client_name;
ALTER TABLE jobs DROP COLUMN workflow_name;
