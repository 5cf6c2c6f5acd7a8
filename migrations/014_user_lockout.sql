-- An account's lockout lives with the account, not in one process's memory: every instance on the
-- database honours it, and the admin command (npm run admin -- unlock), a separate process that may
-- run while the IOC does, can lift it.
-- failed_logins counts failures from any address since failures_since (the window's start);
-- locked_until refuses even the right password until then; unlocked_at is when an admin last lifted
-- a lockout or reset the password, so a running IOC also forgives the failures it counted in memory
-- per (user, address) before that moment.
ALTER TABLE users
  ADD COLUMN failed_logins integer NOT NULL DEFAULT 0,
  ADD COLUMN failures_since timestamptz,
  ADD COLUMN locked_until timestamptz,
  ADD COLUMN unlocked_at timestamptz;
