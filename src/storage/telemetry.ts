// Batched writes and reads of raw telemetry, one row per message (migration 009). One round-trip
// per batch: the messages as one JSON document, inserted into telemetry_messages (a redelivered
// message hits the primary key and is skipped) and appended to telemetry_pending, which the
// refresher folds into telemetry_hourly. Latest values are written apart (writeLatest), from memory.
import type { Pool, PoolClient } from './pool.ts';

export interface TelemetryMessage {
  deviceId: string;
  time: Date;
  metrics: Record<string, number>;
  /** `metrics` as JSON when the caller has it already (ingest: cut from the payload). */
  json?: string;
}

/** A batch as the writer builds it: the JSON document the statement takes, and its reading count. */
export interface TelemetryBatch {
  /** `[[deviceId, epochMs, {metric: value}], …]` */
  json: string;
  messages: number;
  readings: number;
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

/** Builds a batch incrementally without an array of objects per message (one string per batch). */
export class TelemetryBatchBuilder {
  private parts: string[] = [];
  messages = 0;
  readings = 0;

  add(message: TelemetryMessage): number {
    let n = 0;
    for (const _ in message.metrics) n++;
    if (n === 0) return 0;
    this.parts.push(
      `[${JSON.stringify(message.deviceId)},${message.time.getTime()},${message.json ?? JSON.stringify(message.metrics)}]`,
    );
    this.messages++;
    this.readings += n;
    return n;
  }

