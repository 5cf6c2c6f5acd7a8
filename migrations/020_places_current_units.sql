-- What is stored moves from the units abolished on 1 July 2025 to the units that replaced them
-- (Nghị quyết 1682/NQ-UBTVQH15 for Tây Ninh, 1659/NQ-UBTVQH15 for Hội An; devices/places/SOURCES.md).
-- Nothing is lost: devices and alerts keep the former unit in ward_before_2025, and the indicators as
-- they were reported per former unit are kept in indicator_*_before_2025, which feeds read for a
-- period before the change when asked to (docs/places.md). Each former unit went whole into one
-- current unit, so a current unit's components are the sums of its former units'; the whole-area rows
-- (ward '') do not change at all.

CREATE TEMPORARY TABLE ward_2025 (city text NOT NULL, former text NOT NULL, current text NOT NULL,
  PRIMARY KEY (city, former)) ON COMMIT DROP;
INSERT INTO ward_2025 (city, former, current) VALUES
  ('tay-ninh', 'phuong-1', 'phuong-tan-ninh'),
  ('tay-ninh', 'phuong-2', 'phuong-tan-ninh'),
  ('tay-ninh', 'phuong-3', 'phuong-tan-ninh'),
  ('tay-ninh', 'phuong-4', 'phuong-tan-ninh'),
  ('tay-ninh', 'hiep-ninh', 'phuong-tan-ninh'),
  ('tay-ninh', 'ninh-son', 'phuong-binh-minh'),
  ('tay-ninh', 'ninh-thanh', 'phuong-ninh-thanh'),
  ('tay-ninh', 'binh-minh', 'phuong-binh-minh'),
  ('tay-ninh', 'tan-binh', 'phuong-binh-minh'),
  ('tay-ninh', 'thanh-tan', 'phuong-binh-minh'),
  ('hoi-an', 'minh-an', 'phuong-hoi-an'),
  ('hoi-an', 'cam-pho', 'phuong-hoi-an'),
  ('hoi-an', 'son-phong', 'phuong-hoi-an'),
  ('hoi-an', 'tan-an', 'phuong-hoi-an-tay'),
  ('hoi-an', 'cam-an', 'phuong-hoi-an-tay'),
  ('hoi-an', 'cam-chau', 'phuong-hoi-an-dong'),
  ('hoi-an', 'cam-nam', 'phuong-hoi-an'),
  ('hoi-an', 'cua-dai', 'phuong-hoi-an-dong'),
  ('hoi-an', 'thanh-ha', 'phuong-hoi-an-tay'),
  ('hoi-an', 'cam-thanh', 'phuong-hoi-an-dong'),
  ('hoi-an', 'tan-hiep', 'xa-tan-hiep'),
  ('hoi-an', 'cam-ha', 'phuong-hoi-an-tay'),
  ('hoi-an', 'cam-kim', 'phuong-hoi-an');

ALTER TABLE devices ADD COLUMN ward_before_2025 text;
UPDATE devices d SET ward_before_2025 = d.ward, ward = m.current
FROM ward_2025 m WHERE m.city = d.city AND m.former = d.ward;

ALTER TABLE alerts ADD COLUMN ward_before_2025 text;
UPDATE alerts a SET ward_before_2025 = a.ward, ward = m.current
FROM ward_2025 m WHERE m.city = a.city AND m.former = a.ward;

-- A rule scoped to a former unit now watches the whole unit it went into.
UPDATE alert_rules r SET ward = m.current, updated_at = now()
FROM ward_2025 m WHERE m.city = r.city AND m.former = r.ward;

CREATE TABLE indicator_hourly_before_2025 (LIKE indicator_hourly INCLUDING ALL);
CREATE TABLE indicator_daily_before_2025 (LIKE indicator_daily INCLUDING ALL);
INSERT INTO indicator_hourly_before_2025
SELECT i.* FROM indicator_hourly i JOIN ward_2025 m ON m.city = i.city AND m.former = i.ward;
INSERT INTO indicator_daily_before_2025
SELECT i.* FROM indicator_daily i JOIN ward_2025 m ON m.city = i.city AND m.former = i.ward;

