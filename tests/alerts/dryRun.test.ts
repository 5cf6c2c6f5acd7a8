// "What would this rule have done" on the running system: backlogs published over real MQTT are
// stored by ingest, then replayed through the engine's own decisions by the dry-run routes; the
// answers are the alerts counted by hand from the timelines below.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuleDryRun, type DryRunLimits } from '../../src/alerts/dryRun.ts';
import { RuleInput, weekdays } from '../../src/alerts/ruleParams.ts';
import { ruleOf, typedRule } from '../../src/alerts/rules.ts';
import { localParts } from '../../src/standards/time.ts';
import { createRuleHistoryQueries } from '../../src/storage/ruleHistory.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';

let app: TestApp;
let admin: Record<string, string>;
const clients: MqttClient[] = [];
const minute = 60_000;
const hour = 3_600_000;
const place = {
  city: 'hoi-an',
  ward: 'phuong-hoi-an',
  lat: 15.8772,
  lon: 108.3281,
  pole: null,
  zone: null,
} as const;
const noise = { ...place, id: 'ha-dry-noise-01', kind: 'noise', name: 'Tiếng ồn – Trần Hưng Đạo' } as const;
const station = { ...place, id: 'ha-dry-env-01', kind: 'environment', name: 'Trạm – Bạch Đằng' } as const;
const bin = { ...place, id: 'ha-dry-waste-01', kind: 'waste', name: 'Thùng rác – Phan Châu Trinh' } as const;

/** Publishes a backlog as one array payload and waits until ingest has stored all of it. */
async function backlog(
  device: { id: string; kind: string },
  readings: Array<[number, Record<string, number>]>,
) {
  const { secret } = await app.registry.create(device as typeof noise);
  const client = await connectDevice(app.mqttUrl, device.id, secret);
  clients.push(client);
  const payload = readings.map(([ts, metrics]) => ({ ts, metrics }));
  await publish(client, `ioc/hoi-an/${device.kind}/${device.id}/telemetry`, JSON.stringify(payload));
  await eventually(
    async () =>
      (
        await app.pool.query('SELECT count(*)::int AS n FROM telemetry_messages WHERE device_id = $1', [
          device.id,
        ])
      ).rows[0].n,
    (n) => n === readings.length,
  );
}

const texts = { severity: 'warning', messageVi: 'Cảnh báo {name}', messageEn: 'Alert {name}' } as const;
const loud = {
  name: 'Ồn quá 70 dBA trong 2 phút',
  type: 'threshold',
  metric: 'laeq_db',
  comparison: '>',
  threshold: 70,
  clearValue: 65,
  forS: 120,
  deviceId: noise.id,
  ...texts,
};
const dryRun = (body: unknown, query = '') =>
  app.request('POST', `/api/v1/rules/dry-run${query}`, admin, body);
const iso = (t: number) => new Date(t).toISOString();

// Noise, one reading a minute from T: three crossings that hold 2 minutes or more, one that does not.
const T = Math.floor((Date.now() - 20 * hour) / minute) * minute;
const noiseTimeline: Array<[number, number]> = [];
const at = (from: number, to: number, laeq: number) => {
  for (let m = from; m <= to; m++) noiseTimeline.push([m, laeq]);
};
at(0, 9, 60);
at(10, 14, 75); // held from minute 10: opens at 12; 13 and 14 repeat it
at(15, 15, 68); // between the clear value and the threshold: stays open
at(16, 29, 60); // clears at 16
at(30, 31, 80); // one minute only: under forS, no alert
at(32, 39, 60);
at(40, 42, 80); // opens at 42
at(43, 59, 50); // clears at 43
at(60, 65, 72); // opens at 62, repeats at 63-65
at(66, 67, 69); // under the threshold, over the clear value: still open at the end

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.login();
  await backlog(
    noise,
    noiseTimeline.map(([m, laeq]) => [T + m * minute, { laeq_db: laeq }]),
  );
});
afterAll(async () => {
  for (const c of clients) c.end(true);
  await app.close();
});

