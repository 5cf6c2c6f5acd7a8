-- A device an admin switched off without deleting it: the broker refuses its connections (CONNACK 5,
-- reason device_disabled) while its registration, history and stored readings stay. NULL: enabled.
ALTER TABLE devices ADD COLUMN disabled_at timestamptz;
