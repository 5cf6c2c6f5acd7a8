-- Raw telemetry one row per accepted message instead of one per metric (measured in
-- docs/decisions/0009-telemetry-messages.md). A message carries 2–6 metrics; storing it as one row
-- with a jsonb of its metrics writes one heap tuple and two index entries instead of four and eight,
-- and the side table the refresher folds gets one row per message, not one per metric and hour.
--
-- A message is identified by (device, ts): a redelivery inserts nothing. A second message with the
-- same ts but other metrics adds only the metrics the stored one lacks (the narrow table's rule:
-- a metric's first value at a ts wins).
--
-- `telemetry` stays, as a view in the old narrow shape (time, device_id, metric, value), for reads.
CREATE TABLE telemetry_messages (
  device_id text NOT NULL,
  time      timestamptz NOT NULL,
  metrics   jsonb NOT NULL,
  PRIMARY KEY (device_id, time)
);
CREATE INDEX telemetry_messages_time ON telemetry_messages (time DESC);

-- Messages stored and not yet folded into telemetry_hourly by the refresher. Append-only for
-- writers, no index: the refresher takes it whole (DELETE … RETURNING) under its lock.
CREATE TABLE telemetry_pending (
  device_id text NOT NULL,
  time      timestamptz NOT NULL,
  metrics   jsonb NOT NULL
);

INSERT INTO telemetry_messages (device_id, time, metrics)
SELECT device_id, time, jsonb_object_agg(metric, value) FROM telemetry GROUP BY device_id, time;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    PERFORM create_hypertable('telemetry_messages', 'time', chunk_time_interval => INTERVAL '1 day',
                              migrate_data => true, if_not_exists => true);
    ALTER TABLE telemetry_messages SET (
      timescaledb.compress,
      timescaledb.compress_segmentby = 'device_id',
      timescaledb.compress_orderby = 'time DESC'
    );
    PERFORM add_compression_policy('telemetry_messages', INTERVAL '7 days', if_not_exists => true);
  END IF;
END
$$;

DROP TABLE telemetry;

CREATE VIEW telemetry AS
SELECT m.time, m.device_id, e.key AS metric, e.value::float8 AS value
FROM telemetry_messages m CROSS JOIN LATERAL jsonb_each(m.metrics) AS e;
