-- Device profiles: a device kind as data (metrics with units, types and plausible ranges, reporting
-- interval, what the console shows first). Seeded from devices/kinds/*.json at start
-- (src/profiles/seed.ts); `origin` says whether a row is still as shipped ('seed', refreshed by a later
-- start) or was written through the API ('admin', never overwritten by a start). `devices.kind` names
-- a profile's id; a profile some device is of is not deleted (src/storage/profiles.ts).

CREATE TABLE device_profiles (
  id                   text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9-]{1,62}$' AND id <> 'system'),
  name_vi              text NOT NULL,
  name_en              text NOT NULL,
  description_vi       text NOT NULL,
  description_en       text NOT NULL,
  reporting_interval_s integer NOT NULL CHECK (reporting_interval_s > 0),
  -- {metric: {name: {vi, en}, unit, type, min, max, cumulative?}}, as devices/kinds writes it.
  metrics              jsonb NOT NULL CHECK (jsonb_typeof(metrics) = 'object'),
  primary_metrics      text[] NOT NULL DEFAULT '{}',
  ngsi_ld_type         text,
  origin               text NOT NULL DEFAULT 'admin' CHECK (origin IN ('seed', 'admin')),
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
