-- What the admins' pages read often enough to need an index. An account's last login comes from the
-- audit log (the login route writes every login there), found by one probe of this partial index.
CREATE INDEX audit_log_logins ON audit_log (actor, id DESC)
  WHERE action = 'auth.login' AND outcome = 'success';

-- The device list ordered by name and paged by (name, id). Names rarely change, so the frequent
-- last-seen and status updates of devices stay heap-only (011_devices_fillfactor.sql).
CREATE INDEX devices_name ON devices (name, id);
