// npm run measure:simulator -- [options] (--help lists them)
// How many simulated devices one simulator process holds, and what each costs in memory. The simulator
// runs as `npm run simulate` in a child process with a generated fleet, each device on its own MQTT
// connection with its own secret, reporting at its kind's normal interval; its resident memory is
// sampled from /proc. `--against broker` (default) measures the simulator alone, against a bare aedes
// broker in this process; `--against ioc` against the whole IOC (fresh database, every secret checked
// with scrypt, every reading stored), where the IOC's own capacity on this machine sets the pace.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { generateFleet } from '../simulators/generatedFleet.ts';
import { loadCatalog } from '../src/catalog/index.ts';
import { parseCommandLine, usageError, wholeNumber } from '../src/cli/commandLine.ts';
import { formatBytes, formatCount } from '../src/cli/units.ts';
import { writeCredentialsFile } from '../src/registry/credentialsFile.ts';
import type { DeviceCredentials } from '../src/registry/fleets.ts';
import { topicPrefix } from '../src/registry/fleets.ts';

const help = `Đo sức chứa của bộ mô phỏng / How many devices one simulator process holds, and their memory

Usage: npm run measure:simulator -- [options]

Runs npm run simulate in a child process with a generated fleet, every device on its own MQTT
connection with its own secret at its kind's normal interval, and samples the child's resident
memory from /proc: the cost of the process holding one device, then holding the whole fleet.

Options
  --devices <n>         generated devices (default: 20000)
  --hold <s>            seconds the fleet is held once connected (default: 60)
  --connect-rate <n>    connections the simulator opens per second (default: 400)
  --against <target>    broker: a bare aedes broker in this process, the simulator alone
                        ioc: the whole IOC (fresh database, every secret checked, every reading
                        stored), where the IOC's own capacity sets the pace (default: broker)
  -h, --help            this text

Example
  npm run measure:simulator -- --devices 2000 --hold 20
`;

const { values } = parseCommandLine('measure:simulator', help, {
  options: {
    devices: { type: 'string', default: '20000' },
    hold: { type: 'string', default: '60' },
    'connect-rate': { type: 'string', default: '400' },
    against: { type: 'string', default: 'broker' },
  },
});
const count = wholeNumber('measure:simulator', 'devices', values.devices, 1);
const holdS = wholeNumber('measure:simulator', 'hold', values.hold, 1);
const connectRate = wholeNumber('measure:simulator', 'connect-rate', values['connect-rate'], 1);
if (values.against !== 'broker' && values.against !== 'ioc')
  usageError('measure:simulator', `--against is broker or ioc, not '${values.against}'`);
const root = new URL('../', import.meta.url).pathname;

const rssMiB = (pid: number) => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return line ? Number(line[1]) / 1024 : 0;
};

