// A province key scoped to Hội An (the Đà Nẵng province IOC's) reads only Hội An in every feed:
// indicators, aggregates, alerts and NGSI-LD, against the running app on real PostgreSQL, with the
// alerts raised by real MQTT devices; an unscoped key reads both areas.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeeds, type Feeds } from '../../src/feeds/index.ts';
import { createLogger } from '../../src/log.ts';
import { insertTelemetryRows, writeLatest } from '../../src/storage/telemetry.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';

let app: TestApp;
let admin: Record<string, string>;
let april: Feeds;
let hoiAnKey: Record<string, string>;
let everyKey: Record<string, string>;
const clients: MqttClient[] = [];
const local = (text: string) => new Date(`${text}+07:00`);

const stations = [
  { id: 'ha-sc-env-01', city: 'hoi-an', ward: 'phuong-hoi-an', lat: 15.877, lon: 108.328 },
  { id: 'tn-sc-env-01', city: 'tay-ninh', ward: 'phuong-tan-ninh', lat: 11.31, lon: 106.098 },
] as const;

async function newKey(body: Record<string, unknown>) {
  const res = await app.request('POST', '/api/v1/feeds/keys', admin, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { record: res.body, headers: { 'x-api-key': res.body.key as string } };
}

beforeAll(async () => {
  app = await startTestApp({ FEEDS_REFRESH_S: '3600', FEEDS_RATE_PER_MIN: '600' });
  admin = await app.login();
  april = createFeeds({
    pool: app.pool,
    catalog: app.catalog,
    log: createLogger('silent'),
    publishDelayS: 600,
    clock: () => new Date('2026-04-03T00:00:00Z'),
  });
  const secrets = new Map<string, string>();
  for (const s of stations) {
    const { secret } = await app.registry.create({
      ...s,
      kind: 'environment',
      name: `Trạm ${s.id}`,
      pole: null,
      zone: null,
    });
    secrets.set(s.id, secret);
  }
  const readings = stations.map((s, i) => ({
    deviceId: s.id,
    metric: 'pm25',
    time: local('2026-04-01T00:30:00'),
    value: 20 + i,
  }));
  await insertTelemetryRows(app.pool, {
    deviceId: readings.map((r) => r.deviceId),
    metric: readings.map((r) => r.metric),
    time: readings.map((r) => r.time),
    value: readings.map((r) => r.value),
  });
  await writeLatest(app.pool, readings);
  await april.refresher.runUntilIdle();
  // An alert in each area, raised by the device itself.
  for (const s of stations) {
    const client = await connectDevice(app.mqttUrl, s.id, secrets.get(s.id));
    clients.push(client);
    await publish(
      client,
      `ioc/${s.city}/environment/${s.id}/event`,
      JSON.stringify({ type: 'tamper', data: {} }),
    );
  }
  await eventually(
    async () =>
      (await app.pool.query("SELECT count(*)::int AS n FROM alerts WHERE kind <> 'system'")).rows[0].n,
    (n) => n === 2,
  );
  hoiAnKey = (await newKey({ name: 'Đà Nẵng province IOC', scope: ['hoi-an'] })).headers;
  everyKey = (await newKey({ name: 'Ministry' })).headers;
});
afterAll(async () => {
  for (const client of clients) client.end(true);
  await april?.stop();
  await app?.close();
});

const cities = (items: Array<{ city: string }>) => [...new Set(items.map((i) => i.city))].sort();

describe('a feed key scoped to hoi-an', () => {
  it('is created with its scope, which the list shows; an unknown place is refused', async () => {
    const keys = await app.request('GET', '/api/v1/feeds/keys', admin);
    const scopes = keys.body.items.map((k: { name: string; scope: unknown }) => [k.name, k.scope]);
    expect(scopes).toEqual(
      expect.arrayContaining([
        ['Đà Nẵng province IOC', ['hoi-an']],
        ['Ministry', 'all'],
      ]),
    );
    const refused = await app.request('POST', '/api/v1/feeds/keys', admin, { name: 'x', scope: ['nowhere'] });
    expect(refused.status).toBe(400);
  });

  it('reads Hội An indicators, and is told plainly that Tây Ninh is outside its scope', async () => {
    const query = 'from=2026-04-01&to=2026-04-02&period=day&indicator=pm25_mean';
    const mine = await app.request('GET', `/api/v1/feeds/indicators?city=hoi-an&ward=*&${query}`, hoiAnKey);
    expect(mine.status, JSON.stringify(mine.body)).toBe(200);
    expect(mine.body.items.length).toBeGreaterThan(0);
    expect(cities(mine.body.items)).toEqual(['hoi-an']);

    const other = await app.request('GET', `/api/v1/feeds/indicators?city=tay-ninh&${query}`, hoiAnKey);
    expect(other.status).toBe(400);
    expect(other.body.error.message).toMatch(/outside what this key or account reaches/);
    const wider = await app.request('GET', `/api/v1/feeds/indicators?city=tay-ninh&${query}`, everyKey);
    expect(wider.status).toBe(200);
    expect(cities(wider.body.items)).toEqual(['tay-ninh']);
  });

  it('reads Hội An aggregates only', async () => {
    const mine = await app.request('GET', '/api/v1/feeds/aggregates?period=hour', hoiAnKey);
    expect(mine.status).toBe(200);
    expect(mine.body.items.map((i: { deviceId: string }) => i.deviceId)).toEqual(['ha-sc-env-01']);
    const filtered = await app.request('GET', '/api/v1/feeds/aggregates?period=hour&city=tay-ninh', hoiAnKey);
    expect(filtered.body.items).toEqual([]);
    const all = await app.request('GET', '/api/v1/feeds/aggregates?period=hour', everyKey);
    expect(cities(all.body.items)).toEqual(['hoi-an', 'tay-ninh']);
  });

  it('reads Hội An alerts only, in JSON and CSV', async () => {
    const mine = await app.request('GET', '/api/v1/feeds/alerts', hoiAnKey);
    expect(mine.status).toBe(200);
    expect(mine.body.items.length).toBe(1);
    expect(cities(mine.body.items)).toEqual(['hoi-an']);
    const csv = await fetch(`${app.baseUrl}/api/v1/feeds/alerts?format=csv`, { headers: hoiAnKey });
    const text = await csv.text();
    expect(text).toContain('ha-sc-env-01');
    expect(text).not.toContain('tn-sc-env-01');
    const all = await app.request('GET', '/api/v1/feeds/alerts', everyKey);
    expect(cities(all.body.items)).toEqual(['hoi-an', 'tay-ninh']);
  });

  it('reads Hội An NGSI-LD entities only', async () => {
    const path = '/api/v1/feeds/ngsi-ld/entities?type=AirQualityObserved&options=keyValues&count=true';
    const headers = { ...hoiAnKey, accept: 'application/json' };
    const res = await fetch(`${app.baseUrl}${path}`, { headers });
    expect(res.status).toBe(200);
    expect(res.headers.get('ngsild-results-count')).toBe('1');
    const entities = (await res.json()) as Array<{ id: string }>;
    expect(entities.map((e) => e.id)).toEqual(['urn:ngsi-ld:AirQualityObserved:ha-sc-env-01']);
    const byId = await fetch(`${app.baseUrl}${path}&id=urn:ngsi-ld:AirQualityObserved:tn-sc-env-01`, {
      headers,
    });
    expect(await byId.json()).toEqual([]);
    const all = await fetch(`${app.baseUrl}${path}`, {
      headers: { ...everyKey, accept: 'application/json' },
    });
    expect(all.headers.get('ngsild-results-count')).toBe('2');
  });
});
