// npm run soak -- [options] (--help lists them)
// A steady simulated load against the whole system for a chosen time: the IOC runs as its own process
// (`src/main.ts`, as in production, on a fresh database of DATABASE_URL or embedded), every device on
// its own MQTT connection with its own credentials publishes QoS 1 telemetry at a steady rate, and
// each minute the IOC's memory (RSS, heap), publish → PUBACK latency and loss are reported; a summary
// and every minute go to bench/results/soak-<date>.json. Loss is counted exactly: every reading has its
// own (device, ts), so acknowledged readings missing from the database are the lost ones.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { parseCommandLine, wholeNumber } from '../src/cli/commandLine.ts';
import { createProgress, formatBytes, formatCount, formatDuration } from '../src/cli/units.ts';
import { createFreshDatabase } from './fresh-database.ts';
import { heapFlags } from './heapFlags.ts';

const help = `Chạy tải đều dài hạn / Soak: a steady load against the whole system for a chosen time

Usage: npm run soak -- [options]

Starts the IOC as its own process (src/main.ts, on a fresh database of DATABASE_URL's server, else
the embedded PostgreSQL in a temporary DATA_DIR), registers and connects the devices, each on its
own MQTT connection, and publishes QoS 1 telemetry at a steady rate. Every sample reports the IOC's
memory (RSS, heap), publish → PUBACK latency and loss (acknowledged readings missing from the
database). Writes <out>/soak-<date>.json; exits 1 if any acknowledged reading was lost.

Options
  --minutes <n>      how long the load runs (default: 30)
  --devices <n>      devices, each with its own connection and credentials (default: 200)
  --rate <msg/s>     telemetry messages per second across all devices (default: 400)
  --sample-s <s>     seconds between samples (default: 60)
  --out <dir>        where the JSON report goes (default: bench/results)
  -h, --help         this text

Example
  npm run soak -- --minutes 5 --devices 50 --rate 100 --out /tmp
`;

const { values } = parseCommandLine('soak', help, {
  options: {
    minutes: { type: 'string', default: '30' },
    devices: { type: 'string', default: '200' },
    rate: { type: 'string', default: '400' },
    out: { type: 'string', default: 'bench/results' },
    'sample-s': { type: 'string', default: '60' },
  },
});
const minutes = wholeNumber('soak', 'minutes', values.minutes, 1);
const deviceCount = wholeNumber('soak', 'devices', values.devices, 1);
const rate = wholeNumber('soak', 'rate', values.rate, 1);
const sampleMs = wholeNumber('soak', 'sample-s', values['sample-s'], 1) * 1000;
const root = new URL('../', import.meta.url).pathname;
const password = 'soak-admin-password';
const say = (text: string) => process.stderr.write(`[soak] ${text}\n`);

// A fresh database on the given server, or the embedded one in the temporary DATA_DIR.
const dataDir = await mkdtemp(join(tmpdir(), 'ioc-soak-'));
const serverUrl = process.env.DATABASE_URL;
const fresh = serverUrl
  ? await createFreshDatabase(serverUrl, `ioc_soak_${Date.now().toString(36)}`)
  : undefined;
const databaseUrl = fresh?.url;

const child = spawn(process.execPath, [...heapFlags, '--import', 'tsx', 'src/main.ts'], {
  cwd: root,
  env: {
    PATH: process.env.PATH ?? '',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    DATA_DIR: dataDir,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: '0',
    ADMIN_PASSWORD: password,
    LOG_LEVEL: 'warn',
  },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let output = '';
child.stdout.on('data', (d) => (output += d));
child.stderr.on('data', (d) => {
  output += d;
  process.stderr.write(d);
});
const ports = await new Promise<{ http: number; mqtt: number }>((ok, fail) => {
  child.stdout.on('data', () => {
    const m = output.match(/IOC: http:\/\/localhost:(\d+)\/.*MQTT: mqtt:\/\/localhost:(\d+)/);
    if (m) ok({ http: Number(m[1]), mqtt: Number(m[2]) });
  });
  child.once('exit', (code) => fail(new Error(`the IOC exited (${code}):\n${output}`)));
});
const base = `http://127.0.0.1:${ports.http}`;
const login = await fetch(`${base}/api/v1/auth/login`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ username: 'admin', password }),
});
const { token } = (await login.json()) as { token: string };
const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };

