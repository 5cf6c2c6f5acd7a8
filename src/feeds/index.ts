// The province feeds: indicators per city or ward and reporting period, per-device aggregates of
// published hours and days, and alerts by change, each readable once through an opaque cursor.
// The HTTP layer (src/api/routes/feeds.ts) adds keys, rate limits, CSV and ETags on top.
import { type PublicAlertWire, publicAlertWire } from '../alerts/wire.ts';
import { inScope, scopeFrom } from '../auth/scope.ts';
import type { Catalog } from '../catalog/index.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { localDateStart, noiseStandardsDuring } from '../standards/index.ts';
import { createApiKeyQueries } from '../storage/apiKeys.ts';
import type { BackgroundLane } from '../storage/backgroundLane.ts';
import {
  type ComponentRow,
  currentSnapshot,
  publishedSince,
  publishedThrough,
  readAlertChanges,
  readAlertComponents,
  readIndicatorComponents,
  readInSnapshot,
  readPublishedAggregates,
} from '../storage/feeds.ts';
import type { Pool, PoolClient } from '../storage/pool.ts';
import { type ApiKeys, createApiKeys } from './apiKeys.ts';
import { type CursorState, decodeCursor, encodeCursor, fingerprint } from './cursor.ts';
import { type IndicatorDefinition, indicatorById, indicators, indicatorValue } from './indicators.ts';
import { type Period, periodEnd, periodLabel, periodStart } from './periods.ts';
import { createRefresher, type Refresher } from './refresher.ts';

export interface IndicatorRequest {
  city: string;
  /** A ward id, '*' for every ward, or undefined for the city as a whole. */
  ward?: string | undefined;
  period: Period;
  from?: Date | undefined;
  to?: Date | undefined;
  indicator?: string[] | undefined;
  group?: 'key' | 'sector' | undefined;
  cursor?: string | undefined;
  /** Open data: leave out restricted indicators and camera alerts. */
  open?: boolean;
  /** `before-2025`: by the units abolished on 1 July 2025, for a period before it (docs/places.md). */
  units?: 'current' | 'before-2025' | undefined;
  /** The area and unit ids the reader reaches (src/auth/scope.ts); undefined: every area. */
  scope?: string[] | undefined;
}

export interface IndicatorItem {
  period: string;
  start: string;
  end: string;
  city: string;
  ward: string | null;
  wardName: string | null;
  indicator: string;
  name: { vi: string; en: string };
  group: 'key' | 'sector';
  sector: string;
  dimension: string | null;
  value: number | null;
  unit: string;
  max: number | null;
  sum: number;
  count: number;
  /** The period is not over, or not yet published as final. */
  partial: boolean;
  /** Noise: the QCVN 26 version(s) in force in the period, whose limits it was judged by. */
  standard?: string;
}

export interface FeedPage<T> {
  items: T[];
  /** Pass back to continue: at once when hasMore, or at the next poll for what changed since. */
  cursor: string;
  hasMore: boolean;
}

export interface AggregateRequest {
  period: 'hour' | 'day';
  city?: string | undefined;
  ward?: string | undefined;
  kind?: string | undefined;
  metric?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  limit: number;
  cursor?: string | undefined;
  /** Open data: leave out cameras. */
  open?: boolean;
  /** The area and unit ids the reader reaches (src/auth/scope.ts); undefined: every area. */
  scope?: string[] | undefined;
}

export interface AggregateItem {
  period: string;
  start: string;
  deviceId: string;
  kind: string;
  city: string;
  ward: string;
  metric: string;
  count: number;
  mean: number;
  min: number;
  max: number;
  sum: number;
}

export interface AlertFeedRequest {
  city?: string | undefined;
  ward?: string | undefined;
  kind?: string | undefined;
  severity?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  limit: number;
  cursor?: string | undefined;
  /** The area and unit ids the reader reaches (src/auth/scope.ts); undefined: every area. */
  scope?: string[] | undefined;
}

export interface Feeds {
  refresher: Refresher;
  apiKeys: ApiKeys;
  indicators(request: IndicatorRequest): Promise<FeedPage<IndicatorItem>>;
  aggregates(request: AggregateRequest): Promise<FeedPage<AggregateItem>>;
  /** Alerts in the public wire shape of src/alerts/wire.ts. */
  alerts(request: AlertFeedRequest): Promise<FeedPage<PublicAlertWire>>;
  start(refreshS: number): void;
  stop(): Promise<void>;
}

const dayMs = 86_400_000;
/** Longest range of one read, per period: enough for any report, small enough to answer fast. */
const maxRangeDays: Record<Period, number> = {
  hour: 31,
  day: 366,
  month: 3_660,
  quarter: 3_660,
  year: 7_320,
};

