import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PointWire } from '../../src/api/routes/telemetry.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { connectDevice, publish } from '../helpers/mqtt.ts';

let app: TestApp;
let headers: Record<string, string>;
const device = {
  id: 'tn-p3-noise-9001',
  kind: 'noise',
  city: 'tay-ninh',
  ward: 'phuong-tan-ninh',
  lat: 11.3,
  lon: 106.1,
  pole: null,
  zone: 'normal',
  name: 'Tiếng ồn – Chợ Phường 3',
} as const;
// An hour of five-minute readings, starting on a bucket boundary.
const start = Date.parse('2026-11-22T01:00:00Z');
const series = Array.from({ length: 12 }, (_, i) => ({
  ts: start + i * 300_000,
  metrics: { laeq_db: 60 + i, lamax_db: 80 },
}));

async function get(path: string) {
  const res = await fetch(`${app.baseUrl}${path}`, { headers });
  return { status: res.status, body: (await res.json()) as any };
}

beforeAll(async () => {
  app = await startTestApp({ INGEST_MAX_AGE_DAYS: '3650' });
  headers = await app.login();
  const { secret } = await app.registry.create(device);
  const client = await connectDevice(app.mqttUrl, device.id, secret);
  await publish(client, `ioc/tay-ninh/noise/${device.id}/telemetry`, JSON.stringify(series));
  client.end(true);
});
afterAll(async () => app.close());

const range = `from=${new Date(start).toISOString()}&to=${new Date(start + 3_600_000).toISOString()}`;

describe('GET /devices/:id/telemetry', () => {
  it('returns raw points of the chosen metric in time order', async () => {
    const { status, body } = await get(`/api/v1/devices/${device.id}/telemetry?metric=laeq_db&${range}`);
    expect(status).toBe(200);
    expect(body.bucketSeconds).toBeNull();
    expect(body.points).toHaveLength(12);
    expect(body.points[0]).toEqual({ ts: '2026-11-22T01:00:00.000Z', metric: 'laeq_db', value: 60 });
    expect(PointWire.array().parse(body.points)).toEqual(body.points);
    expect(body.points.map((p: { value: number }) => p.value)).toEqual(series.map((s) => s.metrics.laeq_db));
  });

  it('returns avg, min, max and count per bucket', async () => {
    const { body } = await get(`/api/v1/devices/${device.id}/telemetry?metric=laeq_db&bucket=15m&${range}`);
    expect(body.bucketSeconds).toBe(900);
    expect(body.source).toBe('raw');
    expect(body.points).toEqual([
      { ts: '2026-11-22T01:00:00.000Z', metric: 'laeq_db', avg: 61, min: 60, max: 62, count: 3 },
      { ts: '2026-11-22T01:15:00.000Z', metric: 'laeq_db', avg: 64, min: 63, max: 65, count: 3 },
      { ts: '2026-11-22T01:30:00.000Z', metric: 'laeq_db', avg: 67, min: 66, max: 68, count: 3 },
      { ts: '2026-11-22T01:45:00.000Z', metric: 'laeq_db', avg: 70, min: 69, max: 71, count: 3 },
    ]);
  });

  it('aligns buckets like TimescaleDB time_bucket (origin Monday 2000-01-03)', async () => {
    // A 7-day bucket: time_bucket puts 2026-11-22 (a Sunday) in the week starting Monday 2026-11-16.
    const { body } = await get(`/api/v1/devices/${device.id}/telemetry?metric=lamax_db&bucket=7d&${range}`);
    // Whole-hour buckets are read from the hourly rollup (here still waiting to be folded), same values.
    expect(body.source).toBe('hourly');
    expect(body.points).toEqual([
      { ts: '2026-11-16T00:00:00.000Z', metric: 'lamax_db', avg: 80, min: 80, max: 80, count: 12 },
    ]);
  });

  it('gives every metric when none is named', async () => {
    const { body } = await get(`/api/v1/devices/${device.id}/telemetry?${range}`);
    expect(new Set(body.points.map((p: { metric: string }) => p.metric))).toEqual(
      new Set(['laeq_db', 'lamax_db']),
    );
  });

  it.each([
    ['metric=pm25', /noise has no metric pm25/],
    ['from=yesterday', /from/],
    ['bucket=5 minutes', /bucket/],
    [
      `from=${new Date(start + 1000).toISOString()}&to=${new Date(start).toISOString()}`,
      /`from` must be before `to`/,
    ],
    ['from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', /at most 366 days/],
  ])('refuses %s with a message that says what is wrong', async (query, message) => {
    const { status, body } = await get(`/api/v1/devices/${device.id}/telemetry?${query}`);
    expect(status).toBe(400);
    expect(body.error.code).toBe('VALIDATION_FAILED');
    expect(body.error.message).toMatch(message);
  });

  it('answers DEVICE_NOT_FOUND for an unknown device', async () => {
    const { status, body } = await get('/api/v1/devices/tn-p3-noise-0000/telemetry');
    expect(status).toBe(404);
    expect(body.error.code).toBe('DEVICE_NOT_FOUND');
  });
});
