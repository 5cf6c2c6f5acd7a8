// Queries of the rollup refresher: what changed, and the recomputation of hours and days into
// indicator components per ward and for the whole city (ward ''). The arithmetic stays in the
// database (GROUPING SETS give the ward and the city rows in one pass), so a year of history for
// thousands of devices is recomputed without moving its rows into the process.
import { localDateStart } from '../standards/time.ts';
import type { Pool, PoolClient } from './pool.ts';

const tz = "'Asia/Ho_Chi_Minh'";

/** Takes the marks of changed hours; the caller's transaction recomputes them or gives them back. */
export async function takeDirtyHours(client: PoolClient): Promise<Date[]> {
  const { rows } = await client.query<{ hour: Date }>(
    'WITH taken AS (DELETE FROM rollup_dirty RETURNING hour) SELECT DISTINCT hour FROM taken ORDER BY hour',
  );
  return rows.map((r) => r.hour);
}

/**
 * Folds what ingest stored since the last pass into telemetry_hourly (one upsert, in key order, by
 * the one refresher holding the lock) and returns the hours it touched: the messages appended to
 * telemetry_pending (migration 009), and partial aggregates left in telemetry_hourly_delta by a
 * version before it. Values are read as text: float8 from text is what float8 from a jsonb number
 * does anyway, and skipping the numeric made the fold 12-19 % faster (100,000 messages, 10,000 devices).
 * With a part, only that partition of telemetry_pending: the refresher folds a large fleet part by part.
 */
export async function foldHourlyDeltas(client: PoolClient, part?: number): Promise<Date[]> {
  if (part !== undefined) checkPart(part);
  const pending = part === undefined ? 'telemetry_pending' : `telemetry_pending_${part}`;
  // Without JIT: once the partitions' statistics say they are large, PostgreSQL compiled this
  // statement for every fold, 15-20 ms each even for an empty partition, and the timer folds 32 a
  // minute (32 folds of 100,000 messages: 985-1,248 ms with JIT, 778-791 ms without; scratch run).
  const jit = await client.query<{ was: string }>(
    "SELECT current_setting('jit') AS was, set_config('jit', 'off', true)",
  );
  const { rows } = await client.query<{ hour: Date }>(
    `WITH deltas AS (
       DELETE FROM telemetry_hourly_delta WHERE $1::bool RETURNING device_id, metric, hour, count, sum, min, max
     ),
     messages AS (DELETE FROM ${pending} RETURNING device_id, time, metrics),
     taken AS (
       SELECT * FROM deltas
       UNION ALL
       SELECT m.device_id, e.key, date_bin('1 hour', m.time, '2000-01-01'), count(*)::int,
              sum(e.value::float8), min(e.value::float8), max(e.value::float8)
       FROM messages m CROSS JOIN LATERAL jsonb_each_text(m.metrics) AS e
       GROUP BY 1, 2, 3
     ),
     folded AS (
       INSERT INTO telemetry_hourly AS h (device_id, metric, hour, count, sum, min, max)
       SELECT device_id, metric, hour, sum(count)::int, sum(sum), min(min), max(max) FROM taken
       GROUP BY device_id, metric, hour ORDER BY device_id, metric, hour
       ON CONFLICT (device_id, metric, hour) DO UPDATE
       SET count = h.count + excluded.count, sum = h.sum + excluded.sum,
           min = least(h.min, excluded.min), max = greatest(h.max, excluded.max)
     )
     SELECT DISTINCT hour FROM taken ORDER BY hour`,
    [part === undefined || part === 0], // 0008's deltas (empty since 009) go with the first part
  );
  // The rest of the caller's transaction as it was (set_config(…, true) ends with it anyway).
  await client.query("SELECT set_config('jit', $1, true)", [jit.rows[0]!.was]);
  return rows.map((r) => r.hour);
}

/** telemetry_pending's partitions by device hash (migration 012): a fold can take one at a time. */
export const pendingParts = 32;

