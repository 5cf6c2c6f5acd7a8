// "What would this rule have done": replays the stored readings, status changes and device events of
// the last hours, device by device in time order, through the decisions the live engine takes
// (src/alerts/conditions.ts), and counts the alerts instead of writing them. Bounded in devices and
// readings, stopped by a deadline or the caller, and read on the background lane, so a dry run over a
// province never takes the database from ingest or the console.
import type { Catalog } from '../catalog/index.ts';
import { AppError } from '../errors.ts';
import type { DeviceRegistry } from '../registry/index.ts';
import type { BackgroundLane } from '../storage/backgroundLane.ts';
import type { DeviceRow } from '../storage/devices.ts';
import type { RuleHistoryQueries, StoredEvent, StoredStatus } from '../storage/ruleHistory.ts';
import { type AqiStation, createAqiTracker } from './aqiTracker.ts';
import {
  type ConditionState,
  type Outcomes,
  onEvent,
  onReading,
  onSeen,
  onStatus,
  onSweep,
  readingsMatter,
  silenceLimitMs,
  type Watch,
} from './conditions.ts';
import { appliesTo, type TypedRule } from './rules.ts';

export interface DryRunLimits {
  /** Devices a rule may watch for a dry run; more: narrow the scope. */
  maxDevices: number;
  /** Readings replayed at most; past it the answer says it stopped early. */
  maxReadings: number;
  /** Readings per statement (one turn on the lane). */
  pageRows: number;
  /** Devices whose status changes and events are read together. */
  deviceBatch: number;
  timeoutMs: number;
}

export const dryRunDefaults: DryRunLimits = {
  maxDevices: 2_000,
  maxReadings: 500_000,
  pageRows: 10_000,
  deviceBatch: 200,
  timeoutMs: 20_000,
};

export interface DryRunEpisode {
  openedAt: Date;
  /** null: still open at the end of the range. */
  clearedAt: Date | null;
  value: number | null;
  /** Further readings (or events) that held while it was open. */
  repeats: number;
}

export interface DryRunDevice {
  deviceId: string;
  name: string;
  alerts: number;
  /** The first `first` alerts, in time order. */
  episodes: DryRunEpisode[];
}

export interface DryRunResult {
  from: Date;
  to: Date;
  devices: number;
  readings: number;
  statusChanges: number;
  events: number;
  alerts: number;
  /** Devices with at least one alert, most alerts first (at most `listedDevices`). */
  items: DryRunDevice[];
  /** False when a limit, the deadline or the caller stopped it: the counts cover what was replayed. */
  complete: boolean;
  stoppedBy: 'readings' | 'timeout' | 'cancelled' | null;
  elapsedMs: number;
}

const listedDevices = 500;
const hourMs = 3_600_000;
const pollutants = ['pm25', 'pm10', 'o3', 'no2', 'so2', 'co'];

const refuse = (vi: string, en: string) => new AppError('VALIDATION_FAILED', `${vi} / ${en}`, { vi, en });

/** What a type needs read: which metrics (or only the times), status changes, events. */
function needsOf(rule: TypedRule) {
  const scheduled = rule.windowStart !== null || Boolean(rule.days);
  const metrics =
    rule.type === 'threshold' || rule.type === 'rate_of_rise'
      ? rule.metric
        ? [rule.metric]
        : []
      : rule.type === 'streetlight_dark'
        ? ['lamp_on', 'power_w']
        : rule.type === 'aqi'
          ? pollutants
          : null;
  return {
    metrics,
    withMetrics: metrics !== null,
    readings: metrics !== null ? metrics.length > 0 : rule.type === 'offline' || scheduled,
    statuses: rule.type === 'offline' || rule.type === 'last_will',
    events: rule.type === 'offline' ? ('any' as const) : rule.type === 'event' ? rule.params.eventType : null,
    // NowCast weighs the 12 hours before: read them, judge none of them.
    warmUpMs: rule.type === 'aqi' ? 12 * hourMs : 0,
  };
}

/** Rows in (device, time) order, each device's in their own array. */
function byDevice<T extends { deviceId: string }>(rows: readonly T[]): Map<string, T[]> {
  const grouped = new Map<string, T[]>();
  for (const row of rows) {
    const list = grouped.get(row.deviceId);
    if (list) list.push(row);
    else grouped.set(row.deviceId, [row]);
  }
  return grouped;
}

