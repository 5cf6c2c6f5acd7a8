-- The installer / vendor role: an account that sees its own devices and nothing else (their status,
-- latest values and recent messages, their connection history, and the messages the IOC refused from
-- them with the reason). Its reach is a list of device profiles (every device of that kind) and/or a
-- list of device ids, never an area: what it installed may stand anywhere in the city.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
  CHECK (role IN ('viewer', 'operator', 'admin', 'installer'));

ALTER TABLE users ADD COLUMN device_profiles text[];
ALTER TABLE users ADD COLUMN device_ids text[];

-- An installer names at least one profile or device; every other role names none. Its area scope
-- stays NULL: the device lists are the whole of what it reaches (src/auth/deviceScope.ts).
ALTER TABLE users ADD CONSTRAINT users_installer_devices CHECK (
  CASE WHEN role = 'installer'
    THEN scope IS NULL
      AND coalesce(cardinality(device_profiles), 0) + coalesce(cardinality(device_ids), 0) > 0
    ELSE device_profiles IS NULL AND device_ids IS NULL
  END
);

-- New device lists end the user's sessions like a new area scope does (022_user_scope.sql), whoever
-- sets them; the bumped version is what 016_user_sessions_notify.sql announces to the live layer.
CREATE FUNCTION users_device_scope_ends_sessions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.device_profiles IS DISTINCT FROM OLD.device_profiles OR NEW.device_ids IS DISTINCT FROM OLD.device_ids THEN
    NEW.token_version := OLD.token_version + 1;
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER users_device_scope_changed BEFORE UPDATE OF device_profiles, device_ids ON users
  FOR EACH ROW EXECUTE FUNCTION users_device_scope_ends_sessions();
