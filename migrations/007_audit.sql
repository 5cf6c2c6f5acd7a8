-- The audit log: every operator and admin action and every refused access, with who, what, when,
-- from where and how it ended. Append-only for the application: the triggers below refuse UPDATE,
-- DELETE and TRUNCATE from any role, superusers included, so a stolen admin account or a bug cannot
-- rewrite history. Pruning is a deliberate DBA step: ALTER TABLE audit_log DISABLE TRIGGER ... .

CREATE TABLE audit_log (
  id         bigserial PRIMARY KEY,
  at         timestamptz NOT NULL DEFAULT now(),
  -- The acting account (username; ids are not reused but usernames are what people read) and its role
  -- at the time. NULL when nobody was identified (a forged or expired token).
  actor      text,
  actor_role text,
  -- 'auth.login', 'auth.logout', or the route as "METHOD /api/v1/path/:param".
  action     text NOT NULL,
  -- What was acted on: the path parameters, or the id or username in the body.
  target     text,
  ip         text NOT NULL,
  outcome    text NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
  status     smallint,
  -- Request body with secrets redacted, the error code of a refusal, ...
  details    jsonb NOT NULL DEFAULT '{}'
);

CREATE INDEX audit_log_at ON audit_log (at DESC);
CREATE INDEX audit_log_actor ON audit_log (actor, id DESC);
CREATE INDEX audit_log_action ON audit_log (action, id DESC);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_no_update_delete
  BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TRIGGER audit_log_no_truncate
  BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Belt and braces for deployments where the app connects as a non-owner role.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;