function checkPart(part: number) {
  if (!(Number.isInteger(part) && part >= 0 && part < pendingParts))
    throw new RangeError(`telemetry_pending has partitions 0 to ${pendingParts - 1}, not ${part}`);
}

/**
 * Gives a folded partition's space back to the next messages. A fold deletes every row it takes;
 * until a vacuum records the freed pages, inserts extend the partition instead, and each fold
 * then reads all the pages ever written. Autovacuum would come round eventually (where it is on),
 * a minute or more later: the refresher does it at once, after the fold has committed (VACUUM
 * cannot run inside a transaction). The pages stay allocated (no truncation, which would lock out
 * the writers), and a partition another vacuum holds is skipped.
 */
export async function reclaimPending(client: Pool | PoolClient, part: number): Promise<void> {
  checkPart(part);
  await client.query(`VACUUM (TRUNCATE false, SKIP_LOCKED true) telemetry_pending_${part}`);
}

export async function markDirty(client: PoolClient, hours: readonly Date[]): Promise<void> {
  if (hours.length === 0) return;
  await client.query('INSERT INTO rollup_dirty (hour) SELECT unnest($1::timestamptz[])', [hours]);
}

export async function lastPublishedHour(client: PoolClient): Promise<Date | undefined> {
  const { rows } = await client.query<{ start: Date | null }>(
    "SELECT max(start) AS start FROM feed_publications WHERE scope = 'hour'",
  );
  return rows[0]?.start ?? undefined;
}

export interface HourRules {
  /** Hours in which the sun is down, per city (street lighting is judged in those only). */
  dark: Array<{ city: string; hour: Date }>;
  /** Per hour, the noise limits of the standard in force then, by zone, and whether it is a day hour. */
  noise: ReadonlyArray<{ hour: Date; day: boolean; special: number; normal: number }>;
  /** Minutes one noise reading stands for (the noise kind's reporting interval). */
  noiseReadingMinutes: number;
  pollutants: readonly string[];
  /** How each indicator turns components into a value, for the `max` column (the hour's own value). */
  aggregations: ReadonlyArray<{ indicator: string; aggregation: string }>;
  /** A lamp or a camera counts as on / recording for an hour when it said so at least this share of it. */
  mostOfTheHour: number;
}

