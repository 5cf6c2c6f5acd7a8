// Device profiles on the running system: a kind added through the API, with no code change, is
// registered, published over real MQTT, validated, stored, shown live and over REST, judged by a rule
// and simulated; the shipped kinds stay as devices/kinds says.
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFleet } from '../../simulators/fleet.ts';
import { catalogWithProfiles, fetchProfiles } from '../../simulators/profiles.ts';
import { profileRecord, readKindFiles } from '../../src/profiles/seed.ts';
import { startTestApp, type TestApp, testAdminPassword } from '../helpers/app.ts';
import { liveConsole, nextEvent } from '../helpers/live.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';

let app: TestApp;
let admin: Record<string, string>;
const sockets: Socket[] = [];

const riverGauge = {
  id: 'river-gauge',
  name: { vi: 'Trạm đo mực nước sông', en: 'River gauge' },
  description: {
    vi: 'Cảm biến mực nước sông đặt tại cầu, chạy pin.',
    en: 'Battery-powered river water level sensor on a bridge.',
  },
  reportingIntervalS: 300,
  metrics: {
    water_level_cm: {
      name: { vi: 'Mực nước sông', en: 'River water level' },
      unit: 'cm',
      type: 'number',
      min: 0,
      max: 1000,
    },
    battery_pct: { name: { vi: 'Pin', en: 'Battery' }, unit: '%', type: 'number', min: 0, max: 100 },
  },
  primaryMetrics: ['water_level_cm'],
  ngsiLdType: 'WaterObserved',
};

const gauge = {
  id: 'tn-river-gauge-0001',
  kind: 'river-gauge',
  city: 'tay-ninh',
  ward: 'phuong-tan-ninh',
  lat: 11.3106,
  lon: 106.0972,
  name: 'Trạm đo mực nước – Cầu Quan',
};

const readingsOf = async (deviceId: string) =>
  (
    await app.pool.query<{ metric: string; value: number }>(
      'SELECT metric, value FROM telemetry WHERE device_id = $1 ORDER BY time, metric',
      [deviceId],
    )
  ).rows;

const deadLettersOf = async (deviceId: string) =>
  (
    await app.pool.query<{ reason: string; message: string }>(
      'SELECT reason, message FROM dead_letters WHERE device_id = $1 ORDER BY id',
      [deviceId],
    )
  ).rows;

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.login();
});
afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await app.close();
});

