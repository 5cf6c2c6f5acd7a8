// npm run measure:ingest -- [--devices 200] [--seconds 10] [--qos 0|1] [--rate msg/s]
// A quick throughput measurement of the spine: the app in this process (embedded broker; the
// PostgreSQL of DATABASE_URL, else an embedded one), publishers in a worker thread on the other core,
// each device with its own credentials. Reports messages/s and rows/s that reached the database.
// The full benchmark with ceilings and latencies is `npm run bench` (issue 8).

import { fork } from 'node:child_process';
import { parseArgs } from 'node:util';
import { startMeasuredApp } from './measured-app.ts';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '10' },
    qos: { type: 'string', default: '1' },
    rate: { type: 'string' },
  },
});
const devices = Number(values.devices);
const seconds = Number(values.seconds);
const qos = values.qos === '0' ? 0 : 1;
const rate = values.rate ? Number(values.rate) : undefined;

const measured = await startMeasuredApp('measure');
const app = measured.app;
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

// The publishers run in their own process (the other core), as field devices would.
const publisher = fork(new URL('./measure-ingest-publisher.ts', import.meta.url).pathname, [], {
  execArgv: ['--import', 'tsx'],
});
publisher.send({ url: `mqtt://127.0.0.1:${app.mqttPort}`, credentials, seconds, qos, rate });
const published = await new Promise<{ messages: number; acked: number; startedAt: number; endedAt: number }>(
  (ok, fail) => {
    publisher.once('message', (m) => ok(m as never));
    publisher.once('error', fail);
    publisher.once('exit', (code) => code !== 0 && fail(new Error(`publisher exited ${code}`)));
  },
);
// Messages still in socket buffers when the publisher stops are read after it: wait until the count
// stops moving, and time the run up to the last reading stored.
const countStored = async () =>
  (
    await app.pool.query<{ rows: number; messages: number }>(
      `SELECT count(*)::int AS rows, count(DISTINCT (device_id, time))::int AS messages FROM telemetry WHERE device_id LIKE $1`,
      [`tn-p3-env-m${runId}-%`],
    )
  ).rows[0]!;
let last = await countStored();
let drainedAt = Date.now();
while (Date.now() - drainedAt < 1_000) {
  await new Promise((r) => setTimeout(r, 100));
  const now = await countStored();
  if (now.rows !== last.rows) {
    last = now;
    drainedAt = Date.now();
  }
}
const rows = [last];
const stored = rows[0]!;
const elapsed = (drainedAt - published.startedAt) / 1000;
const result = {
  qos,
  offeredRate: rate ?? 'as fast as accepted',
  devices,
  seconds,
  published: published.messages,
  acknowledged: qos === 1 ? published.acked : undefined,
  storedMessages: stored.messages,
  storedRows: stored.rows,
  lost: qos === 1 ? published.acked - stored.messages : published.messages - stored.messages,
  messagesPerSecond: Math.round(stored.messages / elapsed),
  rowsPerSecond: Math.round(stored.rows / elapsed),
  database: measured.database,
};
console.log(JSON.stringify(result, null, 2));
publisher.kill();
await measured.close();
process.exit(0);
