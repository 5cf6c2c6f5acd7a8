// npm run measure:console -- [options] (--help lists them)
// The console under load in headless Chromium: publish → browser latency of live telemetry (the
// reading's ts, stamped at publish, against the browser's clock on arrival; same machine, same clock)
// and the page's frame times with every device on the map, while telemetry batches arrive every 20 ms;
// and publish → sound: fire alarms published one at a time during that load, each timed until the
// console's alarm is heard for it, then acknowledged so the next one starts the sound anew.
import { parseCommandLine, wholeNumber } from '../src/cli/commandLine.ts';

const help = `Đo bảng điều khiển khi tải nặng / The console under load, in headless Chromium

Usage: npm run measure:console -- [options]

Runs the IOC in this process (a fresh database on DATABASE_URL's server, else the embedded
PostgreSQL in a temporary DATA_DIR), puts every device on the console's map, and while 200
publishers in another process send live telemetry, measures publish → browser latency and the
page's frame times. Needs Chromium (see tests/helpers/browser.ts). Prints JSON and saves a
screenshot to docs/console-10000-devices.png.

Options
  --devices <n>          devices on the map, at least 200 (default: 10000)
  --background <msg/s>   live telemetry offered per second (default: 1000)
  --seconds <n>          how long the telemetry runs (default: 10)
  --alarms <n>           fire alarms published one after another during the load (default: 20)
  -h, --help             this text

Example
  npm run measure:console -- --devices 2000 --seconds 5
`;

const { values } = parseCommandLine('measure:console', help, {
  options: {
    devices: { type: 'string', default: '10000' },
    background: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '10' },
    alarms: { type: 'string', default: '20' },
  },
});
// The 200 publishers are among the devices on the map.
const total = wholeNumber('measure:console', 'devices', values.devices, 200);
const seconds = wholeNumber('measure:console', 'seconds', values.seconds, 1);
const backgroundRate = wholeNumber('measure:console', 'background', values.background, 1);
const alarmCount = wholeNumber('measure:console', 'alarms', values.alarms, 0);

// Loaded once the options are read: the whole IOC and Playwright take seconds to load, and --help
// needs none of it.
const { startGenerator } = await import('../bench/fleet.ts');
const { generatedSecretCost, hashSecret } = await import('../src/auth/secrets.ts');
const { launchChromium } = await import('../tests/helpers/browser.ts');
const { startMeasuredApp } = await import('./measured-app.ts');
const coalesceMs = '20'; // 50 telemetry batches a second, the bar the console must clear
const measured = await startMeasuredApp('console', { LIVE_COALESCE_MS: coalesceMs });
const { app } = measured;

// The map's devices: registered in one statement with one shared hash (they never connect), plus
// 200 publishers with their own credentials.
const wards = app.catalog.fleets.get('tay-ninh')!.wards;
const hash = await hashSecret('unused-secret-for-map-only-devices', generatedSecretCost);
const runId = Date.now().toString(36);
const kinds = ['streetlight', 'environment', 'noise', 'fire', 'waste', 'camera'] as const;
await app.registry.load();
const { createDeviceQueries } = await import('../src/storage/devices.ts');
await createDeviceQueries(app.pool).insertMany(
  Array.from({ length: total - 200 }, (_, i) => {
    const ward = wards[i % wards.length]!;
    return {
      id: `tn-map-${runId}-${i}`,
      kind: kinds[i % kinds.length]!,
      city: 'tay-ninh' as const,
      ward: ward.id,
      lat: ward.lat + ((i % 97) - 48) * 0.0004,
      lon: ward.lon + ((i % 89) - 44) * 0.0004,
      pole: null,
      zone: null,
      name: `Thiết bị ${i}`,
      secretHash: hash,
    };
  }),
);
await app.registry.load();
const publishers = await app.registry.createMany(
  Array.from({ length: 200 }, (_, i) => {
    const ward = wards[i % wards.length]!;
    return {
      id: `tn-p3-env-c${runId}-${i}`,
      kind: 'environment' as const,
      city: 'tay-ninh' as const,
      ward: ward.id,
      lat: ward.lat,
      lon: ward.lon,
      pole: null,
      zone: null,
      name: `Trạm ${i}`,
    };
  }),
);
// The fire sensors whose alarms are timed to the console's sound.
const fireSensors = await app.registry.createMany(
  Array.from({ length: alarmCount }, (_, i) => {
    const ward = wards[i % wards.length]!;
    return {
      id: `tn-fire-c${runId}-${i}`,
      kind: 'fire' as const,
      city: 'tay-ninh' as const,
      ward: ward.id,
      lat: ward.lat + 0.001,
      lon: ward.lon + 0.001,
      pole: null,
      zone: null,
      name: `Báo cháy ${i}`,
    };
  }),
);
// Live state learns of devices from the registry's change events; the bulk insert above bypassed them.
for (const device of app.registry.all()) app.live.state.upsertDevice(device);

