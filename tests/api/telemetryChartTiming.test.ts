// A measurement, not a check (runs only with MEASURE_CHART=1): how long the console's 30-day chart
// takes for one station with a month of minute readings, from raw telemetry (what the route read
// before the hourly rollup served whole-hour buckets) and from the rollup, and the whole HTTP request
// as it is now. Prints medians and 90th percentiles of 20 runs each.
//   MEASURE_CHART=1 npx vitest run tests/api/telemetryChartTiming.test.ts
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inTransaction } from '../../src/storage/pool.ts';
import { foldHourlyDeltas } from '../../src/storage/rollups.ts';
import { insertTelemetry, readBucketed, telemetryBatch } from '../../src/storage/telemetry.ts';
import { readBucketedFromRollup } from '../../src/storage/telemetryRollupRead.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

const measure = process.env.MEASURE_CHART === '1';
let app: TestApp;
const station = {
  id: 'ha-ma-env-9903',
  kind: 'environment' as const,
  city: 'hoi-an',
  ward: 'phuong-hoi-an',
  lat: 15.877,
  lon: 108.3282,
  pole: null,
  zone: null,
  name: 'Quan trắc – Chợ Hội An',
};
const minuteMs = 60_000;
const days = 30;

beforeAll(async () => {
  if (!measure) return;
  app = await startTestApp();
  await app.registry.create(station);
  const now = Date.now();
  const messages = Array.from({ length: days * 24 * 60 }, (_, i) => ({
    deviceId: station.id,
    time: new Date(now - (i + 1) * minuteMs),
    metrics: { pm25: 10 + (i % 40), pm10: 20 + (i % 50), no2: 30, o3: 40, temp_c: 28, humidity_pct: 80 },
  }));
  for (let i = 0; i < messages.length; i += 5000)
    await insertTelemetry(app.pool, telemetryBatch(messages.slice(i, i + 5000)));
  // The refresher folds every minute: by the time anyone opens a month's chart it is all in the rollup.
  await inTransaction(app.pool, (client) => foldHourlyDeltas(client));
  await app.pool.query('VACUUM ANALYZE telemetry_messages, telemetry_hourly');
}, 300_000);
afterAll(async () => app?.close());

async function timed(runs: number, work: () => Promise<unknown>) {
  await work(); // warm: plans and caches as a console sees them after its first request
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await work();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return {
    p50: Number(ms[Math.floor(runs / 2)]!.toFixed(1)),
    p90: Number(ms[Math.floor(runs * 0.9)]!.toFixed(1)),
  };
}

it.runIf(measure)(
  'times a 30-day chart of a month of minute readings, raw and from the rollup',
  async () => {
    const headers = await app.login();
    const to = new Date();
    const from = new Date(to.getTime() - days * 86_400_000);
    const rows: Record<string, unknown> = {};
    for (const metrics of [['pm25'], undefined]) {
      const q = { deviceId: station.id, metrics, from, to, limit: 20_000, bucketSeconds: 21_600 };
      const label = metrics ? metrics.join(',') : 'all 6 metrics';
      const path = `/api/v1/devices/${station.id}/telemetry?bucket=6h&from=${from.toISOString()}&to=${to.toISOString()}${metrics ? `&metric=${metrics.join(',')}` : ''}`;
      const http = async () => {
        const res = await fetch(`${app.baseUrl}${path}`, { headers });
        const body = (await res.json()) as { source: string };
        expect(body.source).toBe('hourly');
      };
      rows[label] = {
        'raw read (before), ms': await timed(20, () => readBucketed(app.pool, q)),
        'rollup read (after), ms': await timed(20, () => readBucketedFromRollup(app.pool, q)),
        'HTTP request (after), ms': await timed(20, http),
      };
    }
    console.log(JSON.stringify(rows, null, 2));
  },
  300_000,
);