/** Recomputes the hourly indicator components of these hours from the rollups (and raw noise). */
export async function replaceHourIndicators(client: PoolClient, hours: readonly Date[], rules: HourRules) {
  await client.query('DELETE FROM indicator_hourly WHERE hour = ANY($1)', [hours]);
  await client.query(
    `WITH hours AS (SELECT unnest($1::timestamptz[]) AS hour),
     rollup AS (
       SELECT h.hour, h.device_id, h.metric, h.count, h.sum, h.min, h.max, d.city, d.ward, d.kind
       FROM telemetry_hourly h JOIN devices d ON d.id = h.device_id WHERE h.hour = ANY($1)
     ),
     registered AS (
       SELECT hours.hour, d.id, d.city, d.ward, d.kind
       FROM hours JOIN devices d ON d.created_at < hours.hour + interval '1 hour'
     ),
     reported AS (SELECT DISTINCT hour, device_id FROM rollup),
     dark AS (SELECT * FROM unnest($2::text[], $3::timestamptz[]) AS k(city, hour)),
     noise AS (
       SELECT n.hour, d.city, d.ward, n.day,
              count(*) FILTER (WHERE t.value > CASE WHEN d.zone = 'special' THEN n.special ELSE n.normal END) AS over
       FROM unnest($4::timestamptz[], $5::bool[], $6::float8[], $7::float8[]) AS n(hour, day, special, normal)
       JOIN devices d ON d.kind = 'noise'
       JOIN telemetry t ON t.device_id = d.id AND t.metric = 'laeq_db'
                       AND t.time >= n.hour AND t.time < n.hour + interval '1 hour'
       GROUP BY n.hour, d.id, d.city, d.ward, n.day
     ),
     meters AS (
       SELECT device_id, hour, min, max, lag(max) OVER (PARTITION BY device_id ORDER BY hour) AS previous
       FROM telemetry_hourly
       WHERE metric = 'energy_kwh' AND hour >= (SELECT min(hour) FROM hours) - interval '7 days'
         AND hour <= (SELECT max(hour) FROM hours)
     ),
     parts (hour, city, ward, indicator, dim, sum, count) AS (
       SELECT r.hour, r.city, r.ward, 'device_availability_pct', r.kind, count(p.device_id)::float8, count(*)::float8
       FROM registered r LEFT JOIN reported p ON p.hour = r.hour AND p.device_id = r.id
       GROUP BY GROUPING SETS ((r.hour, r.city, r.ward, r.kind), (r.hour, r.city, r.kind))
       UNION ALL
       SELECT hour, city, ward, metric || '_mean', '', sum(sum), sum(count)::float8
       FROM rollup WHERE kind = 'environment' AND metric = ANY($9)
       GROUP BY GROUPING SETS ((hour, city, ward, metric), (hour, city, metric))
       UNION ALL
       SELECT r.hour, r.city, r.ward, 'camera_uptime_pct', '',
              (count(*) FILTER (WHERE c.sum / c.count >= $12))::float8, count(*)::float8
       FROM registered r LEFT JOIN rollup c ON c.hour = r.hour AND c.device_id = r.id AND c.metric = 'recording'
       WHERE r.kind = 'camera'
       GROUP BY GROUPING SETS ((r.hour, r.city, r.ward), (r.hour, r.city))
       UNION ALL
       SELECT l.hour, l.city, l.ward, 'streetlight_availability_pct', '',
              (count(*) FILTER (WHERE l.sum / l.count >= $12))::float8, count(*)::float8
       FROM rollup l JOIN dark k ON k.city = l.city AND k.hour = l.hour
       WHERE l.kind = 'streetlight' AND l.metric = 'lamp_on'
       GROUP BY GROUPING SETS ((l.hour, l.city, l.ward), (l.hour, l.city))
       UNION ALL
       -- A meter that went backwards was reset or replaced: only what it counted since then counts.
       SELECT m.hour, d.city, d.ward, 'streetlight_energy_kwh', '',
              sum(CASE WHEN m.previous IS NULL OR m.max < m.previous THEN m.max - m.min ELSE m.max - m.previous END),
              count(*)::float8
       FROM meters m JOIN devices d ON d.id = m.device_id
       WHERE m.hour = ANY($1)
       GROUP BY GROUPING SETS ((m.hour, d.city, d.ward), (m.hour, d.city))
       UNION ALL
       SELECT hour, city, ward, 'noise_exceedance_minutes', CASE WHEN day THEN 'day' ELSE 'night' END,
              sum(least(60, over * $8::float8)), count(*)::float8
       FROM noise GROUP BY GROUPING SETS ((hour, city, ward, day), (hour, city, day))
     )
     INSERT INTO indicator_hourly (hour, city, ward, indicator, dim, sum, count, max)
     SELECT p.hour, p.city, coalesce(p.ward, ''), p.indicator, p.dim, p.sum, p.count,
            CASE a.aggregation WHEN 'mean' THEN p.sum / nullif(p.count, 0)
                               WHEN 'percent' THEN 100 * p.sum / nullif(p.count, 0) ELSE p.sum END
     FROM parts p JOIN unnest($10::text[], $11::text[]) AS a(indicator, aggregation) USING (indicator)`,
    [
      hours,
      rules.dark.map((d) => d.city),
      rules.dark.map((d) => d.hour),
      rules.noise.map((n) => n.hour),
      rules.noise.map((n) => n.day),
      rules.noise.map((n) => n.special),
      rules.noise.map((n) => n.normal),
      rules.noiseReadingMinutes,
      rules.pollutants,
      rules.aggregations.map((a) => a.indicator),
      rules.aggregations.map((a) => a.aggregation),
      rules.mostOfTheHour,
    ],
  );
}

