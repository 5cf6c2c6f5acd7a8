// Queries of the rollup refresher: what changed, the inputs of an hour's and a day's indicators, and
// the writes of their results. Every function takes the refresher's transaction client.
import type { Component, FeedDevice, HourlyRow } from '../feeds/compute.ts';
import type { PoolClient } from './pool.ts';

/** Takes the marks of changed hours; the caller's transaction recomputes them or gives them back. */
export async function takeDirtyHours(client: PoolClient): Promise<Date[]> {
  const { rows } = await client.query<{ hour: Date }>(
    'WITH taken AS (DELETE FROM rollup_dirty RETURNING hour) SELECT DISTINCT hour FROM taken ORDER BY hour',
  );
  return rows.map((r) => r.hour);
}

export async function lastPublishedHour(client: PoolClient): Promise<Date | undefined> {
  const { rows } = await client.query<{ start: Date | null }>(
    "SELECT max(start) AS start FROM feed_publications WHERE scope = 'hour'",
  );
  return rows[0]?.start ?? undefined;
}

export async function feedDevices(client: PoolClient): Promise<FeedDevice[]> {
  const { rows } = await client.query<FeedDevice>(
    `SELECT id, kind, city, ward, zone, lat, lon, created_at AS "createdAt" FROM devices`,
  );
  return rows;
}

export async function hourRows(
  client: PoolClient,
  hour: Date,
  metrics: readonly string[],
): Promise<HourlyRow[]> {
  const { rows } = await client.query<HourlyRow>(
    `SELECT device_id AS "deviceId", metric, count, sum, min, max FROM telemetry_hourly
     WHERE hour = $1 AND metric = ANY($2)`,
    [hour, metrics],
  );
  return rows;
}

/** Devices that sent anything in this hour. */
export async function reportedIn(client: PoolClient, hour: Date): Promise<Set<string>> {
  const { rows } = await client.query<{ device_id: string }>(
    'SELECT DISTINCT device_id FROM telemetry_hourly WHERE hour = $1',
    [hour],
  );
  return new Set(rows.map((r) => r.device_id));
}

/** Per noise device, readings of this hour above each zone's limit (from raw telemetry). */
export async function noiseOver(
  client: PoolClient,
  hour: Date,
  limits: { special: number; normal: number },
): Promise<Map<string, { overSpecial: number; overNormal: number }>> {
  const { rows } = await client.query<{ device_id: string; over_special: number; over_normal: number }>(
    `SELECT device_id, count(*) FILTER (WHERE value > $2)::int AS over_special,
            count(*) FILTER (WHERE value > $3)::int AS over_normal
     FROM telemetry WHERE metric = 'laeq_db' AND time >= $1 AND time < $1 + interval '1 hour'
     GROUP BY device_id`,
    [hour, limits.special, limits.normal],
  );
  return new Map(rows.map((r) => [r.device_id, { overSpecial: r.over_special, overNormal: r.over_normal }]));
}

/** Per meter, this hour's lowest and highest reading and the highest of its last earlier hour (a week back at most). */
export async function energyHours(
  client: PoolClient,
  hour: Date,
): Promise<Array<{ deviceId: string; min: number; max: number; previousMax: number | null }>> {
  const { rows } = await client.query(
    `SELECT h.device_id AS "deviceId", h.min, h.max,
            (SELECT p.max FROM telemetry_hourly p
             WHERE p.device_id = h.device_id AND p.metric = 'energy_kwh' AND p.hour < $1
               AND p.hour >= $1 - interval '7 days'
             ORDER BY p.hour DESC LIMIT 1) AS "previousMax"
     FROM telemetry_hourly h WHERE h.hour = $1 AND h.metric = 'energy_kwh'`,
    [hour],
  );
  return rows;
}

/** The day's hourly rows of the metrics behind the daily-only indicators. */
export async function dayRows(
  client: PoolClient,
  dayStart: Date,
  metrics: readonly string[],
): Promise<Array<HourlyRow & { hour: Date }>> {
  const { rows } = await client.query<HourlyRow & { hour: Date }>(
    `SELECT device_id AS "deviceId", metric, hour, count, sum, min, max FROM telemetry_hourly
     WHERE hour >= $1 AND hour < $1 + interval '1 day' AND metric = ANY($2)`,
    [dayStart, metrics],
  );
  return rows;
}

function componentColumns(components: readonly Component[]) {
  return [
    components.map((c) => c.city),
    components.map((c) => c.ward),
    components.map((c) => c.indicator),
    components.map((c) => c.dim),
    components.map((c) => c.sum),
    components.map((c) => c.count),
    components.map((c) => c.max),
  ];
}

export async function replaceHourIndicators(
  client: PoolClient,
  hour: Date,
  components: readonly Component[],
): Promise<void> {
  await client.query('DELETE FROM indicator_hourly WHERE hour = $1', [hour]);
  await client.query(
    `INSERT INTO indicator_hourly (hour, city, ward, indicator, dim, sum, count, max)
     SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::float8[], $8::float8[])`,
    [hour, ...componentColumns(components)],
  );
}

/**
 * A local day's indicators: the hourly ones summed over its 24 hours, plus the daily-only ones.
 * Also the day's per-device rollup. `day` is the local date (YYYY-MM-DD), `dayStart` its first instant.
 */
export async function replaceDay(
  client: PoolClient,
  day: string,
  dayStart: Date,
  dailyOnly: readonly Component[],
): Promise<void> {
  await client.query('DELETE FROM indicator_daily WHERE day = $1', [day]);
  await client.query(
    `INSERT INTO indicator_daily (day, city, ward, indicator, dim, sum, count, max)
     SELECT $1, city, ward, indicator, dim, sum(sum), sum(count), max(max) FROM indicator_hourly
     WHERE hour >= $2 AND hour < $2 + interval '1 day'
     GROUP BY city, ward, indicator, dim`,
    [day, dayStart],
  );
  await client.query(
    `INSERT INTO indicator_daily (day, city, ward, indicator, dim, sum, count, max)
     SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::float8[], $8::float8[])`,
    [day, ...componentColumns(dailyOnly)],
  );
  await client.query('DELETE FROM telemetry_daily WHERE day = $1', [day]);
  await client.query(
    `INSERT INTO telemetry_daily (device_id, metric, day, count, sum, min, max)
     SELECT device_id, metric, $1, sum(count), sum(sum), min(min), max(max) FROM telemetry_hourly
     WHERE hour >= $2 AND hour < $2 + interval '1 day'
     GROUP BY device_id, metric`,
    [day, dayStart],
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
