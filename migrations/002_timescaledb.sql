-- TimescaleDB where the server has it: raw telemetry becomes a hypertable with compression.
-- Without it this migration does nothing and plain PostgreSQL serves the same schema and answers.
-- Retention is applied at start-up from TELEMETRY_RETENTION_DAYS (src/storage/retention.ts).
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') THEN
    RETURN;
  END IF;
  BEGIN
    CREATE EXTENSION IF NOT EXISTS timescaledb;
  EXCEPTION WHEN OTHERS THEN
    -- Installed but not in shared_preload_libraries: run as plain PostgreSQL rather than refuse to start.
    RAISE WARNING 'timescaledb is installed but could not be loaded (%); using plain PostgreSQL', SQLERRM;
    RETURN;
  END;
  PERFORM create_hypertable('telemetry', 'time', chunk_time_interval => INTERVAL '1 day',
                            migrate_data => true, if_not_exists => true);
  ALTER TABLE telemetry SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'device_id, metric',
    timescaledb.compress_orderby = 'time DESC'
  );
  PERFORM add_compression_policy('telemetry', INTERVAL '7 days', if_not_exists => true);
END
$$;
