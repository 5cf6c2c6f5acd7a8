// Two instances on one PostgreSQL (with a Redis of their own, started here): a device profile, an area
// or a unit an admin adds on one instance is known on the other at once, not after a periodic check,
// so the first message of a device of a new profile, received by the other instance, is stored and not
// refused as of an unknown kind.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let a: TestApp;
let b: TestApp;
let admin: Record<string, string>;

const riverGauge = {
  id: 'river-gauge',
  name: { vi: 'Trạm đo mực nước sông', en: 'River gauge' },
  description: { vi: 'Cảm biến mực nước sông đặt tại cầu.', en: 'River water level sensor on a bridge.' },
  reportingIntervalS: 300,
  metrics: {
    water_level_cm: {
      name: { vi: 'Mực nước sông', en: 'River water level' },
      unit: 'cm',
      type: 'number',
      min: 0,
      max: 1000,
    },
  },
  primaryMetrics: ['water_level_cm'],
};
const gauge = {
  id: 'tn-river-gauge-0101',
  kind: 'river-gauge',
  city: 'tay-ninh',
  ward: 'phuong-tan-ninh',
  lat: 11.3106,
  lon: 106.0972,
  name: 'Trạm đo mực nước – Cầu Quan',
};

beforeAll(async () => {
  redis = await startRedis();
  const shared = {
    JWT_SECRET: 'q7Rk2vN9pLx4Tz8WcYb3HmJd6FsGa5Ue1KoPiVnQ',
    REDIS_URL: redis.url,
    REDIS_PREFIX: `ioc-test-${randomBytes(6).toString('hex')}`,
  };
  a = await startTestApp({ ...shared, INSTANCE_ID: 'caches-a' });
  b = await startTestApp({ ...shared, INSTANCE_ID: 'caches-b' }, { databaseUrl: a.databaseUrl });
  admin = await a.login();
}, 60_000);
afterAll(async () => {
  await b?.close();
  await a?.close();
  await redis?.stop();
});

describe('places and profiles across instances', { timeout: 30_000 }, () => {
  it('stores, on instance B, the first reading of a device whose profile was created on A a moment before', async () => {
    expect((await a.request('POST', '/api/v1/profiles', admin, riverGauge)).status).toBe(201);
    const created = await a.request('POST', '/api/v1/devices', admin, gauge);
    expect(created.status).toBe(201);
    await eventually(async () => b.registry.get(gauge.id), Boolean);
    // The device is known on B, so its profile is too: no waiting for a periodic check.
    expect(b.profiles.get('river-gauge')?.metrics).toHaveProperty('water_level_cm');
    const device = await connectDevice(b.mqttUrl, gauge.id, created.body.credentials.secret);
    await publish(
      device,
      `ioc/tay-ninh/river-gauge/${gauge.id}/telemetry`,
      JSON.stringify({ metrics: { water_level_cm: 312 } }),
    );
    device.end(true);
    const stored = await eventually(
      async () => (await a.pool.query('SELECT value FROM telemetry WHERE device_id = $1', [gauge.id])).rows,
      (rows) => rows.length > 0,
    );
    expect(stored.map((r) => Number(r.value))).toEqual([312]);
    const refused = await a.pool.query('SELECT reason FROM dead_letters WHERE device_id = $1', [gauge.id]);
    expect(refused.rows).toEqual([]);
  });

  it('knows on B an area and a unit added on A, and a profile A changed', async () => {
    const daLat = {
      id: 'da-lat',
      name: { vi: 'Đà Lạt', en: 'Đà Lạt' },
      province: { code: '68', name: { vi: 'Tỉnh Lâm Đồng', en: 'Lâm Đồng Province' } },
      centre: { lat: 11.94, lon: 108.44 },
      bounds: { south: 11.85, west: 108.35, north: 12.05, east: 108.55 },
    };
    expect((await a.request('POST', '/api/v1/places/areas', admin, daLat)).status).toBe(201);
    expect(
      (
        await a.request('POST', '/api/v1/places/units', admin, {
          id: 'phuong-xuan-huong-da-lat',
          area: 'da-lat',
          name: 'Xuân Hương – Đà Lạt',
          fullName: { vi: 'Phường Xuân Hương – Đà Lạt', en: 'Xuân Hương – Đà Lạt Ward' },
          type: 'ward',
          code: '24778',
          centre: { lat: 11.94, lon: 108.44 },
        })
      ).status,
    ).toBe(201);
    await eventually(
      async () => b.places.currentUnits('da-lat').map((u) => u.id),
      (ids) => ids.includes('phuong-xuan-huong-da-lat'),
      3_000,
    );
    expect(b.places.currentUnits('da-lat').map((u) => u.id)).toEqual(['phuong-xuan-huong-da-lat']);

    const { id: _id, ...body } = riverGauge;
    const renamed = { ...body, name: { vi: 'Trạm thuỷ văn', en: 'Hydrological station' } };
    expect((await a.request('PUT', '/api/v1/profiles/river-gauge', admin, renamed)).status).toBe(200);
    await eventually(
      async () => b.profiles.get('river-gauge')?.name.vi,
      (name) => name === 'Trạm thuỷ văn',
      3_000,
    );
    expect(b.profiles.get('river-gauge')?.name.en).toBe('Hydrological station');
  });
});
