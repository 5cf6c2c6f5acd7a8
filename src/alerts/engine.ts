// The alert engine: evaluates the rules against the bus (readings, status, device events) and a
// periodic sweep (silent devices). Decisions are taken in memory, at once, from the reading's own
// time; the lifecycle writes them, one key (rule, device) at a time so they land in order. Late
// (backlog) readings are stored by ingest but never evaluated as if they were live.
import type { Catalog } from '../catalog/index.ts';
import type { KindName } from '../catalog/schema.ts';
import type { DeviceEventEvent, EventBus, ReadingEvent, StatusEvent } from '../events/bus.ts';
import type { Logger } from '../log.ts';
import type { DeviceRegistry } from '../registry/index.ts';
import type { AlertQueries } from '../storage/alerts.ts';
import type { DeviceRow } from '../storage/devices.ts';
import type { AqiStation, AqiTracker } from './aqiTracker.ts';
import {
  type ConditionState,
  onReading as decideOnReading,
  onStatus as decideOnStatus,
  type Outcomes,
  onEvent,
  onSeen,
  onSweep,
  readingsMatter,
} from './conditions.ts';
import type { AlertLifecycle } from './lifecycle.ts';
import { appliesTo, renderMessage, type TypedRule, typedRule } from './rules.ts';

/** A rule as it applies to one device, with its state key and state found once (not per reading). */
interface Watch {
  rule: TypedRule;
  key: string;
  /** The same object as `states.get(key)`: states are never replaced or removed. */
  state: KeyState;
}

/** What the engine keeps per device, found with one lookup per reading. */
interface Watched {
  /** The rules' generation `all` and `offline` were built for; stale ones are rebuilt when next used. */
  generation: number;
  /**
   * The registry's row as of the last rebuild. A change to the device (deviceChanged) makes the entry
   * stale, so a reading never judges by an outdated place or name; the status fields, which the
   * registry updates without that event, are not read from here.
   */
  device: DeviceRow;
  /** An environment station's hourly AQI sums (the tracker's own object), found once. */
  station: AqiStation | undefined;
  all: Watch[];
  offline: Watch[];
  /** The watches a reading can change: not those only a status, an event or the sweep decides,
   * unless their schedule can clear them (most of a station's rules, none of a fire sensor's). */
  readings: Watch[];
  /** When the device was last heard from (ms), for the silent-device sweep. */
  lastSeen: number | undefined;
}

/** The decision state (src/alerts/conditions.ts) and how this engine batches the writes of repeats. */
interface KeyState extends ConditionState {
  /** Repeats not yet written (repeats are counted in memory and written at most every few seconds). */
  repeats: number;
  lastWrite: number;
}

export interface AlertEngine {
  start(): Promise<void>;
  stop(): Promise<void>;
  reloadRules(): Promise<void>;
  /** One pass of the silent-device sweep at the given time (tests move the clock). */
  sweep(now?: Date): Promise<void>;
  /** Resolves when every write decided so far has landed. */
  settled(): Promise<void>;
}

const repeatWriteMs = 10_000;

