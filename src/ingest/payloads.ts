// Payload schemas of the MQTT contract (DESIGN.md "MQTT contract") and the per-kind metric checks
// derived from the catalog. Pure functions: bytes in, readings or precise refusals out.
import { z } from 'zod';
import type { KindDefinition } from '../catalog/schema.ts';
import type { DeadLetterReason } from '../errors.ts';

const Timestamp = z.union([
  z.iso.datetime({ offset: true }),
  z.number().int().nonnegative(), // epoch milliseconds
]);

const TelemetryItem = z.object({
  ts: Timestamp.optional(),
  seq: z.number().int().nonnegative().optional(),
  metrics: z.record(z.string(), z.number()),
});

const StatusPayload = z.object({
  ts: Timestamp.optional(),
  online: z.boolean(),
  battery_pct: z.number().min(0).max(100).optional(),
  rssi_dbm: z.number().min(-150).max(0).optional(),
  fw: z.string().max(64).optional(),
});

const EventPayload = z.object({
  ts: Timestamp.optional(),
  type: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'snake_case, at most 64 characters'),
  id: z.string().max(64).optional(),
  data: z.record(z.string(), z.unknown()).default({}),
});

export interface Refusal {
  reason: DeadLetterReason;
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
}

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : 'payload'}: ${i.message}`)
    .join('; ');
}

export function parseJson(payload: Buffer): { ok: true; value: unknown } | { ok: false; refusal: Refusal } {
  const text = payload.toString('utf8');
  if (text.includes('\\u0000')) {
    // Valid JSON, but PostgreSQL text and jsonb cannot hold U+0000: refuse it here, not in a batch.
    return {
      ok: false,
      refusal: { reason: 'VALIDATION_FAILED', message: 'strings must not contain \\u0000' },
    };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
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

/**
 * Parses one telemetry payload (an object or an array of them). Every array item is judged on its own:
 * one bad item in a backlog does not cost the others. A metric outside its plausible range is dropped
 * alone (a stuck sensor must not silence its neighbours on the same station) and reported.
 */
export function parseTelemetry(
  value: unknown,
  kind: KindDefinition,
  rules: TimeRules,
): { readings: ParsedTelemetry[]; refusals: Refusal[] } {
  const items = Array.isArray(value) ? value : [value];
  const many = Array.isArray(value);
  const readings: ParsedTelemetry[] = [];
  const refusals: Refusal[] = [];
  if (many && items.length === 0) {
    refusals.push({ reason: 'VALIDATION_FAILED', message: 'empty array: send at least one reading' });
  }
  items.forEach((raw, index) => {
    const at = many ? { item: index } : {};
    const quick = quickTelemetryItem(raw);
    const parsed = quick ? { success: true as const, data: quick } : TelemetryItem.safeParse(raw);
    if (!parsed.success) {
      refusals.push({ reason: 'VALIDATION_FAILED', message: describe(parsed.error), ...at });
      return;
    }
    const time = resolveTime(parsed.data.ts, rules);
    if (!(time instanceof Date)) {
      refusals.push({ ...time, ...at });
      return;
    }
    const entries = Object.entries(parsed.data.metrics);
    const unknown: string[] = [];
    for (const [name] of entries) if (!Object.hasOwn(kind.metrics, name)) unknown.push(name);
    if (unknown.length > 0) {
      refusals.push({
        reason: 'UNKNOWN_METRIC',
        message: `${kind.kind} has no metric ${unknown.join(', ')}; known: ${Object.keys(kind.metrics).join(', ')}`,
        ...at,
      });
      return;
    }
    if (entries.length === 0) {
      refusals.push({
        reason: 'VALIDATION_FAILED',
        message: 'metrics is empty: send at least one metric',
        ...at,
      });
      return;
    }
    const metrics: Record<string, number> = {};
    const outOfRange: string[] = [];
    for (const [name, reading] of entries) {
      const definition = kind.metrics[name]!;
      const valid =
        definition.type === 'flag'
          ? reading === 0 || reading === 1
          : reading >= definition.min && reading <= definition.max;
      if (valid) metrics[name] = reading;
      else
        outOfRange.push(
          definition.type === 'flag'
            ? `${name}=${reading} (must be 0 or 1)`
            : `${name}=${reading} (plausible ${definition.min}..${definition.max} ${definition.unit})`,
        );
    }
    if (outOfRange.length > 0) {
      refusals.push({ reason: 'OUT_OF_RANGE', message: `dropped ${outOfRange.join(', ')}`, ...at });
    }
    if (Object.keys(metrics).length > 0) readings.push({ ts: time, seq: parsed.data.seq, metrics });
  });
  return { readings, refusals };
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
