-- Logging out (or an admin disabling an account or resetting its password) invalidates every token
-- issued before: tokens carry the version they were issued under.
ALTER TABLE users ADD COLUMN token_version integer NOT NULL DEFAULT 0;
