-- The raw table's time index as a BRIN instead of a B-tree, on plain PostgreSQL. Messages
-- arrive in time order, so a block range's min/max of `time` is tight: retention's `time < cutoff`
-- and the alert engine's warm-up (the last 12 hours of every station) find their blocks through a
-- few kilobytes of summaries instead of a B-tree entry per message (about 30 bytes each: gigabytes a
-- day at a province's rate). An insert no longer descends a second tree: the writer's statement took
-- 5-7 % less time in a scratch comparison (2026-11-30), the rest is in bench/results. Per-device
-- reads keep the primary key (device_id, time).
-- Under TimescaleDB the hypertable's chunks are dropped whole by the retention policy and its own
-- chunk indexes serve time; nothing changes there.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    DROP INDEX IF EXISTS telemetry_messages_time;
    CREATE INDEX telemetry_messages_time_brin ON telemetry_messages USING brin (time);
  END IF;
END
$$;