/** The inputs of a station's daily VN_AQI, per environment device and local day. */
export interface DailyAqiRow {
  deviceId: string;
  city: string;
  ward: string;
  day: string;
  pm25_24h: number | null;
  pm10_24h: number | null;
  o3_1hMax: number | null;
  o3_8hMax: number | null;
  no2_1hMax: number | null;
  so2_1hMax: number | null;
  co_1hMax: number | null;
}

/**
 * Per station and local day, the inputs of the daily VN_AQI (Decision 1459/QĐ-TCMT, 2.2.2 a): the
 * 24-hour mean of dust as the mean of the day's hourly means, the highest hourly mean of each gas, and
 * the highest of O3's 24 running 8-hour means. The Decision's day runs from the hour ending 01:00 to the
 * hour ending 00:00 next day, which is our local day of hour bins 00:00–23:00; its first 8-hour mean ends
 * at 01:00 and averages the 8 hourly means from the previous evening's 17:00 bin on, so O3 is read from
 * 7 hours before each day. An 8-hour mean is "the mean of the hourly means of 8 consecutive hours": the
 * Decision allows no missing hour, so a window lacking one is not an 8-hour mean.
 */
export async function dailyAqiInputs(
  client: PoolClient,
  days: readonly string[],
  /** One of `of` slices of the stations (by a hash of the id): a large fleet is read in several statements. */
  slice: { index: number; of: number } = { index: 0, of: 1 },
): Promise<DailyAqiRow[]> {
  if (days.length === 0) return [];
  const { rows } = await client.query<DailyAqiRow>(
    // One pass, no join of the rows with an aggregate of themselves: with the statistics of a fresh
    // table (no rows at the last ANALYZE) the planner took that join for one row against one and
    // re-ran the O3 window for every row; 10,000 stations kept a pass busy for minutes (the bench).
    `WITH m AS (
       SELECT h.device_id, d.city, d.ward, (h.hour AT TIME ZONE ${tz})::date AS day, h.hour, h.metric,
              h.sum / h.count AS mean
       FROM telemetry_hourly h JOIN devices d ON d.id = h.device_id
       WHERE d.kind = 'environment' AND h.metric IN ('pm25', 'pm10', 'o3', 'no2', 'so2', 'co')
         AND h.hour = ANY($1::timestamptz[])
         AND (h.metric = 'o3' OR (h.hour AT TIME ZONE ${tz})::date = ANY($4::date[]))
         AND ($3 = 1 OR abs(hashtext(h.device_id) % $3) = $2)
     ), w AS (
       SELECT m.*, avg(mean) OVER running AS mean8, count(*) OVER running AS n8
       FROM m
       WINDOW running AS (PARTITION BY device_id, metric ORDER BY hour
                          RANGE BETWEEN interval '7 hours' PRECEDING AND CURRENT ROW)
     )
     SELECT device_id AS "deviceId", city, ward, to_char(day, 'YYYY-MM-DD') AS day,
            avg(mean) FILTER (WHERE metric = 'pm25') AS pm25_24h,
            avg(mean) FILTER (WHERE metric = 'pm10') AS pm10_24h,
            max(mean) FILTER (WHERE metric = 'o3') AS "o3_1hMax",
            max(mean8) FILTER (WHERE metric = 'o3' AND n8 = 8) AS "o3_8hMax",
            max(mean) FILTER (WHERE metric = 'no2') AS "no2_1hMax",
            max(mean) FILTER (WHERE metric = 'so2') AS "so2_1hMax",
            max(mean) FILTER (WHERE metric = 'co') AS "co_1hMax"
     FROM w
     WHERE day = ANY($4::date[])
     GROUP BY device_id, city, ward, day`,
    [aqiHoursOf(days), slice.index, slice.of, days],
  );
  return rows;
}

/** The hours the daily VN_AQI of these days reads: each day's 24 and the 7 before it (O3's first windows). */
function aqiHoursOf(days: readonly string[]): Date[] {
  const hours = new Set<number>();
  for (const day of days) {
    const start = localDateStart(day).getTime();
    for (let h = -7; h < 24; h++) hours.add(start + h * 3_600_000);
  }
  return [...hours].map((t) => new Date(t));
}

