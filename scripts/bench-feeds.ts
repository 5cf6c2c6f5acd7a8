// npm run bench:feeds -- [options] (--help lists them): one year of hourly history for a city's fleet,
// the refresher turning it into indicators, then the province's two heavy reads timed: a whole city
// for a year by month, and a ward for a month by day. Target: p95 under 300 ms. Writes
// bench/results/feeds-<date>.json and prints a markdown table with the database size.
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { loadCatalog } from '../src/catalog/index.ts';
import { parseCommandLine, wholeNumber } from '../src/cli/commandLine.ts';
import { createProgress, formatBytes, formatCount, formatDuration } from '../src/cli/units.ts';
import { loadConfig } from '../src/config.ts';
import { createFeeds } from '../src/feeds/index.ts';
import { localDate } from '../src/feeds/periods.ts';
import { createLogger } from '../src/log.ts';
import { type EmbeddedDatabase, startEmbeddedPostgres } from '../src/storage/embedded.ts';
import { migrate } from '../src/storage/migrate.ts';
import { createPool } from '../src/storage/pool.ts';
import { createFreshDatabase } from './fresh-database.ts';

const help = `Đo tốc độ dữ liệu tổng hợp cho tỉnh / Benchmark of the province feeds

Usage: npm run bench:feeds -- [options]

Loads hourly history for a city's fleet into a fresh database, runs the refresher over it, then
times the province's heavy reads (a city for a year by month, a ward for a month by day, ...).
Target: p95 under 300 ms. Prints a markdown table with the database sizes and writes
bench/results/feeds-<date>.json. Uses DATABASE_URL's server, else the embedded PostgreSQL of
$DATA_DIR; the fresh database is dropped at the end.

Options
  --devices <n>    devices in the fleet, at least 10 so every kind has one (default: 2000)
  --days <n>       days of hourly history, from 2025-01-01 (default: 365)
  --runs <n>       timed runs of each query (default: 40)
  --keep           keep the fresh database afterwards to look into it (default: off)
  -h, --help       this text

Example
  npm run bench:feeds -- --devices 500 --days 90 --runs 10
`;

const { values } = parseCommandLine('bench:feeds', help, {
  options: {
    devices: { type: 'string', default: '2000' },
    runs: { type: 'string', default: '40' },
    days: { type: 'string', default: '365' },
    keep: { type: 'boolean', default: false },
  },
});
const deviceCount = wholeNumber('bench:feeds', 'devices', values.devices, 10);
const runs = wholeNumber('bench:feeds', 'runs', values.runs, 1);
const days = wholeNumber('bench:feeds', 'days', values.days, 1);
const log = createLogger('warn');
const city = 'tay-ninh';
const yearStart = new Date('2025-01-01T00:00:00+07:00');
const yearEnd = new Date(yearStart.getTime() + days * 86_400_000);

