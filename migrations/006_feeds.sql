-- Rollups and the province feeds (docs/decisions/0006-rollups-and-feeds.md).
--
-- telemetry_hourly is maintained by the same statement that stores raw telemetry, from the rows that
-- statement actually inserted: a redelivered reading inserts nothing and so never counts twice, and a
-- late one lands in its own hour. Everything above it (daily rollups, ward and city indicators) is
-- recomputed by an in-process job for the hours marked in rollup_dirty, so it is exact, too.

-- Per device, metric and UTC-aligned hour (Vietnam is UTC+7 all year, so it is also a local hour).
CREATE TABLE telemetry_hourly (
  device_id text NOT NULL,
  metric    text NOT NULL,
  hour      timestamptz NOT NULL,
  count     integer NOT NULL,
  sum       double precision NOT NULL,
  min       double precision NOT NULL,
  max       double precision NOT NULL,
  PRIMARY KEY (device_id, metric, hour)
) WITH (fillfactor = 70); -- room on the page for HOT updates: the current hour is updated by every batch
CREATE INDEX telemetry_hourly_hour ON telemetry_hourly (hour);

-- Per device, metric and local (Asia/Ho_Chi_Minh) calendar day.
CREATE TABLE telemetry_daily (
  device_id text NOT NULL,
  metric    text NOT NULL,
  day       date NOT NULL,
  count     bigint NOT NULL,
  sum       double precision NOT NULL,
  min       double precision NOT NULL,
  max       double precision NOT NULL,
  PRIMARY KEY (device_id, metric, day)
);
CREATE INDEX telemetry_daily_day ON telemetry_daily (day);

-- Hours whose rollups changed. Append-only for writers (no row is ever contended); the refresher
-- deletes what it saw and recomputes those hours in the same transaction.
CREATE TABLE rollup_dirty (
  id   bigserial PRIMARY KEY,
  hour timestamptz NOT NULL
);

-- Indicator components per city and ward (ward '' = the whole city), per hour and per local day.
-- An indicator's value is derived from its components by its aggregation (src/feeds/indicators.ts):
-- mean = sum/count, percent = 100·sum/count, total = sum, max = max. Components add up over
-- periods, so a month is the sum of its days and needs no second pass over the data.
CREATE TABLE indicator_hourly (
  city      text NOT NULL,
  ward      text NOT NULL,
  hour      timestamptz NOT NULL,
  indicator text NOT NULL,
  dim       text NOT NULL DEFAULT '',
  sum       double precision NOT NULL,
  count     double precision NOT NULL,
  max       double precision,
  PRIMARY KEY (city, hour, ward, indicator, dim)
);

CREATE TABLE indicator_daily (
  city      text NOT NULL,
  ward      text NOT NULL,
  day       date NOT NULL,
  indicator text NOT NULL,
  dim       text NOT NULL DEFAULT '',
  sum       double precision NOT NULL,
  count     double precision NOT NULL,
  max       double precision,
  PRIMARY KEY (city, day, ward, indicator, dim)
);

-- A closed hour or day whose rollups and indicators are final (until a late reading republishes it).
-- Incremental feed reads follow the publishing transaction id: a cursor [lo, hi) where hi is the
-- oldest transaction still running when the read began, so a publication committed late is never
-- skipped and none is returned twice.
CREATE TABLE feed_publications (
  scope        text NOT NULL CHECK (scope IN ('hour', 'day')),
  start        timestamptz NOT NULL,
  xid          xid8 NOT NULL DEFAULT pg_current_xact_id(),
  published_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, start)
);
CREATE INDEX feed_publications_xid ON feed_publications (scope, xid, start);

-- The same for alerts: every insert and update stamps the writing transaction.
ALTER TABLE alerts ADD COLUMN change_xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX alerts_change_xid ON alerts (change_xid, id);
CREATE FUNCTION alerts_stamp_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.change_xid := pg_current_xact_id();
  RETURN NEW;
END
$$;
CREATE TRIGGER alerts_stamp_change BEFORE UPDATE ON alerts FOR EACH ROW EXECUTE FUNCTION alerts_stamp_change();

-- Alert-derived indicators (counts, times to acknowledge and resolve, floods, overflows, lamp faults)
-- change when an alert or a lamp fault does: mark its hour so the refresher republishes it.
CREATE FUNCTION mark_hour_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'alerts' THEN
    INSERT INTO rollup_dirty (hour) VALUES (date_bin('1 hour', NEW.opened_at, '2000-01-01'));
  ELSE
    INSERT INTO rollup_dirty (hour) VALUES (date_bin('1 hour', NEW.time, '2000-01-01'));
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER alerts_mark_hour_dirty AFTER INSERT OR UPDATE ON alerts
  FOR EACH ROW EXECUTE FUNCTION mark_hour_dirty();
CREATE TRIGGER lamp_faults_mark_hour_dirty AFTER INSERT ON device_events
  FOR EACH ROW WHEN (NEW.type = 'lamp_fault') EXECUTE FUNCTION mark_hour_dirty();

-- Keys for machine clients (the provincial IOC): read-only, feeds only. The key is shown once; only
-- its scrypt hash is kept, found by its public prefix.
CREATE TABLE api_keys (
  id           bigserial PRIMARY KEY,
  name         text NOT NULL,
  prefix       text NOT NULL UNIQUE,
  key_hash     text NOT NULL,
  created_by   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz,
  revoked_by   text
);

-- Telemetry stored before this migration: rolled up once here, and every hour of it marked, so the
-- refresher computes its indicators in the background after the upgrade.
INSERT INTO telemetry_hourly (device_id, metric, hour, count, sum, min, max)
SELECT device_id, metric, date_bin('1 hour', time, '2000-01-01'), count(*), sum(value), min(value), max(value)
FROM telemetry GROUP BY 1, 2, 3;
INSERT INTO rollup_dirty (hour) SELECT DISTINCT hour FROM telemetry_hourly;

-- Under TimescaleDB the hourly rollup is partitioned by time like the raw table (same statements,
-- same answers; see the decision record for why it is not a continuous aggregate).
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    PERFORM create_hypertable('telemetry_hourly', 'hour', chunk_time_interval => INTERVAL '30 days',
                              migrate_data => true, if_not_exists => true);
  END IF;
END
$$;
