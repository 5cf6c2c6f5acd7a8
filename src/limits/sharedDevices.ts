// A device's message rate held across instances without a Redis round trip per message
// (docs/decisions/0020-shared-limits.md). Each instance limits a device with its own token bucket, as
// without Redis (src/ingest/rateLimit.ts), and counts the device's messages per window of `windowMs`.
// After each window it adds its count to the window's total in Redis (rate-limiter-flexible, penalty)
// and reads the total of the window before; from then on a message of that device costs
// total ÷ mine tokens here, so the instances together take the device's rate, each in proportion to what
// it is sent. A device seen by this instance alone costs 1, as without sharing. Counts below
// `reportAtLeast` in a window are not reported: a normal fleet costs Redis nothing, and what goes
// unreported is bounded (instances × reportAtLeast per window).
// Redis away: every cost goes back to 1 (this process's limit), counted and logged by the store.
import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { SharedLimitStore } from './sharedStore.ts';

export interface DeviceShares {
  /** Counts one message of the device here; returns the tokens it costs in this instance's bucket. */
  noteAndCost(deviceId: string): number;
  start(): void;
  stop(): void;
}

const limitName = 'device_rate';

export function createDeviceShares(deps: {
  store: SharedLimitStore;
  /** The device rate (INGEST_DEVICE_RATE_PER_S). */
  ratePerS: number;
  windowMs?: number;
  clock?: () => number;
}): DeviceShares {
  const { store } = deps;
  const windowMs = deps.windowMs ?? 1_000;
  const clock = deps.clock ?? Date.now;
  const reportAtLeast = Math.max(2, Math.ceil((deps.ratePerS * windowMs) / 1000 / 16));
  const totals = new RateLimiterRedis({
    storeClient: store.client,
    useRedisPackage: true,
    rejectIfRedisNotReady: true,
    keyPrefix: `${store.prefix}:limits:${limitName}`,
    // A counter that never refuses: the decision is the local bucket's. Kept for three windows.
    points: Number.MAX_SAFE_INTEGER,
    duration: Math.max(1, Math.ceil((3 * windowMs) / 1000)),
  });
  let counts = new Map<string, number>();
  let reported = new Map<string, number>();
  let reportedWindow = -1;
  const costs = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let reporting = false;

  const key = (deviceId: string, window: number) => `${deviceId}:${window}`;

  /** total ÷ mine for a window, at least 1. */
  const share = (total: number | undefined, mine: number | undefined) =>
    total !== undefined && mine !== undefined && mine > 0 ? Math.max(1, total / mine) : 1;

  async function report() {
    if (reporting) return; // the last report is still on its way: this window's counts wait for the next
    reporting = true;
    const window = Math.floor(clock() / windowMs) - 1;
    const mine = new Map<string, number>();
    for (const [deviceId, count] of counts) if (count >= reportAtLeast) mine.set(deviceId, count);
    counts = new Map();
    const before = reportedWindow === window - 1 ? reported : new Map<string, number>();
    try {
      const answers = await Promise.all(
        [...mine].map(async ([deviceId, count]) => {
          const now = await totals.penalty(key(deviceId, window), count);
          const previous = before.has(deviceId) ? await totals.get(key(deviceId, window - 1)) : null;
          return {
            deviceId,
            // The window before is whole; the one just reported may still miss other instances' counts,
            // so it serves only for a device this instance had not reported before.
            cost: previous
              ? share(previous.consumedPoints, before.get(deviceId))
              : share(now.consumedPoints, count),
          };
        }),
      );
      costs.clear();
      for (const { deviceId, cost } of answers) if (cost > 1) costs.set(deviceId, cost);
      store.succeeded(limitName);
    } catch (error) {
      costs.clear();
      store.failed(limitName, error);
    } finally {
      reported = mine;
      reportedWindow = window;
      reporting = false;
    }
  }

  function schedule() {
    // Just after each window's end on the clock, so every instance reports the same windows.
    const now = clock();
    const wait = windowMs - (now % windowMs) + Math.min(50, windowMs / 10);
    timer = setTimeout(() => {
      void report();
      schedule();
    }, wait);
    timer.unref();
  }

  return {
    noteAndCost(deviceId) {
      counts.set(deviceId, (counts.get(deviceId) ?? 0) + 1);
      return costs.get(deviceId) ?? 1;
    },
    start: schedule,
    stop() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
