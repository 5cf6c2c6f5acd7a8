// What a rule decides, and nothing else: is a condition met, has it cleared (hysteresis), has it held
// long enough, for each rule type on a reading, a status, a device event or the silent-device sweep.
// The live engine and the dry run (src/alerts/dryRun.ts) both decide here and differ only in what a
// decision does (`Outcomes`: write an alert, or count one), so a dry run is what the engine would do.
import { isDark, isWithinLocalWindow, localParts, noiseLimit } from '../standards/index.ts';
import type { DeviceRow } from '../storage/devices.ts';
import type { HourlyAqi } from './aqiTracker.ts';
import { paramDefaults } from './ruleParams.ts';
import { onActiveDay, type Rule, type TypedRule } from './rules.ts';

export function conditionMet(
  comparison: NonNullable<Rule['comparison']>,
  value: number,
  threshold: number,
): boolean {
  switch (comparison) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '=':
      return value === threshold;
  }
}

/**
 * Whether an active alert clears at this value. Without a clear value, as soon as the condition no
 * longer holds; with one, only once the value is past it on the far side (`> 70, clear 67`: at 66.9),
 * so a signal hovering around the threshold does not open and close an alert every reading.
 */
export function conditionCleared(
  rule: Pick<Rule, 'comparison' | 'threshold' | 'clearValue'>,
  value: number,
): boolean {
  const { comparison, threshold, clearValue } = rule;
  if (comparison === null || threshold === null) return true;
  if (clearValue === null) return !conditionMet(comparison, value, threshold);
  switch (comparison) {
    case '>':
    case '>=':
      return value < clearValue;
    case '<':
    case '<=':
      return value > clearValue;
    case '=':
      return value !== threshold;
  }
}

/** What one (rule, device) remembers between decisions. */
export interface ConditionState {
  active: boolean;
  /** When the condition started to hold (ms), for `forS`. */
  pendingSince: number | undefined;
  /** rate_of_rise: recent (time, value) samples. */
  samples: Array<[number, number]>;
}

export interface Watch {
  rule: TypedRule;
  state: ConditionState;
}

type Extra = Record<string, string | number>;

/** What a decision does. The state is already changed when these are called. */
export interface Outcomes<W extends Watch> {
  /** The condition holds: an alert opens, or `repeat` of the active one. */
  raised(
    watch: W,
    repeat: boolean,
    value: number | null,
    at: Date,
    extra?: Extra,
    details?: Record<string, unknown>,
  ): void;
  /** The active alert ends: the condition cleared (`note`: why, or the value it cleared at). */
  cleared(watch: W, note: string | number, at: Date): void;
}

export type Device = Pick<DeviceRow, 'id' | 'zone' | 'lat' | 'lon'>;

/** Whether the rule's schedule (time of day and weekdays, Vietnam time) includes `at`. */
export function inSchedule(rule: TypedRule, at: Date): boolean {
  return (
    (rule.windowStart === null ||
      rule.windowEnd === null ||
      isWithinLocalWindow(at, rule.windowStart, rule.windowEnd)) &&
    onActiveDay(rule, at)
  );
}

/** Rule types a reading never opens or clears (only their schedule can). */
const notOnReadings = new Set<TypedRule['type']>(['offline', 'last_will', 'event', 'system']);

/** Whether a reading can change this rule's alert (so the engine need not look at the others). */
export const readingsMatter = (rule: TypedRule) =>
  !notOnReadings.has(rule.type) || rule.windowStart !== null || Boolean(rule.days);

function raise<W extends Watch>(
  w: W,
  out: Outcomes<W>,
  value: number | null,
  at: Date,
  extra?: Extra,
  details?: Record<string, unknown>,
) {
  const repeat = w.state.active;
  w.state.active = true;
  out.raised(w, repeat, value, at, extra, details);
}

/** Forgets what was pending; ends the alert if one is active. */
export function clear<W extends Watch>(w: W, out: Outcomes<W>, note: string | number, at: Date) {
  const state = w.state;
  state.pendingSince = undefined;
  // Runs for most readings: a fresh samples array only when there is something to forget.
  if (state.samples.length > 0) state.samples = [];
  if (!state.active) return;
  state.active = false;
  out.cleared(w, note, at);
}

/** Condition held (or not) at `at`: opens after forS, clears past the clear value. */
function judge<W extends Watch>(
  w: W,
  out: Outcomes<W>,
  met: boolean,
  cleared: boolean,
  value: number,
  at: Date,
  extra?: Extra,
) {
  const state = w.state;
  if (met) {
    state.pendingSince ??= at.getTime();
    if (at.getTime() - state.pendingSince >= w.rule.forS * 1000) raise(w, out, value, at, extra);
    return;
  }
  state.pendingSince = undefined;
  if (cleared) clear(w, out, value, at);
}

/**
 * rate_of_rise: adds a sample, forgets those older than the window, returns the lowest value left.
 * In place, in one pass: this runs on every reading of a watched metric.
 */
function addSample(state: ConditionState, t: number, value: number, windowMs: number): number {
  const samples = state.samples;
  samples.push([t, value]);
  let kept = 0;
  let lowest = Number.POSITIVE_INFINITY;
  for (const sample of samples) {
    if (!(t - sample[0] <= windowMs)) continue;
    samples[kept++] = sample;
    if (sample[1] < lowest) lowest = sample[1];
  }
  samples.length = kept;
  return lowest;
}

