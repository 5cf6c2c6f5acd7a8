// A device's history in buckets of whole hours (the console's 7- and 30-day charts), read from the
// hourly rollup instead of raw telemetry: a month of minute readings is ~43,000 messages to unpack,
// its rollup 720 rows per metric. The answer is the one raw bucketing gives (readBucketed):
//  - whole hours inside the range come from telemetry_hourly, plus what ingest stored and the
//    refresher has not folded yet (telemetry_pending, and telemetry_hourly_delta from before
//    migration 009), so a reading is counted once whether or not its hour was folded;
//  - the partial hours at either end of the range (a range rarely starts on the hour) come from raw
//    telemetry, since an hourly row cannot be cut;
//  - all in one statement: one snapshot, so a fold committing meanwhile moves nothing twice or not at all.
// Daily rollups (telemetry_daily) are not used: they are local (UTC+7) days, and raw buckets are
// aligned like TimescaleDB's time_bucket on UTC, so a daily row never fills a bucket exactly.
import type { Pool } from './pool.ts';
import type { BucketPoint, RangeQuery } from './telemetry.ts';

const hourMs = 3_600_000;

/** Whether buckets of this size are whole hours, so the hourly rollup can answer them. */
export function rollupServes(bucketSeconds: number): boolean {
  return bucketSeconds >= 3600 && bucketSeconds % 3600 === 0;
}

/** The whole hours within [from, to): the part of the range the hourly rollup can answer. */
export function wholeHours(from: Date, to: Date): { start: Date; end: Date } | undefined {
  const start = Math.ceil(from.getTime() / hourMs) * hourMs;
  const end = Math.floor(to.getTime() / hourMs) * hourMs;
  return start < end ? { start: new Date(start), end: new Date(end) } : undefined;
}

// $1 device, $2 from, $3 to, $4 metrics or null, $5 bucket seconds, $6 limit, $7/$8 whole hours.
// Sums are kept as float8 and divided once per bucket: the average of the bucket's readings, not of
// its hours' averages.
const sql = `
WITH parts (time, metric, count, sum, min, max) AS (
  SELECT hour, metric, count::bigint, sum, min, max FROM telemetry_hourly
  WHERE device_id = $1 AND hour >= $7 AND hour < $8 AND ($4::text[] IS NULL OR metric = ANY($4))
  UNION ALL
  SELECT hour, metric, count::bigint, sum, min, max FROM telemetry_hourly_delta
  WHERE device_id = $1 AND hour >= $7 AND hour < $8 AND ($4::text[] IS NULL OR metric = ANY($4))
  UNION ALL
  SELECT p.time, e.key, 1, e.value::float8, e.value::float8, e.value::float8
  FROM telemetry_pending p CROSS JOIN LATERAL jsonb_each_text(p.metrics) AS e
  WHERE p.device_id = $1 AND p.time >= $7 AND p.time < $8 AND ($4::text[] IS NULL OR e.key = ANY($4))
  UNION ALL
  SELECT time, metric, 1, value, value, value FROM telemetry
  WHERE device_id = $1 AND time >= $2 AND time < $7 AND ($4::text[] IS NULL OR metric = ANY($4))
  UNION ALL
  SELECT time, metric, 1, value, value, value FROM telemetry
  WHERE device_id = $1 AND time >= $8 AND time < $3 AND ($4::text[] IS NULL OR metric = ANY($4))
)
SELECT date_bin(make_interval(secs => $5), time, TIMESTAMPTZ '2000-01-03 00:00:00+00') AS time, metric,
       sum(sum) / sum(count) AS avg, min(min) AS min, max(max) AS max, sum(count)::int AS count
FROM parts
GROUP BY 1, 2 ORDER BY 1, 2 LIMIT $6`;

/**
 * Buckets of whole hours from the hourly rollup (see above); undefined when the range holds no whole
 * hour or the bucket is not a whole number of hours: the caller reads raw telemetry then.
 */
export async function readBucketedFromRollup(
  pool: Pool,
  q: RangeQuery & { bucketSeconds: number },
): Promise<BucketPoint[] | undefined> {
  if (!rollupServes(q.bucketSeconds)) return undefined;
  const hours = wholeHours(q.from, q.to);
  if (!hours) return undefined;
  const { rows } = await pool.query<BucketPoint>(sql, [
    q.deviceId,
    q.from,
    q.to,
    q.metrics ?? null,
    q.bucketSeconds,
    q.limit,
    hours.start,
    hours.end,
  ]);
  return rows;
}
