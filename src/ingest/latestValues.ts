// Latest values (device_latest): noted in memory as batches are stored and upserted every flushMs, not
// by every batch: with thousands of devices each batch touches each device once, and that upsert cost
// more than the raw insert itself (the bench). Until a value is upserted, unflushed() still shows it.
import type { BackgroundLane } from '../storage/backgroundLane.ts';
import type { Pool } from '../storage/pool.ts';
import { type LatestValue, writeLatest } from '../storage/telemetry.ts';
import type { WriteRequest } from './batch.ts';
import { type FailureLog, isTransient } from './retry.ts';

export interface LatestValues {
  /** Notes the readings of stored writes; a flush is scheduled if none is. */
  note(requests: readonly WriteRequest[]): void;
  /** A device's noted values not yet upserted (at most flushMs old). */
  unflushed(deviceId: string): LatestValue[];
  /** Upserts everything noted so far (after a flush already under way). */
  flush(): Promise<void>;
  /** No flush is scheduled any more; flush() still writes. */
  stop(): void;
}

// Per device, its metrics' latest values in a short array (a device has a handful of metrics),
// scanned instead of a Map per device looked up for each metric of each message: metric names from
// parsed payloads are interned, so the scan compares pointers where a lookup hashes.
type LatestByDevice = Map<string, LatestValue[]>;

function ofDevice(into: LatestByDevice, deviceId: string): LatestValue[] {
  let values = into.get(deviceId);
  if (!values) {
    values = [];
    into.set(deviceId, values);
  }
  return values;
}

function keepNewest(values: LatestValue[], deviceId: string, metric: string, time: Date, value: number) {
  for (const known of values) {
    if (known.metric !== metric) continue;
    if (known.time.getTime() < time.getTime()) {
      // In place: the map being flushed was swapped out, so no write reads this object now.
      known.time = time;
      known.value = value;
    }
    return;
  }
  values.push({ deviceId, metric, time, value });
}

// A flush of every device's values can take a while with tens of thousands of devices: the next
// one waits ten times as long as the last took, so latest values never cost more than a tenth of
// the database's time (at a city's rates that is the flushMs floor). And it goes in chunks, each a
// turn on the background lane: 40,000 values in one statement kept a core busy for most of a second,
// and the publish → stored tail of the whole fleet rose with each flush (bench, 10,000 devices at
// 10,000 msg/s, slowest seconds beside the statements over 250 ms).
const chunkRows = 2_500;

export function createLatestValues(deps: {
  pool: Pool;
  /** Where the upserts take their turns with the other periodic statements. */
  lane: BackgroundLane;
  flushMs: number;
  failed: FailureLog;
}): LatestValues {
  const { pool, lane, flushMs, failed } = deps;
  // Values waiting for the next flush, and the ones being written by the flush under way (both
  // still shown by unflushed).
  let latest: LatestByDevice = new Map();
  let flushing: LatestByDevice | undefined;
  let timer: NodeJS.Timeout | undefined;
  let flushUnderWay: Promise<void> | undefined;
  let lastFlushMs = 0;
  let stopped = false;

  function schedule() {
    if (timer || stopped || latest.size === 0) return;
    timer = setTimeout(
      () => {
        timer = undefined;
        void flush();
      },
      Math.max(flushMs, 10 * lastFlushMs),
    );
  }

  /**
   * Waits for a flush under way (it may hold some of the values), then writes the rest, chunk by
   * chunk, each a turn on the lane. A failed chunk puts its values and the ones after it back for
   * the next timer.
   */
  async function flush(): Promise<void> {
    while (flushUnderWay) await flushUnderWay;
    if (latest.size === 0) return;
    flushUnderWay = (async () => {
      flushing = latest;
      latest = new Map();
      const values: LatestValue[] = [];
      for (const ofOne of flushing.values()) for (const value of ofOne) values.push(value);
      let written = 0;
      let busyMs = 0;
      try {
        while (written < values.length) {
          const chunk = values.slice(written, written + chunkRows);
          busyMs += await lane.run(async () => {
            const started = Date.now();
            await writeLatest(pool, chunk);
            return Date.now() - started;
          });
          written += chunk.length;
        }
        lastFlushMs = busyMs;
      } catch (error) {
        // Back in line, under anything newer noted meanwhile.
        for (const v of values.slice(written))
          keepNewest(ofDevice(latest, v.deviceId), v.deviceId, v.metric, v.time, v.value);
        failed(error, 1, values.length - written, isTransient(error), 'latest values not written; retrying');
      } finally {
        flushing = undefined;
      }
    })().finally(() => {
      flushUnderWay = undefined;
      schedule();
    });
    return flushUnderWay;
  }

  return {
    note(requests) {
      for (const request of requests) {
        const t = request.telemetry;
        if (!t) continue;
        const values = ofDevice(latest, t.deviceId);
        for (const metric in t.metrics) keepNewest(values, t.deviceId, metric, t.time, t.metrics[metric]!);
      }
      schedule();
    },
    unflushed: (deviceId) => [...(flushing?.get(deviceId) ?? []), ...(latest.get(deviceId) ?? [])],
    flush,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