  build(): TelemetryBatch {
    return { json: `[${this.parts.join(',')}]`, messages: this.messages, readings: this.readings };
  }
}

export function telemetryBatch(messages: readonly TelemetryMessage[]): TelemetryBatch {
  const builder = new TelemetryBatchBuilder();
  for (const message of messages) builder.add(message);
  return builder.build();
}

/** The readings (metric values) of the messages in `rows`, as the statements below return them. */
const readingsIn = (rows: string) =>
  `(SELECT coalesce(sum((SELECT count(*) FROM jsonb_object_keys(metrics))), 0)::int FROM ${rows})`;

const input = `input AS (
  SELECT e->>0 AS device_id, to_timestamp((e->>1)::float8 / 1000) AS time, e->2 AS metrics
  FROM jsonb_array_elements($1::jsonb) AS e
)`;

/** The CTE `stored`: the batch's messages inserted, returning those stored (`onConflict` decides which). */
const storedFromInput = (onConflict: 'ON CONFLICT DO NOTHING' | '') => `stored AS (
  INSERT INTO telemetry_messages (device_id, time, metrics) SELECT device_id, time, metrics FROM input
  ${onConflict}
  RETURNING device_id, time, metrics
)`;

/** Appends the messages in `rows` to telemetry_pending, for the refresher's fold. */
const pendingFrom = (rows: string) =>
  `INSERT INTO telemetry_pending (device_id, time, metrics) SELECT device_id, time, metrics FROM ${rows}`;

// $2 and $3: the batch's message and reading counts. When every message is new (nearly always) the
// readings are the batch's, known here; only when some were not are the stored ones' metrics counted,
// in a subquery PostgreSQL runs only for that branch. Counting them for every batch was 13 % of the
// statement's time (scratch comparison, 2026-11-30).
const insertSql = `
WITH ${input}, ${storedFromInput('ON CONFLICT DO NOTHING')}, pending AS (
  ${pendingFrom('stored')}
), counted AS (
  SELECT count(*)::int AS messages FROM stored
)
SELECT messages,
       CASE WHEN messages = $2::int THEN $3::int
            ELSE ${readingsIn('stored')}
       END AS readings
FROM counted`;

// Only when some messages of a batch were already stored (a redelivery, a journal replay, or a
// second message with the same ts): adds the metrics the stored message lacks, and only those go to
// the rollup, so a redelivered reading never counts twice.
const mergeSql = `
WITH ${input}, extra AS (
  SELECT m.device_id, m.time, jsonb_object_agg(e.key, e.value) AS metrics
  FROM input i
  JOIN telemetry_messages m ON m.device_id = i.device_id AND m.time = i.time
  CROSS JOIN LATERAL jsonb_each(i.metrics) AS e
  WHERE NOT m.metrics ? e.key
  GROUP BY m.device_id, m.time
), merged AS (
  UPDATE telemetry_messages m SET metrics = x.metrics || m.metrics FROM extra x
  WHERE m.device_id = x.device_id AND m.time = x.time
  RETURNING x.device_id, x.time, x.metrics
), pending AS (
  ${pendingFrom('merged')}
)
SELECT ${readingsIn('merged')} AS readings`;

// The same insert without ON CONFLICT, for a batch believed to hold only new messages. ON CONFLICT
// looks each message up in the primary key before inserting it, and the insert descends the key
// again: the probe was a fifth of PostgreSQL's time in the bench's profile, and the plain statement
// took a third less CPU per message (scratch runs, 2026-11-30). A stored message makes the whole
// statement fail (unique violation), which undoes it: the batch is then written by insertTelemetry.
const newOnlySql = `
WITH ${input}, ${storedFromInput('')}
${pendingFrom('stored')}`;

const uniqueViolation = '23505';

/**
 * Writes a batch as insertTelemetry does, trying the plain insert first: nearly every batch holds
 * only new messages. `conflicted`: it did not (a redelivery, a replay, two messages with one ts), and
 * it was written again with the conflict-aware statements. A statement outside a transaction: the
 * failed attempt must not abort the caller's.
 */
export async function insertNewTelemetry(
  pool: Pool,
  batch: TelemetryBatch,
): Promise<{ readings: number; conflicted: boolean }> {
  if (batch.messages === 0) return { readings: 0, conflicted: false };
  try {
    await pool.query(newOnlySql, [batch.json]);
    return { readings: batch.readings, conflicted: false };
  } catch (error) {
    if ((error as { code?: unknown }).code !== uniqueViolation) throw error;
  }
  return { readings: await insertTelemetry(pool, batch), conflicted: true };
}

/** Writes a batch; returns how many readings (metric values) were new, the rest being redeliveries. */
export async function insertTelemetry(client: Pool | PoolClient, batch: TelemetryBatch): Promise<number> {
  if (batch.messages === 0) return 0;
  const { rows } = await client.query<{ messages: number; readings: number }>(insertSql, [
    batch.json,
    batch.messages,
    batch.readings,
  ]);
  const stored = rows[0] ?? { messages: 0, readings: 0 };
  if (stored.messages === batch.messages) return stored.readings;
  const merged = await client.query<{ readings: number }>(mergeSql, [batch.json]);
  return stored.readings + (merged.rows[0]?.readings ?? 0);
}

/** The narrow form (one value per row), as tests and tools write it: grouped into messages. */
export function messagesFromRows(rows: {
  time: Date[];
  deviceId: string[];
  metric: string[];
  value: number[];
}): TelemetryMessage[] {
  const byKey = new Map<string, TelemetryMessage>();
  rows.time.forEach((time, i) => {
    const key = `${rows.deviceId[i]}\u0000${time.getTime()}`;
    let message = byKey.get(key);
    if (!message) {
      message = { deviceId: rows.deviceId[i]!, time, metrics: {} };
      byKey.set(key, message);
    }
    message.metrics[rows.metric[i]!] ??= rows.value[i]!;
  });
  return [...byKey.values()];
}

export interface LatestValue {
  deviceId: string;
  metric: string;
  time: Date;
  value: number;
}

/**
 * Upserts latest values, at most one per (device, metric) (an upsert may not touch a row twice), in
 * key order (two instances flushing the same devices never deadlock); an older value never replaces
 * a newer one. One JSON parameter: no per-element array escaping.
 */
export async function writeLatest(client: Pool | PoolClient, values: readonly LatestValue[]): Promise<void> {
  if (values.length === 0) return;
  const rows = values.map((v) => [v.deviceId, v.metric, v.time.getTime(), v.value]);
  await client.query(
    `INSERT INTO device_latest (device_id, metric, time, value)
     SELECT e->>0, e->>1, to_timestamp((e->>2)::float8 / 1000), (e->>3)::float8
     FROM jsonb_array_elements($1::jsonb) AS e
     WHERE EXISTS (SELECT 1 FROM devices WHERE id = e->>0) -- not for a device deleted since
     ORDER BY 1, 2
     ON CONFLICT (device_id, metric) DO UPDATE SET time = excluded.time, value = excluded.value
     WHERE device_latest.time < excluded.time`,
    [JSON.stringify(rows)],
  );
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

/** Writes readings given in the narrow form (tests and tools); returns how many were new. */
export function insertTelemetryRows(
  client: Pool | PoolClient,
  rows: Parameters<typeof messagesFromRows>[0],
): Promise<number> {
  return insertTelemetry(client, telemetryBatch(messagesFromRows(rows)));
}
