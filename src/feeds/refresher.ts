// Keeps the indicators current: every pass recomputes the hours whose rollups changed (late and
// redelivered data included) and the days they fall in, and publishes hours and days once they are
// closed, so the province's incremental reads see each final period once (again only if a late
// reading changes it). One pass is one transaction under an advisory lock: with several instances
// only one refreshes at a time, and a failed pass gives its marks back by rolling back.
import type { Logger } from '../log.ts';
import { dailyAqiDaysOf, isDark, localDateStart, noiseHourLimits } from '../standards/index.ts';
import { type BackgroundLane, createBackgroundLane } from '../storage/backgroundLane.ts';
import { lockRefresher } from '../storage/feeds.ts';
import { inTransaction, type Pool, type PoolClient } from '../storage/pool.ts';
import {
  type DailyAqiRow,
  dailyAqiInputs,
  foldHourlyDeltas,
  lastPublishedHour,
  markDirty,
  pendingParts,
  publish,
  reclaimPending,
  replaceDays,
  replaceHourIndicators,
  takeDirtyHours,
} from '../storage/rollups.ts';
import { areaAqiComponents } from './areaAqi.ts';
import { indicators, pollutantMetrics } from './indicators.ts';

const hourMs = 3_600_000;
/** A bin needs collecting once it has been this full (the default waste-full rule). */
const collectionFillPct = 80;
const aggregations = indicators.map((i) => ({ indicator: i.id, aggregation: i.aggregation }));
/**
 * The stations' daily VN_AQI inputs are read in this many statements, each a turn on the lane: the
 * open day of 10,000 stations in one statement took 0.6-0.9 s of a core under load, and the slowest
 * seconds of the half-load step fell beside it (bench, statements over 250 ms).
 */
const aqiSlices = 8;
/** Hours recomputed in one transaction at most; a long backlog takes several passes. */
const maxHoursPerPass = 24 * 7;
/**
 * Between passes, what ingest stored can be folded into telemetry_hourly every this many seconds
 * (FEEDS_FOLD_S). Shorter folds are shorter waits for ingest, but each one rewrites every active
 * device's hourly rows: with 10,000 devices at 10,000 msg/s, folds every 10 s cost PostgreSQL 15-23
 * points of a core more than one fold a pass (bench, back to back), so by default each pass's
 * timer folds just before the pass, and only then.
 */
const defaultFoldEveryS = 60;
// The timer's folds go partition by partition of telemetry_pending (migration 012), each a
// transaction and a turn on the background lane, as are the pass's statements: folding a minute of
// 10,000 devices at 10,000 msg/s in one statement kept a core busy for 5-10 s, and the publish →
// stored tail of the whole fleet rose with it (bench, statements over 250 ms beside the slowest seconds).

export interface RefresherOptions {
  pool: Pool;
  log: Logger;
  /** Seconds after its end before an hour (or day) is published as closed. */
  publishDelayS: number;
  /** Minutes one reading stands for, per kind. */
  readingMinutes: (kind: string) => number;
  /**
   * Each city's centre: street lighting is judged in the hours the sun is down there. A function is
   * asked on every pass, so an area added at run time (src/places) is judged too.
   */
  cities:
    | ReadonlyArray<{ id: string; lat: number; lon: number }>
    | (() => ReadonlyArray<{ id: string; lat: number; lon: number }>);
  clock?: () => Date;
  /** Seconds between folds of stored readings into telemetry_hourly (FEEDS_FOLD_S, default 60). */
  foldEveryS?: number;
  /** Where folds and the pass's statements take turns with the other periodic ones (none: a lane of its own). */
  lane?: BackgroundLane;
}

export interface PassResult {
  hours: number;
  days: number;
  published: number;
  /** Another instance held the lock. */
  skipped: boolean;
}

