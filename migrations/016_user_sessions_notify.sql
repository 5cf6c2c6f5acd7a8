-- A change that ends or alters a user's sessions is announced on channel ioc_sessions (payload: the
-- username) by the database itself, whoever made it: the API of any instance (logout, a new password,
-- disabling, a new role) or the admin command, a separate process that tells no instance. Every
-- instance's live layer LISTENs and ends that user's open /live sockets at once; without this they
-- would keep receiving alerts and telemetry after REST already answers 401.
CREATE FUNCTION users_notify_sessions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('ioc_sessions', OLD.username);
  RETURN NULL;
END $$;

CREATE TRIGGER users_sessions_changed AFTER UPDATE ON users FOR EACH ROW
  WHEN (OLD.token_version IS DISTINCT FROM NEW.token_version
     OR OLD.role IS DISTINCT FROM NEW.role
     OR OLD.disabled IS DISTINCT FROM NEW.disabled
     OR OLD.username IS DISTINCT FROM NEW.username)
  EXECUTE FUNCTION users_notify_sessions();

CREATE TRIGGER users_sessions_deleted AFTER DELETE ON users FOR EACH ROW
  EXECUTE FUNCTION users_notify_sessions();