export function createAlertEngine(deps: {
  bus: EventBus;
  /** Where readings, status, events and changes come from; default `bus`. Several instances: the
   * leader's feed of every instance's events (src/cluster/alertFeed.ts). */
  input?: EventBus;
  registry: DeviceRegistry;
  catalog: Catalog;
  queries: AlertQueries;
  lifecycle: AlertLifecycle;
  aqi: AqiTracker;
  log: Logger;
  clock: () => Date;
  sweepMs: number;
}): AlertEngine {
  const { bus, registry, catalog, queries, lifecycle, aqi, log, clock } = deps;
  let rules: TypedRule[] = [];
  // Bumped when the rules change: every device's watches are rebuilt on next use, its lastSeen kept.
  let generation = 0;
  const watched = new Map<string, Watched>();
  const states = new Map<string, KeyState>();
  const chains = new Map<string, Promise<unknown>>();
  let sweepTimer: NodeJS.Timeout | undefined;

  const keyOf = (rule: TypedRule, deviceId: string) => `${rule.id}:${deviceId}`;
  function stateOf(key: string): KeyState {
    let state = states.get(key);
    if (!state) {
      state = { active: false, pendingSince: undefined, repeats: 0, lastWrite: 0, samples: [] };
      states.set(key, state);
    }
    return state;
  }

  /** Runs lifecycle writes of one key in order; a failure is logged, never thrown into ingest. */
  function enqueue(key: string, work: () => Promise<unknown>) {
    const next = (chains.get(key) ?? Promise.resolve())
      .then(work)
      .catch((error) => log.error({ err: error, key }, 'alert write failed'));
    chains.set(key, next);
    void next.then(() => {
      if (chains.get(key) === next) chains.delete(key);
    });
  }

  function watchesFor(device: DeviceRow): Watched {
    let entry = watched.get(device.id);
    if (!entry) {
      entry = {
        generation: -1,
        device,
        station: undefined,
        all: [],
        offline: [],
        readings: [],
        lastSeen: undefined,
      };
      watched.set(device.id, entry);
    }
    entry.device = device;
    if (entry.generation !== generation) {
      entry.station = device.kind === 'environment' ? aqi.station(device.id) : undefined;
      entry.all = rules
        .filter((r) => appliesTo(r, device))
        .map((rule) => {
          const key = keyOf(rule, device.id);
          return { rule, key, state: stateOf(key) };
        });
      entry.offline = entry.all.filter((w) => w.rule.type === 'offline');
      entry.readings = entry.all.filter((w) => readingsMatter(w.rule));
      entry.generation = generation;
    }
    return entry;
  }

  function messageValues(
    rule: TypedRule,
    device: DeviceRow,
    value: number | null,
    extra: Record<string, string | number> = {},
  ) {
    const unit = rule.metric ? (catalog.kind(device.kind).metrics[rule.metric]?.unit ?? '') : '';
    return {
      name: device.name,
      ward: catalog.wardName(device.city, device.ward),
      value: value ?? undefined,
      unit,
      threshold: rule.threshold ?? undefined,
      ...extra,
    };
  }

  /** Writes what conditions.ts decides, for one device; repeats are counted and written in batches. */
  function outcomesFor(device: DeviceRow): Outcomes<Watch> {
    return {
      raised({ rule, key, state }, repeat, value, at, extra = {}, details = {}) {
        const now = clock().getTime();
        if (repeat) {
          state.repeats++;
          if (now - state.lastWrite < repeatWriteMs) return;
        }
        const repeats = repeat ? state.repeats : 1;
        state.repeats = 0;
        state.lastWrite = now;
        const values = messageValues(rule, device, value, extra);
        enqueue(key, () =>
          lifecycle.open({
            rule,
            device,
            messageVi: renderMessage(rule.messageVi, values),
            messageEn: renderMessage(rule.messageEn, values),
            value,
            details,
            at,
            repeats,
          }),
        );
      },
      cleared({ rule, key, state }, note) {
        state.repeats = 0;
        const text = typeof note === 'number' ? `cleared at ${note}` : note;
        enqueue(key, () => lifecycle.resolveActive(rule, device.id, text));
      },
    };
  }
  // Made once per device row, not per reading: a reading's decisions write through its device's.
  const outcomes = new WeakMap<DeviceRow, Outcomes<Watch>>();
  function outcomesOf(device: DeviceRow): Outcomes<Watch> {
    let out = outcomes.get(device);
    if (!out) {
      out = outcomesFor(device);
      outcomes.set(device, out);
    }
    return out;
  }

  function seen(device: DeviceRow, at: number, watches: Watched) {
    watches.lastSeen = at;
    if (watches.offline.length === 0) return;
    const out = outcomesOf(device);
    const when = new Date(at);
    for (const watch of watches.offline) onSeen(watch, out, when);
  }

  /** The device's watches, with one lookup while they are current; undefined for an unknown device. */
  function watchesNow(deviceId: string): Watched | undefined {
    const entry = watched.get(deviceId);
    if (entry?.generation === generation) return entry;
    const device = registry.get(deviceId);
    return device && watchesFor(device);
  }

  function onReading(event: ReadingEvent) {
    const watches = watchesNow(event.deviceId);
    if (!watches) return;
    const device = watches.device;
    seen(device, event.receivedAt.getTime(), watches);
    if (event.late) return;
    const at = event.ts;
    const hourly = watches.station && aqi.addTo(watches.station, at, event.metrics);
    if (hourly) {
      const { band, vi, en, colour } = hourly.category;
      bus.emit('aqi', {
        ...event,
        hourStart: hourly.hourStart,
        aqi: hourly.aqi,
        dominant: hourly.dominant,
        band,
        vi,
        en,
        colour,
      });
    }
    if (watches.readings.length === 0) return;
    const out = outcomesOf(device);
    for (const watch of watches.readings) decideOnReading(watch, device, at, event.metrics, hourly, out);
  }

  function onStatus(event: StatusEvent) {
    const device = registry.get(event.deviceId);
    if (!device) return;
    const watches = watchesFor(device);
    const now = clock().getTime();
    seen(device, now, watches);
    const out = outcomesOf(device);
    for (const watch of watches.all) {
      decideOnStatus(watch, { online: event.online, lastWill: event.lastWill, ts: event.ts }, now, out);
    }
  }

  function onDeviceEvent(event: DeviceEventEvent) {
    const device = registry.get(event.deviceId);
    if (!device) return;
    const watches = watchesFor(device);
    seen(device, clock().getTime(), watches);
    const out = outcomesOf(device);
    for (const watch of watches.all)
      onEvent(watch, { type: event.type, data: event.data, ts: event.ts }, out);
  }

  async function sweep(now = clock()) {
    const t = now.getTime();
    for (const device of registry.all()) {
      const watches = watchesFor(device);
      const last = watches.lastSeen ?? device.lastSeen?.getTime();
      if (last === undefined) continue; // never reported: not installed yet, not "offline"
      const out = outcomesOf(device);
      const interval = catalog.kind(device.kind as KindName).reportingIntervalS;
      for (const watch of watches.all) {
        const state = watch.state;
        onSweep(watch, last, t, interval, out);
        // Flush counted repeats of alerts that went quiet before their next write was due.
        if (state.active && state.repeats > 0 && t - state.lastWrite >= repeatWriteMs) {
          state.repeats--;
          out.raised(watch, true, null, now);
        }
      }
    }
  }

  const listeners = {
    reading: (e: ReadingEvent) => onReading(e),
    status: (e: StatusEvent) => onStatus(e),
    deviceEvent: (e: DeviceEventEvent) => onDeviceEvent(e),
    alert: ({ action, alert }: { action: string; alert: { ruleId: number; deviceId: string } }) => {
      // An operator resolved it: a condition that still holds opens a new alert on its next reading.
      if (action !== 'resolved') return;
      const state = states.get(`${alert.ruleId}:${alert.deviceId}`);
      if (state?.active) {
        state.active = false;
        state.pendingSince = undefined;
      }
    },
    rulesChanged: () => void reloadRules(),
    deviceChanged: ({ deviceId }: { deviceId: string }) => {
      const entry = watched.get(deviceId);
      if (entry) entry.generation = -1; // moved, renamed or deleted: its rules are found again
    },
  };

  function subscribe(how: 'on' | 'off') {
    for (const [event, listener] of Object.entries(listeners)) {
      const input = deps.input ?? bus;
      (input[how] as (event: string, listener: (...args: never[]) => void) => EventBus)(event, listener);
    }
  }

  async function reloadRules() {
    const typed: TypedRule[] = [];
    for (const rule of await queries.rules()) {
      try {
        typed.push(typedRule(rule));
      } catch (error) {
        // Refused by the API since params are typed; a row written by hand before is left out and said so.
        log.warn(
          { ruleId: rule.id, reason: (error as Error).message },
          'alert rule left out: its params do not parse',
        );
      }
    }
    rules = typed;
    generation++;
  }

  return {
    async start() {
      await reloadRules();
      // Alerts survive a restart: what was active stays active, so no duplicate opens.
      for (const alert of await queries.active()) stateOf(`${alert.ruleId}:${alert.deviceId}`).active = true;
      subscribe('on');
      sweepTimer = setInterval(
        () => void sweep().catch((e) => log.error({ err: e }, 'alert sweep failed')),
        deps.sweepMs,
      );
      sweepTimer.unref();
    },
    async stop() {
      if (sweepTimer) clearInterval(sweepTimer);
      subscribe('off');
      await this.settled();
    },
    reloadRules,
    sweep,
    async settled() {
      while (chains.size > 0) await Promise.all([...chains.values()]);
    },
  };
}
