// Batched writes and reads of raw telemetry. One round-trip per batch: UNNEST of column arrays into
// telemetry (a redelivered reading hits the primary key and is skipped), the batch's hourly partial
// aggregates (folded into telemetry_hourly by the refresher) and device_latest.
import type { Pool, PoolClient } from './pool.ts';

export interface TelemetryColumns {
  time: Date[];
  deviceId: string[];
  metric: string[];
  value: number[];
}

export interface StatusRow {
  deviceId: string;
  time: Date;
  online: boolean;
  lastWill: boolean;
  details: Record<string, unknown>;
}

export interface EventRow {
  deviceId: string;
  time: Date;
  type: string;
  data: Record<string, unknown>;
  receivedAt: Date;
}

const insertTelemetrySql = `
WITH input AS (
  SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::float8[]) AS t(time, device_id, metric, value)
), stored AS (
  INSERT INTO telemetry (time, device_id, metric, value)
  SELECT time, device_id, metric, value FROM input
  ON CONFLICT DO NOTHING
  RETURNING time, device_id, metric, value
), hourly AS (
  -- Only rows that were new: a redelivery adds nothing. Appended, never upserted, so concurrent
  -- batches take no row locks here; the refresher folds these into telemetry_hourly.
  INSERT INTO telemetry_hourly_delta (device_id, metric, hour, count, sum, min, max)
  SELECT device_id, metric, date_bin('1 hour', time, '2000-01-01'), count(*), sum(value), min(value), max(value)
  FROM stored GROUP BY 1, 2, 3
), latest AS (
  INSERT INTO device_latest (device_id, metric, time, value)
  SELECT DISTINCT ON (device_id, metric) device_id, metric, time, value FROM input
  ORDER BY device_id, metric, time DESC
  ON CONFLICT (device_id, metric) DO UPDATE SET time = excluded.time, value = excluded.value
  WHERE device_latest.time < excluded.time
  RETURNING 1
)
SELECT (SELECT count(*) FROM stored)::int AS stored`;

/** Writes a batch; returns how many rows were new (the rest were redeliveries). */
export async function insertTelemetry(client: Pool | PoolClient, rows: TelemetryColumns): Promise<number> {
  if (rows.time.length === 0) return 0;
  const result = await client.query<{ stored: number }>(insertTelemetrySql, [
    rows.time,
    rows.deviceId,
    rows.metric,
    rows.value,
  ]);
  return result.rows[0]?.stored ?? 0;
}

export async function insertStatuses(client: Pool | PoolClient, rows: StatusRow[]): Promise<void> {
  if (rows.length === 0) return;
  const params = [
    rows.map((r) => r.deviceId),
    rows.map((r) => r.time),
    rows.map((r) => r.online),
    rows.map((r) => r.lastWill),
    rows.map((r) => JSON.stringify(r.details)),
  ];
  await client.query(
    `INSERT INTO device_status_changes (device_id, time, online, last_will)
     SELECT d, t, o, w FROM unnest($1::text[], $2::timestamptz[], $3::bool[], $4::bool[]) AS u(d, t, o, w)
     ON CONFLICT DO NOTHING`,
    params.slice(0, 4),
  );
  // Newest status per device wins, whatever order batches land in.
  await client.query(
    `UPDATE devices SET online = s.o, status_at = s.t, status = s.j, last_seen = greatest(last_seen, s.t)
     FROM (SELECT DISTINCT ON (d) d, t, o, j FROM unnest($1::text[], $2::timestamptz[], $3::bool[], $4::jsonb[])
           AS u(d, t, o, j) ORDER BY d, t DESC) s
     WHERE devices.id = s.d AND (devices.status_at IS NULL OR devices.status_at <= s.t)`,
    [params[0], params[1], params[2], params[4]],
  );
}

export async function insertEvents(client: Pool | PoolClient, rows: EventRow[]): Promise<void> {
  if (rows.length === 0) return;
  await client.query(
    `INSERT INTO device_events (device_id, time, type, data, received_at)
     SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::jsonb[], $5::timestamptz[])
     ON CONFLICT DO NOTHING`,
    [
      rows.map((r) => r.deviceId),
      rows.map((r) => r.time),
      rows.map((r) => r.type),
      rows.map((r) => JSON.stringify(r.data)),
      rows.map((r) => r.receivedAt),
    ],
  );
}

export async function touchLastSeen(pool: Pool, seen: Map<string, Date>): Promise<void> {
  if (seen.size === 0) return;
  await pool.query(
    `UPDATE devices SET last_seen = s.t FROM unnest($1::text[], $2::timestamptz[]) AS s(d, t)
     WHERE devices.id = s.d AND (devices.last_seen IS NULL OR devices.last_seen < s.t)`,
    [[...seen.keys()], [...seen.values()]],
  );
}

export interface RawPoint {
  time: Date;
  metric: string;
  value: number;
}

export interface BucketPoint {
  time: Date;
  metric: string;
  avg: number;
  min: number;
  max: number;
  count: number;
}

export interface RangeQuery {
  deviceId: string;
  metrics: string[] | undefined;
  from: Date;
  to: Date;
  limit: number;
}

export async function readRaw(pool: Pool, q: RangeQuery): Promise<RawPoint[]> {
  const { rows } = await pool.query<RawPoint>(
    `SELECT time, metric, value FROM telemetry
     WHERE device_id = $1 AND time >= $2 AND time < $3 AND ($4::text[] IS NULL OR metric = ANY($4))
     ORDER BY time, metric LIMIT $5`,
    [q.deviceId, q.from, q.to, q.metrics ?? null, q.limit],
  );
  return rows;
}

/**
 * Buckets aligned like TimescaleDB's time_bucket (origin Monday 2000-01-03 UTC), so the plain
 * PostgreSQL path and a TimescaleDB deployment answer the same.
 */
export async function readBucketed(
  pool: Pool,
  q: RangeQuery & { bucketSeconds: number },
): Promise<BucketPoint[]> {
  const { rows } = await pool.query<BucketPoint>(
    `SELECT date_bin(make_interval(secs => $5), time, TIMESTAMPTZ '2000-01-03 00:00:00+00') AS time, metric,
            avg(value) AS avg, min(value) AS min, max(value) AS max, count(*)::int AS count
     FROM telemetry
     WHERE device_id = $1 AND time >= $2 AND time < $3 AND ($4::text[] IS NULL OR metric = ANY($4))
     GROUP BY 1, 2 ORDER BY 1, 2 LIMIT $6`,
    [q.deviceId, q.from, q.to, q.metrics ?? null, q.bucketSeconds, q.limit],
  );
  return rows;
}
