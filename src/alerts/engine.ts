// The alert engine: evaluates the rules against the bus (readings, status, device events) and a
// periodic sweep (silent devices). Decisions are taken in memory, at once, from the reading's own
// time; the lifecycle writes them, one key (rule, device) at a time so they land in order. Late
// (backlog) readings are stored by ingest but never evaluated as if they were live.
import type { Catalog } from '../catalog/index.ts';
import type { KindName } from '../catalog/schema.ts';
import type { DeviceEventEvent, EventBus, ReadingEvent, StatusEvent } from '../events/bus.ts';
import type { Logger } from '../log.ts';
import type { DeviceRegistry } from '../registry/index.ts';
import { isDark, isWithinLocalWindow, localParts, noiseLimit } from '../standards/index.ts';
import type { AlertQueries } from '../storage/alerts.ts';
import type { DeviceRow } from '../storage/devices.ts';
import type { AqiStation, AqiTracker } from './aqiTracker.ts';
import { conditionCleared, conditionMet } from './conditions.ts';
import type { AlertLifecycle } from './lifecycle.ts';
import { appliesTo, type Rule, renderMessage } from './rules.ts';

/** A rule as it applies to one device, with its state key and state found once (not per reading). */
interface Watch {
  rule: Rule;
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
   * unless a time window can clear them (most of a station's rules, none of a fire sensor's). */
  readings: Watch[];
  /** When the device was last heard from (ms), for the silent-device sweep. */
  lastSeen: number | undefined;
}

interface KeyState {
  active: boolean;
  /** When the condition started to hold (ms), for `for_s`. */
  pendingSince: number | undefined;
  /** Repeats not yet written (repeats are counted in memory and written at most every few seconds). */
  repeats: number;
  lastWrite: number;
  /** rate_of_rise: recent (time, value) samples. */
  samples: Array<[number, number]>;
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

/** Rule types a reading never opens or clears (only their time window can). */
const notOnReadings = new Set<Rule['type']>(['offline', 'last_will', 'event']);

/**
 * rate_of_rise: adds a sample, forgets those older than the window, returns the lowest value left.
 * In place, in one pass: this runs on every reading of a watched metric.
 */
function addSample(state: KeyState, t: number, value: number, windowMs: number): number {
  const samples = state.samples;
  samples.push([t, value]);
  let kept = 0;
  let lowest = Number.POSITIVE_INFINITY;
  for (const sample of samples) {
    if (!(t - sample[0] <= windowMs)) continue; // as written, so a missing window keeps nothing
    samples[kept++] = sample;
    if (sample[1] < lowest) lowest = sample[1];
  }
  samples.length = kept;
  return lowest;
}

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
  let rules: Rule[] = [];
  // Bumped when the rules change: every device's watches are rebuilt on next use, its lastSeen kept.
  let generation = 0;
  const watched = new Map<string, Watched>();
  const states = new Map<string, KeyState>();
  const chains = new Map<string, Promise<unknown>>();
  let sweepTimer: NodeJS.Timeout | undefined;

