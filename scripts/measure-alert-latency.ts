// npm run measure:alert-latency -- [options] (--help lists them)
// Fire alarm → alert row stored, under a background load of ordinary telemetry: the app in this
// process, the background publishers in another (the benchmark's generator, bench/load/), and fire
// sensors here publishing alarms one at a time at QoS 1. The clock starts before the PUBLISH leaves.
import { parseCommandLine, wholeNumber } from '../src/cli/commandLine.ts';

const help = `Đo độ trễ báo cháy / Fire alarm → alert stored, under background load

Usage: npm run measure:alert-latency -- [options]

Runs the IOC in this process (a fresh database on DATABASE_URL's server, else the embedded
PostgreSQL in a temporary DATA_DIR) with background telemetry from the benchmark's generator in
another process, then fire sensors publish alarms one at a time at QoS 1. Prints the alarm →
alert-row latency (p50, p90, p99, max) as JSON.

Options
  --background <msg/s>  background telemetry offered per second (default: 2000)
  --devices <n>         background publishers, one connection each (default: 200)
  --trials <n>          fire alarms timed, one sensor each (default: 30)
  -h, --help            this text

Example
  npm run measure:alert-latency -- --background 500 --trials 10
`;

const { values } = parseCommandLine('measure:alert-latency', help, {
  options: {
    background: { type: 'string', default: '2000' },
    devices: { type: 'string', default: '200' },
    trials: { type: 'string', default: '30' },
  },
});
const trials = wholeNumber('measure:alert-latency', 'trials', values.trials, 1);
const background = wholeNumber('measure:alert-latency', 'background', values.background, 1);
const backgroundDevices = wholeNumber('measure:alert-latency', 'devices', values.devices, 1);

// Loaded once the options are read: the whole IOC takes seconds to load, and --help needs none of it.
const { default: mqtt } = await import('mqtt');
const { startGenerator } = await import('../bench/fleet.ts');
const { startMeasuredApp } = await import('./measured-app.ts');

const measured = await startMeasuredApp('alertlat');
const app = measured.app;
const place = {
  city: 'tay-ninh' as const,
  ward: 'phuong-tan-ninh',
  lat: 11.3,
  lon: 106.1,
  pole: null,
  zone: null,
};
const runId = Date.now().toString(36);
const envs = await app.registry.createMany(
  Array.from({ length: backgroundDevices }, (_, i) => ({
    ...place,
    id: `tn-p3-env-a${runId}-${i}`,
    kind: 'environment' as const,
    name: `Nền ${i}`,
  })),
);
const fires = await app.registry.createMany(
  Array.from({ length: trials }, (_, i) => ({
    ...place,
    id: `tn-p3-fire-a${runId}-${i}`,
    kind: 'fire' as const,
    name: `Cháy ${i}`,
  })),
);

const publisher = startGenerator();
await publisher.request(
  {
    type: 'connect',
    url: `mqtt://127.0.0.1:${app.mqttPort}`,
    devices: envs.map((e) => ({ ...e, topic: `ioc/tay-ninh/environment/${e.id}/telemetry` })),
  },
  'connected',
);
const seconds = Math.ceil(trials * 0.3) + 5;
const backgroundRun = publisher.request(
  { type: 'run', qos: 1, rate: background, seconds, window: 16, cap: Number.MAX_SAFE_INTEGER },
  'ran',
);
await new Promise((r) => setTimeout(r, 2_000)); // let the background load settle

const opened = new Map<string, number>();
// The shipped fire alarm rule, by its key: its name is a text people read and may change.
const { loadDefaultRules } = await import('../src/alerts/rules.ts');
const fireAlarmRule = loadDefaultRules().find((r) => r.key === 'fire-alarm')!.name;
app.bus.on('alert', ({ action, alert }) => {
  if (action === 'opened' && alert.ruleName === fireAlarmRule) opened.set(alert.deviceId, performance.now());
});
const latencies: number[] = [];
for (const sensor of fires) {
  const client = mqtt.connect(`mqtt://127.0.0.1:${app.mqttPort}`, {
    clientId: sensor.id,
    username: sensor.id,
    password: sensor.secret,
  });
  await new Promise((ok) => client.once('connect', ok));
  const started = performance.now();
  await client.publishAsync(
    `ioc/tay-ninh/fire/${sensor.id}/telemetry`,
    JSON.stringify({ metrics: { alarm: 1, smoke_pct: 15 } }),
    { qos: 1 },
  );
  while (!opened.has(sensor.id)) await new Promise((r) => setTimeout(r, 1));
  latencies.push(opened.get(sensor.id)! - started);
  await client.endAsync();
  await new Promise((r) => setTimeout(r, 200));
}
const background_ = { messages: (await backgroundRun).stats.published };
latencies.sort((a, b) => a - b);
const at = (q: number) =>
  Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]! * 10) / 10;
console.log(
  JSON.stringify(
    {
      trials,
      backgroundOfferedMsgPerS: background,
      backgroundPublished: background_.messages,
      alarmToAlertStoredMs: { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) },
    },
    null,
    2,
  ),
);
publisher.close();
await measured.close();
process.exit(0);
