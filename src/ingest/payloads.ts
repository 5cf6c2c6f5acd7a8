// Payload schemas of the MQTT contract (topics in src/ingest/topics.ts) and the per-kind metric checks
// derived from the catalog. Pure functions: bytes in, readings or precise refusals out.
import { z } from 'zod';
import type { KindDefinition } from '../catalog/schema.ts';
import type { DeviceFaultReason } from '../errors.ts';

const Timestamp = z.union([
  z.iso.datetime({ offset: true }),
  z.number().int().nonnegative(), // epoch milliseconds
]);

/** The payload schemas are exported for the published contract (src/contract/), which is built from them. */
export const TelemetryItem = z.object({
  ts: Timestamp.optional(),
  seq: z.number().int().nonnegative().optional(),
  metrics: z.record(z.string(), z.number()),
});

export const StatusPayload = z.object({
  ts: Timestamp.optional(),
  online: z.boolean(),
  battery_pct: z.number().min(0).max(100).optional(),
  rssi_dbm: z.number().min(-150).max(0).optional(),
  fw: z.string().max(64).optional(),
});

export const EventPayload = z.object({
  ts: Timestamp.optional(),
  type: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'snake_case, at most 64 characters'),
  id: z.string().max(64).optional(),
  data: z.record(z.string(), z.unknown()).default({}),
});

export interface Refusal {
  reason: DeviceFaultReason;
  message: string;
  /** Index of the item in an array payload, when the refusal is about one item. */
  item?: number;
}

export interface TimeRules {
  now: Date;
  maxFutureMs: number;
  maxAgeMs: number;
}

export interface ParsedTelemetry {
  ts: Date;
  seq: number | undefined;
  metrics: Record<string, number>;
  /**
   * `metrics` as JSON, cut from the payload's own text when it can stand for it exactly (see
   * metricsText); else absent, and whoever needs the JSON writes it.
   */
  json?: string;
}

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : 'payload'}: ${i.message}`)
    .join('; ');
}

export function parseJson(
  payload: Buffer,
): { ok: true; value: unknown; text: string } | { ok: false; refusal: Refusal } {
  const text = payload.toString('utf8');
  if (text.includes('\\u0000')) {
    // Valid JSON, but PostgreSQL text and jsonb cannot hold U+0000: refuse it here, not in a batch.
    return {
      ok: false,
      refusal: { reason: 'VALIDATION_FAILED', message: 'strings must not contain \\u0000' },
    };
  }
  try {
    return { ok: true, value: JSON.parse(text), text };
  } catch (error) {
    return {
      ok: false,
      refusal: { reason: 'NOT_JSON', message: `payload is not JSON: ${(error as Error).message}` },
    };
  }
}

function resolveTime(ts: string | number | undefined, rules: TimeRules): Date | Refusal {
  if (ts === undefined) return rules.now;
  const time = new Date(ts);
  const ms = time.getTime();
  if (Number.isNaN(ms))
    return { reason: 'VALIDATION_FAILED', message: `ts ${JSON.stringify(ts)} is not a valid time` };
  if (ms - rules.now.getTime() > rules.maxFutureMs) {
    return {
      reason: 'TS_IN_FUTURE',
      message: `ts ${time.toISOString()} is more than ${rules.maxFutureMs / 1000} s ahead of the server clock; check the device's NTP`,
    };
  }
  if (rules.now.getTime() - ms > rules.maxAgeMs) {
    return {
      reason: 'TS_TOO_OLD',
      message: `ts ${time.toISOString()} is older than ${Math.round(rules.maxAgeMs / 86_400_000)} days; check the device clock`,
    };
  }
  return time;
}

const itemKeys = new Set(['ts', 'seq', 'metrics']);

/**
 * The shape nearly every device sends — `{ts: epoch ms, seq, metrics: {name: number}}` — checked
 * by hand, because zod costs more than the rest of ingest together at tens of thousands of messages
 * a second. Anything else (ISO times, extra keys, wrong types) goes to the zod schema, which keeps
 * the last word and the precise refusal messages.
 */
