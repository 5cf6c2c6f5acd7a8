// npm run measure:scaleout: ingest throughput on an external broker with one IOC instance, then two.
// A dedicated Mosquitto (dynamic security, a free port), a fresh database on DATABASE_URL's server, each
// instance its own process (npm start's entry, MQTT_URL set). While the instances are down, a fleet of
// devices publishes a backlog at QoS 1 that the broker queues in the instances' persistent sessions;
// then the instances start and the rate at which they store it is measured (first to last reading
// stored), so the publishers do not compete with the IOC for the CPU.
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run measure:scaleout -- --devices 200 --per-device 300
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { parseCommandLine, usageError, wholeNumber } from '../src/cli/commandLine.ts';
import { startMosquitto } from '../tests/helpers/mosquitto.ts';
import { createFreshDatabase } from './fresh-database.ts';
import { heapFlags } from './heapFlags.ts';

const help = `Đo khả năng mở rộng / Scale-out: ingest throughput with one IOC instance, then two

Usage: DATABASE_URL=postgres://… npm run measure:scaleout -- [options]

On a dedicated Mosquitto (dynamic security, a free port; needs mosquitto installed) and a fresh
database on DATABASE_URL's server, each IOC instance its own process: while the instances are down,
the devices publish a backlog at QoS 1 that the broker queues for them; then the instances start
and the rate at which they store it is measured. Prints JSON with both runs and the speed-up.
DATABASE_URL is required; MEASURE_DEADLINE_MS caps each phase (default: 300000).

Options
  --devices <n>       devices publishing the backlog (default: 200)
  --per-device <n>    readings each device publishes per phase (default: 300)
  --window <n>        QoS 1 publishes in flight per device (default: 20)
  -h, --help          this text

Example
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run measure:scaleout -- --devices 200 --per-device 300
`;

const { values: args } = parseCommandLine('measure:scaleout', help, {
  options: {
    devices: { type: 'string', default: '200' },
    'per-device': { type: 'string', default: '300' },
    window: { type: 'string', default: '20' },
  },
});
const devices = wholeNumber('measure:scaleout', 'devices', args.devices, 1);
const perDevice = wholeNumber('measure:scaleout', 'per-device', args['per-device'], 1);
const window = wholeNumber('measure:scaleout', 'window', args.window, 1);
const adminUrl = process.env.DATABASE_URL;
if (!adminUrl)
  usageError(
    'measure:scaleout',
    'set DATABASE_URL to a PostgreSQL server (a fresh database is created there)',
  );
const root = new URL('../', import.meta.url).pathname;
const adminPassword = 'measure-admin-password';
const jwt = randomBytes(32).toString('base64');

const database = await createFreshDatabase(adminUrl, `ioc_scaleout_${randomBytes(4).toString('hex')}`);
const databaseUrl = new URL(database.url);
const pool = new pg.Pool({ connectionString: databaseUrl.toString() });
const mosquitto = await startMosquitto();
const dataDir = await mkdtemp(join(tmpdir(), 'ioc-scaleout-'));
const children: ChildProcess[] = [];

async function startInstance(name: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [...heapFlags, '--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      ...mosquitto.env(name),
      DATABASE_URL: databaseUrl.toString(),
      // Each instance its own DATA_DIR: the ingest journal there belongs to one process.
      DATA_DIR: join(dataDir, name),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      ADMIN_PASSWORD: adminPassword,
      JWT_SECRET: jwt,
      LOG_LEVEL: 'info',
      // The backlog of 200 devices arrives at once: a per-device rate limit would refuse most of it.
      INGEST_DEVICE_RATE_PER_S: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const url = await new Promise<string>((ok, fail) => {
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
      const port = /IOC: http:\/\/localhost:(\d+)\//.exec(output)?.[1];
      if (port) ok(`http://127.0.0.1:${port}`);
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    child.once('exit', (code) =>
      fail(new Error(`instance ${name} exited (${code}):\n${output.slice(-2000)}`)),
    );
  });
  return { child, url };
}

async function stopInstance(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((ok) => child.once('exit', ok));
  child.kill('SIGTERM');
  await exited;
}

async function registerFleet(url: string): Promise<Array<{ id: string; secret: string }>> {
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: adminPassword }),
  });
  const { token } = (await login.json()) as { token: string };
  const fleet: Array<{ id: string; secret: string }> = [];
  for (let start = 0; start < devices; start += 20) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(20, devices - start) }, async (_, k) => {
        const id = `tn-p3-env-${String(start + k).padStart(5, '0')}`;
        const res = await fetch(`${url}/api/v1/devices`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({
            id,
            kind: 'environment',
            city: 'tay-ninh',
            ward: 'phuong-tan-ninh',
            lat: 11.31,
            lon: 106.1,
            name: `Trạm đo ${start + k}`,
          }),
        });
        if (res.status !== 201) throw new Error(`registering ${id}: ${res.status} ${await res.text()}`);
        const body = (await res.json()) as { credentials: { secret: string } };
        return { id, secret: body.credentials.secret };
      }),
    );
    fleet.push(...batch);
  }
  return fleet;
}

