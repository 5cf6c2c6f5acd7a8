-- Hourly rollups without row locks on the ingest path (docs/decisions/0006-rollups-and-feeds.md).
-- The insert statement used to upsert telemetry_hourly directly: two writer connections storing
-- batches of the same devices waited on each other's rows (and could deadlock, the upsert having no
-- lock order). Now each batch appends its partial aggregates here — still computed from the rows it
-- actually inserted, so a redelivery adds nothing — and the refresher folds them into
-- telemetry_hourly in one ordered upsert, under its lock, in the transaction that recomputes the
-- hours they touched.
CREATE TABLE telemetry_hourly_delta (
  device_id text NOT NULL,
  metric    text NOT NULL,
  hour      timestamptz NOT NULL,
  count     integer NOT NULL,
  sum       double precision NOT NULL,
  min       double precision NOT NULL,
  max       double precision NOT NULL
);
