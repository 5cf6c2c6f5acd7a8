// Read queries of the province feeds: indicator components per reporting period, device aggregates of
// published hours and days, and alerts by change. Incremental reads compare snapshots: a record
// (publication, alert version) is new to a reader when its transaction is visible in the reader's
// current snapshot and was not in the one the reader's cursor holds. Nothing waits for another
// transaction, nothing committed late is skipped, and nothing is delivered twice.
import type { AlertRecord } from './alerts.ts';
import { inTransaction, type Pool, type PoolClient } from './pool.ts';
import { scopeClause } from './scope.ts';

type Queryable = Pool | PoolClient;

export type StoredPeriod = 'hour' | 'day' | 'month' | 'quarter' | 'year';

export interface ComponentRow {
  /** hour: the hour's instant; otherwise the local date (YYYY-MM-DD) the period starts on. */
  bucket: string;
  ward: string;
  indicator: string;
  dim: string;
  sum: number;
  count: number;
  max: number | null;
}

export interface IndicatorQuery {
  city: string;
  /** A ward, every ward ('*'), or the whole city (''). */
  ward: string;
  period: StoredPeriod;
  from: Date;
  to: Date;
  /**
   * `before-2025`: a ward is one of the units abolished on 1 July 2025, read from what was reported
   * per former unit (migration 020) and from alerts and devices by the ward they had then.
   */
  units?: 'current' | 'before-2025';
}

const tz = "'Asia/Ho_Chi_Minh'";

/**
 * Runs `read` in one read-only repeatable-read transaction and hands it that transaction's snapshot
 * (as text), so what is read and the snapshot a cursor remembers are the same thing.
 */
export function readInSnapshot<T>(
  pool: Pool,
  read: (client: PoolClient, snapshot: string) => Promise<T>,
): Promise<T> {
  return inTransaction(
    pool,
    async (client) => read(client, await currentSnapshot(client)),
    'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
  );
}

/**
 * The current snapshot, as text. Taken on its own, it bounds a new window of paged reads: a page read
 * later in another transaction still sees only what this snapshot saw (pg_visible_in_snapshot), so the
 * window holds still while it is paged through.
 */
export async function currentSnapshot(pool: Queryable): Promise<string> {
  const { rows } = await pool.query<{ snapshot: string }>('SELECT pg_current_snapshot()::text AS snapshot');
  return rows[0]!.snapshot;
}

/** Advisory lock key of the refresher ("IOCFEED"). */
const refresherLockKey = 0x10cfeed;

/**
 * Takes the refresher's lock for the rest of `client`'s transaction, so one instance refreshes or folds
 * at a time. `wait`: queue behind the holder; otherwise false at once when another instance holds it.
 */
export async function lockRefresher(client: PoolClient, wait: boolean): Promise<boolean> {
  const { rows } = await client.query<{ locked: boolean }>(
    wait
      ? 'SELECT true AS locked FROM pg_advisory_xact_lock($1)'
      : 'SELECT pg_try_advisory_xact_lock($1) AS locked',
    [refresherLockKey],
  );
  return rows[0]?.locked === true;
}

/** SQL: `column` (an xid8) was committed after snapshot `since` (null: ever) and by snapshot `until`. */
const changedBetween = (column: string, since: string, until: string) =>
  `(${since}::pg_snapshot IS NULL OR (${column} >= pg_snapshot_xmin(${since}::pg_snapshot)
     AND NOT pg_visible_in_snapshot(${column}, ${since}::pg_snapshot)))
   AND pg_visible_in_snapshot(${column}, ${until}::pg_snapshot)`;

const wardFilter = (param: string) => `(CASE WHEN ${param} = '*' THEN ward <> '' ELSE ward = ${param} END)`;

/** The table of a query's ward rows: the whole city ('') reads the same table in either mode. */
const tableOf = (q: IndicatorQuery, table: 'indicator_hourly' | 'indicator_daily') =>
  q.units === 'before-2025' && q.ward !== '' ? `${table}_before_2025` : table;

/** Indicator components of the refresher's tables, added up per period. */
export async function readIndicatorComponents(pool: Queryable, q: IndicatorQuery): Promise<ComponentRow[]> {
  if (q.period === 'hour') {
    const { rows } = await pool.query<ComponentRow>(
      `SELECT to_char(hour AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS bucket, ward, indicator, dim, sum, count, max
       FROM ${tableOf(q, 'indicator_hourly')} WHERE city = $1 AND ${wardFilter('$2')} AND hour >= $3 AND hour < $4`,
      [q.city, q.ward, q.from, q.to],
    );
    return rows;
  }
  const bucket = q.period === 'day' ? 'day' : `date_trunc('${q.period}', day::timestamp)::date`;
  const { rows } = await pool.query<ComponentRow>(
    `SELECT to_char(${bucket}, 'YYYY-MM-DD') AS bucket, ward, indicator, dim,
            sum(sum) AS sum, sum(count) AS count, max(max) AS max
     FROM ${tableOf(q, 'indicator_daily')}
     WHERE city = $1 AND ${wardFilter('$2')}
       AND day >= ($3::timestamptz AT TIME ZONE ${tz})::date AND day < ($4::timestamptz AT TIME ZONE ${tz})::date
     GROUP BY 1, ward, indicator, dim`,
    [q.city, q.ward, q.from, q.to],
  );
  return rows;
}

