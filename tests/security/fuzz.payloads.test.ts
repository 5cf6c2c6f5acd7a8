// Property-based fuzzing (fast-check) of MQTT payload parsing: arbitrary bytes, arbitrary JSON and
// near-valid telemetry never throw, and every outcome is a reading that fits the catalog or a refusal
// with a known reason and a message. Then the same through the real broker: every payload a device
// can send ends stored or as a dead letter, and the connection survives.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/index.ts';
import { deadLetterReasons } from '../../src/errors.ts';
import {
  parseEvent,
  parseJson,
  parseStatus,
  parseTelemetry,
  type Refusal,
} from '../../src/ingest/payloads.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { connectDevice, publish } from '../helpers/mqtt.ts';

const catalog = loadCatalog();
const kinds = [...catalog.kinds.values()];
const now = new Date('2026-11-22T10:00:00Z');
const rules = { now, maxFutureMs: 300_000, maxAgeMs: 30 * 86_400_000 };
const numRuns = 2_000;
let casesRun = 0;
const counted =
  <A extends unknown[]>(check: (...args: A) => void) =>
  (...args: A) => {
    casesRun++;
    check(...args);
  };

function expectRefusal(refusal: Refusal) {
  expect(deadLetterReasons).toContain(refusal.reason);
  expect(refusal.message.length).toBeGreaterThan(0);
}

/** Timestamps a device might send: good, skewed, ancient, malformed. */
const timestamp = fc.oneof(
  fc.integer({ min: now.getTime() - 40 * 86_400_000, max: now.getTime() + 3_600_000 }),
  fc
    .integer({ min: now.getTime() - 40 * 86_400_000, max: now.getTime() + 3_600_000 })
    .map((t) => new Date(t).toISOString()),
  fc.integer(),
  fc.double(),
  fc.string(),
  fc.constant(null),
  fc.constantFrom('2026-11-22T10:00:00', '2026-13-45T99:99:99Z', '', '1e999', 'NaN'),
);

/** A reading that is almost right: real metric names mixed with junk, values in and out of range. */
const nearTelemetry = fc.constantFrom(...kinds).chain((kind) =>
  fc.tuple(
    fc.constant(kind),
    fc.record(
      {
        ts: timestamp,
        seq: fc.oneof(fc.nat(), fc.integer(), fc.string()),
        metrics: fc.dictionary(
          fc.oneof(fc.constantFrom(...Object.keys(kind.metrics)), fc.string(), fc.constant('__proto__')),
          fc.oneof(
            fc.double({ noNaN: true, noDefaultInfinity: true }),
            fc.integer(),
            fc.constantFrom(0, 1),
            fc.string(),
            fc.constant(null),
          ),
          { maxKeys: 6 },
        ),
        extra: fc.anything(),
      },
      { requiredKeys: ['metrics'] },
    ),
  ),
);

function checkTelemetry(kind: (typeof kinds)[number], value: unknown, text?: string) {
  const { readings, refusals } = parseTelemetry(value, kind, rules, text);
  for (const refusal of refusals) expectRefusal(refusal);
  for (const reading of readings) {
    expect(reading.ts).toBeInstanceOf(Date);
    expect(Number.isNaN(reading.ts.getTime())).toBe(false);
    expect(reading.ts.getTime() - now.getTime()).toBeLessThanOrEqual(rules.maxFutureMs);
    for (const [name, v] of Object.entries(reading.metrics)) {
      const definition = kind.metrics[name];
      expect(definition, name).toBeDefined();
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThanOrEqual(definition!.min);
      expect(v).toBeLessThanOrEqual(definition!.max);
    }
    if (reading.json !== undefined) expectSameMetrics(reading.json, reading.metrics);
  }
  // Nothing silently vanishes: a payload yields readings, refusals, or both.
  expect(readings.length + refusals.length).toBeGreaterThan(0);
}

