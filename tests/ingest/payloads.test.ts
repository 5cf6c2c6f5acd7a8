import { describe, expect, it } from 'vitest';
import type { KindDefinition } from '../../src/catalog/schema.ts';
import { parseEvent, parseJson, parseStatus, parseTelemetry } from '../../src/ingest/payloads.ts';

const environment: KindDefinition = {
  kind: 'environment',
  name: { vi: 'Trạm môi trường', en: 'Environment station' },
  description: { vi: 'x', en: 'x' },
  reportingIntervalS: 60,
  metrics: {
    pm25: { name: { vi: 'PM2.5', en: 'PM2.5' }, unit: 'µg/m³', type: 'number', min: 0, max: 1000 },
    temp_c: { name: { vi: 'Nhiệt độ', en: 'Temperature' }, unit: '°C', type: 'number', min: -10, max: 60 },
  },
};
const fire: KindDefinition = {
  ...environment,
  kind: 'fire',
  metrics: { alarm: { name: { vi: 'Báo cháy', en: 'Alarm' }, unit: '', type: 'flag', min: 0, max: 1 } },
};

const now = new Date('2026-11-22T10:00:00Z');
const rules = { now, maxFutureMs: 300_000, maxAgeMs: 30 * 86_400_000 };

describe('telemetry payloads', () => {
  it('reads a single message with an ISO time and a sequence number', () => {
    const { readings, refusals } = parseTelemetry(
      { ts: '2026-11-22T09:59:00Z', seq: 42, metrics: { pm25: 41.2, temp_c: 31.5 } },
      environment,
      rules,
    );
    expect(refusals).toEqual([]);
    expect(readings).toEqual([
      { ts: new Date('2026-11-22T09:59:00Z'), seq: 42, metrics: { pm25: 41.2, temp_c: 31.5 } },
    ]);
  });

  it('accepts epoch milliseconds and takes the receive time when ts is missing', () => {
    const epoch = parseTelemetry({ ts: now.getTime() - 1000, metrics: { pm25: 1 } }, environment, rules);
    expect(epoch.readings[0]?.ts).toEqual(new Date(now.getTime() - 1000));
    const missing = parseTelemetry({ metrics: { pm25: 1 } }, environment, rules);
    expect(missing.readings[0]?.ts).toEqual(now);
  });

  it('judges each item of a backlog array on its own', () => {
    const { readings, refusals } = parseTelemetry(
      [
        { ts: '2026-11-22T09:00:00Z', metrics: { pm25: 10 } },
        { ts: '2026-11-22T09:01:00Z', metrics: { pm25: 'high' } },
        { ts: '2026-11-22T09:02:00Z', metrics: { pm25: 12 } },
      ],
      environment,
      rules,
    );
    expect(readings.map((r) => r.metrics.pm25)).toEqual([10, 12]);
    expect(refusals).toEqual([
      { reason: 'VALIDATION_FAILED', message: expect.stringMatching(/metrics\.pm25/), item: 1 },
    ]);
  });

  it.each([
    [{ ts: '2026-11-22T10:06:00Z', metrics: { pm25: 1 } }, 'TS_IN_FUTURE'],
    [{ ts: '1970-01-01T00:00:00Z', metrics: { pm25: 1 } }, 'TS_TOO_OLD'],
    [{ ts: 'yesterday', metrics: { pm25: 1 } }, 'VALIDATION_FAILED'],
    [{ metrics: {} }, 'VALIDATION_FAILED'],
    [{ metrics: { noise_db: 50 } }, 'UNKNOWN_METRIC'],
    [{ values: { pm25: 1 } }, 'VALIDATION_FAILED'],
    [[], 'VALIDATION_FAILED'],
    ['pm25=4', 'VALIDATION_FAILED'],
  ])('refuses %j as %s', (payload, reason) => {
    const { readings, refusals } = parseTelemetry(payload, environment, rules);
    expect(readings).toEqual([]);
    expect(refusals[0]?.reason).toBe(reason);
  });

  it('drops only the metric outside its plausible range and keeps the rest', () => {
    const { readings, refusals } = parseTelemetry({ metrics: { pm25: 35, temp_c: 999 } }, environment, rules);
    expect(readings).toEqual([{ ts: now, seq: undefined, metrics: { pm25: 35 } }]);
    expect(refusals).toEqual([{ reason: 'OUT_OF_RANGE', message: expect.stringContaining('temp_c=999') }]);
  });

  it('judges each item of a backlog alone: an unknown metric refuses its item before any range check', () => {
    const { readings, refusals } = parseTelemetry(
      [
        { metrics: { pm25: 35, temp_c: 20 } },
        { metrics: { pm25: 5000, noise_db: 50 } },
        { metrics: { temp_c: 999, pm25: 12 } },
      ],
      environment,
      rules,
    );
    expect(readings).toEqual([
      { ts: now, seq: undefined, metrics: { pm25: 35, temp_c: 20 } },
      { ts: now, seq: undefined, metrics: { pm25: 12 } },
    ]);
    expect(refusals).toEqual([
      {
        reason: 'UNKNOWN_METRIC',
        message: 'environment has no metric noise_db; known: pm25, temp_c',
        item: 1,
      },
      { reason: 'OUT_OF_RANGE', message: 'dropped temp_c=999 (plausible -10..60 °C)', item: 2 },
    ]);
  });

  it('requires flags to be exactly 0 or 1', () => {
    expect(parseTelemetry({ metrics: { alarm: 1 } }, fire, rules).readings).toHaveLength(1);
    expect(parseTelemetry({ metrics: { alarm: 0.5 } }, fire, rules).refusals[0]?.reason).toBe('OUT_OF_RANGE');
  });

  it('reports text that is not JSON', () => {
    const result = parseJson(Buffer.from('{"metrics": {"pm25": 4'));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.refusal.reason).toBe('NOT_JSON');
  });
});