/**
 * Components that come from alerts and device events, counted when they happen (so an
 * acknowledgement made next week still moves this week's mean time to acknowledge).
 */
export async function readAlertComponents(pool: Queryable, q: IndicatorQuery): Promise<ComponentRow[]> {
  const bucketOf = (column: string) =>
    q.period === 'hour'
      ? `to_char(date_bin('1 hour', ${column}, '2000-01-01') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`
      : `to_char(date_trunc('${q.period}', ${column} AT TIME ZONE ${tz}), 'YYYY-MM-DD')`;
  const wardOut = q.ward === '' ? "''" : 'report_ward';
  const wardOf = (table: string) =>
    q.units === 'before-2025' ? `coalesce(${table}.ward_before_2025, ${table}.ward)` : `${table}.ward`;
  const { rows } = await pool.query<ComponentRow>(
    `WITH a AS (
       SELECT a.*, ${wardOf('a')} AS report_ward, r.metric AS rule_metric, r.threshold AS rule_threshold,
              r.comparison AS rule_comparison
       FROM alerts a JOIN alert_rules r ON r.id = a.rule_id
       WHERE a.city = $1 AND ($2 IN ('', '*') OR ${wardOf('a')} = $2) AND a.opened_at >= $3 AND a.opened_at < $4
     ), e AS (
       SELECT e.time, ${wardOf('d')} AS report_ward FROM device_events e JOIN devices d ON d.id = e.device_id
       WHERE e.type = 'lamp_fault' AND d.city = $1 AND ($2 IN ('', '*') OR ${wardOf('d')} = $2)
         AND e.time >= $3 AND e.time < $4
     )
     SELECT ${bucketOf('opened_at')} AS bucket, ${wardOut} AS ward, 'alerts_count' AS indicator,
            kind || ':' || severity AS dim, count(*)::float8 AS sum, count(*)::float8 AS count, NULL::float8 AS max
     FROM a GROUP BY 1, 2, 4
     UNION ALL
     SELECT ${bucketOf('opened_at')}, ${wardOut}, 'alert_mtta_min', severity,
            sum(extract(epoch FROM acknowledged_at - opened_at) / 60), count(*), max(extract(epoch FROM acknowledged_at - opened_at) / 60)
     FROM a WHERE acknowledged_at IS NOT NULL GROUP BY 1, 2, 4
     UNION ALL
     SELECT ${bucketOf('opened_at')}, ${wardOut}, 'alert_mttr_min', severity,
            sum(extract(epoch FROM resolved_at - opened_at) / 60), count(*), max(extract(epoch FROM resolved_at - opened_at) / 60)
     FROM a WHERE resolved_at IS NOT NULL GROUP BY 1, 2, 4
     UNION ALL
     SELECT ${bucketOf('opened_at')}, ${wardOut}, 'flood_events', '', count(*), count(*), NULL
     FROM a WHERE rule_metric = 'water_level_cm' AND rule_comparison IN ('>', '>=') GROUP BY 1, 2
     UNION ALL
     SELECT ${bucketOf('opened_at')}, ${wardOut}, 'waste_overflow_events', '', count(*), count(*), NULL
     FROM a WHERE rule_metric = 'fill_pct' AND rule_comparison IN ('>', '>=') AND rule_threshold >= 100 GROUP BY 1, 2
     UNION ALL
     SELECT ${bucketOf('time')}, ${wardOut}, 'streetlight_faults', '', count(*), count(*), NULL
     FROM e GROUP BY 1, 2`,
    [q.city, q.ward, q.from, q.to],
  );
  return rows;
}

export interface AggregateRow {
  xid: string;
  start: Date;
  deviceId: string;
  kind: string;
  city: string;
  ward: string;
  metric: string;
  count: number;
  sum: number;
  min: number;
  max: number;
}

export interface AggregateQuery {
  period: 'hour' | 'day';
  /** The snapshot of the previous read; undefined: from the beginning. */
  since: string | undefined;
  until: string;
  /** Position after which this page starts: [xid, start ISO, deviceId, metric]. */
  after?: [string, string, string, string];
  city?: string;
  ward?: string;
  kind?: string;
  metric?: string;
  from?: Date;
  to?: Date;
  limit: number;
  /** The area and unit ids the reader reaches (src/auth/scope.ts); undefined: every area. */
  scope?: readonly string[];
}