/** The text kept for a reading says what its object says, in numbers PostgreSQL reads as float8. */
function expectSameMetrics(json: string, metrics: Record<string, number>) {
  expect(JSON.parse(json)).toEqual(metrics);
  expect(json).not.toContain('\\');
  expect(json.replace(/"[^"]*"/g, '""')).not.toMatch(/[eE+]|[0-9.-]{21}/);
}

describe('payload parsing under fuzzing', () => {
  it('reads any bytes as JSON or refuses them, never throwing', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 512 }),
          fc.string().map((s) => new TextEncoder().encode(s)),
        ),
        counted((bytes: Uint8Array) => {
          const result = parseJson(Buffer.from(bytes));
          if (!result.ok) expectRefusal(result.refusal);
        }),
      ),
      { numRuns },
    );
  });

  it('turns any JSON value into readings that fit the catalog or refusals with a reason', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...kinds),
        fc.jsonValue(),
        counted((kind: (typeof kinds)[number], value: unknown) => checkTelemetry(kind, value)),
      ),
      { numRuns },
    );
  });

  it('judges near-valid readings and backlogs item by item', () => {
    fc.assert(
      fc.property(
        fc.array(nearTelemetry, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        counted((items: Array<[(typeof kinds)[number], unknown]>, asArray: boolean) => {
          const kind = items[0]![0];
          const values = items.map(([, v]) => JSON.parse(JSON.stringify(v) ?? 'null'));
          const value = asArray ? values : values[0];
          checkTelemetry(kind, value, JSON.stringify(value));
        }),
      ),
      { numRuns },
    );
  });

  it("keeps a message's metrics text only where it says what the parsed metrics say", () => {
    const kind = catalog.kind('environment');
    const name = fc.constantFrom(...Object.keys(kind.metrics), 'pm\\u00325', 'nope');
    const number = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true, min: -50, max: 1000 }).map((n) => JSON.stringify(n)),
      fc.integer({ min: 0, max: 500 }).map(String),
      fc.constantFrom(
        '1e2',
        '1E-400',
        '-0',
        '0.000000000000000000000001',
        '123.45678901234567890123',
        '4.50',
      ),
    );
    const space = fc.constantFrom('', ' ', '\n\t ');
    let kept = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(name, number, space), { minLength: 1, maxLength: 6 }),
        space,
        fc.boolean(),
        counted((entries: Array<[string, string, string]>, sp: string, twice: boolean) => {
          const metrics = entries.map(([n, v, s]) => `${s}"${n}"${s}:${s}${v}${s}`).join(',');
          const text = `{${sp}"ts":${now.getTime()},${sp}"metrics"${sp}:${sp}{${metrics}}${twice ? ',"metrics":{"pm25":1}' : ''}}`;
          const json = parseJson(Buffer.from(text));
          expect(json.ok).toBe(true);
          if (!json.ok) return;
          const { readings } = parseTelemetry(json.value, kind, rules, json.text);
          for (const reading of readings) {
            if (reading.json === undefined) continue;
            kept++;
            expectSameMetrics(reading.json, reading.metrics);
          }
        }),
      ),
      { numRuns },
    );
    expect(kept).toBeGreaterThan(numRuns / 50); // the common shape did take the short way
  });

  it('gives the same verdict on epoch-ms and ISO time (the fast path and the schema agree)', () => {
    fc.assert(
      fc.property(
        nearTelemetry,
        fc.integer({ min: now.getTime() - 40 * 86_400_000, max: now.getTime() + 3_600_000 }),
        counted(([kind, reading]: [(typeof kinds)[number], Record<string, unknown>], ts: number) => {
          // A metric named __proto__ is refused by both paths, as UNKNOWN_METRIC by the fast one and
          // VALIDATION_FAILED by zod: left to the ingest owner, so not compared here.
          fc.pre(!Object.hasOwn(reading.metrics as object, '__proto__'));
          const base = JSON.parse(JSON.stringify({ metrics: reading.metrics, seq: 1 }));
          const epoch = parseTelemetry({ ...base, ts }, kind, rules);
          const iso = parseTelemetry({ ...base, ts: new Date(ts).toISOString() }, kind, rules);
          expect(epoch.readings).toEqual(iso.readings);
          expect(epoch.refusals.map((r) => r.reason)).toEqual(iso.refusals.map((r) => r.reason));
        }),
      ),
      { numRuns },
    );
  });

  it('reads any status or event payload or refuses it with a reason', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.record(
            {
              ts: timestamp,
              online: fc.oneof(fc.boolean(), fc.jsonValue()),
              battery_pct: fc.jsonValue(),
              fw: fc.jsonValue(),
            },
            { requiredKeys: [] },
          ),
          fc.record(
            {
              ts: timestamp,
              type: fc.oneof(fc.constantFrom('tamper', 'cmd_result', 'Bad Type'), fc.string()),
              data: fc.jsonValue(),
              id: fc.jsonValue(),
            },
            { requiredKeys: [] },
          ),
        ),
        counted((value: unknown) => {
          const json = JSON.parse(JSON.stringify(value) ?? 'null');
          for (const result of [parseStatus(json, rules), parseEvent(json, rules)]) {
            if ('reason' in result) expectRefusal(result);
            else expect(Number.isNaN(result.ts.getTime())).toBe(false);
          }
        }),
      ),
      { numRuns },
    );
  });
});

describe('payloads through the real broker under fuzzing', () => {
  let app: TestApp;
  const device = {
    id: 'ha-ma-env-9701',
    kind: 'environment',
    city: 'hoi-an',
    ward: 'phuong-hoi-an',
    lat: 15.877,
    lon: 108.328,
    pole: null,
    zone: null,
    name: 'Trạm thử fuzz',
  } as const;
  let secret: string;
  beforeAll(async () => {
    app = await startTestApp();
    secret = (await app.registry.create(device)).secret;
  });
  afterAll(async () => {
    await app?.close();
    // The issue asks for the number of fuzz cases run; vitest prints this with the file's output.
    console.log(`payload fuzz cases run: ${casesRun}`);
  });

  const outcomes = async () => {
    const dead = (await app.metrics.deadLetters.get()).values.reduce((sum, v) => sum + v.value, 0);
    const stored = (await app.metrics.readingsAccepted.get()).values.reduce((sum, v) => sum + v.value, 0);
    return dead + stored;
  };

  it('ends every published payload stored or as a dead letter, and keeps the connection', async () => {
    const client = await connectDevice(app.mqttUrl, device.id, secret);
    const channel = fc.constantFrom('telemetry', 'status', 'event', 'cmd', 'nonsense');
    const payload = fc.oneof(
      fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)),
      fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
      nearTelemetry.map(([, v]) => Buffer.from(JSON.stringify(v) ?? 'null')),
    );
    await fc.assert(
      fc.asyncProperty(channel, payload, async (ch, bytes) => {
        casesRun++;
        const before = await outcomes();
        await publish(client, `ioc/hoi-an/environment/${device.id}/${ch}`, bytes, 1);
        expect(await outcomes()).toBeGreaterThan(before);
        expect(client.connected).toBe(true);
      }),
      { numRuns: 300 },
    );
    client.end(true);
  });
});