/** Every device publishes `perDevice` readings at QoS 1, `window` in flight each. */
async function publishAll(fleet: Array<{ id: string; secret: string }>, perDevice: number, phase: number) {
  let sent = 0;
  const clients: MqttClient[] = await Promise.all(
    fleet.map(
      ({ id, secret }) =>
        new Promise<MqttClient>((ok, fail) => {
          const client = mqtt.connect(mosquitto.url, {
            clientId: id,
            username: id,
            password: secret,
            reconnectPeriod: 0,
          });
          client.once('connect', () => ok(client));
          client.once('error', fail);
        }),
    ),
  );
  // Distinct timestamps per phase and device, within the last day.
  const base = Date.now() - 3_600_000 + phase * 1_200_000;
  await Promise.all(
    clients.map(async (client, d) => {
      const topic = `ioc/tay-ninh/environment/${fleet[d]!.id}/telemetry`;
      let seq = 0;
      const lane = async () => {
        while (seq < perDevice) {
          const n = seq++;
          await client.publishAsync(
            topic,
            JSON.stringify({ ts: base + n * 10, metrics: { pm25: n % 300 } }),
            {
              qos: 1,
            },
          );
          sent++;
        }
      };
      await Promise.all(Array.from({ length: window }, lane));
      await client.endAsync();
    }),
  );
  return sent;
}

const stored = async () => Number((await pool.query('SELECT count(*) AS n FROM telemetry')).rows[0].n);

const kill = (child: ChildProcess) =>
  new Promise<void>((ok) => {
    if (child.exitCode !== null || child.signalCode !== null) return ok();
    child.once('exit', () => ok());
    child.kill('SIGKILL');
  });

/**
 * The instances' sessions exist (subscribed) but the instances are down: the broker queues a backlog
 * for them; then they start together and the time they take to store it is measured. The publishers
 * do not compete for the CPU while the IOC works.
 */
async function phase(names: string[], fleet: Array<{ id: string; secret: string }>, index: number) {
  const before = await stored();
  const sent = await publishAll(fleet, perDevice, index);
  const started = Date.now();
  const running = await Promise.all(names.map((name) => startInstance(name)));
  const marks: Array<[number, number]> = [];
  const deadline = Date.now() + Number(process.env.MEASURE_DEADLINE_MS ?? 300_000);
  let now = before;
  while (now - before < sent && Date.now() < deadline) {
    await new Promise((ok) => setTimeout(ok, 50));
    now = await stored();
    marks.push([Date.now(), now - before]);
  }
  // From the first reading stored to the last: the processes' start-up is left out.
  const first = marks.find(([, n]) => n > 0) ?? marks[0]!;
  const last = marks.find(([, n]) => n >= sent) ?? marks[marks.length - 1]!;
  for (const r of running) await kill(r.child);
  return {
    instances: names.length,
    backlog: sent,
    stored: now - before,
    storedAll: now - before === sent,
    storedPerSecond: Math.round((last[1] - first[1]) / Math.max(0.05, (last[0] - first[0]) / 1000)),
    secondsToStoreAll: Number(((Date.now() - started) / 1000).toFixed(1)),
  };
}

try {
  // Register the fleet, then leave both sessions subscribed on the broker and the processes down.
  const first = await startInstance('measure-a');
  const fleet = await registerFleet(first.url);
  await kill(first.child);
  const one = await phase(['measure-a'], fleet, 0);
  const second = await startInstance('measure-b');
  await kill(second.child);
  const two = await phase(['measure-a', 'measure-b'], fleet, 1);
  const report = {
    devices,
    perDevice,
    inFlightPerDevice: window,
    cores: (await import('node:os')).cpus().length,
    one,
    two,
    speedup: Number((two.storedPerSecond / Math.max(1, one.storedPerSecond)).toFixed(2)),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  for (const child of children) await stopInstance(child).catch(() => {});
  await pool.end();
  await mosquitto.stop();
  await database.drop();
  await rm(dataDir, { recursive: true, force: true });
}
