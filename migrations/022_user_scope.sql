-- Area-scoped access. A user, and a province API key, reaches every area (scope NULL, what every
-- account and key had before) or only the areas and units named (ids of place_areas and place_units,
-- one namespace). Admins manage accounts, rules and the audit log for the whole city: they always
-- reach every area.
ALTER TABLE users ADD COLUMN scope text[];
ALTER TABLE users ADD CONSTRAINT users_scope_named CHECK (scope IS NULL OR cardinality(scope) > 0);
ALTER TABLE users ADD CONSTRAINT users_admin_everywhere CHECK (role <> 'admin' OR scope IS NULL);

ALTER TABLE api_keys ADD COLUMN scope text[];
ALTER TABLE api_keys ADD CONSTRAINT api_keys_scope_named CHECK (scope IS NULL OR cardinality(scope) > 0);

-- A new scope ends the user's sessions, whoever sets it (the API on any instance, the admin command,
-- SQL by hand): a token names the version it was issued under, and the new version is what
-- 016_user_sessions_notify.sql announces to every instance's live layer.
CREATE FUNCTION users_scope_ends_sessions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.scope IS DISTINCT FROM OLD.scope THEN
    NEW.token_version := OLD.token_version + 1;
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER users_scope_changed BEFORE UPDATE OF scope ON users FOR EACH ROW
  EXECUTE FUNCTION users_scope_ends_sessions();
