// npm run measure:ingest -- [--devices 200] [--seconds 10] [--qos 0|1]
// A quick throughput measurement of the spine: the app in this process (embedded broker; the
// PostgreSQL of DATABASE_URL, else an embedded one), publishers in a worker thread on the other core,
// each device with its own credentials. Reports messages/s and rows/s that reached the database.
// The full benchmark with ceilings and latencies is `npm run bench` (issue 8).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { startApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '10' },
    qos: { type: 'string', default: '1' },
  },
});
const devices = Number(values.devices);
const seconds = Number(values.seconds);
const qos = values.qos === '0' ? 0 : 1;

const dataDir = await mkdtemp(join(tmpdir(), 'ioc-measure-'));
const base = loadConfig();
const config = loadConfig({
  DATABASE_URL: base.DATABASE_URL,
  DATA_DIR: dataDir,
  HTTP_PORT: '0',
  MQTT_PORT: '0',
  HTTP_HOST: '127.0.0.1',
  MQTT_HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  ADMIN_PASSWORD: 'measure-ingest-password',
});
const app = await startApp(config, createLogger('warn'));
// A run of its own: fresh device ids, and telemetry counted only for them.
const runId = Date.now().toString(36);
const fleet = Array.from({ length: devices }, (_, i) => ({
  id: `tn-p3-env-m${runId}-${i}`,
  kind: 'environment' as const,
  city: 'tay-ninh' as const,
  ward: 'phuong-3',
  lat: 11.3,
  lon: 106.1,
  pole: null,
  zone: null,
  name: `Đo ${i}`,
}));
const credentials = await app.registry.createMany(fleet);

const worker = new Worker(new URL('./measure-ingest-publisher.ts', import.meta.url), {
  workerData: { url: `mqtt://127.0.0.1:${app.mqttPort}`, credentials, seconds, qos },
  execArgv: ['--import', 'tsx'],
});
const published = await new Promise<{ messages: number; acked: number; startedAt: number; endedAt: number }>(
  (ok, fail) => {
    worker.once('message', ok);
    worker.once('error', fail);
  },
);
await app.writer.drain();
const drainedAt = Date.now();
const { rows } = await app.pool.query<{ rows: number; messages: number }>(
  `SELECT count(*)::int AS rows, count(DISTINCT (device_id, time))::int AS messages FROM telemetry WHERE device_id LIKE $1`,
  [`tn-p3-env-m${runId}-%`],
);
const stored = rows[0]!;
const elapsed = (drainedAt - published.startedAt) / 1000;
const result = {
  qos,
  devices,
  seconds,
  published: published.messages,
  acknowledged: qos === 1 ? published.acked : undefined,
  storedMessages: stored.messages,
  storedRows: stored.rows,
  lost: qos === 1 ? published.acked - stored.messages : published.messages - stored.messages,
  messagesPerSecond: Math.round(stored.messages / elapsed),
  rowsPerSecond: Math.round(stored.rows / elapsed),
  database: base.DATABASE_URL ? 'DATABASE_URL' : 'embedded',
};
console.log(JSON.stringify(result, null, 2));
await worker.terminate();
await app.stop();
await rm(dataDir, { recursive: true, force: true });
process.exit(0);