/** Every hour of these local days: the rollups are found by the hour index, however far apart the days are. */
function hoursOf(days: readonly string[]): Date[] {
  return days.flatMap((day) => {
    const start = localDateStart(day).getTime();
    return Array.from({ length: 24 }, (_, h) => new Date(start + h * 3_600_000));
  });
}

export interface DayComponent {
  day: string;
  city: string;
  ward: string;
  indicator: string;
  dim: string;
  sum: number;
  count: number;
  max: number | null;
}

/**
 * Local days' indicators: the hourly components summed over each day, the bins that needed
 * collecting, and the daily-only components computed by the caller (the VN_AQI); also the
 * per-device rollup of `perDeviceDays` (by default the same days). `days` are local dates
 * (YYYY-MM-DD).
 */
export async function replaceDays(
  client: PoolClient,
  days: readonly string[],
  computed: readonly DayComponent[],
  collectionFillPct: number,
  perDeviceDays: readonly string[] = days,
): Promise<void> {
  if (days.length === 0) return;
  const hours = hoursOf(days);
  await client.query('DELETE FROM indicator_daily WHERE day = ANY($1::date[])', [days]);
  await client.query(
    `INSERT INTO indicator_daily (day, city, ward, indicator, dim, sum, count, max)
     SELECT (hour AT TIME ZONE ${tz})::date, city, ward, indicator, dim, sum(sum), sum(count), max(max)
     FROM indicator_hourly WHERE hour = ANY($1::timestamptz[])
     GROUP BY 1, city, ward, indicator, dim`,
    [hours],
  );
  await client.query(
    `INSERT INTO indicator_daily (day, city, ward, indicator, dim, sum, count, max)
     SELECT day, city, coalesce(ward, ''), 'waste_bins_need_collection', '', count(*), count(*), count(*)
     FROM (
       SELECT (h.hour AT TIME ZONE ${tz})::date AS day, d.city, d.ward, h.device_id
       FROM telemetry_hourly h JOIN devices d ON d.id = h.device_id
       WHERE d.kind = 'waste' AND h.metric = 'fill_pct' AND h.hour = ANY($1::timestamptz[])
       GROUP BY 1, d.city, d.ward, h.device_id HAVING max(h.max) >= $2
     ) bins
     GROUP BY GROUPING SETS ((day, city, ward), (day, city))`,
    [hours, collectionFillPct],
  );
  await client.query(
    `INSERT INTO indicator_daily (day, city, ward, indicator, dim, sum, count, max)
     SELECT * FROM unnest($1::date[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::float8[], $8::float8[])`,
    [
      computed.map((c) => c.day),
      computed.map((c) => c.city),
      computed.map((c) => c.ward),
      computed.map((c) => c.indicator),
      computed.map((c) => c.dim),
      computed.map((c) => c.sum),
      computed.map((c) => c.count),
      computed.map((c) => c.max),
    ],
  );
  if (perDeviceDays.length === 0) return;
  await client.query('DELETE FROM telemetry_daily WHERE day = ANY($1::date[])', [perDeviceDays]);
  await client.query(
    `INSERT INTO telemetry_daily (device_id, metric, day, count, sum, min, max)
     SELECT device_id, metric, (hour AT TIME ZONE ${tz})::date, sum(count), sum(sum), min(min), max(max)
     FROM telemetry_hourly WHERE hour = ANY($1::timestamptz[])
     GROUP BY device_id, metric, 3`,
    [hoursOf(perDeviceDays)],
  );
}

export async function publish(
  client: PoolClient,
  scope: 'hour' | 'day',
  starts: readonly Date[],
): Promise<void> {
  if (starts.length === 0) return;
  await client.query(
    `INSERT INTO feed_publications (scope, start) SELECT $1, unnest($2::timestamptz[])
     ON CONFLICT (scope, start) DO UPDATE SET xid = pg_current_xact_id(), published_at = now()`,
    [scope, starts],
  );
}