export interface Refresher {
  /** One pass; returns what it did. `wait`: queue behind another instance's pass instead of skipping. */
  runOnce(wait?: boolean): Promise<PassResult>;
  /** Passes until nothing is left to do (a backlog of history, a test), waiting for the lock. */
  runUntilIdle(): Promise<PassResult>;
  start(intervalS: number): void;
  stop(): Promise<void>;
}

export function createRefresher(options: RefresherOptions): Refresher {
  const { pool, log } = options;
  const clock = options.clock ?? (() => new Date());
  const lane = options.lane ?? createBackgroundLane();
  let timer: NodeJS.Timeout | undefined;
  let foldTimer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;

  /** `fold`: fold what ingest stored first (a timer's pass finds it folded part by part already). */
  async function pass(client: PoolClient, wait: boolean, fold = true): Promise<PassResult> {
    if (!(await lockRefresher(client, wait))) return { hours: 0, days: 0, published: 0, skipped: true };

    const now = clock().getTime();
    const currentHour = Math.floor(now / hourMs) * hourMs;
    const closedBefore = Math.floor((now - options.publishDelayS * 1000) / hourMs) * hourMs - hourMs; // last closed hour
    const changed = new Set<number>();
    const folded = fold ? await lane.run(() => foldHourlyDeltas(client)) : [];
    for (const hour of [...folded, ...(await takeDirtyHours(client))]) {
      // An energy meter's next hour is measured against this one, so it changes too.
      for (const h of [hour.getTime(), hour.getTime() + hourMs]) if (h <= currentHour) changed.add(h);
    }
    // Every closed hour is published, even one in which nothing arrived (availability 0 % is news),
    // and in order: a pass that cannot reach the end of a gap stops before anything newer.
    const last = await lastPublishedHour(client);
    const firstUnpublished = last ? last.getTime() + hourMs : Math.min(closedBefore, ...changed);
    const gap: number[] = [];
    for (let h = firstUnpublished; h <= closedBefore && gap.length < maxHoursPerPass; h += hourMs)
      gap.push(h);
    const limit = gap.length === maxHoursPerPass ? gap.at(-1)! : Number.POSITIVE_INFINITY;
    const ordered = [...new Set([...changed, ...gap])]
      .filter((h) => h <= limit)
      .sort((a, b) => a - b)
      .slice(0, maxHoursPerPass);
    if (ordered.length === 0) return { hours: 0, days: 0, published: 0, skipped: false };
    const done = new Set(ordered);
    const leftOver = [...changed].filter((h) => !done.has(h));
    await markDirty(
      client,
      leftOver.map((h) => new Date(h)),
    );

    const hourDates = ordered.map((h) => new Date(h));
    const cities = typeof options.cities === 'function' ? options.cities() : options.cities;
    const dark = cities.flatMap((city) =>
      hourDates
        .filter((hour) => isDark(new Date(hour.getTime() + hourMs / 2), city.lat, city.lon))
        .map((hour) => ({ city: city.id, hour })),
    );
    await lane.run(() =>
      replaceHourIndicators(client, hourDates, {
        dark,
        noise: hourDates.map((hour) => ({ hour, ...noiseHourLimits(hour) })),
        noiseReadingMinutes: options.readingMinutes('noise'),
        pollutants: pollutantMetrics,
        aggregations,
        mostOfTheHour: 0.5,
      }),
    );

    const days = new Map<string, Date>();
    for (const h of ordered) {
      for (const day of dailyAqiDaysOf(new Date(h))) {
        const start = localDateStart(day);
        if (start.getTime() <= currentHour) days.set(day, start); // a day not begun has nothing yet
      }
    }
    const dayList = [...days.keys()];
    const closed = [...days].filter(([, start]) => start.getTime() + 24 * hourMs - hourMs <= closedBefore);
    const stations: DailyAqiRow[] = [];
    for (let index = 0; index < aqiSlices; index++) {
      const slice = { index, of: aqiSlices };
      stations.push(...(await lane.run(() => dailyAqiInputs(client, dayList, slice))));
    }
    const aqi = areaAqiComponents(stations);
    // Per-device daily rollups are read for published days only (the province's day feed), and
    // rewriting a city's open day every pass (40,000 rows at 10,000 devices) took up to a second
    // of the database in the bench: an open day's are written when it closes.
    await lane.run(() =>
      replaceDays(
        client,
        dayList,
        aqi,
        collectionFillPct,
        closed.map(([day]) => day),
      ),
    );

    const closedHours = ordered.filter((h) => h <= closedBefore).map((h) => new Date(h));
    const closedDays = closed.map(([, start]) => start);
    await publish(client, 'hour', closedHours);
    await publish(client, 'day', closedDays);
    return {
      hours: ordered.length,
      days: days.size,
      published: closedHours.length + closedDays.length,
      skipped: false,
    };
  }

  const runOnce = (wait = false, fold = true): Promise<PassResult> =>
    inTransaction(pool, (client) => pass(client, wait, fold));

  /**
   * Folds what was stored since into telemetry_hourly, part by part, each a turn on the lane, and
   * marks its hours for the next pass; a part that held messages is vacuumed after, its own turn.
   * Stops at a part another instance's pass or fold holds the lock for.
   */
  async function foldPaced(): Promise<void> {
    for (let part = 0; part < pendingParts; part++) {
      const folded = await lane.run(() =>
        inTransaction(pool, async (client) => {
          if (!(await lockRefresher(client, false))) return undefined;
          const hours = await foldHourlyDeltas(client, part);
          await markDirty(client, hours);
          return hours.length;
        }),
      );
      if (folded === undefined || stopped) return;
      if (folded > 0) await lane.run(() => reclaimPending(pool, part));
    }
  }

  async function drain(wait: boolean, fold = true): Promise<PassResult> {
    const total: PassResult = { hours: 0, days: 0, published: 0, skipped: false };
    for (;;) {
      const result = await runOnce(wait, fold);
      total.hours += result.hours;
      total.days += result.days;
      total.published += result.published;
      // A backlog (an import, a long outage) is worked off pass by pass; stopping ends it between passes.
      if (result.skipped || result.hours < maxHoursPerPass || stopped)
        return { ...total, skipped: result.skipped };
    }
  }

  return {
    runOnce,
    runUntilIdle: () => drain(true),
    start(intervalS) {
      // Passes and folds of this instance run one after the other, never side by side, and one of
      // each waits at most: a pass slower than the interval does not pile up more behind it.
      const queued = { pass: false, fold: false };
      const after = (kind: 'pass' | 'fold', work: () => Promise<unknown>) => {
        if (queued[kind] || stopped) return;
        queued[kind] = true;
        running = running.then(() => {
          queued[kind] = false;
          return work();
        });
      };
      const foldLogged = () =>
        foldPaced().catch((error) =>
          log.warn({ err: error }, 'folding stored readings failed; the next fold takes them'),
        );
      const tick = () =>
        after('pass', () =>
          foldLogged()
            .then(() => drain(false, false))
            .then(
              (r) => r.hours > 0 && log.debug(r, 'indicators refreshed'),
              (error) =>
                log.warn({ err: error }, 'indicator refresh failed; its hours stay marked and are retried'),
            ),
        );
      const fold = () => after('fold', foldLogged);
      timer = setInterval(tick, intervalS * 1000);
      timer.unref();
      const foldEveryS = options.foldEveryS ?? defaultFoldEveryS;
      if (foldEveryS < intervalS) {
        foldTimer = setInterval(fold, foldEveryS * 1000);
        foldTimer.unref();
      }
      tick();
    },
    async stop() {
      stopped = true;
      if (!options.lane) lane.hurry(); // a shared lane is hurried by whoever stops the process
      if (timer) clearInterval(timer);
      if (foldTimer) clearInterval(foldTimer);
      await running;
    },
  };
}
