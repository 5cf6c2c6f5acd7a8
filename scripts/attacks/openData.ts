// Anonymous open-data requests against a real production-mode IOC, and what they do to it: many
// distinct large pages asked for at once (each a cache miss and a long database read), the process's
// memory meanwhile and afterwards, and /healthz. The IOC runs as its own process (src/main.ts of
// --app-dir) on a database this script fills with hourly history, published by the IOC's own refresher.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadCatalog } from '../../src/catalog/index.ts';
import { parseCommandLine, wholeNumber } from '../../src/cli/commandLine.ts';
import { createLogger } from '../../src/log.ts';
import { startEmbeddedPostgres } from '../../src/storage/embedded.ts';
import { createPool } from '../../src/storage/pool.ts';
import { createFreshDatabase } from '../fresh-database.ts';
import { mib, rssOf, sleep, startProductionIoc } from './target.ts';

const command = 'attack:open-data';
const help = `Tấn công dữ liệu mở / Open-data flood: many distinct large anonymous pages at once

Usage: npx tsx scripts/attacks/openData.ts [options]

Starts an embedded PostgreSQL and the IOC of --app-dir on a fresh database (NODE_ENV=production,
OPEN_DATA_ENABLED=true, free ports), loads --devices devices × --days days of hourly history (three
metrics each), waits for the IOC's refresher to publish it, then sends --requests anonymous
/api/v1/open/aggregates requests at once, each a distinct query of limit=50000. Prints as JSON: the
IOC's RSS before, at its highest and --settle seconds after, /healthz latency during the flood
(median, max), the answers by status and how long the flood took.

Options
  --app-dir <path>      checkout whose src/main.ts is started (default: this repository)
  --devices <n>         environment stations (default 300)
  --days <n>            days of hourly history (default 10)
  --requests <n>        distinct requests sent at once (default 40)
  --settle <n>          seconds watched after the flood (default 20)
  -h, --help            this text

Example
  npx tsx scripts/attacks/openData.ts
  npx tsx scripts/attacks/openData.ts --app-dir /tmp/before-open
`;

const { values } = parseCommandLine(command, help, {
  options: {
    'app-dir': { type: 'string' },
    devices: { type: 'string', default: '300' },
    days: { type: 'string', default: '10' },
    requests: { type: 'string', default: '40' },
    settle: { type: 'string', default: '20' },
  },
});
const appDir = resolve(values['app-dir'] ?? new URL('../../', import.meta.url).pathname);
const deviceCount = wholeNumber(command, 'devices', values.devices, 1);
const days = wholeNumber(command, 'days', values.days, 3);
const requests = wholeNumber(command, 'requests', values.requests, 1);
const settleS = wholeNumber(command, 'settle', values.settle, 1);
const start = new Date('2025-03-01T00:00:00+07:00');
const hours = days * 24;

const startIoc = (dataDir: string, databaseUrl: string) =>
  startProductionIoc(appDir, dataDir, {
    DATABASE_URL: databaseUrl,
    OPEN_DATA_ENABLED: 'true',
    FEEDS_REFRESH_S: '1',
    FEEDS_FOLD_S: '3600',
    FEEDS_PUBLISH_DELAY_S: '0',
    BACKUP_SCHEDULE: 'off',
  });