describe("a reading's metrics as the payload wrote them", () => {
  const read = (text: string) => {
    const json = parseJson(Buffer.from(text));
    if (!json.ok) throw new Error(json.refusal.message);
    return parseTelemetry(json.value, environment, rules, json.text).readings;
  };

  it('keeps the text of a plain message, spaces and all, so it is not written again', () => {
    expect(read(`{"ts":${now.getTime() - 1000},"seq":1,"metrics":{"pm25":41.5,"temp_c":-3}}`)[0]?.json).toBe(
      '{"pm25":41.5,"temp_c":-3}',
    );
    expect(read('{ "metrics" : {\n "pm25" : 41.5 }\n}')[0]?.json).toBe('{\n "pm25" : 41.5 }');
  });

  it('writes the object anew where the text could say something else or trouble the database', () => {
    for (const text of [
      '{"metrics":{"pm25":1e2}}', // float8 from text refuses 1e-400; no exponents at all
      '{"metrics":{"pm25":0.0000000000000000000001}}', // longer than 20 characters
      '{"metrics":{"pm\\u00325":4}}', // an escaped name
      '{"metrics":{"pm25":900,"pm25":4}}', // a name twice: JSON.parse keeps the last
      '{"metrics":{"pm25":900},"metrics":{"pm25":4}}', // metrics twice
      '{"metrics":{"pm25":4,"temp_c":999}}', // a value dropped: the reading has its own object
    ]) {
      const [reading] = read(text);
      expect(reading, text).toBeDefined();
      expect(reading?.json, text).toBeUndefined();
    }
  });

  it('keeps no text for the items of a backlog array', () => {
    expect(read('[{"metrics":{"pm25":4}},{"metrics":{"pm25":5}}]').map((r) => r.json)).toEqual([
      undefined,
      undefined,
    ]);
  });
});

describe('status and event payloads', () => {
  it('reads a status and keeps its details', () => {
    expect(parseStatus({ online: true, battery_pct: 88, rssi_dbm: -71, fw: '1.4.2' }, rules)).toEqual({
      ts: now,
      online: true,
      details: { battery_pct: 88, rssi_dbm: -71, fw: '1.4.2' },
    });
  });

  it('reads the last will {"online": false}', () => {
    expect(parseStatus({ online: false }, rules)).toEqual({ ts: now, online: false, details: {} });
  });

  it('refuses a status without online', () => {
    expect(parseStatus({ battery_pct: 50 }, rules)).toMatchObject({ reason: 'VALIDATION_FAILED' });
  });

  it('reads an event and keeps a command id', () => {
    expect(parseEvent({ type: 'cmd_result', id: 'c-1', data: { ok: true } }, rules)).toEqual({
      ts: now,
      type: 'cmd_result',
      data: { ok: true, id: 'c-1' },
    });
    expect(parseEvent({ type: 'Lamp Fault!' }, rules)).toMatchObject({ reason: 'VALIDATION_FAILED' });
  });
});