interface Device {
  id: string;
  topic: string;
  client: MqttClient;
  seq: number;
}
const devices: Device[] = [];
const connecting = createProgress('[soak] devices');
const connectStarted = Date.now();
for (let i = 0; i < deviceCount; i++) {
  const id = `tn-soak-env-${String(i).padStart(5, '0')}`;
  const res = await fetch(`${base}/api/v1/devices`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      id,
      kind: 'environment',
      city: 'tay-ninh',
      ward: 'phuong-tan-ninh',
      lat: 11.3 + i * 1e-4,
      lon: 106.1,
      name: `Soak ${i}`,
    }),
  });
  const { credentials } = (await res.json()) as { credentials: { secret: string } };
  const client = mqtt.connect(`mqtt://127.0.0.1:${ports.mqtt}`, {
    clientId: id,
    username: id,
    password: credentials.secret,
    reconnectPeriod: 1_000,
  });
  await new Promise<void>((ok) => client.once('connect', () => ok()));
  devices.push({ id, topic: `ioc/tay-ninh/environment/${id}/telemetry`, client, seq: 0 });
  connecting.update(`${formatCount(devices.length)}/${formatCount(deviceCount)} registered and connected`);
}
connecting.done(
  `${formatCount(devices.length)} registered and connected in ${formatDuration(Date.now() - connectStarted)}`,
);
say(`IOC pid ${child.pid}, ${devices.length} devices connected; ${rate} msg/s for ${minutes} min`);

const db = new pg.Client({ connectionString: databaseUrl ?? (await embeddedUrl()) });
await db.connect();
async function embeddedUrl(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const pw = (await readFile(join(dataDir, 'postgres.password'), 'utf8')).trim();
  const port = output.match(/"port":(\d+).*embedded PostgreSQL started/)?.[1];
  if (!port) throw new Error('set DATABASE_URL (the embedded database port is not known to the soak)');
  return `postgres://postgres:${encodeURIComponent(pw)}@127.0.0.1:${port}/postgres`;
}

let sent = 0;
let acked = 0;
let failed = 0;
let latencies: number[] = [];
const allLatencies: number[] = [];
// A steady rate: every 50 ms, the messages due since the start.
const started = Date.now();
const endsAt = started + minutes * 60_000;
let next = 0;
const tick = setInterval(() => {
  const due = Math.floor(((Date.now() - started) / 1000) * rate);
  while (sent < due && Date.now() < endsAt) {
    const device = devices[next++ % devices.length]!;
    const seq = device.seq++;
    const ts = started + seq * 10; // unique per device: (device, ts) names the reading
    const at = performance.now();
    sent++;
    device.client.publish(
      device.topic,
      JSON.stringify({ ts, seq, metrics: { pm25: 20 + (seq % 30), temp_c: 30, humidity_pct: 70 } }),
      { qos: 1 },
      (error) => {
        if (error) failed++;
        else {
          acked++;
          const ms = performance.now() - at;
          latencies.push(ms);
          if (allLatencies.length < 2_000_000) allLatencies.push(ms);
        }
      },
    );
  }
}, 50);

const quantile = (list: number[], q: number) => {
  if (list.length === 0) return 0;
  const sorted = [...list].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
};
async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(text.match(new RegExp(`^${name} ([0-9.e+]+)`, 'm'))?.[1] ?? Number.NaN);
}
async function storedReadings(): Promise<number> {
  const { rows } = await db.query(
    "SELECT count(*)::int AS n FROM telemetry WHERE metric = 'pm25' AND device_id LIKE 'tn-soak-%'",
  );
  return rows[0].n;
}