interface Replay {
  device: DeviceRow;
  watch: Watch;
  station: AqiStation | undefined;
  lastSeen: number | undefined;
  statuses: StoredStatus[];
  events: StoredEvent[];
  next: { status: number; event: number };
  result: DryRunDevice;
  open: DryRunEpisode | undefined;
  out: Outcomes<Watch>;
}

export function createRuleDryRun(deps: {
  queries: RuleHistoryQueries;
  registry: Pick<DeviceRegistry, 'all'>;
  catalog: Pick<Catalog, 'kind'>;
  lane?: BackgroundLane;
  clock: () => Date;
  limits?: Partial<DryRunLimits>;
}) {
  const limits = { ...dryRunDefaults, ...deps.limits };
  const onLane = <T>(work: () => Promise<T>) => (deps.lane ? deps.lane.run(work) : work());

  return {
    limits,
    async run(
      rule: TypedRule,
      options: { hours: number; first: number; signal?: AbortSignal },
    ): Promise<DryRunResult> {
      const started = performance.now();
      if (rule.type === 'system')
        throw refuse(
          'Quy tắc hệ thống do IOC tự báo, không theo số đo: không có gì để chạy thử.',
          'A system rule is raised by the IOC itself, not by readings: there is nothing to replay.',
        );
      const to = deps.clock();
      const from = new Date(to.getTime() - options.hours * hourMs);
      // A disabled rule is tried as if enabled: that is what an administrator wants to know.
      const scope = { ...rule, enabled: true };
      const devices = [...deps.registry.all()].filter((d) => appliesTo(scope, d));
      if (devices.length > limits.maxDevices)
        throw refuse(
          `Quy tắc áp dụng cho ${devices.length} thiết bị, quá ${limits.maxDevices} để chạy thử: thu hẹp phạm vi (loại, khu vực, phường, thiết bị).`,
          `The rule watches ${devices.length} devices, over the ${limits.maxDevices} a dry run takes: narrow its scope (kind, area, ward, devices).`,
        );
      const needs = needsOf(rule);
      const deadline = AbortSignal.timeout(limits.timeoutMs);
      const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
      const range = { from, to };
      const totals = { readings: 0, statusChanges: 0, events: 0, alerts: 0 };
      const results: DryRunDevice[] = [];
      let stoppedBy: DryRunResult['stoppedBy'] = null;
      const stop = (why: NonNullable<DryRunResult['stoppedBy']>) => {
        stoppedBy ??= why;
      };
      const checkSignal = () => {
        if (signal.aborted) stop(deadline.aborted ? 'timeout' : 'cancelled');
        return stoppedBy !== null;
      };

      const outcomes = (replay: Replay): Outcomes<Watch> => ({
        raised(_w, repeat, value, at) {
          if (repeat && replay.open) {
            replay.open.repeats++;
            return;
          }
          totals.alerts++;
          replay.result.alerts++;
          replay.open = { openedAt: at, clearedAt: null, value, repeats: 0 };
          if (replay.result.episodes.length < options.first) replay.result.episodes.push(replay.open);
        },
        cleared(_w, _note, at) {
          if (replay.open) replay.open.clearedAt = at;
          replay.open = undefined;
        },
      });

      /** What the live sweep would have seen before `t`: silence, or a last will not taken back. */
      function sweepUntil(r: Replay, t: number) {
        const out = r.out;
        const { rule: w, state } = r.watch;
        if (state.active) return;
        const interval = deps.catalog.kind(r.device.kind).reportingIntervalS;
        if (w.type === 'offline' && r.lastSeen !== undefined) {
          const due = Math.max(r.lastSeen + silenceLimitMs(w, interval) + 1, from.getTime());
          if (due <= t) onSweep(r.watch, r.lastSeen, due, interval, out);
          if (!state.active && due < t) onSweep(r.watch, r.lastSeen, t, interval, out);
        }
        if (w.type === 'last_will' && state.pendingSince !== undefined) {
          const due = state.pendingSince + w.forS * 1000;
          if (due <= t) onSweep(r.watch, 0, due, interval, out);
        }
      }

      function seen(r: Replay, t: number) {
        sweepUntil(r, t);
        r.lastSeen = t;
        onSeen(r.watch, r.out, new Date(t));
      }

      /** Status changes and events of the device up to `t`, in time order. */
      function advance(r: Replay, t: number) {
        const out = r.out;
        for (;;) {
          const status = r.statuses[r.next.status];
          const event = r.events[r.next.event];
          const ts = status ? status.time.getTime() : Number.POSITIVE_INFINITY;
          const te = event ? event.time.getTime() : Number.POSITIVE_INFINITY;
          if (Math.min(ts, te) > t) return;
          if (ts <= te && status) {
            r.next.status++;
            seen(r, ts);
            onStatus(r.watch, { online: status.online, lastWill: status.lastWill, ts: status.time }, ts, out);
          } else if (event) {
            r.next.event++;
            seen(r, te);
            onEvent(r.watch, { type: event.type, data: event.data, ts: event.time }, out);
          }
        }
      }

      function finish(r: Replay) {
        advance(r, to.getTime());
        sweepUntil(r, to.getTime());
        if (r.result.alerts > 0) results.push(r.result);
      }

      const aqi = createAqiTracker();
      for (let i = 0; i < devices.length && !checkSignal(); i += limits.deviceBatch) {
        const batch = devices.slice(i, i + limits.deviceBatch);
        const ids = batch.map((d) => d.id);
        const [statuses, events, before] = await Promise.all([
          needs.statuses ? onLane(() => deps.queries.statusChanges(ids, range, limits.maxReadings)) : [],
          needs.events
            ? onLane(() =>
                deps.queries.events(
                  ids,
                  range,
                  needs.events === 'any' ? null : needs.events,
                  limits.maxReadings,
                ),
              )
            : [],
          rule.type === 'offline'
            ? onLane(() => deps.queries.lastReadingBefore(ids, from))
            : new Map<string, Date>(),
        ]);
        totals.statusChanges += statuses.length;
        totals.events += events.length;
        const statusesOf = byDevice(statuses);
        const eventsOf = byDevice(events);
        const replays = new Map<string, Replay>();
        for (const device of batch) {
          const state: ConditionState = { active: false, pendingSince: undefined, samples: [] };
          const replay: Replay = {
            device,
            watch: { rule, state },
            station:
              rule.type === 'aqi' && device.kind === 'environment' ? aqi.station(device.id) : undefined,
            // Only a silence rule asks when the device spoke before the range.
            lastSeen: before.get(device.id)?.getTime(),
            statuses: statusesOf.get(device.id) ?? [],
            events: eventsOf.get(device.id) ?? [],
            next: { status: 0, event: 0 },
            result: { deviceId: device.id, name: device.name, alerts: 0, episodes: [] },
            open: undefined,
            out: undefined as unknown as Outcomes<Watch>,
          };
          replay.out = outcomes(replay);
          replays.set(device.id, replay);
        }

        const judgeReadings = readingsMatter(rule);
        let after: { deviceId: string; time: Date } | undefined;
        while (needs.readings && !checkSignal()) {
          const page = await onLane(() =>
            deps.queries.readings(
              ids,
              { from: new Date(from.getTime() - needs.warmUpMs), to },
              { metrics: needs.metrics, withMetrics: needs.withMetrics, after, limit: limits.pageRows },
            ),
          );
          for (const row of page) {
            const r = replays.get(row.deviceId)!;
            const t = row.time.getTime();
            const hourly = r.station && aqi.addTo(r.station, row.time, row.metrics);
            if (t < from.getTime()) continue;
            totals.readings++;
            advance(r, t);
            seen(r, t);
            if (judgeReadings) onReading(r.watch, r.device, row.time, row.metrics, hourly, r.out);
          }
          if (page.length < limits.pageRows) break;
          if (totals.readings >= limits.maxReadings) stop('readings');
          const last = page[page.length - 1]!;
          after = { deviceId: last.deviceId, time: last.time };
        }
        if (stoppedBy) {
          // What was replayed is reported as it stands: no sweep to the end of a range not read.
          for (const r of replays.values()) if (r.result.alerts > 0) results.push(r.result);
          break;
        }
        for (const r of replays.values()) finish(r);
      }

      results.sort((a, b) => b.alerts - a.alerts || a.deviceId.localeCompare(b.deviceId));
      return {
        from,
        to,
        devices: devices.length,
        ...totals,
        items: results.slice(0, listedDevices),
        complete: stoppedBy === null,
        stoppedBy,
        elapsedMs: Math.round(performance.now() - started),
      };
    },
  };
}

export type RuleDryRun = ReturnType<typeof createRuleDryRun>;
