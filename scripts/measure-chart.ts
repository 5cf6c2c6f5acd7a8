// How long the console's 30-day chart takes for one station with a month of minute readings: read
// from raw telemetry (as before the hourly rollup served whole-hour buckets), from the rollup, and the
// whole HTTP request as it is now. Medians and 90th percentiles of --runs runs each. Runs the IOC in
// this process on a fresh database (scripts/measured-app.ts). Numbers: docs/performance.md.
//   npm run measure:chart -- [--days 30] [--runs 20]
import { parseCommandLine } from '../src/cli/commandLine.ts';
import { startMeasuredApp } from './measured-app.ts';

const { values } = parseCommandLine(
  'measure:chart',
  `Đo thời gian vẽ biểu đồ 30 ngày / Measure the 30-day chart

One station with a month of minute readings (6 metrics): the 30-day chart (6-hour buckets) read from
raw telemetry and from the hourly rollup, and the HTTP request the console makes.

Usage: npm run measure:chart -- [options]
  --days <n>    days of minute readings and of the chart (default: 30)
  --runs <n>    timed runs of each read (default: 20)
  -h, --help    this text

Example
  npm run measure:chart -- --runs 50`,
  {
    options: {
      days: { type: 'string', default: '30' },
      runs: { type: 'string', default: '20' },
    },
  },
);
const days = Number(values.days);
const runs = Number(values.runs);

const { inTransaction } = await import('../src/storage/pool.ts');
const { foldHourlyDeltas } = await import('../src/storage/rollups.ts');
const { insertTelemetry, readBucketed, telemetryBatch } = await import('../src/storage/telemetry.ts');
const { readBucketedFromRollup } = await import('../src/storage/telemetryRollupRead.ts');

const measured = await startMeasuredApp('chart');
const { app } = measured;
const base = `http://127.0.0.1:${app.httpPort}`;
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
await app.registry.create(station);
const now = Date.now();
const messages = Array.from({ length: days * 24 * 60 }, (_, i) => ({
  deviceId: station.id,
  time: new Date(now - (i + 1) * 60_000),
  metrics: { pm25: 10 + (i % 40), pm10: 20 + (i % 50), no2: 30, o3: 40, temp_c: 28, humidity_pct: 80 },
}));
for (let i = 0; i < messages.length; i += 5000)
  await insertTelemetry(app.pool, telemetryBatch(messages.slice(i, i + 5000)));
// The refresher folds every minute: by the time anyone opens a month's chart it is all in the rollup.
await inTransaction(app.pool, (client) => foldHourlyDeltas(client));
await app.pool.query('VACUUM ANALYZE telemetry_messages, telemetry_hourly');

async function timed(work: () => Promise<unknown>) {
  await work(); // warm: plans and caches as a console sees them after its first request
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await work();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return `p50 ${ms[Math.floor(runs / 2)]!.toFixed(1)} ms, p90 ${ms[Math.floor(runs * 0.9)]!.toFixed(1)} ms`;
}

const login = await fetch(`${base}/api/v1/auth/login`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ username: 'admin', password: 'measurement-password' }),
});
const headers = { authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
const to = new Date();
const from = new Date(to.getTime() - days * 86_400_000);
for (const metrics of [['pm25'], undefined]) {
  const q = { deviceId: station.id, metrics, from, to, limit: 20_000, bucketSeconds: 21_600 };
  const path = `/api/v1/devices/${station.id}/telemetry?bucket=6h&from=${from.toISOString()}&to=${to.toISOString()}${metrics ? `&metric=${metrics.join(',')}` : ''}`;
  const http = async () => {
    const body = (await (await fetch(`${base}${path}`, { headers })).json()) as { source: string };
    if (body.source !== 'hourly')
      throw new Error(`the chart was answered from ${body.source}, not the rollup`);
  };
  console.log(`${metrics ? metrics.join(',') : 'all 6 metrics'}:`);
  console.log(`  raw read (before)      ${await timed(() => readBucketed(app.pool, q))}`);
  console.log(`  rollup read (after)    ${await timed(() => readBucketedFromRollup(app.pool, q))}`);
  console.log(`  HTTP request (after)   ${await timed(http)}`);
}
await measured.close();
process.exit(0);