export function createFeeds(deps: {
  pool: Pool;
  catalog: Catalog;
  log: Logger;
  publishDelayS: number;
  /** Seconds between folds of stored readings between refresher passes (refresher.ts). */
  foldEveryS?: number;
  clock?: () => Date;
  /** The background lane the refresher's statements take turns on (src/storage/backgroundLane.ts). */
  lane?: BackgroundLane;
}): Feeds {
  const { pool, catalog } = deps;
  const clock = deps.clock ?? (() => new Date());
  const refresher = createRefresher({
    pool,
    log: deps.log,
    publishDelayS: deps.publishDelayS,
    readingMinutes: (kind) => (catalog.kinds.get(kind as never)?.reportingIntervalS ?? 60) / 60,
    cities: () => catalog.areas(),
    clock,
    foldEveryS: deps.foldEveryS,
    lane: deps.lane,
  });
  const apiKeys = createApiKeys(createApiKeyQueries(pool));

  function selected(request: IndicatorRequest): IndicatorDefinition[] {
    for (const id of request.indicator ?? []) {
      if (!indicatorById.has(id)) {
        throw new AppError(
          'VALIDATION_FAILED',
          `unknown indicator ${id}; known: ${indicators.map((i) => i.id).join(', ')}`,
        );
      }
    }
    return indicators.filter(
      (i) =>
        (!request.indicator?.length || request.indicator.includes(i.id)) &&
        (!request.group || i.group === request.group) &&
        !(request.open && i.restricted) &&
        !(request.period === 'hour' && i.dailyOnly),
    );
  }

  function checkRange(period: Period, from: Date, to: Date) {
    if (to <= from) throw new AppError('VALIDATION_FAILED', '`to` must be after `from`');
    if (to.getTime() - from.getTime() > maxRangeDays[period] * dayMs) {
      throw new AppError(
        'VALIDATION_FAILED',
        `a read of period=${period} covers at most ${maxRangeDays[period]} days; split the range or use a longer period`,
      );
    }
  }

  async function components(
    client: PoolClient,
    request: IndicatorRequest,
    from: Date,
    to: Date,
  ): Promise<ComponentRow[]> {
    const before2025 = request.units === 'before-2025';
    // A former unit's id asks for the unit it went into, unless the period is read by former units.
    const ward = before2025 ? (request.ward ?? '') : catalog.currentWard(request.city, request.ward ?? '');
    const query = { city: request.city, ward, period: request.period, from, to, units: request.units };
    const rollup = await readIndicatorComponents(client, query);
    return [...rollup, ...(await readAlertComponents(client, query))];
  }

  function toItems(
    request: IndicatorRequest,
    rows: ComponentRow[],
    final: Date | undefined,
  ): IndicatorItem[] {
    const wanted = new Map(selected(request).map((i) => [i.id, i]));
    const now = clock();
    const items: IndicatorItem[] = [];
    // A reader scoped to some units of the area gets their rows, not the area's totals.
    const scope = scopeFrom(request.scope);
    for (const row of rows) {
      const definition = wanted.get(row.indicator);
      if (!definition) continue;
      if (!inScope(scope, { city: request.city, ward: row.ward })) continue;
      // Open data says nothing about the cameras: not their uptime, availability or alerts.
      if (request.open && (row.dim === 'camera' || row.dim.startsWith('camera:'))) continue;
      const start = request.period === 'hour' ? new Date(row.bucket) : localDateStart(row.bucket);
      const end = periodEnd(request.period, start);
      const sum = Number(row.sum);
      const count = Number(row.count);
      const max = row.max === null ? null : Number(row.max);
      items.push({
        period: periodLabel(request.period, start),
        start: start.toISOString(),
        end: end.toISOString(),
        city: request.city,
        ward: row.ward === '' ? null : row.ward,
        wardName: row.ward === '' ? null : catalog.wardName(request.city, row.ward),
        indicator: definition.id,
        name: definition.name,
        group: definition.group,
        sector: definition.sector,
        dimension: row.dim === '' ? null : row.dim,
        value: roundValue(indicatorValue(definition.aggregation, { sum, count, max })),
        unit: definition.unit,
        max: roundValue(max),
        sum,
        count,
        partial: end > now || !final || end > final,
        ...(definition.sector === 'noise' && {
          standard: noiseStandardsDuring(start, end)
            .map((s) => s.name)
            .join(', '),
        }),
      });
    }
    return items.sort(
      (a, b) =>
        a.start.localeCompare(b.start) ||
        (a.ward ?? '').localeCompare(b.ward ?? '') ||
        a.indicator.localeCompare(b.indicator) ||
        (a.dimension ?? '').localeCompare(b.dimension ?? ''),
    );
  }

  /** The end of what is published as final at the resolution the period is built from. */
  async function finalThrough(client: PoolClient, period: Period): Promise<Date | undefined> {
    const through = await publishedThrough(client);
    if (period === 'hour') return through.hour && new Date(through.hour.getTime() + 3_600_000);
    return through.day && new Date(through.day.getTime() + dayMs);
  }

  return {
    refresher,
    apiKeys,

    async indicators(request) {
      selected(request); // rejects unknown indicator ids before any query
      // What the feed is about; `from` and `to` only bound a read, and may change between polls.
      const filters = {
        ...request,
        cursor: undefined,
        from: undefined,
        to: undefined,
        indicator: request.indicator?.join(','),
      };
      const state = request.cursor ? decodeCursor(request.cursor, 'indicators', filters) : undefined;
      if (!state) {
        if (!request.from || !request.to) {
          throw new AppError(
            'VALIDATION_FAILED',
            'give `from` and `to` (or the `cursor` of an earlier read)',
          );
        }
        checkRange(request.period, request.from, request.to);
      }
      // One snapshot for the read and the cursor: the next read starts exactly where this one saw.
      return readInSnapshot(pool, async (client, snapshot) => {
        const next = cursorFor('indicators', filters, snapshot);
        if (!state) {
          const from = periodStart(request.period, request.from!);
          const rows = await components(client, request, from, request.to!);
          return {
            items: toItems(request, rows, await finalThrough(client, request.period)),
            hasMore: false,
            cursor: next,
          };
        }
        const scope = request.period === 'hour' ? 'hour' : 'day';
        const touched = new Map<number, Date>();
        for (const start of await publishedSince(client, scope, state.since!, snapshot)) {
          const bucket = periodStart(request.period, start);
          if (request.from && periodEnd(request.period, bucket) <= request.from) continue;
          if (request.to && bucket >= request.to) continue;
          touched.set(bucket.getTime(), bucket);
        }
        if (touched.size === 0) return { items: [], hasMore: false, cursor: next };
        const starts = [...touched.keys()].sort((a, b) => a - b);
        const rows = await components(
          client,
          request,
          new Date(starts[0]!),
          periodEnd(request.period, new Date(starts.at(-1)!)),
        );
        const items = toItems(request, rows, await finalThrough(client, request.period)).filter((i) =>
          touched.has(Date.parse(i.start)),
        );
        return { items, hasMore: false, cursor: next };
      });
    },

    async aggregates(request) {
      const filters = { ...request, cursor: undefined, limit: undefined };
      const state = request.cursor ? decodeCursor(request.cursor, 'aggregates', filters) : undefined;
      const since = state?.since;
      // A window is paged through at the snapshot it started with; a new read takes a new one, on its
      // own: a page read later in another transaction still sees only what it saw.
      const until = state?.until ?? (await currentSnapshot(pool));
      const rows = await readPublishedAggregates(pool, {
        period: request.period,
        since,
        until,
        after: state?.after as [string, string, string, string] | undefined,
        city: request.city,
        ward: request.ward,
        kind: request.kind,
        metric: request.metric,
        from: request.from,
        to: request.to,
        limit: request.limit,
        scope: request.scope,
      });
      const visible = request.open ? rows.filter((r) => r.kind !== 'camera') : rows;
      const items = visible.map((r) => ({
        period: periodLabel(request.period, r.start),
        start: r.start.toISOString(),
        deviceId: r.deviceId,
        kind: r.kind,
        city: r.city,
        ward: r.ward,
        metric: r.metric,
        count: r.count,
        mean: r.sum / r.count,
        min: r.min,
        max: r.max,
        sum: r.sum,
      }));
      const last = rows.at(-1);
      const hasMore = rows.length === request.limit && last !== undefined;
      const next: CursorState = hasMore
        ? {
            v: 2,
            feed: 'aggregates',
            f: fingerprint(filters),
            since,
            until,
            after: [last.xid, last.start.toISOString(), last.deviceId, last.metric],
          }
        : { v: 2, feed: 'aggregates', f: fingerprint(filters), since: until };
      return { items, hasMore, cursor: encodeCursor(next) };
    },

    async alerts(request) {
      const filters = { ...request, cursor: undefined, limit: undefined };
      const state = request.cursor ? decodeCursor(request.cursor, 'alerts', filters) : undefined;
      const since = state?.since;
      const until = state?.until ?? (await currentSnapshot(pool));
      const rows = await readAlertChanges(pool, {
        since,
        until,
        after: state?.after as [string, number] | undefined,
        city: request.city,
        ward: request.ward,
        kind: request.kind,
        severity: request.severity,
        from: request.from,
        to: request.to,
        limit: request.limit,
        scope: request.scope,
      });
      const items = rows.map((row) => publicAlertWire(row, catalog.wardName(row.city, row.ward)));
      const last = rows.at(-1);
      const hasMore = rows.length === request.limit && last !== undefined;
      const next: CursorState = hasMore
        ? { v: 2, feed: 'alerts', f: fingerprint(filters), since, until, after: [last.xid, last.id] }
        : { v: 2, feed: 'alerts', f: fingerprint(filters), since: until };
      return { items, hasMore, cursor: encodeCursor(next) };
    },

    start(refreshS) {
      refresher.start(refreshS);
    },
    async stop() {
      await refresher.stop();
      apiKeys.stop();
    },
  };
}

function cursorFor(feed: CursorState['feed'], filters: Record<string, unknown>, since: string): string {
  return encodeCursor({ v: 2, feed, f: fingerprint(filters), since });
}

/** Values to 4 decimal places: what a report shows, without float noise like 56.99999999. */
function roundValue(value: number | null): number | null {
  return value === null ? null : Math.round(value * 10_000) / 10_000;
}
