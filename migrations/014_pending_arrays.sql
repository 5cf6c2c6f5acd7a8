-- telemetry_pending holds a message's readings as two arrays, metric names and values, instead of its
-- metrics document (issue 8). The fold read the document with jsonb_each_text: a tuplestore per
-- message and a numeric → text → float8 round trip per reading, half of its time. From arrays it
-- unnests plain doubles: the same fold of 60,000 messages took half the CPU (scratch run,
-- 2026-11-30). The writer takes the arrays from its batch (src/storage/telemetry.ts); what already
-- waits here is converted. Same 32 hash partitions (migration 012; pendingParts in rollups.ts).
ALTER TABLE telemetry_pending RENAME TO telemetry_pending_documents;
DO $$
BEGIN
  FOR i IN 0..31 LOOP
    EXECUTE format('ALTER TABLE telemetry_pending_%s RENAME TO telemetry_pending_documents_%s', i, i);
  END LOOP;
END
$$;

CREATE TABLE telemetry_pending (
  device_id text NOT NULL,
  time      timestamptz NOT NULL,
  metrics   text[] NOT NULL,
  vals      float8[] NOT NULL,
  -- The fold unnests both side by side: a value per name.
  CHECK (cardinality(metrics) = cardinality(vals))
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

INSERT INTO telemetry_pending (device_id, time, metrics, vals)
SELECT p.device_id, p.time, r.metrics, r.vals
FROM telemetry_pending_documents p,
     LATERAL (SELECT array_agg(key) AS metrics, array_agg(value::float8) AS vals FROM jsonb_each_text(p.metrics)) r
WHERE r.metrics IS NOT NULL;
DROP TABLE telemetry_pending_documents;
