-- telemetry_pending in 32 partitions by a hash of the device. The refresher's timer folds
-- a minute of the fleet's messages one partition at a time, each its own short transaction with a
-- pause after it: folded whole, 600,000 messages (10,000 devices at 10,000 msg/s) kept a core busy
-- for 5-10 s and the whole fleet's publish → stored tail rose with it. A partition holds whole
-- devices, so no device's hourly rows are rewritten twice in one fold; writers insert into the
-- parent as before (routing cost not measurable beside the statement, scratch run 2026-11-30).
-- src/storage/rollups.ts (pendingParts) must name the same count.
ALTER TABLE telemetry_pending RENAME TO telemetry_pending_unpartitioned;

CREATE TABLE telemetry_pending (
  device_id text NOT NULL,
  time      timestamptz NOT NULL,
  metrics   jsonb NOT NULL
) PARTITION BY HASH (device_id);

DO $$
BEGIN
  FOR i IN 0..31 LOOP
    EXECUTE format(
      'CREATE TABLE telemetry_pending_%s PARTITION OF telemetry_pending FOR VALUES WITH (MODULUS 32, REMAINDER %s)',
      i, i);
  END LOOP;
END
$$;

INSERT INTO telemetry_pending SELECT device_id, time, metrics FROM telemetry_pending_unpartitioned;
DROP TABLE telemetry_pending_unpartitioned;
