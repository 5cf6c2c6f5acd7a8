// Live telemetry, coalesced: each device's readings within a window merge into one entry (its newest
// time, the newest value of each metric), and every window the waiting entries go out as JSON text,
// grouped by place so a subscription's batch is a join of a few dozen groups, not thousands of devices.
// While the event loop is saturated the window widens up to its maximum, and narrows back once there
// is room. Time comes from the injected clock: tests move it instead of waiting for a window.
import type { ReadingEvent } from '../events/bus.ts';
import type { Logger } from '../log.ts';
import { isoTimeFormatter } from './isoTime.ts';
import type { LiveState, Entry as LiveStateEntry } from './state.ts';
import { readingHead, readingText } from './wire.ts';

export interface Place {
  city: string;
  ward: string;
  kind: string;
}

/** Time and timers, as the live layer reads them. */
export interface LiveClock {
  now(): number;
  /** Calls `run` once after `ms`; the timer does not keep the process alive. */
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(timer: unknown): void;
}

export const systemClock: LiveClock = {
  now: () => Date.now(),
  setTimeout(run, ms) {
    const timer = setTimeout(run, ms);
    timer.unref();
    return timer;
  },
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
};

/** How busy the event loop was since the last call, 0..1. */
export function eventLoopLoad(): () => number {
  let before = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, before);
    before = now;
    return utilization;
  };
}

/**
 * The next window to coalesce live telemetry over: twice as long (up to `max`) after a window in
 * which the event loop was busy nearly all the time, half as long (down to `base`) after one with
 * room to spare. Between the two it stays, so it does not flap at the edge.
 */
export function nextCoalesceMs(current: number, utilization: number, base: number, max: number): number {
  if (utilization >= 0.9) return Math.min(max, current * 2);
  if (utilization <= 0.6) return Math.max(base, Math.round(current / 2));
  return current;
}

/** One window's entries of one place, as JSON text joined by commas. */
export interface PlaceBatch {
  place: Place;
  text: string;
}

interface PendingDevice {
  /** readingHead of the device, written once. */
  head: string;
  /** It has readings waiting for the next flush. */
  waiting: boolean;
  ts: number;
  metrics: Record<string, number>;
  /** `metrics` as JSON while it is one reading's, as ingest had it (else written at the flush). */
  json: string | undefined;
  /** `metrics` is this entry's own copy (else it is the first reading's, not to be written to). */
  owned: boolean;
  place: Place;
  /** The device's live state, found once (undefined until the state knows the device). */
  state: LiveStateEntry | undefined;
}

export function createCoalescer(deps: {
  state: LiveState;
  /** Every window's batches, when there are any. */
  send(batches: PlaceBatch[]): void;
  baseMs: number;
  /** The widest window under load; never below baseMs. */
  maxMs: number;
  clock?: LiveClock;
  /** How busy the event loop was since the last call (default: measured). */
  load?: () => number;
  log: Logger;
}) {
  const { state, log } = deps;
  const clock = deps.clock ?? systemClock;
  const load = deps.load ?? eventLoopLoad();
  const baseMs = deps.baseMs;
  const maxMs = Math.max(baseMs, deps.maxMs);
  let windowMs = baseMs;
  let timer: unknown;
  // Each device's readings since the last flush, merged. Times stay numbers and the reading's metrics
  // object is shared until a second reading merges into it: formatting and copying happen once per
  // device per flush, not per reading. A device's entry stays between flushes (no object and map
  // insert per device per flush); `waiting` lists the ones with readings.
  const slots = new Map<string, PendingDevice>();
  let waiting: PendingDevice[] = [];
  const noMetrics: Record<string, number> = Object.freeze({}) as Record<string, number>;
  const isoTime = isoTimeFormatter();

  function flush() {
    if (waiting.length === 0) return;
    const flushed = waiting;
    waiting = [];
    const groups = new Map<string, { place: Place; entries: string[] }>();
    for (const p of flushed) {
      const { city, ward, kind } = p.place;
      const key = `${city}\n${ward}\n${kind}`;
      let group = groups.get(key);
      if (!group) {
        group = { place: { city, ward, kind }, entries: [] };
        groups.set(key, group);
      }
      group.entries.push(readingText(p.head, isoTime(p.ts), p.json ?? JSON.stringify(p.metrics)));
      p.waiting = false;
      p.metrics = noMetrics; // not kept alive until the device's next reading
      p.json = undefined;
    }
    deps.send([...groups.values()].map((g) => ({ place: g.place, text: g.entries.join(',') })));
  }

  function tick() {
    flush();
    const next = nextCoalesceMs(windowMs, load(), baseMs, maxMs);
    if (next !== windowMs) {
      if (windowMs === baseMs)
        log.info(
          { windowMs: next },
          'server saturated: live telemetry to consoles batched over a wider window',
        );
      else if (next === baseMs) log.info({ windowMs: next }, 'live telemetry back to its usual window');
      windowMs = next;
    }
    timer = clock.setTimeout(tick, windowMs);
  }

  return {
    /** Merges a reading into its device's entry (and the device's live state). */
    reading(event: ReadingEvent) {
      // One lookup per reading: the device's slot holds its state entry too.
      let current = slots.get(event.deviceId);
      if (!current) {
        current = {
          head: readingHead(event.deviceId),
          waiting: false,
          ts: 0,
          metrics: noMetrics,
          json: undefined,
          owned: false,
          place: event,
          state: undefined,
        };
        slots.set(event.deviceId, current);
      }
      current.state ??= state.entryOf(event.deviceId);
      if (current.state) state.readingInto(current.state, event.ts, event.metrics);
      if (event.late) return; // a backlog changes history, not what the console shows as now
      const ts = event.ts.getTime();
      if (!current.waiting) {
        current.waiting = true;
        current.ts = ts;
        current.metrics = event.metrics;
        current.json = event.metricsJson;
        current.owned = false;
        current.place = event;
        waiting.push(current);
        return;
      }
      if (current.ts < ts) {
        current.ts = ts;
        current.place = event;
      }
      if (!current.owned) {
        current.metrics = { ...current.metrics };
        current.owned = true;
        current.json = undefined;
      }
      Object.assign(current.metrics, event.metrics);
    },
    /** A deleted device: its entry goes. (A moved one keeps it: each flush takes its newest place.) */
    forget(deviceId: string) {
      slots.delete(deviceId);
    },
    /** The window telemetry is batched over now. */
    windowMs: () => windowMs,
    /** Devices with readings waiting for the next flush. */
    pending: () => waiting.length,
    start() {
      timer = clock.setTimeout(tick, windowMs);
    },
    stop() {
      clock.clearTimeout(timer);
      timer = undefined;
    },
  };
}

export type Coalescer = ReturnType<typeof createCoalescer>;
