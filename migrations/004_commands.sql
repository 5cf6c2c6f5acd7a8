-- Commands sent to devices over MQTT and what became of them (pending → succeeded | failed | timed_out).
CREATE TABLE device_commands (
  id           uuid PRIMARY KEY,
  device_id    text NOT NULL,
  name         text NOT NULL,
  args         jsonb NOT NULL DEFAULT '{}',
  state        text NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed', 'timed_out')),
  requested_by text NOT NULL,
  requested_at timestamptz NOT NULL,
  sent_at      timestamptz,
  completed_at timestamptz,
  timeout_at   timestamptz NOT NULL,
  result       jsonb
);
CREATE INDEX device_commands_device ON device_commands (device_id, requested_at DESC);
CREATE INDEX device_commands_pending ON device_commands (timeout_at) WHERE state = 'pending';
