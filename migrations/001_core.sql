-- Devices, raw telemetry, latest values, device events and status changes, dead letters, users.
-- Telemetry is narrow (time, device, metric, value): one schema for every kind, a metric is added in
-- devices/ alone, and the primary key is what makes a redelivered reading land once.

CREATE TABLE devices (
  id                     text PRIMARY KEY,
  kind                   text NOT NULL,
  city                   text NOT NULL,
  ward                   text NOT NULL,
  lat                    double precision NOT NULL,
  lon                    double precision NOT NULL,
  pole                   text,
  zone                   text CHECK (zone IN ('special', 'normal')),
  name                   text NOT NULL,
  secret_hash            text NOT NULL,
  credentials_rotated_at timestamptz NOT NULL DEFAULT now(),
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  -- Latest connection state, from the retained status message or the last will.
  online                 boolean,
  status_at              timestamptz,
  status                 jsonb,
  last_seen              timestamptz
);
CREATE INDEX devices_city_ward_kind ON devices (city, ward, kind);
CREATE INDEX devices_kind ON devices (kind);

CREATE TABLE telemetry (
  time      timestamptz NOT NULL,
  device_id text NOT NULL,
  metric    text NOT NULL,
  value     double precision NOT NULL,
  PRIMARY KEY (device_id, metric, time)
);
CREATE INDEX telemetry_time ON telemetry (time DESC);

-- One row per (device, metric): what GET /devices/:id shows without touching the raw table.
CREATE TABLE device_latest (
  device_id text NOT NULL,
  metric    text NOT NULL,
  time      timestamptz NOT NULL,
  value     double precision NOT NULL,
  PRIMARY KEY (device_id, metric)
);

CREATE TABLE device_events (
  id          bigserial PRIMARY KEY,
  time        timestamptz NOT NULL,
  device_id   text NOT NULL,
  type        text NOT NULL,
  data        jsonb NOT NULL DEFAULT '{}',
  received_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (device_id, type, time)
);
CREATE INDEX device_events_time ON device_events (time DESC);

CREATE TABLE device_status_changes (
  time      timestamptz NOT NULL,
  device_id text NOT NULL,
  online    boolean NOT NULL,
  last_will boolean NOT NULL DEFAULT false,
  PRIMARY KEY (device_id, time)
);

CREATE TABLE dead_letters (
  id            bigserial PRIMARY KEY,
  received_at   timestamptz NOT NULL,
  device_id     text,
  topic         text NOT NULL,
  reason        text NOT NULL,
  message       text NOT NULL,
  -- The first few KiB of what arrived, so an operator can see what the device sent.
  payload       bytea,
  payload_bytes integer NOT NULL
);
CREATE INDEX dead_letters_received_at ON dead_letters (received_at DESC);
CREATE INDEX dead_letters_device ON dead_letters (device_id, received_at DESC);

CREATE TABLE users (
  id            bigserial PRIMARY KEY,
  username      text NOT NULL UNIQUE,
  password_hash text NOT NULL,
  role          text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  disabled      boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