describe('a threshold rule', () => {
  it('counts the crossings held for forS over the last day, with their open and clear times', async () => {
    const res = await dryRun(loud);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      ruleId: null,
      hours: 24,
      devices: 1,
      readings: noiseTimeline.length,
      alerts: 3,
      complete: true,
      stoppedBy: null,
    });
    expect(res.body.elapsedMs).toEqual(expect.any(Number));
    expect(Date.parse(res.body.to) - Date.parse(res.body.from)).toBe(24 * hour);
    expect(res.body.items).toEqual([
      {
        deviceId: noise.id,
        name: noise.name,
        alerts: 3,
        episodes: [
          { openedAt: iso(T + 12 * minute), clearedAt: iso(T + 16 * minute), value: 75, repeats: 2 },
          { openedAt: iso(T + 42 * minute), clearedAt: iso(T + 43 * minute), value: 80, repeats: 0 },
          { openedAt: iso(T + 62 * minute), clearedAt: null, value: 72, repeats: 3 },
        ],
      },
    ]);
  });

  it('lists the first N alerts of a device but counts them all', async () => {
    const res = await dryRun(loud, '?first=1');
    expect(res.body.alerts).toBe(3);
    expect(res.body.items[0].episodes).toHaveLength(1);
  });

  it('looks back only as many hours as asked', async () => {
    const res = await dryRun(loud, '?hours=1');
    expect(res.body).toMatchObject({ alerts: 0, readings: 0, items: [] });
    expect((await dryRun(loud, '?hours=169')).status).toBe(400);
  });

  it('keeps to the schedule: no alert on weekdays the rule is not active', async () => {
    const readingDays = new Set([
      localParts(new Date(T)).dayOfWeek,
      localParts(new Date(T + 70 * minute)).dayOfWeek,
    ]);
    const days = weekdays.filter((_, i) => !readingDays.has(i));
    const res = await dryRun({ ...loud, days });
    expect(res.body).toMatchObject({ alerts: 0, readings: noiseTimeline.length });
  });

  it('runs a saved rule as stored, or with changes that are not saved', async () => {
    const saved = await app.request('POST', '/api/v1/rules', admin, { ...loud, threshold: 90 });
    expect(saved.status).toBe(201);
    const path = `/api/v1/rules/${saved.body.id}/dry-run`;
    const asStored = await app.request('POST', path, admin);
    expect(asStored.body).toMatchObject({ ruleId: saved.body.id, alerts: 0 });
    const changed = await app.request('POST', path, admin, { threshold: 70 });
    expect(changed.body).toMatchObject({ ruleId: saved.body.id, alerts: 3 });
    expect((await app.request('GET', `/api/v1/rules/${saved.body.id}`, admin)).body.threshold).toBe(90);
    const refused = await app.request('POST', path, admin, { params: { rise: 8 } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details.en).toContain(
      'body.params.rise: is not a field of a rule of type threshold',
    );
    expect((await app.request('POST', '/api/v1/rules/999999/dry-run', admin)).status).toBe(404);
  });

  it('is for admins, and refuses a rule that cannot be replayed, in both languages', async () => {
    const operator = await app.loginAs('operator');
    expect((await app.request('POST', '/api/v1/rules/dry-run', operator, loud)).status).toBe(403);
    const system = await dryRun({ name: 'Sao lưu', type: 'system', params: { check: 'backup' }, ...texts });
    expect(system.status).toBe(400);
    expect(system.body.error.details).toMatchObject({
      vi: expect.stringContaining('Quy tắc hệ thống'),
      en: expect.stringContaining('nothing to replay'),
    });
  });
});

describe('a VN_AQI rule', () => {
  // Two hours of PM2.5 at 120 µg/m³ and a reading that completes the second: NowCast 120 gives
  // VN_AQI 179 (Xấu, band 4) for that hour, as in the engine's own test; the first hour alone gives none.
  const hourStart = Math.floor(Date.now() / hour) * hour - 7 * hour;
  // The first reading after the two hours completes the second, whenever it comes.
  const completes = hourStart + 6 * hour + minute;
  const readings: Array<[number, Record<string, number>]> = [];
  for (const h of [0, 1])
    for (const m of [5, 25, 45])
      readings.push([hourStart + h * hour + m * minute, { pm25: 120, pm10: 150, no2: 40 }]);
  readings.push([completes, { pm25: 118 }]);
  const bad = { name: 'AQI xấu', type: 'aqi', kind: 'environment', params: { minBand: 4 }, ...texts };

  beforeAll(() => backlog(station, readings));

  it('opens when the completed hour reaches the band, with the hour’s VN_AQI', async () => {
    const res = await dryRun(bad);
    expect(res.body).toMatchObject({ devices: 1, readings: readings.length, alerts: 1 });
    expect(res.body.items[0].episodes).toEqual([
      { openedAt: iso(completes), clearedAt: null, value: 179, repeats: 0 },
    ]);
    expect((await dryRun({ ...bad, params: { minAqi: 180 } })).body.alerts).toBe(0);
    expect((await dryRun({ ...bad, params: { minAqi: 179 } })).body.alerts).toBe(1);
  });

  it('reads the hours before the range for NowCast without judging them', async () => {
    // From 5 hours ago: the two polluted hours are before it, the reading that completes them is in it.
    const res = await dryRun(bad, '?hours=5');
    expect(res.body).toMatchObject({ readings: 1, alerts: 1 });
  });
});