const minutesLog: Array<Record<string, number>> = [];
async function sample() {
  const rssBytes = await metric('ioc_process_process_resident_memory_bytes');
  const heapBytes = await metric('ioc_process_nodejs_heap_size_used_bytes');
  const row = {
    minute: Math.round((Date.now() - started) / 60_000),
    rssMiB: Math.round(rssBytes / 1_048_576),
    heapUsedMiB: Math.round(heapBytes / 1_048_576),
    sent,
    acked,
    stored: await storedReadings(),
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    maxMs: quantile(latencies, 1),
    queueRows: await metric('ioc_ingest_queue_rows'),
    journalBytes: await metric('ioc_ingest_journal_bytes'),
  };
  latencies = [];
  minutesLog.push(row);
  // The file keeps the numbers; a person reads sizes and counts in human units.
  say(
    `${formatDuration(Date.now() - started)}: RSS ${formatBytes(rssBytes)}, heap ${formatBytes(heapBytes)}, ` +
      `sent ${formatCount(row.sent)}, acked ${formatCount(row.acked)}, stored ${formatCount(row.stored)}, ` +
      `PUBACK p50 ${formatCount(row.p50Ms)} ms, p99 ${formatCount(row.p99Ms)} ms, max ${formatCount(row.maxMs)} ms, ` +
      `queue ${formatCount(row.queueRows)} rows, journal ${Number.isNaN(row.journalBytes) ? '–' : formatBytes(row.journalBytes)}`,
  );
}
await sample();
while (Date.now() < endsAt) {
  await new Promise((r) => setTimeout(r, Math.min(sampleMs, endsAt - Date.now())));
  await sample();
}
clearInterval(tick);
// Let the last PUBACKs and batches arrive, then count.
const settleBy = Date.now() + 30_000;
while (acked + failed < sent && Date.now() < settleBy) await new Promise((r) => setTimeout(r, 100));
await new Promise((r) => setTimeout(r, 2_000));
const stored = await storedReadings();
for (const d of devices) d.client.end(true);
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
await db.end();

const rss = minutesLog.map((m) => m.rssMiB!);
const half = rss.slice(Math.floor(rss.length / 2));
const summary = {
  startedAt: new Date(started).toISOString(),
  minutes,
  devices: deviceCount,
  offeredPerSecond: rate,
  sent,
  acknowledged: acked,
  publishErrors: failed,
  stored,
  lost: Math.max(0, acked - stored),
  achievedPerSecond: Math.round(acked / (minutes * 60)),
  latencyMs: {
    p50: quantile(allLatencies, 0.5),
    p99: quantile(allLatencies, 0.99),
    max: quantile(allLatencies, 1),
  },
  rssMiB: { first: rss[0], min: Math.min(...rss), max: Math.max(...rss), last: rss.at(-1) },
  rssSecondHalfSpreadMiB: Math.max(...half) - Math.min(...half),
  loadAverage: (await import('node:os')).loadavg().map((l) => Math.round(l * 100) / 100),
  database: serverUrl ? 'DATABASE_URL' : 'embedded',
};
const mib = (n: number | undefined) => formatBytes((n ?? 0) * 1_048_576);
say(
  `summary: ${formatCount(summary.sent)} sent, ${formatCount(summary.acknowledged)} acknowledged, ` +
    `${formatCount(summary.stored)} stored, ${formatCount(summary.lost)} lost, ${formatCount(summary.publishErrors)} publish errors; ` +
    `${formatCount(summary.achievedPerSecond)} msg/s; PUBACK p50 ${formatCount(summary.latencyMs.p50)} ms, ` +
    `p99 ${formatCount(summary.latencyMs.p99)} ms, max ${formatCount(summary.latencyMs.max)} ms; ` +
    `RSS first ${mib(summary.rssMiB.first)}, min ${mib(summary.rssMiB.min)}, max ${mib(summary.rssMiB.max)}, ` +
    `last ${mib(summary.rssMiB.last)} (second-half spread ${mib(summary.rssSecondHalfSpreadMiB)})`,
);
await mkdir(values.out!, { recursive: true });
const file = join(values.out!, `soak-${new Date().toISOString().slice(0, 10)}.json`);
await writeFile(file, `${JSON.stringify({ summary, minutes: minutesLog }, null, 2)}\n`);
say(`written to ${file}`);
await fresh?.drop();
await rm(dataDir, { recursive: true, force: true });
process.exit(summary.lost === 0 ? 0 : 1);