/** Kinds in the proportions of a streetlight-led deployment, with the metrics the indicators read. */
const mix: Array<{ kind: string; share: number; metrics: Array<[string, string]> }> = [
  {
    kind: 'streetlight',
    share: 0.4,
    metrics: [
      ['lamp_on', 'CASE WHEN extract(hour FROM lt) >= 18 OR extract(hour FROM lt) < 6 THEN 1 ELSE 0 END'],
      ['energy_kwh', 'extract(epoch FROM h - $1::timestamptz) / 3600 * 0.08'],
    ],
  },
  {
    kind: 'environment',
    share: 0.1,
    metrics: [
      ['pm25', '25 + 20 * sin(extract(hour FROM lt) / 24 * 2 * pi()) + random() * 15'],
      ['pm10', '45 + 25 * sin(extract(hour FROM lt) / 24 * 2 * pi()) + random() * 20'],
      ['no2', '30 + random() * 40'],
      ['so2', '10 + random() * 20'],
      ['o3', '40 + 60 * greatest(0, sin((extract(hour FROM lt) - 6) / 12 * pi())) + random() * 10'],
      ['co', '800 + random() * 1500'],
    ],
  },
  {
    kind: 'noise',
    share: 0.1,
    metrics: [['laeq_db', '55 + 12 * sin(extract(hour FROM lt) / 24 * 2 * pi()) + random() * 8']],
  },
  { kind: 'waste', share: 0.2, metrics: [['fill_pct', '(extract(hour FROM lt) * 4.2 + random() * 10)']] },
  { kind: 'camera', share: 0.1, metrics: [['recording', 'CASE WHEN random() < 0.98 THEN 1 ELSE 0 END']] },
  { kind: 'fire', share: 0.1, metrics: [['smoke_pct', 'random() * 2']] },
];

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main() {
  const config = loadConfig();
  let embedded: EmbeddedDatabase | undefined;
  let serverUrl = config.DATABASE_URL;
  if (!serverUrl) {
    embedded = await startEmbeddedPostgres(config.DATA_DIR, log);
    serverUrl = embedded.url;
  }
  const fresh = await createFreshDatabase(serverUrl, `ioc_bench_feeds_${Date.now().toString(36)}`);
  const database = fresh.name;
  const pool = createPool(fresh.url, { max: 4 });
  const catalog = loadCatalog();
  try {
    await migrate(pool, log);
    const wards = catalog.wardIds(city);
    console.log(`loading ${deviceCount} devices × ${days} days of hourly history into ${database} …`);
    const t0 = performance.now();
    const progress = createProgress('bench:feeds');
    const months = Math.ceil((yearEnd.getTime() - yearStart.getTime()) / (30 * 86_400_000));
    let month = 0;
    let loadedRows = 0;
    const loading = (step: string) =>
      `${step}, ${formatCount(loadedRows)} hourly rows, ${formatDuration(performance.now() - t0)}`;
    progress.update(loading('devices'), true);
    let offset = 0;
    for (const { kind, share } of mix) {
      const n = Math.round(deviceCount * share);
      await pool.query(
        `INSERT INTO devices (id, kind, city, ward, lat, lon, zone, name, secret_hash, created_at)
         SELECT $1 || '-' || lpad(i::text, 5, '0'), $1, $2, ($3::text[])[1 + i % cardinality($3::text[])],
                11.31 + (i % 50) * 0.001, 106.10 + (i / 50) * 0.001, CASE WHEN i % 5 = 0 THEN 'special' ELSE 'normal' END,
                $1 || ' ' || i, 'x', $4
         FROM generate_series($5::int, $5::int + $6::int - 1) AS i`,
        [kind, city, wards, new Date(yearStart.getTime() - 86_400_000), offset, n],
      );
      offset += n;
    }
    // Month by month: an hourly row stands for 60 readings of a one-minute device.
    for (let m = yearStart.getTime(); m < yearEnd.getTime(); m += 30 * 86_400_000) {
      const to = new Date(Math.min(m + 30 * 86_400_000, yearEnd.getTime()));
      for (const { kind, metrics } of mix) {
        for (const [metric, expression] of metrics) {
          const inserted = await pool.query(
            `INSERT INTO telemetry_hourly (device_id, metric, hour, count, sum, min, max)
             SELECT d.id, $3, h, 60, 60 * v, v * 0.8, v * 1.2
             FROM devices d, generate_series($4::timestamptz, $5::timestamptz - interval '1 hour', interval '1 hour') AS h,
                  LATERAL (SELECT h AT TIME ZONE 'Asia/Ho_Chi_Minh' AS lt) l,
                  LATERAL (SELECT (${expression})::float8 AS v) x
             WHERE d.kind = $2 AND d.created_at < $1::timestamptz + interval '1 day'`,
            [yearStart, kind, metric, new Date(m), to],
          );
          loadedRows += inserted.rowCount ?? 0;
          progress.update(loading(`tháng / month ${month + 1}/${months} (${localDate(new Date(m))})`));
        }
      }
      // Noise exceedance is counted from raw readings: one per hour for each noise meter.
      await pool.query(
        `INSERT INTO telemetry_messages (time, device_id, metrics)
         SELECT hour + interval '30 minutes', device_id, jsonb_build_object(metric, sum / count) FROM telemetry_hourly
         WHERE metric = 'laeq_db' AND hour >= $1 AND hour < $2`,
        [new Date(m), to],
      );
      month++;
      progress.update(loading(`tháng / month ${month}/${months}`), true);
    }
    progress.update(loading('alerts, ANALYZE'), true);
    // A year of alerts: about 30 a day, a third acknowledged within the hour, most resolved.
    await pool.query(
      `INSERT INTO alerts (rule_id, device_id, kind, city, ward, severity, state, message_vi, message_en,
                           opened_at, last_seen_at, acknowledged_at, resolved_at)
       SELECT r.id, d.id, d.kind, d.city, d.ward, r.severity, 'resolved', r.message_vi, r.message_en,
              t, t, CASE WHEN i % 3 = 0 THEN t + interval '20 minutes' END, t + interval '2 hours'
       FROM generate_series(1, $2::int) AS i
       CROSS JOIN LATERAL (SELECT $1::timestamptz + (i * 2880 || ' seconds')::interval AS t) tt
       JOIN LATERAL (SELECT * FROM devices ORDER BY id OFFSET (i * 7919) % $3 LIMIT 1) d ON true
       JOIN LATERAL (SELECT * FROM alert_rules WHERE kind = d.kind OR kind IS NULL ORDER BY id OFFSET i % 2 LIMIT 1) r ON true`,
      [yearStart, days * 30, deviceCount],
    );
    await pool.query('ANALYZE');
    const loadS = (performance.now() - t0) / 1000;
    const hourlyRows = Number((await pool.query('SELECT count(*) AS n FROM telemetry_hourly')).rows[0].n);
    progress.done(`loaded ${formatCount(hourlyRows)} hourly rows in ${formatDuration(loadS * 1000)}`);

    // The refresher, as after an import: every hour of the year marked changed.
    await pool.query(
      `INSERT INTO rollup_dirty (hour) SELECT generate_series($1::timestamptz, $2::timestamptz - interval '1 hour', interval '1 hour')`,
      [yearStart, yearEnd],
    );
    const feeds = createFeeds({
      pool,
      catalog,
      log,
      publishDelayS: 600,
      clock: () => new Date(yearEnd.getTime() + 86_400_000),
    });
    const t1 = performance.now();
    const refreshed = await feeds.refresher.runUntilIdle();
    const refreshS = (performance.now() - t1) / 1000;
    console.log(`refreshed ${refreshed.hours} hours and ${refreshed.days} days in ${refreshS.toFixed(1)} s`);

    const ward = wards[0]!;
    const monthStart = new Date('2025-06-01T00:00:00+07:00');
    const queries = {
      'city, a year by month': () =>
        feeds.indicators({ city, period: 'month', from: yearStart, to: yearEnd }),
      'city, a year by quarter': () =>
        feeds.indicators({ city, period: 'quarter', from: yearStart, to: yearEnd }),
      'every ward, a year by month': () =>
        feeds.indicators({ city, ward: '*', period: 'month', from: yearStart, to: yearEnd }),
      'a ward, a month by day': () =>
        feeds.indicators({
          city,
          ward,
          period: 'day',
          from: monthStart,
          to: new Date('2025-07-01T00:00:00+07:00'),
        }),
      'a ward, a day by hour': () =>
        feeds.indicators({
          city,
          ward,
          period: 'hour',
          from: monthStart,
          to: new Date(monthStart.getTime() + 86_400_000),
        }),
    };
    const results: Record<string, { items: number; p50: number; p95: number; max: number }> = {};
    for (const [name, run] of Object.entries(queries)) {
      await run(); // warm the cache the way a polling job does
      const times: number[] = [];
      let items = 0;
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        items = (await run()).items.length;
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      results[name] = { items, p50: percentile(times, 50), p95: percentile(times, 95), max: times.at(-1)! };
    }
    const sizes = (
      await pool.query(
        `SELECT pg_database_size(current_database()) AS database,
                pg_total_relation_size('telemetry_hourly') AS hourly, pg_total_relation_size('telemetry_daily') AS daily,
                pg_total_relation_size('indicator_hourly') AS indicator_hourly, pg_total_relation_size('indicator_daily') AS indicator_daily`,
      )
    ).rows[0];
    const size = (bytes: string) => formatBytes(Number(bytes));
    const table = [
      `Feeds benchmark, ${new Date().toISOString().slice(0, 10)}: ${deviceCount} devices, ${days} days of hourly history (${hourlyRows.toLocaleString('en')} hourly rows), ${cpus().length} cores, ${formatBytes(totalmem())}, PostgreSQL ${embedded ? '(embedded)' : 'from DATABASE_URL'}`,
      '',
      '| Query | Items | p50 ms | p95 ms | max ms |',
      '|---|---:|---:|---:|---:|',
      ...Object.entries(results).map(
        ([name, r]) =>
          `| ${name} | ${r.items} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.max.toFixed(1)} |`,
      ),
      '',
      `Refresh of the whole year: ${refreshS.toFixed(1)} s (${(refreshed.hours / refreshS).toFixed(0)} hours/s). ` +
        `Database ${size(sizes.database)}: telemetry_hourly ${size(sizes.hourly)}, telemetry_daily ${size(sizes.daily)}, ` +
        `indicator_hourly ${size(sizes.indicator_hourly)}, indicator_daily ${size(sizes.indicator_daily)}. Target p95 < 300 ms.`,
    ].join('\n');
    console.log(`\n${table}`);
    await mkdir('bench/results', { recursive: true });
    const file = `bench/results/feeds-${new Date().toISOString().slice(0, 10)}.json`;
    await writeFile(
      file,
      `${JSON.stringify({ devices: deviceCount, days, hourlyRows, loadS, refreshS, refreshed, results, sizes, table }, null, 2)}\n`,
    );
    console.log(`\nwritten to ${file}`);
    await feeds.stop();
  } finally {
    await pool.end();
    if (!values.keep) await fresh.drop();
    await embedded?.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