-- The hour's own value (the max column) follows the indicator's aggregation (src/feeds/indicators.ts):
-- percent for *_pct, mean for *_mean, the sum for the totals.
CREATE FUNCTION pg_temp.hour_value(indicator text, sum float8, count float8) RETURNS float8
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN indicator LIKE '%\_pct' THEN 100 * sum / nullif(count, 0)
              WHEN indicator LIKE '%\_mean' THEN sum / nullif(count, 0)
              ELSE sum END
$$;

CREATE TEMPORARY TABLE merged_hourly ON COMMIT DROP AS
SELECT i.city, m.current AS ward, i.hour, i.indicator, i.dim, sum(i.sum) AS sum, sum(i.count) AS count
FROM indicator_hourly i JOIN ward_2025 m ON m.city = i.city AND m.former = i.ward
GROUP BY i.city, m.current, i.hour, i.indicator, i.dim;
DELETE FROM indicator_hourly i USING ward_2025 m WHERE m.city = i.city AND m.former = i.ward;
INSERT INTO indicator_hourly AS t (city, ward, hour, indicator, dim, sum, count, max)
SELECT city, ward, hour, indicator, dim, sum, count, pg_temp.hour_value(indicator, sum, count)
FROM merged_hourly
ON CONFLICT (city, hour, ward, indicator, dim) DO UPDATE
SET sum = t.sum + excluded.sum, count = t.count + excluded.count,
    max = pg_temp.hour_value(t.indicator, t.sum + excluded.sum, t.count + excluded.count);

-- A day's components are the sums of its former units' (the day's worst hour is read again from the
-- merged hours where they are kept). The daily VN_AQI is the worst station's, so the worst of the
-- former units', and the day is counted once in that AQI's category (Decision 1459/QĐ-TCMT bands).
CREATE TEMPORARY TABLE merged_daily ON COMMIT DROP AS
SELECT i.city, m.current AS ward, i.day, i.indicator, i.dim,
       CASE WHEN i.indicator = 'aqi_daily' THEN max(i.sum) ELSE sum(i.sum) END AS sum,
       CASE WHEN i.indicator = 'aqi_daily' THEN 1 ELSE sum(i.count) END AS count,
       CASE WHEN i.indicator IN ('aqi_daily', 'waste_bins_need_collection') THEN NULL ELSE max(i.max) END AS max
FROM indicator_daily i JOIN ward_2025 m ON m.city = i.city AND m.former = i.ward
WHERE i.indicator <> 'aqi_category_days'
GROUP BY i.city, m.current, i.day, i.indicator, i.dim;
UPDATE merged_daily d SET max = coalesce(
  (SELECT max(h.max) FROM indicator_hourly h
   WHERE h.city = d.city AND h.ward = d.ward AND h.indicator = d.indicator AND h.dim = d.dim
     AND h.hour >= d.day::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh'
     AND h.hour < (d.day + 1)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh'),
  d.max, d.sum);
INSERT INTO merged_daily (city, ward, day, indicator, dim, sum, count, max)
SELECT city, ward, day, 'aqi_category_days',
       CASE WHEN sum <= 50 THEN 'good' WHEN sum <= 100 THEN 'moderate' WHEN sum <= 150 THEN 'poor'
            WHEN sum <= 200 THEN 'bad' WHEN sum <= 300 THEN 'very_bad' ELSE 'hazardous' END,
       1, 1, 1
FROM merged_daily WHERE indicator = 'aqi_daily';
DELETE FROM indicator_daily i USING ward_2025 m WHERE m.city = i.city AND m.former = i.ward;
INSERT INTO indicator_daily AS t (city, ward, day, indicator, dim, sum, count, max)
SELECT city, ward, day, indicator, dim, sum, count, max FROM merged_daily
ON CONFLICT (city, day, ward, indicator, dim) DO UPDATE
SET sum = t.sum + excluded.sum, count = t.count + excluded.count, max = greatest(t.max, excluded.max);
DROP FUNCTION pg_temp.hour_value(text, float8, float8);