describe('device profiles', () => {
  it('seeds the six shipped kinds as devices/kinds says, and the catalogue lists them', async () => {
    const viewer = await app.loginAs('viewer');
    const listed = await app.request('GET', '/api/v1/profiles', viewer);
    expect(listed.status).toBe(200);
    const shipped = readKindFiles().map(profileRecord);
    expect(listed.body.items.map((p: any) => p.id)).toEqual(shipped.map((p) => p.id));
    for (const record of shipped)
      expect(listed.body.items.find((p: any) => p.id === record.id)).toEqual({
        ...record,
        origin: 'seed',
        devices: 0,
      });
    const catalog = await app.request('GET', '/api/v1/catalog', viewer);
    expect(catalog.body.kinds.map((k: any) => k.kind).sort()).toEqual(shipped.map((p) => p.id).sort());
  });

  it('lets an admin add, replace and delete a profile; an operator and a viewer only read', async () => {
    const operator = await app.loginAs('operator');
    const draft = { ...riverGauge, id: 'draft-kind' };
    expect((await app.request('POST', '/api/v1/profiles', operator, draft)).status).toBe(403);
    expect((await app.request('POST', '/api/v1/profiles', await app.loginAs('viewer'), draft)).status).toBe(
      403,
    );
    const created = await app.request('POST', '/api/v1/profiles', admin, draft);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: 'draft-kind',
      origin: 'admin',
      primaryMetrics: ['water_level_cm'],
    });
    expect((await app.request('POST', '/api/v1/profiles', admin, draft)).body.error.code).toBe('CONFLICT');
    const { id: _id, ...body } = draft;
    expect((await app.request('PUT', '/api/v1/profiles/draft-kind', operator, body)).status).toBe(403);
    expect((await app.request('DELETE', '/api/v1/profiles/draft-kind', operator)).status).toBe(403);
    expect((await app.request('GET', '/api/v1/profiles/draft-kind', operator)).status).toBe(200);
    expect((await app.request('DELETE', '/api/v1/profiles/draft-kind', admin)).status).toBe(204);
    expect((await app.request('GET', '/api/v1/profiles/draft-kind', operator)).status).toBe(404);
  });

  it('refuses a profile whose ranges, primary metrics or id do not hold together', async () => {
    const bad = [
      {
        ...riverGauge,
        id: 'upside-down',
        metrics: { x: { ...riverGauge.metrics.battery_pct, min: 5, max: 1 } },
      },
      { ...riverGauge, id: 'no-such-primary', primaryMetrics: ['flow_m3s'] },
      { ...riverGauge, id: 'system' },
      { ...riverGauge, id: 'Bad/Topic' },
      { ...riverGauge, id: 'empty', metrics: {} },
    ];
    for (const body of bad) {
      const res = await app.request('POST', '/api/v1/profiles', admin, body);
      expect(res.status, body.id).toBe(400);
    }
  });

  describe('a river gauge added through the API', () => {
    let secret: string;

    beforeAll(async () => {
      expect((await app.request('POST', '/api/v1/profiles', admin, riverGauge)).status).toBe(201);
      const registered = await app.request('POST', '/api/v1/devices', admin, gauge);
      expect(registered.status).toBe(201);
      secret = registered.body.credentials.secret;
    });

    it('refuses a device of a kind that is no profile, in Vietnamese and English', async () => {
      const res = await app.request('POST', '/api/v1/devices', admin, {
        ...gauge,
        id: 'tn-parking-0001',
        kind: 'parking',
      });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toMatchObject({
        vi: expect.stringContaining('Không có hồ sơ thiết bị'),
        en: expect.stringContaining('no device profile'),
      });
    });

    it('stores a reading published over MQTT, shows it live and over REST, and dead-letters one out of range', async () => {
      const token = admin.authorization!.slice('Bearer '.length);
      const socket = liveConsole(app.baseUrl, token, sockets);
      await nextEvent(socket, 'snapshot');
      const live = nextEvent<any[]>(socket, 'telemetry', (batch) =>
        batch.some((e) => e.deviceId === gauge.id),
      );
      const client = await connectDevice(app.mqttUrl, gauge.id, secret);
      const topic = `ioc/${gauge.city}/river-gauge/${gauge.id}/telemetry`;
      const ts = Date.now() - 60_000;
      await publish(
        client,
        topic,
        JSON.stringify({ ts, metrics: { water_level_cm: 212.5, battery_pct: 88 } }),
      );
      expect(
        await eventually(
          () => readingsOf(gauge.id),
          (rows) => rows.length === 2,
        ),
      ).toEqual([
        { metric: 'battery_pct', value: 88 },
        { metric: 'water_level_cm', value: 212.5 },
      ]);
      const batch = await live;
      expect(batch.find((e) => e.deviceId === gauge.id).metrics).toEqual({
        water_level_cm: 212.5,
        battery_pct: 88,
      });
      const rest = await app.request('GET', `/api/v1/devices/${gauge.id}`, admin);
      expect(rest.body.kind).toBe('river-gauge');
      expect(rest.body.latest.water_level_cm).toMatchObject({ value: 212.5, unit: 'cm' });
      const snapshot = await nextEvent<any>(liveConsole(app.baseUrl, token, sockets), 'snapshot');
      expect(snapshot.devices.find((d: any) => d.id === gauge.id).metrics).toMatchObject({
        water_level_cm: 212.5,
      });

      await publish(client, topic, JSON.stringify({ ts: ts + 1000, metrics: { water_level_cm: 1500 } }));
      await publish(client, topic, JSON.stringify({ ts: ts + 2000, metrics: { flow_m3s: 3 } }));
      const letters = await eventually(
        () => deadLettersOf(gauge.id),
        (rows) => rows.length === 2,
      );
      expect(letters.map((l) => l.reason)).toEqual(['OUT_OF_RANGE', 'UNKNOWN_METRIC']);
      expect(letters[0]!.message).toContain('water_level_cm=1500 (plausible 0..1000 cm)');
      client.end(true);
    });

    it('applies an edited range from the next message on', async () => {
      const { id: _id, ...body } = riverGauge;
      const wider = {
        ...body,
        metrics: { ...body.metrics, water_level_cm: { ...body.metrics.water_level_cm, max: 2000 } },
      };
      const replaced = await app.request('PUT', '/api/v1/profiles/river-gauge', admin, wider);
      expect(replaced.status).toBe(200);
      expect(replaced.body.metrics.water_level_cm.max).toBe(2000);
      const client = await connectDevice(app.mqttUrl, gauge.id, secret);
      const topic = `ioc/${gauge.city}/river-gauge/${gauge.id}/telemetry`;
      await publish(
        client,
        topic,
        JSON.stringify({ ts: Date.now() - 30_000, metrics: { water_level_cm: 1500 } }),
      );
      const rows = await eventually(
        () => readingsOf(gauge.id),
        (r) => r.some((x) => x.value === 1500),
      );
      expect(rows.filter((x) => x.metric === 'water_level_cm').map((x) => x.value)).toContain(1500);
      client.end(true);
    });

    it('raises an alert from a threshold rule on one of its metrics', async () => {
      const rule = await app.request('POST', '/api/v1/rules', admin, {
        name: 'River above flood alarm level',
        type: 'threshold',
        metric: 'water_level_cm',
        comparison: '>=',
        threshold: 450,
        severity: 'critical',
        kind: 'river-gauge',
        messageVi: 'Mực nước sông {value} cm tại {name}',
        messageEn: 'River at {value} cm at {name}',
      });
      expect(rule.status).toBe(201);
      const elsewhere = await app.request('POST', '/api/v1/rules', admin, {
        name: 'Dust at the river',
        type: 'threshold',
        metric: 'pm25',
        comparison: '>',
        threshold: 50,
        severity: 'warning',
        kind: 'river-gauge',
        messageVi: 'Bụi {value}',
        messageEn: 'Dust {value}',
      });
      expect(elsewhere.status).toBe(400);
      expect(elsewhere.body.error.details.en).toContain('has no metric "pm25"');
      const client = await connectDevice(app.mqttUrl, gauge.id, secret);
      await publish(
        client,
        `ioc/${gauge.city}/river-gauge/${gauge.id}/telemetry`,
        JSON.stringify({ ts: Date.now() - 10_000, metrics: { water_level_cm: 480 } }),
      );
      const alerts = await eventually(
        async () => (await app.request('GET', `/api/v1/alerts?deviceId=${gauge.id}`, admin)).body.items,
        (items: any[]) => items.length > 0,
      );
      expect(alerts[0]).toMatchObject({ state: 'open', severity: 'critical', kind: 'river-gauge' });
      expect(alerts[0].messageVi ?? alerts[0].message?.vi).toContain('480 cm');
      client.end(true);
    });

    it('is simulated from the profile the IOC serves, within its ranges', async () => {
      const catalog = catalogWithProfiles(
        await fetchProfiles({ url: app.baseUrl, user: 'admin', password: testAdminPassword }),
      );
      const simulated = { ...gauge, id: 'tn-river-gauge-0002', name: 'Trạm đo mực nước – Cầu Thái Hòa' };
      const registered = await app.request('POST', '/api/v1/devices', admin, simulated);
      expect(registered.status).toBe(201);
      const fleet = runFleet({
        mqttUrl: app.mqttUrl,
        devices: [
          {
            id: simulated.id,
            kind: 'river-gauge',
            city: simulated.city,
            topicPrefix: `ioc/${simulated.city}/river-gauge/${simulated.id}/`,
            secret: registered.body.credentials.secret,
          },
        ],
        catalog,
        rate: 20,
        qos: 1,
        seed: 7,
        reportAtOnce: true,
      });
      try {
        const rows = await eventually(
          () => readingsOf(simulated.id),
          (r) => r.length >= 20,
          15_000,
        );
        expect(rows.length).toBeGreaterThanOrEqual(20);
        for (const { metric, value } of rows) {
          const { min, max } = catalog.kind('river-gauge').metrics[metric]!;
          expect(value).toBeGreaterThanOrEqual(min);
          expect(value).toBeLessThanOrEqual(max);
        }
        expect(await deadLettersOf(simulated.id)).toEqual([]);
      } finally {
        await fleet.stop();
      }
    });

    it('refuses to delete the profile while a device is of it, then deletes it once none is', async () => {
      const refused = await app.request('DELETE', '/api/v1/profiles/river-gauge', admin);
      expect(refused.status).toBe(409);
      expect(refused.body.error.details).toMatchObject({
        devices: 2,
        vi: expect.stringContaining('Không xóa được hồ sơ'),
        en: expect.stringContaining('cannot be deleted'),
      });
      for (const id of [gauge.id, 'tn-river-gauge-0002'])
        expect((await app.request('DELETE', `/api/v1/devices/${id}`, admin)).status).toBe(204);
      expect((await app.request('DELETE', '/api/v1/profiles/river-gauge', admin)).status).toBe(204);
      expect(app.catalog.kinds.has('river-gauge')).toBe(false);
    });
  });

  it('keeps an admin edit of a shipped profile over a later start, and refreshes the ones still as shipped', async () => {
    const {
      id: _id,
      origin: _origin,
      devices: _devices,
      ...noise
    } = (await app.request('GET', '/api/v1/profiles/noise', admin)).body;
    const edited = { ...noise, reportingIntervalS: 120 };
    expect((await app.request('PUT', '/api/v1/profiles/noise', admin, edited)).status).toBe(200);
    await app.pool.query(`UPDATE device_profiles SET name_en = 'stale' WHERE id = 'fire'`);
    await app.profiles.start();
    expect(app.profiles.get('noise')).toMatchObject({ reportingIntervalS: 120, origin: 'admin' });
    expect(app.catalog.kind('noise').reportingIntervalS).toBe(120);
    expect(app.profiles.get('fire')?.name.en).toBe(readKindFiles().find((k) => k.kind === 'fire')!.name.en);
  });
});