const log = createLogger('warn');
const workDir = await mkdtemp(join(tmpdir(), 'ioc-attack-open-'));
const embedded = await startEmbeddedPostgres(join(workDir, 'pg'), log);
const fresh = await createFreshDatabase(embedded.url, `ioc_attack_open_${Date.now().toString(36)}`);
let ioc: { child: ChildProcess; http: string } | undefined;
const pool = createPool(fresh.url, { max: 2 });
try {
  ioc = await startIoc(join(workDir, 'data'), fresh.url);
  const pid = ioc.child.pid!;
  const wards = loadCatalog().wardIds('tay-ninh');
  await pool.query(
    `INSERT INTO devices (id, kind, city, ward, lat, lon, name, secret_hash, created_at)
     SELECT 'tn-env-' || lpad(i::text, 5, '0'), 'environment', 'tay-ninh', ($1::text[])[1 + i % cardinality($1::text[])],
            11.31, 106.1, 'env ' || i, 'x', '2025-01-01'
     FROM generate_series(1, $2::int) AS i`,
    [wards, deviceCount],
  );
  await pool.query(
    `INSERT INTO telemetry_hourly (device_id, metric, hour, count, sum, min, max)
     SELECT d.id, m, h, 60, 60 * (20 + random() * 30), 15.25, 70.75
     FROM devices d, unnest(ARRAY['pm25', 'pm10', 'no2']) AS m,
          generate_series($1::timestamptz, $1::timestamptz + ($2::int - 1) * interval '1 hour', interval '1 hour') AS h`,
    [start, hours],
  );
  await pool.query(
    `INSERT INTO rollup_dirty (hour)
     SELECT generate_series($1::timestamptz, $1::timestamptz + ($2::int - 1) * interval '1 hour', interval '1 hour')`,
    [start, hours],
  );
  await pool.query('ANALYZE');
  // The IOC's own refresher publishes the hours (each version with its own code).
  for (;;) {
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM feed_publications WHERE scope = 'hour'`,
    );
    if (rows[0]!.n >= hours) break;
    await sleep(500);
  }
  await sleep(3_000);

  const rssBefore = rssOf(pid);
  let rssMax = rssBefore;
  const health: number[] = [];
  const sampler = setInterval(() => {
    rssMax = Math.max(rssMax, rssOf(pid));
    const started = performance.now();
    void fetch(`${ioc!.http}/healthz`, { signal: AbortSignal.timeout(60_000) })
      .then((res) => res.text())
      .then(() => health.push(performance.now() - started))
      .catch(() => health.push(60_000));
  }, 250);

  const statuses = new Map<number, number>();
  const rowsPerHour = deviceCount * 3;
  const firstTo = Math.min(hours, Math.ceil(50_000 / rowsPerHour) + 1);
  const floodStarted = performance.now();
  await Promise.all(
    Array.from({ length: requests }, async (_, i) => {
      const to = new Date(start.getTime() + (firstTo + (i % (hours - firstTo + 1))) * 3_600_000);
      const from = new Date(start.getTime() - Math.floor(i / (hours - firstTo + 1)) * 3_600_000);
      const res = await fetch(
        `${ioc!.http}/api/v1/open/aggregates?limit=50000&from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`,
        { signal: AbortSignal.timeout(300_000) },
      ).catch(() => undefined);
      await res?.arrayBuffer();
      statuses.set(res?.status ?? 0, (statuses.get(res?.status ?? 0) ?? 0) + 1);
    }),
  );
  const floodS = (performance.now() - floodStarted) / 1000;
  const healthDuring = [...health].sort((a, b) => a - b);
  await sleep(settleS * 1000);
  clearInterval(sampler);
  const rssAfter = rssOf(pid);
  console.log(
    JSON.stringify(
      {
        appDir,
        history: { devices: deviceCount, days, hourlyRows: deviceCount * 3 * hours },
        requests,
        answers: Object.fromEntries(statuses),
        floodSeconds: Number(floodS.toFixed(1)),
        rssMiB: { before: mib(rssBefore), max: mib(rssMax), [`after${settleS}s`]: mib(rssAfter) },
        healthzMsDuringFlood: {
          samples: healthDuring.length,
          median: Math.round(healthDuring[Math.floor(healthDuring.length / 2)] ?? 0),
          max: Math.round(healthDuring.at(-1) ?? 0),
        },
      },
      null,
      2,
    ),
  );
} finally {
  ioc?.child.kill('SIGTERM');
  await new Promise((ok) => (ioc?.child.exitCode !== null ? ok(undefined) : ioc.child.once('exit', ok)));
  await pool.end();
  await fresh.drop().catch(() => {});
  await embedded.stop();
  await rm(workDir, { recursive: true, force: true });
}