function quickTelemetryItem(
  raw: unknown,
): { ts?: number; seq?: number; metrics: Record<string, number> } | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const item = raw as Record<string, unknown>;
  for (const key in item) if (!itemKeys.has(key)) return undefined;
  const { ts, seq, metrics } = item;
  if (ts !== undefined && !(typeof ts === 'number' && Number.isSafeInteger(ts) && ts >= 0)) return undefined;
  if (seq !== undefined && !(typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0))
    return undefined;
  if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics)) return undefined;
  if (Object.getPrototypeOf(metrics) !== Object.prototype) return undefined;
  for (const name in metrics) {
    const value = (metrics as Record<string, unknown>)[name];
    if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  }
  return item as { ts?: number; seq?: number; metrics: Record<string, number> };
}

const noRefusals: readonly Refusal[] = Object.freeze([]);

const refusal = (reason: DeviceFaultReason, message: string, item: number | undefined): Refusal =>
  item === undefined ? { reason, message } : { reason, message, item };

/**
 * Parses one telemetry payload (an object or an array of them). Every array item is judged on its own:
 * one bad item in a backlog does not cost the others. A metric outside its plausible range is dropped
 * alone (a stuck sensor must not silence its neighbours on the same station) and reported. The result's
 * refusals may be a shared empty array: read it, do not push to it.
 */
export function parseTelemetry(
  value: unknown,
  kind: KindDefinition,
  rules: TimeRules,
  /** The payload's text, for a single reading's metrics JSON without writing it again. */
  text?: string,
): { readings: ParsedTelemetry[]; refusals: readonly Refusal[] } {
  const refusals: Refusal[] = [];
  let readings: ParsedTelemetry[];
  if (!Array.isArray(value)) {
    // The common case, one object: an array of exactly its reading (pushing into an empty array
    // would allocate room for seventeen, per message).
    const reading = parseItem(value, undefined, kind, rules, refusals, text);
    readings = reading ? [reading] : [];
  } else if (value.length === 0) {
    readings = [];
    refusals.push({ reason: 'VALIDATION_FAILED', message: 'empty array: send at least one reading' });
  } else {
    readings = [];
    for (let i = 0; i < value.length; i++) {
      const reading = parseItem(value[i], i, kind, rules, refusals, undefined);
      if (reading) readings.push(reading);
    }
  }
  return { readings, refusals: refusals.length > 0 ? refusals : noRefusals };
}

/** One item's reading, if any of it is kept; its refusals go to `refusals`. */
function parseItem(
  raw: unknown,
  item: number | undefined,
  kind: KindDefinition,
  rules: TimeRules,
  refusals: Refusal[],
  /** The payload's text, when this item is the whole payload. */
  text: string | undefined,
): ParsedTelemetry | undefined {
  let data: { ts?: string | number; seq?: number; metrics: Record<string, number> } | undefined =
    quickTelemetryItem(raw);
  if (!data) {
    const parsed = TelemetryItem.safeParse(raw);
    if (!parsed.success) {
      refusals.push(refusal('VALIDATION_FAILED', describe(parsed.error), item));
      return undefined;
    }
    data = parsed.data;
  }
  const time = resolveTime(data.ts, rules);
  if (!(time instanceof Date)) {
    refusals.push(refusal(time.reason, time.message, item));
    return undefined;
  }
  // Checked in place, without entry arrays: on the common path (every metric known and plausible)
  // the payload's own metrics object is the reading's, no copy.
  const input = data.metrics;
  let count = 0;
  let unknown: string[] | undefined;
  let implausible = false;
  for (const name in input) {
    if (!Object.hasOwn(input, name)) continue;
    count++;
    const definition = Object.hasOwn(kind.metrics, name) ? kind.metrics[name]! : undefined;
    if (!definition) {
      unknown ??= [];
      unknown.push(name);
    } else if (!plausible(definition, input[name]!)) implausible = true;
  }
  if (unknown) {
    refusals.push(
      refusal(
        'UNKNOWN_METRIC',
        `${kind.kind} has no metric ${unknown.join(', ')}; known: ${Object.keys(kind.metrics).join(', ')}`,
        item,
      ),
    );
    return undefined;
  }
  if (count === 0) {
    refusals.push(refusal('VALIDATION_FAILED', 'metrics is empty: send at least one metric', item));
    return undefined;
  }
  if (!implausible) {
    // Only for the payload's own object (the quick check's), not zod's copy of it. In the literal,
    // not added after: a property added later costs the object a second allocation.
    const json = text !== undefined && data === raw ? metricsText(text, count) : undefined;
    return json === undefined
      ? { ts: time, seq: data.seq, metrics: input }
      : { ts: time, seq: data.seq, metrics: input, json };
  }
  const metrics: Record<string, number> = {};
  const outOfRange: string[] = [];
  let kept = 0;
  for (const name in input) {
    if (!Object.hasOwn(input, name)) continue;
    const definition = kind.metrics[name]!;
    const reading = input[name]!;
    if (plausible(definition, reading)) {
      metrics[name] = reading;
      kept++;
    } else
      outOfRange.push(
        definition.type === 'flag'
          ? `${name}=${reading} (must be 0 or 1)`
          : `${name}=${reading} (plausible ${definition.min}..${definition.max} ${definition.unit})`,
      );
  }
  refusals.push(refusal('OUT_OF_RANGE', `dropped ${outOfRange.join(', ')}`, item));
  return kept > 0 ? { ts: time, seq: data.seq, metrics } : undefined;
}

