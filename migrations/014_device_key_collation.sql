-- Device ids and metric names compare byte by byte ("C") in the keys written for every message or
-- every device: the raw table's primary key, the hourly rollup the refresher upserts, and the latest
-- values flushed every few seconds (issue 8). A database created with a language collation
-- (C.UTF-8, en_US.UTF-8) compares text through the C library's collation, even for these ASCII ids,
-- which made every key comparison in an index descent slower: the writer's statement took 7 % less
-- time with "C" keys in a scratch comparison (2026-11-30), the rest is in bench/results.
-- Only the column's collation changes (no table rewrite); the indexes on it are rebuilt. Equality
-- with other tables' device ids still works: a column's "C" wins over the database's default. Ids
-- sort by code point, as they already did under C.UTF-8.
-- Under TimescaleDB these are hypertables (compressed, for the raw one), whose column types cannot be
-- altered in place: nothing changes there.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    -- The narrow view reads device_id: it is dropped and made again the same.
    DROP VIEW telemetry;
    ALTER TABLE telemetry_messages ALTER COLUMN device_id TYPE text COLLATE "C";
    CREATE VIEW telemetry AS
    SELECT m.time, m.device_id, e.key AS metric, e.value::float8 AS value
    FROM telemetry_messages m CROSS JOIN LATERAL jsonb_each(m.metrics) AS e;
    ALTER TABLE telemetry_hourly
      ALTER COLUMN device_id TYPE text COLLATE "C",
      ALTER COLUMN metric TYPE text COLLATE "C";
    ALTER TABLE device_latest
      ALTER COLUMN device_id TYPE text COLLATE "C",
      ALTER COLUMN metric TYPE text COLLATE "C";
  END IF;
END
$$;