/** Per-device rollups of the hours or days published between two snapshots, in publication order. */
export async function readPublishedAggregates(pool: Queryable, q: AggregateQuery): Promise<AggregateRow[]> {
  const join =
    q.period === 'hour'
      ? 'telemetry_hourly r ON r.hour = p.start'
      : `telemetry_daily r ON r.day = (p.start AT TIME ZONE ${tz})::date`;
  const after = q.after ?? ['0', '-infinity', '', ''];
  const { rows } = await pool.query<AggregateRow>(
    `SELECT p.xid::text AS xid, p.start, r.device_id AS "deviceId", d.kind, d.city, d.ward, r.metric,
            r.count::int AS count, r.sum, r.min, r.max
     FROM feed_publications p JOIN ${join} JOIN devices d ON d.id = r.device_id
     WHERE p.scope = $1 AND ${changedBetween('p.xid', '$2', '$3')}
       AND (p.xid, p.start, r.device_id, r.metric) > ($4::xid8, $5::timestamptz, $6, $7)
       AND ($8::text IS NULL OR d.city = $8) AND ($9::text IS NULL OR d.ward = $9)
       AND ($10::text IS NULL OR d.kind = $10) AND ($11::text IS NULL OR r.metric = $11)
       AND ($12::timestamptz IS NULL OR p.start >= $12) AND ($13::timestamptz IS NULL OR p.start < $13)
       AND ${scopeClause('$15', { city: 'd.city', ward: 'd.ward' })}
     ORDER BY p.xid, p.start, r.device_id, r.metric
     LIMIT $14`,
    [
      q.period,
      q.since ?? null,
      q.until,
      after[0],
      after[1],
      after[2],
      after[3],
      q.city ?? null,
      q.ward ?? null,
      q.kind ?? null,
      q.metric ?? null,
      q.from ?? null,
      q.to ?? null,
      q.limit,
      q.scope ?? null,
    ],
  );
  return rows;
}

/** Hours or local days (their first instant) published between two snapshots. */
export async function publishedSince(
  pool: Queryable,
  scope: 'hour' | 'day',
  since: string,
  until: string,
): Promise<Date[]> {
  const { rows } = await pool.query<{ start: Date }>(
    `SELECT start FROM feed_publications WHERE scope = $1 AND ${changedBetween('xid', '$2', '$3')} ORDER BY start`,
    [scope, since, until],
  );
  return rows.map((r) => r.start);
}

/** The newest published hour and day, to tell a complete period from one still filling. */
export async function publishedThrough(pool: Queryable): Promise<{ hour?: Date; day?: Date }> {
  const { rows } = await pool.query<{ scope: 'hour' | 'day'; start: Date }>(
    'SELECT scope, max(start) AS start FROM feed_publications GROUP BY scope',
  );
  const out: { hour?: Date; day?: Date } = {};
  for (const r of rows) out[r.scope] = r.start;
  return out;
}

export interface AlertFeedQuery {
  since: string | undefined;
  until: string;
  after?: [string, number];
  city?: string;
  ward?: string;
  kind?: string;
  severity?: string;
  from?: Date;
  to?: Date;
  limit: number;
  /** The area and unit ids the reader reaches (src/auth/scope.ts); undefined: every area. */
  scope?: readonly string[];
}

/** An alert as the feed reads it: the operators' record less what only operators need, with its change id. */
export type AlertFeedRow = Omit<AlertRecord, 'details' | 'lastSeenAt' | 'acknowledgedBy' | 'resolvedBy'> & {
  xid: string;
};

/** Alerts created or changed between two snapshots, oldest change first. */
export async function readAlertChanges(pool: Queryable, q: AlertFeedQuery): Promise<AlertFeedRow[]> {
  const after = q.after ?? ['0', 0];
  const { rows } = await pool.query<AlertFeedRow>(
    `SELECT a.change_xid::text AS xid, a.id::int AS id, a.rule_id AS "ruleId", r.name AS "ruleName",
            a.device_id AS "deviceId", a.kind, a.city, a.ward, a.severity, a.state,
            a.message_vi AS "messageVi", a.message_en AS "messageEn", a.value, a.count,
            a.opened_at AS "openedAt", a.acknowledged_at AS "acknowledgedAt", a.resolved_at AS "resolvedAt"
     FROM alerts a JOIN alert_rules r ON r.id = a.rule_id
     WHERE ${changedBetween('a.change_xid', '$1', '$2')} AND (a.change_xid, a.id) > ($3::xid8, $4::bigint)
       AND a.kind <> 'system'
       AND ($5::text IS NULL OR a.city = $5) AND ($6::text IS NULL OR a.ward = $6)
       AND ($7::text IS NULL OR a.kind = $7) AND ($8::text IS NULL OR a.severity = $8)
       AND ($9::timestamptz IS NULL OR a.opened_at >= $9) AND ($10::timestamptz IS NULL OR a.opened_at < $10)
       AND ${scopeClause('$12', { city: 'a.city', ward: 'a.ward' })}
     ORDER BY a.change_xid, a.id
     LIMIT $11`,
    [
      q.since ?? null,
      q.until,
      after[0],
      after[1],
      q.city ?? null,
      q.ward ?? null,
      q.kind ?? null,
      q.severity ?? null,
      q.from ?? null,
      q.to ?? null,
      q.limit,
      q.scope ?? null,
    ],
  );
  return rows;
}