/** Longest number written as it came: no longer one can overflow or underflow a float8. */
const maxNumberChars = 20;

/**
 * The text of a payload's `metrics` object, when it says exactly what the parsed object says and
 * the database reads it as it reads the object written again: one `"metrics"` key, plain names (no
 * escapes), one key per parsed metric (`metricCount`: no duplicates), and numbers of at most 20 characters
 * without exponent. Anything else is undefined and the object is written as JSON instead. It saves
 * writing the same object twice per message (the batch and the console), about 4 µs at 2-6 metrics.
 */
export function metricsText(text: string, metricCount: number): string | undefined {
  const key = text.indexOf('"metrics"');
  if (key < 0) return undefined;
  let i = key + 9;
  while (isSpace(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) !== 0x3a /* : */) return undefined;
  i++;
  while (isSpace(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) !== 0x7b /* { */) return undefined;
  const start = i;
  let keys = 0;
  let inString = false;
  let digits = 0;
  for (i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x22 /* " */) inString = false;
      else if (c === 0x5c /* \ */) return undefined;
      continue;
    }
    if ((c >= 0x30 && c <= 0x39) || c === 0x2e /* . */ || c === 0x2d /* - */) {
      if (++digits > maxNumberChars) return undefined;
      continue;
    }
    digits = 0;
    if (c === 0x22) inString = true;
    else if (c === 0x3a) keys++;
    else if (c === 0x7d /* } */) break;
    else if (c !== 0x2c /* , */ && !isSpace(c)) return undefined; // an exponent, a nested value
  }
  if (i >= text.length) return undefined;
  if (keys !== metricCount || text.includes('"metrics"', i)) return undefined;
  return text.slice(start, i + 1);
}

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

function plausible(definition: KindDefinition['metrics'][string], reading: number): boolean {
  return definition.type === 'flag'
    ? reading === 0 || reading === 1
    : reading >= definition.min && reading <= definition.max;
}

export interface ParsedStatus {
  ts: Date;
  online: boolean;
  details: Record<string, unknown>;
}

export function parseStatus(value: unknown, rules: TimeRules): ParsedStatus | Refusal {
  const parsed = StatusPayload.safeParse(value);
  if (!parsed.success) return { reason: 'VALIDATION_FAILED', message: describe(parsed.error) };
  const time = resolveTime(parsed.data.ts, rules);
  if (!(time instanceof Date)) return time;
  const { ts: _ts, online, ...details } = parsed.data;
  return { ts: time, online, details };
}

export interface ParsedEvent {
  ts: Date;
  type: string;
  data: Record<string, unknown>;
}

export function parseEvent(value: unknown, rules: TimeRules): ParsedEvent | Refusal {
  const parsed = EventPayload.safeParse(value);
  if (!parsed.success) return { reason: 'VALIDATION_FAILED', message: describe(parsed.error) };
  const time = resolveTime(parsed.data.ts, rules);
  if (!(time instanceof Date)) return time;
  const data = parsed.data.id === undefined ? parsed.data.data : { ...parsed.data.data, id: parsed.data.id };
  return { ts: time, type: parsed.data.type, data };
}
