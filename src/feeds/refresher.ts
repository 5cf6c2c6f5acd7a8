// Keeps the indicators current: every pass recomputes the hours whose rollups changed (late and
// redelivered data included) and the days they fall in, and publishes hours and days once they are
// closed, so the province's incremental reads see each final period once (again only if a late
// reading changes it). One pass is one transaction under an advisory lock: with several instances
// only one refreshes at a time, and a failed pass gives its marks back by rolling back.
import type { Logger } from '../log.ts';
import type { Pool, PoolClient } from '../storage/pool.ts';
import {
  dayRows,
  energyHours,
  feedDevices,
  hourRows,
  lastPublishedHour,
  noiseOver,
  publish,
  replaceDay,
  replaceHourIndicators,
  reportedIn,
  takeDirtyHours,
} from '../storage/rollups.ts';
import { dayComponents, energyIncrement, hourComponents, noiseLimitsAt } from './compute.ts';
import { pollutantMetrics } from './indicators.ts';
import { localDate, localDayStart } from './periods.ts';

const hourMs = 3_600_000;
const hourMetrics = [...pollutantMetrics, 'laeq_db', 'lamp_on', 'recording'];
const dayMetrics = [...pollutantMetrics, 'fill_pct'];
/** Advisory lock key of the refresher ("IOCFEED"). */
const lockKey = 0x10cfeed;
/** Hours recomputed in one transaction at most; a long backlog takes several passes. */
const maxHoursPerPass = 24 * 7;

export interface RefresherOptions {
  pool: Pool;
  log: Logger;
  /** Seconds after its end before an hour (or day) is published as closed. */
  publishDelayS: number;
  /** Minutes one reading stands for, per kind. */
  readingMinutes: (kind: string) => number;
  clock?: () => Date;
}

export interface PassResult {
  hours: number;
  days: number;
  published: number;
  /** Another instance held the lock. */
  skipped: boolean;
}

export interface Refresher {
  /** One pass; returns what it did. */
  runOnce(): Promise<PassResult>;
  /** Passes until nothing is left to do (a backlog of history, a test). */
  runUntilIdle(): Promise<PassResult>;
  start(intervalS: number): void;
  stop(): Promise<void>;
}

export function createRefresher(options: RefresherOptions): Refresher {
  const { pool, log } = options;
  const clock = options.clock ?? (() => new Date());
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();

  async function pass(client: PoolClient): Promise<PassResult> {
    const { rows } = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_xact_lock($1) AS locked',
      [lockKey],
    );
    if (!rows[0]?.locked) return { hours: 0, days: 0, published: 0, skipped: true };

    const now = clock().getTime();
    const currentHour = Math.floor(now / hourMs) * hourMs;
    const closedBefore = Math.floor((now - options.publishDelayS * 1000) / hourMs) * hourMs - hourMs; // last closed hour
    const changed = new Set<number>();
    for (const hour of await takeDirtyHours(client)) {
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
    if (leftOver.length > 0) {
      await client.query('INSERT INTO rollup_dirty (hour) SELECT unnest($1::timestamptz[])', [
        leftOver.map((h) => new Date(h)),
      ]);
    }

    const devices = await feedDevices(client);
    const readingMinutes = options.readingMinutes;
    for (const h of ordered) {
      const hour = new Date(h);
      const energy = await energyHours(client, hour);
      const components = hourComponents({
        hour,
        devices,
        rows: await hourRows(client, hour, hourMetrics),
        reported: await reportedIn(client, hour),
        noiseOver: await noiseOver(client, hour, noiseLimitsAt(hour)),
        energyKwh: new Map(energy.map((e) => [e.deviceId, energyIncrement(e, e.previousMax)])),
        readingMinutes,
      });
      await replaceHourIndicators(client, hour, components);
    }

    const days = new Map<string, Date>();
    for (const h of ordered) days.set(localDate(new Date(h)), localDayStart(new Date(h)));
    for (const [day, dayStart] of days) {
      const daily = dayComponents({ devices, rows: await dayRows(client, dayStart, dayMetrics) });
      await replaceDay(client, day, dayStart, daily);
    }

    const closedHours = ordered.filter((h) => h <= closedBefore).map((h) => new Date(h));
    const closedDays = [...days.values()].filter(
      (start) => start.getTime() + 24 * hourMs - hourMs <= closedBefore,
    );
    await publish(client, 'hour', closedHours);
    await publish(client, 'day', closedDays);
    return {
      hours: ordered.length,
      days: days.size,
      published: closedHours.length + closedDays.length,
      skipped: false,
    };
  }

  async function runOnce(): Promise<PassResult> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await pass(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  async function runUntilIdle(): Promise<PassResult> {
    const total: PassResult = { hours: 0, days: 0, published: 0, skipped: false };
    for (;;) {
      const result = await runOnce();
      total.hours += result.hours;
      total.days += result.days;
      total.published += result.published;
      if (result.skipped || result.hours < maxHoursPerPass) return { ...total, skipped: result.skipped };
    }
  }

  return {
    runOnce,
    runUntilIdle,
    start(intervalS) {
      const tick = () => {
        running = runUntilIdle().then(
          (r) => r.hours > 0 && log.debug(r, 'indicators refreshed'),
          (error) =>
            log.warn({ err: error }, 'indicator refresh failed; its hours stay marked and are retried'),
        );
      };
      timer = setInterval(tick, intervalS * 1000);
      timer.unref();
      tick();
    },
    async stop() {
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
