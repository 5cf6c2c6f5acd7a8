-- Places as data: the areas the IOC serves, the commune-level units in force (since 1 July 2025 a
-- province has no district level: phường, xã and đặc khu sit directly under it), and the former units
-- they replaced, each with the current unit it went into. Seeded from devices/places/*.json at start
-- (src/places/seed.ts); `origin` says whether a row is still as shipped ('seed', refreshed by a later
-- start) or was written through the API ('admin', never overwritten by a start).
--
-- Area, unit and former-unit ids share one namespace (checked where they are created), so a set of
-- ids can name what a user may see without saying which table each comes from.

CREATE TABLE place_areas (
  id                text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name_vi           text NOT NULL,
  name_en           text NOT NULL,
  province_code     text NOT NULL CHECK (province_code ~ '^[0-9]{2}$'),
  province_name_vi  text NOT NULL,
  province_name_en  text NOT NULL,
  centre_lat        double precision NOT NULL CHECK (centre_lat BETWEEN -90 AND 90),
  centre_lon        double precision NOT NULL CHECK (centre_lon BETWEEN -180 AND 180),
  -- The map's initial view: south, west, north, east in degrees.
  bounds_south      double precision NOT NULL,
  bounds_west       double precision NOT NULL,
  bounds_north      double precision NOT NULL,
  bounds_east       double precision NOT NULL,
  -- Former district and province, full extent, how the centre and bounds were chosen, sources.
  details           jsonb NOT NULL DEFAULT '{}',
  origin            text NOT NULL DEFAULT 'admin' CHECK (origin IN ('seed', 'admin')),
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  CHECK (bounds_south < bounds_north AND bounds_west < bounds_east)
);

CREATE TABLE place_units (
  id             text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  area_id        text NOT NULL REFERENCES place_areas (id),
  -- The name without its type (`Tân Ninh`) and the full names (`Phường Tân Ninh`, `Tân Ninh Ward`).
  name           text NOT NULL,
  full_name_vi   text NOT NULL,
  full_name_en   text NOT NULL,
  -- phường, xã, đặc khu.
  type           text NOT NULL CHECK (type IN ('ward', 'commune', 'special_zone')),
  -- The General Statistics Office's five-digit code of the commune-level unit.
  code           text NOT NULL CHECK (code ~ '^[0-9]{5}$'),
  province_code  text NOT NULL CHECK (province_code ~ '^[0-9]{2}$'),
  centre_lat     double precision NOT NULL CHECK (centre_lat BETWEEN -90 AND 90),
  centre_lon     double precision NOT NULL CHECK (centre_lon BETWEEN -180 AND 180),
  -- GeoJSON Polygon or MultiPolygon (WGS 84), and its bounding box [west, south, east, north], which
  -- lets a position lookup skip most units before testing a ring.
  boundary       jsonb,
  boundary_bbox  double precision[],
  valid_from     date NOT NULL,
  valid_to       date,
  sources        jsonb NOT NULL DEFAULT '[]',
  -- What the source also says: formed from which former units, province names, approximate centre.
  details        jsonb NOT NULL DEFAULT '{}',
  origin         text NOT NULL DEFAULT 'admin' CHECK (origin IN ('seed', 'admin')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  CHECK ((boundary IS NULL) = (boundary_bbox IS NULL)),
  CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX place_units_area ON place_units (area_id);
-- Codes are unique among the units in force; a former unit's code may live on in a merged one.
CREATE UNIQUE INDEX place_units_current_code ON place_units (code) WHERE valid_to IS NULL;

CREATE TABLE place_former_units (
  id             text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  area_id        text NOT NULL REFERENCES place_areas (id),
  name           text NOT NULL,
  full_name_vi   text NOT NULL,
  full_name_en   text NOT NULL,
  type           text NOT NULL CHECK (type IN ('ward', 'commune', 'special_zone')),
  code           text NOT NULL CHECK (code ~ '^[0-9]{5}$'),
  valid_to       date NOT NULL,
  merged_into    text NOT NULL REFERENCES place_units (id),
  sources        jsonb NOT NULL DEFAULT '[]',
  details        jsonb NOT NULL DEFAULT '{}',
  origin         text NOT NULL DEFAULT 'admin' CHECK (origin IN ('seed', 'admin')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX place_former_units_merged_into ON place_former_units (merged_into);