  const keyOf = (rule: Rule, deviceId: string) => `${rule.id}:${deviceId}`;
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
      entry.readings = entry.all.filter(
        (w) => !notOnReadings.has(w.rule.type) || w.rule.windowStart !== null,
      );
      entry.generation = generation;
    }
    return entry;
  }

  function messageValues(
    rule: Rule,
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

  function raise(
    { rule, key, state }: Watch,
    device: DeviceRow,
    value: number | null,
    at: Date,
    extra: Record<string, string | number> = {},
    details: Record<string, unknown> = {},
  ) {
    const now = clock().getTime();
    if (state.active) {
      state.repeats++;
      if (now - state.lastWrite < repeatWriteMs) return;
    }
    const repeats = state.active ? state.repeats : 1;
    state.active = true;
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
  }

  /** `note`: why, or the value the condition cleared at. Runs for most readings, so the note's
   * text and a fresh samples array are made only when there is something to clear. */
  function clear({ rule, key, state }: Watch, deviceId: string, note: string | number) {
    state.pendingSince = undefined;
    if (state.samples.length > 0) state.samples = [];
    if (!state.active) return;
    state.active = false;
    state.repeats = 0;
    const text = typeof note === 'number' ? `cleared at ${note}` : note;
    enqueue(key, () => lifecycle.resolveActive(rule, deviceId, text));
  }

  /** Condition held (or not) at `at`: opens after for_s, clears past the clear value. */
  function judge(
    watch: Watch,
    device: DeviceRow,
    met: boolean,
    cleared: boolean,
    value: number,
    at: Date,
    extra?: Record<string, string | number>,
  ) {
    const state = watch.state;
    if (met) {
      state.pendingSince ??= at.getTime();
      if (at.getTime() - state.pendingSince >= watch.rule.forS * 1000) raise(watch, device, value, at, extra);
      return;
    }
    state.pendingSince = undefined;
    if (cleared) clear(watch, device.id, value);
  }

  function inWindow(rule: Rule, at: Date): boolean {
    return (
      rule.windowStart === null ||
      rule.windowEnd === null ||
      isWithinLocalWindow(at, rule.windowStart, rule.windowEnd)
    );
  }

  function seen(device: DeviceRow, at: number, watches: Watched) {
    watches.lastSeen = at;
    for (const watch of watches.offline) {
      if (watch.state.active) clear(watch, device.id, 'reporting again');
    }
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
    for (const watch of watches.readings) {
      const rule = watch.rule;
      if (!inWindow(rule, at)) {
        if (watch.state.active) clear(watch, device.id, 'outside the rule time window');
        else watch.state.pendingSince = undefined;
        continue;
      }
      switch (rule.type) {
        case 'threshold': {
          const value = rule.metric ? event.metrics[rule.metric] : undefined;
          if (value === undefined || rule.comparison === null) break;
          // A QCVN 26 rule takes its limit from the version in force at the reading's instant.
          const zone = rule.zone ?? device.zone;
          const noise = rule.params.limit === 'qcvn26' && zone ? noiseLimit(zone, at) : undefined;
          const threshold = noise ? noise.limitDb : rule.threshold;
          if (threshold === null) break;
          judge(
            watch,
            device,
            conditionMet(rule.comparison, value, threshold),
            conditionCleared(
              noise
                ? {
                    comparison: rule.comparison,
                    threshold,
                    clearValue: threshold - Number(rule.params.clearBelowDb ?? 0),
                  }
                : rule,
              value,
            ),
            value,
            at,
            noise && { threshold, standard: noise.standard },
          );
          break;
        }
        case 'rate_of_rise': {
          const value = rule.metric ? event.metrics[rule.metric] : undefined;
          if (value === undefined) break;
          const state = watch.state;
          const windowMs = Number(rule.params.windowS) * 1000;
          const rise = Number(rule.params.rise);
          const lowest = addSample(state, at.getTime(), value, windowMs);
          const risen = value - lowest;
          // Expressed per minute for the message; the condition is the rise within the window.
          const perMinute = Math.round((risen / (windowMs / 60_000)) * 10) / 10;
          const met = risen >= rise;
          const cleared = risen < (rule.clearValue ?? rise / 2);
          if (met) raise(watch, device, perMinute, at);
          else if (cleared && state.active) {
            state.active = false;
            enqueue(watch.key, () => lifecycle.resolveActive(rule, device.id, 'temperature steady'));
          }
          break;
        }
        case 'streetlight_dark': {
          const lampOn = event.metrics.lamp_on;
          const power = event.metrics.power_w;
          if (lampOn === undefined && power === undefined) break;
          const minPower = Number(rule.params.minPowerW ?? 5);
          const dark = isDark(at, device.lat, device.lon);
          const unlit = lampOn === 0 || (power !== undefined && power < minPower);
          judge(watch, device, dark && unlit, !(dark && unlit), power ?? 0, at);
          break;
        }
        case 'aqi': {
          if (!hourly) break;
          const minBand = Number(rule.params.minBand);
          const met = hourly.category.band >= minBand;
          judge(watch, device, met, !met, hourly.aqi, at, {
            category_vi: hourly.category.vi,
            category_en: hourly.category.en,
            dominant: hourly.dominant.toUpperCase(),
          });
          break;
        }
        default:
          break;
      }
    }
  }

  function onStatus(event: StatusEvent) {
    const device = registry.get(event.deviceId);
    if (!device) return;
    const watches = watchesFor(device);
    seen(device, clock().getTime(), watches);
    for (const watch of watches.all) {
      if (watch.rule.type !== 'last_will') continue;
      if (event.online) clear(watch, device.id, 'connected again');
      else if (event.lastWill) {
        // A device that reconnects at once (a flaky link, a session taken over) is not worth waking
        // an operator: the sweep opens the alert only if it is still gone after for_s.
        watch.state.pendingSince ??= clock().getTime();
        if (watch.rule.forS === 0) raise(watch, device, null, event.ts);
      }
    }
  }

  function onDeviceEvent(event: DeviceEventEvent) {
    const device = registry.get(event.deviceId);
    if (!device) return;
    const watches = watchesFor(device);
    seen(device, clock().getTime(), watches);
    for (const watch of watches.all) {
      if (watch.rule.type === 'event' && watch.rule.params.eventType === event.type) {
        raise(watch, device, null, event.ts, {}, { event: event.data });
      }
    }
  }

  async function sweep(now = clock()) {
    const t = now.getTime();
    for (const device of registry.all()) {
      const watches = watchesFor(device);
      const last = watches.lastSeen ?? device.lastSeen?.getTime();
      if (last === undefined) continue; // never reported: not installed yet, not "offline"
      for (const watch of watches.all) {
        const { rule, state } = watch;
        if (rule.type === 'offline') {
          const interval = catalog.kind(device.kind as KindName).reportingIntervalS * 1000;
          const limit = Number(rule.params.intervals ?? 3) * interval;
          if (t - last > limit && !state.active) {
            const since = new Date(last);
            const p = localParts(since);
            const hhmm = `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')} ${String(p.day).padStart(2, '0')}/${String(p.month).padStart(2, '0')}`;
            raise(watch, device, null, now, { since: hhmm }, { silentSince: since.toISOString() });
          }
        }
        if (rule.type === 'last_will') {
          if (
            state.pendingSince !== undefined &&
            !state.active &&
            t - state.pendingSince >= rule.forS * 1000
          ) {
            raise(watch, device, null, new Date(state.pendingSince));
          }
        }
        // Flush counted repeats of alerts that went quiet before their next write was due.
        if (state.active && state.repeats > 0 && t - state.lastWrite >= repeatWriteMs) {
          state.repeats--;
          raise(watch, device, null, now);
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
    rules = await queries.rules();
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