const catalog = loadCatalog();
const devices = generateFleet(catalog, count, 1);
const log = (text: string) => process.stdout.write(`${text}\n`);
let target: { mqttPort: number; clients(): number; close(): Promise<void> };
let credentials: DeviceCredentials[];
if (values.against === 'ioc') {
  // Only this mode needs the IOC, which takes seconds to load.
  const { startMeasuredApp } = await import('./measured-app.ts');
  const measured = await startMeasuredApp('simulator');
  const { app } = measured;
  log(`registering ${count} generated devices in the IOC (one scrypt hash each) …`);
  credentials = [];
  for (let i = 0; i < devices.length; i += 2000) {
    for (const { id, secret } of await app.registry.createMany(devices.slice(i, i + 2000))) {
      const d = app.registry.get(id)!;
      credentials.push({ id, kind: d.kind, city: d.city, topicPrefix: topicPrefix(d), secret });
    }
  }
  target = {
    mqttPort: app.mqttPort ?? 0,
    clients: () => app.broker.connectedClients(),
    close: () => measured.close(),
  };
} else {
  const broker = await Aedes.createBroker();
  const server = createServer(broker.handle);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  credentials = devices.map((d) => ({
    id: d.id,
    kind: d.kind,
    city: d.city,
    topicPrefix: topicPrefix(d),
    secret: 'x',
  }));
  target = {
    mqttPort: (server.address() as AddressInfo).port,
    clients: () => broker.connectedClients,
    close: async () => {
      await new Promise<void>((ok) => broker.close(() => ok()));
      server.close();
    },
  };
}
const dir = await mkdtemp(join(tmpdir(), 'ioc-measure-sim-'));
try {
  const file = join(dir, 'credentials.json');
  await writeCredentialsFile(file, `mqtt://127.0.0.1:${target.mqttPort}`, credentials);
  const expectedRate = devices.reduce((sum, d) => sum + 1 / catalog.kind(d.kind).reportingIntervalS, 0);

  // The cost of the process itself (Node, tsx, the catalog): the same command holding one device.
  const idle = spawn(
    process.execPath,
    ['--import', 'tsx', 'simulators/cli.ts', '--credentials', file, '--devices', '1', '--duration', '10'],
    { cwd: root, stdio: 'ignore' },
  );
  const baseline = await new Promise<number>((ok) => setTimeout(() => ok(rssMiB(idle.pid!)), 8000));
  await new Promise((ok) => idle.on('exit', ok));

  const connectS = Math.ceil(count / connectRate) + 150;
  log(`starting the simulator: ${count} devices, up to ${connectS} s to connect, then ${holdS} s held`);
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'simulators/cli.ts',
      '--credentials',
      file,
      '--connect-rate',
      String(connectRate),
      '--drop',
      '0',
      '--link-drops',
      '0',
      '--duration',
      String(connectS + holdS),
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let connected = 0;
  let rate = 0;
  let summary = '';
  child.stdout.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      const m = line.match(/connected (\d+)\/\d+\s+([\d.]+) msg\/s/);
      if (m) {
        connected = Number(m[1]);
        rate = Number(m[2]);
      }
      if (line.startsWith('stopped') || line.startsWith('  ')) summary += `${line}\n`;
    }
  });
  const samples: Array<{ connected: number; rss: number; rate: number }> = [];
  let allConnectedAt: number | undefined;
  let peakRss = 0;
  const timer = setInterval(() => {
    try {
      const rss = rssMiB(child.pid!);
      peakRss = Math.max(peakRss, rss);
      samples.push({ connected, rss, rate });
      if (connected >= count && allConnectedAt === undefined) allConnectedAt = Date.now();
    } catch {}
  }, 1000);
  await new Promise((ok) => child.on('exit', ok));
  clearInterval(timer);

  const held = samples.filter((s) => s.connected === Math.max(...samples.map((x) => x.connected)));
  const largest = held[0]?.connected ?? 0;
  const steady = held.slice(Math.floor((held.length * 2) / 3));
  const rssHeld = steady.length ? steady.reduce((a, s) => a + s.rss, 0) / steady.length : 0;
  const rateHeld = steady.length ? steady.reduce((a, s) => a + s.rate, 0) / steady.length : 0;
  log('');
  const mib = (n: number) => formatBytes(n * 1_048_576);
  log(`devices asked for:         ${formatCount(count)}`);
  log(
    `largest fleet held:        ${formatCount(largest)} connected at once${allConnectedAt ? '' : ' (not all connected)'}`,
  );
  log(
    `simulator memory:          ${mib(baseline)} holding one device, ${mib(rssHeld)} held (peak ${mib(peakRss)})`,
  );
  log(
    `memory per device:         ${largest ? mib((rssHeld - baseline) / largest) : '–'} (RSS growth / connected devices)`,
  );
  log(
    `telemetry while held:      ${formatCount(Math.round(rateHeld))} msg/s (the kinds' normal intervals give ${formatCount(Math.round(expectedRate))} msg/s)`,
  );
  log(`against:                   ${values.against === 'ioc' ? 'the whole IOC' : 'a bare aedes broker'}`);
  log(`broker clients afterwards: ${target.clients()}`);
  process.stdout.write(summary);
} finally {
  await target.close();
  await rm(dir, { recursive: true, force: true });
  process.exit(0);
}
