-- Up Migration

-- Every instance caches API keys in memory; any change to a key row (revocation, deletion, scope edit),
-- whoever makes it (the CLI, plain SQL), tells every instance to drop the key at once. Payload: the id.
CREATE FUNCTION comfypulse_notify_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('comfypulse_keys', OLD.id::text);
  RETURN NULL;
END;
$$;

CREATE TRIGGER api_keys_notify AFTER UPDATE OR DELETE ON api_keys
  FOR EACH ROW EXECUTE FUNCTION comfypulse_notify_key();

-- Down Migration
DROP TRIGGER api_keys_notify ON api_keys;
DROP FUNCTION comfypulse_notify_key();