const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
await page.goto(`http://127.0.0.1:${app.httpPort}/`);
await page.fill('#username', 'admin');
await page.fill('#password', 'measurement-password');
const loginAt = Date.now();
await page.click('#login button[type=submit]');
await page.waitForFunction(
  (n) => (globalThis as { iocConsole?: { devices(): number } }).iocConsole?.devices() === n,
  total + alarmCount,
  {
    timeout: 120_000,
  },
);
const snapshotMs = Date.now() - loginAt;

// A string, not a function: the bundler's name helpers do not exist in the page.
await page.evaluate(`
  window.iocConsole.record = [];
  window.frames_ = [];
  let last = performance.now();
  function tick(now) {
    window.frames_.push(now - last);
    last = now;
    if (window.frames_.length < 100000) requestAnimationFrame(tick);
  }
  requestAnimationFrame(tick);
`);
// The publishers, in their own process: the benchmark's generator (readings stamped at publish).
const publisher = startGenerator();
await publisher.request(
  {
    type: 'connect',
    url: `mqtt://127.0.0.1:${app.mqttPort}`,
    devices: publishers.map((p) => ({ ...p, topic: `ioc/tay-ninh/environment/${p.id}/telemetry` })),
  },
  'connected',
);
const running = publisher.request(
  { type: 'run', qos: 1, rate: backgroundRate, seconds, window: 16, cap: Number.MAX_SAFE_INTEGER },
  'ran',
);
// Meanwhile, one fire alarm at a time: publish, wait until the console sounds for it, acknowledge.
const { connectDevice, publish } = await import('../tests/helpers/mqtt.ts');
const base = `http://127.0.0.1:${app.httpPort}`;
const login = await fetch(`${base}/api/v1/auth/login`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ username: 'admin', password: 'measurement-password' }),
});
const { token } = (await login.json()) as { token: string };
const soundMs: number[] = [];
for (const sensor of fireSensors) {
  const client = await connectDevice(`mqtt://127.0.0.1:${app.mqttPort}`, sensor.id, sensor.secret);
  const publishedAt = Date.now();
  await publish(
    client,
    `ioc/tay-ninh/fire/${sensor.id}/telemetry`,
    JSON.stringify({ metrics: { alarm: 1 } }),
  );
  const found = await page.waitForFunction(
    (id) =>
      (globalThis as any).iocConsole.heard().find((h: { deviceId: string }) => h.deviceId === id) ?? false,
    sensor.id,
    { timeout: 30_000, polling: 'raf' },
  );
  const heard = (await found.jsonValue()) as { alertId: number; at: number };
  soundMs.push(heard.at - publishedAt);
  client.end(true);
  await fetch(`${base}/api/v1/alerts/${heard.alertId}/ack`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: '{}',
  });
  await page.waitForFunction(() => !(globalThis as any).iocConsole.sounding(), undefined, {
    timeout: 30_000,
  });
}
const { stats } = await running;
const published = { messages: stats.published };
const { latencies, frames } = (await page.evaluate(
  '({ latencies: window.iocConsole.record, frames: window.frames_ })',
)) as {
  latencies: number[];
  frames: number[];
};
await page.screenshot({ path: 'docs/console-10000-devices.png' });
const quantile = (xs: number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
};
console.log(
  JSON.stringify(
    {
      devicesOnMap: total,
      backgroundOfferedMsgPerS: backgroundRate,
      published: published.messages,
      liveCoalesceMs: Number(coalesceMs),
      snapshotToAllMarkersMs: snapshotMs,
      publishToBrowserMs: {
        samples: latencies.length,
        p50: quantile(latencies, 0.5),
        p99: quantile(latencies, 0.99),
      },
      publishToSoundMs: {
        samples: soundMs.length,
        p50: quantile(soundMs, 0.5),
        p99: quantile(soundMs, 0.99),
        max: quantile(soundMs, 1),
      },
      frameMs: {
        frames: frames.length,
        p50: quantile(frames, 0.5),
        p99: quantile(frames, 0.99),
        max: quantile(frames, 1),
      },
    },
    null,
    2,
  ),
);
publisher.close();
await browser.close();
await measured.close();
process.exit(0);