describe('a silence rule', () => {
  // A waste bin every 5 minutes from T0, silent 60 minutes (alert), then 20 (none: the rule
  // allows 30), then quiet from T0 + 240 minutes to now (alert, still open).
  const T0 = Math.floor((Date.now() - 10 * hour) / minute) * minute;
  const minutes = [
    ...Array.from({ length: 13 }, (_, i) => i * 5),
    ...Array.from({ length: 13 }, (_, i) => 120 + i * 5),
    ...Array.from({ length: 9 }, (_, i) => 200 + i * 5),
  ];
  const silent = {
    name: 'Im lặng 30 phút',
    type: 'offline',
    deviceId: bin.id,
    params: { minutes: 30 },
    ...texts,
  };

  beforeAll(() =>
    backlog(
      bin,
      minutes.map((m) => [T0 + m * minute, { fill_pct: 40 }]),
    ),
  );

  it('opens once a device is silent longer than the rule allows, and clears when it speaks again', async () => {
    const res = await dryRun(silent);
    expect(res.body).toMatchObject({ devices: 1, readings: minutes.length, alerts: 2 });
    const [gap, end] = res.body.items[0].episodes;
    // The sweep sees the silence once it is longer than 30 minutes: just after last + 30 minutes.
    expect(Date.parse(gap.openedAt) - (T0 + 90 * minute)).toBeLessThan(1_000);
    expect(gap.clearedAt).toBe(iso(T0 + 120 * minute));
    expect(Date.parse(end.openedAt) - (T0 + 270 * minute)).toBeLessThan(1_000);
    expect(end.clearedAt).toBeNull();
    // By reporting intervals instead: 3 × 300 s = 15 minutes, so the 20-minute gap counts too.
    expect((await dryRun({ ...silent, params: { intervals: 3 } })).body.alerts).toBe(3);
  });
});

describe('device events and the last will', () => {
  const box = { ...place, id: 'ha-dry-waste-02', kind: 'waste', name: 'Thùng rác – Lê Lợi' } as const;
  const rowsOf = async (table: string) =>
    (await app.pool.query(`SELECT count(*)::int AS n FROM ${table} WHERE device_id = $1`, [box.id])).rows[0]
      .n;
  let secret: string;
  beforeAll(async () => {
    secret = (await app.registry.create(box)).secret;
  });

  it('opens an event rule on the first matching event, later ones repeating it', async () => {
    const client = await connectDevice(app.mqttUrl, box.id, secret);
    clients.push(client);
    const t = Date.now() - 2 * hour;
    for (const [ts, type] of [
      [t, 'tamper'],
      [t + minute, 'lid_open'],
      [t + 2 * minute, 'tamper'],
    ] as const)
      await publish(client, `ioc/hoi-an/waste/${box.id}/event`, JSON.stringify({ ts, type, data: {} }));
    await eventually(
      () => rowsOf('device_events'),
      (n) => n === 3,
    );
    const res = await dryRun({
      name: 'Can thiệp',
      type: 'event',
      deviceId: box.id,
      params: { eventType: 'tamper' },
      ...texts,
    });
    expect(res.body).toMatchObject({ events: 2, alerts: 1 });
    expect(res.body.items[0].episodes).toEqual([
      { openedAt: iso(t), clearedAt: null, value: null, repeats: 1 },
    ]);
  });

  it('opens a last-will rule only when the device stays gone longer than forS', async () => {
    const dropping = await connectDevice(app.mqttUrl, box.id, secret, {
      will: { topic: `ioc/hoi-an/waste/${box.id}/status`, payload: Buffer.from('{"online":false}'), qos: 1 },
    });
    dropping.stream.destroy();
    await eventually(
      () => rowsOf('device_status_changes'),
      (n) => n >= 1,
    );
    const back = await connectDevice(app.mqttUrl, box.id, secret);
    clients.push(back);
    await publish(back, `ioc/hoi-an/waste/${box.id}/status`, JSON.stringify({ online: true }));
    await eventually(
      () => rowsOf('device_status_changes'),
      (n) => n >= 2,
    );
    const lost = { name: 'Mất kết nối', type: 'last_will', deviceId: box.id, ...texts };
    const atOnce = await dryRun({ ...lost, forS: 0 });
    expect(atOnce.body).toMatchObject({ statusChanges: 2, alerts: 1 });
    expect(atOnce.body.items[0].episodes[0].clearedAt).not.toBeNull();
    // Back within seconds: a minute's grace opens nothing.
    expect((await dryRun({ ...lost, forS: 60 })).body.alerts).toBe(0);
  });
});

describe('bounds', () => {
  const replayer = (limits: Partial<DryRunLimits>) =>
    createRuleDryRun({
      queries: createRuleHistoryQueries(app.pool),
      registry: app.registry,
      catalog: app.catalog,
      clock: () => new Date(),
      limits,
    });
  const rule = () => typedRule(ruleOf(RuleInput.parse(loud)));

  it('stops after the readings it may replay, or when the caller hangs up, and says so', async () => {
    const capped = await replayer({ maxReadings: 10, pageRows: 5 }).run(rule(), { hours: 24, first: 5 });
    expect(capped).toMatchObject({ complete: false, stoppedBy: 'readings', readings: 10 });
    const cancelled = await replayer({}).run(rule(), { hours: 24, first: 5, signal: AbortSignal.abort() });
    expect(cancelled).toMatchObject({ complete: false, stoppedBy: 'cancelled', alerts: 0 });
  });

  it('refuses a scope wider than the devices it may replay, asking to narrow it', async () => {
    const wide = typedRule(ruleOf(RuleInput.parse({ ...loud, deviceId: undefined, kind: 'noise' })));
    await expect(replayer({ maxDevices: 0 }).run(wide, { hours: 24, first: 5 })).rejects.toThrow(
      /thu hẹp phạm vi.*narrow its scope/,
    );
  });
});
