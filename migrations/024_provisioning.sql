-- Provisioning in the field: an admin hands installers a key (its secret stored as a scrypt hash, like
-- a device's) that lets a device claim its own identity once, within the key's area, unit and kinds,
-- before it expires and up to a number of claims. `claims` is counted under the key row's lock, so
-- concurrent claims never pass `max_claims`; each claim is kept, including the device it named.

CREATE TABLE provisioning_keys (
  id          bigserial PRIMARY KEY,
  name        text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
  -- The public half a claim names the key by (`iocp_<12 hex>`); the secret is only hashed.
  key_id      text NOT NULL UNIQUE,
  secret_hash text NOT NULL,
  city        text NOT NULL,
  -- The administrative unit claims must stand in; null: any unit of the area.
  unit        text,
  -- The device kinds (profiles) it may register; null: any.
  kinds       text[],
  expires_at  timestamptz NOT NULL,
  max_claims  integer NOT NULL CHECK (max_claims > 0),
  claims      integer NOT NULL DEFAULT 0 CHECK (claims >= 0 AND claims <= max_claims),
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz,
  revoked_by  text
);

-- One claim per device id and key: a second one is refused as already claimed. Not a reference to
-- devices: a device removed later keeps the record of how it was made.
CREATE TABLE provisioning_claims (
  key_id     bigint NOT NULL REFERENCES provisioning_keys (id) ON DELETE CASCADE,
  device_id  text NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT now(),
  ip         text NOT NULL,
  PRIMARY KEY (key_id, device_id)
);
CREATE INDEX provisioning_claims_device ON provisioning_claims (device_id);