/** A reading at `at` (the device's own time), with the hour of VN_AQI it completed, if any. */
export function onReading<W extends Watch>(
  w: W,
  device: Device,
  at: Date,
  metrics: Record<string, number>,
  hourly: HourlyAqi | undefined,
  out: Outcomes<W>,
) {
  const rule = w.rule;
  if (!inSchedule(rule, at)) {
    if (w.state.active) clear(w, out, 'outside the rule time window', at);
    else w.state.pendingSince = undefined;
    return;
  }
  switch (rule.type) {
    case 'threshold': {
      const value = rule.metric ? metrics[rule.metric] : undefined;
      if (value === undefined || rule.comparison === null) return;
      // A QCVN 26 rule takes its limit from the version in force at the reading's instant.
      const zone = rule.zone ?? device.zone;
      const noise = rule.params.limit === 'qcvn26' && zone ? noiseLimit(zone, at) : undefined;
      const threshold = noise ? noise.limitDb : rule.threshold;
      if (threshold === null) return;
      const clearAt = noise
        ? { comparison: rule.comparison, threshold, clearValue: threshold - (rule.params.clearBelowDb ?? 0) }
        : rule;
      judge(
        w,
        out,
        conditionMet(rule.comparison, value, threshold),
        conditionCleared(clearAt, value),
        value,
        at,
        noise && { threshold, standard: noise.standard },
      );
      return;
    }
    case 'rate_of_rise': {
      const value = rule.metric ? metrics[rule.metric] : undefined;
      if (value === undefined) return;
      const state = w.state;
      const windowMs = rule.params.windowS * 1000;
      const rise = rule.params.rise;
      const risen = value - addSample(state, at.getTime(), value, windowMs);
      // Expressed per minute for the message; the condition is the rise within the window.
      const perMinute = Math.round((risen / (windowMs / 60_000)) * 10) / 10;
      if (risen >= rise) raise(w, out, perMinute, at);
      else if (risen < (rule.clearValue ?? rise / 2) && state.active) {
        // Its samples stay: the next reading still measures the rise over the whole window.
        state.active = false;
        out.cleared(w, 'temperature steady', at);
      }
      return;
    }
    case 'streetlight_dark': {
      const lampOn = metrics.lamp_on;
      const power = metrics.power_w;
      if (lampOn === undefined && power === undefined) return;
      const minPower = rule.params.minPowerW ?? paramDefaults.streetlightMinPowerW;
      const dark = isDark(at, device.lat, device.lon);
      const unlit = lampOn === 0 || (power !== undefined && power < minPower);
      judge(w, out, dark && unlit, !(dark && unlit), power ?? 0, at);
      return;
    }
    case 'aqi': {
      if (!hourly) return;
      const { minBand, minAqi } = rule.params;
      const met = minBand !== undefined ? hourly.category.band >= minBand : hourly.aqi >= (minAqi ?? 0);
      judge(w, out, met, !met, hourly.aqi, at, {
        category_vi: hourly.category.vi,
        category_en: hourly.category.en,
        dominant: hourly.dominant.toUpperCase(),
      });
      return;
    }
    default:
      return;
  }
}

/** The device was heard from (a reading, a status, an event): a silence alert ends. */
export function onSeen<W extends Watch>(w: W, out: Outcomes<W>, at: Date) {
  if (w.rule.type === 'offline' && w.state.active) clear(w, out, 'reporting again', at);
}

/** A status message at `now` (ms, when it was heard); `ts` is the device's own time. */
export function onStatus<W extends Watch>(
  w: W,
  status: { online: boolean; lastWill: boolean; ts: Date },
  now: number,
  out: Outcomes<W>,
) {
  if (w.rule.type !== 'last_will') return;
  if (status.online) clear(w, out, 'connected again', new Date(now));
  else if (status.lastWill) {
    // A device that reconnects at once (a flaky link, a session taken over) is not worth waking an
    // operator: the sweep opens the alert only if it is still gone after forS.
    w.state.pendingSince ??= now;
    if (w.rule.forS === 0 && inSchedule(w.rule, status.ts)) raise(w, out, null, status.ts);
  }
}

/** A device event of `type` at `ts`. */
export function onEvent<W extends Watch>(
  w: W,
  event: { type: string; data: unknown; ts: Date },
  out: Outcomes<W>,
) {
  const rule = w.rule;
  if (rule.type === 'event' && rule.params.eventType === event.type && inSchedule(rule, event.ts))
    raise(w, out, null, event.ts, {}, { event: event.data });
}

/** How long a device may be silent before an offline rule opens (ms). */
export function silenceLimitMs(
  rule: Extract<TypedRule, { type: 'offline' }>,
  reportingIntervalS: number,
): number {
  const { minutes, intervals } = rule.params;
  return minutes !== undefined
    ? minutes * 60_000
    : (intervals ?? paramDefaults.offlineIntervals) * reportingIntervalS * 1000;
}

/** The silent-device sweep at `now` (ms), for a device last heard from at `lastSeen` (ms). */
export function onSweep<W extends Watch>(
  w: W,
  lastSeen: number,
  now: number,
  reportingIntervalS: number,
  out: Outcomes<W>,
) {
  const { rule, state } = w;
  if (state.active || !inSchedule(rule, new Date(now))) return;
  if (rule.type === 'offline' && now - lastSeen > silenceLimitMs(rule, reportingIntervalS)) {
    const since = new Date(lastSeen);
    const p = localParts(since);
    const two = (n: number) => String(n).padStart(2, '0');
    const hhmm = `${two(p.hour)}:${two(p.minute)} ${two(p.day)}/${two(p.month)}`;
    raise(w, out, null, new Date(now), { since: hhmm }, { silentSince: since.toISOString() });
  }
  if (
    rule.type === 'last_will' &&
    state.pendingSince !== undefined &&
    now - state.pendingSince >= rule.forS * 1000
  )
    raise(w, out, null, new Date(state.pendingSince));
}
