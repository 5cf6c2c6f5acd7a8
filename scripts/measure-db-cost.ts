// npm run measure:db-cost -- [options] (--help lists them): the database time per message of each
// statement ingest and the refresher run for a fleet of environment stations, one after the other on
// one connection, in a fresh database on DATABASE_URL's server (dropped at the end). It tells where
// PostgreSQL's share of the benchmark goes: storing a message, folding it into the hourly rollup,
// latest values and last-seen times.
import { parseCommandLine, usageError, wholeNumber } from '../src/cli/commandLine.ts';
import { createLogger } from '../src/log.ts';
import { touchLastSeen } from '../src/storage/lastSeen.ts';
import { migrate } from '../src/storage/migrate.ts';
import { createPool, inTransaction } from '../src/storage/pool.ts';
import { foldHourlyDeltas } from '../src/storage/rollups.ts';
import { insertTelemetry, telemetryBatch, writeLatest } from '../src/storage/telemetry.ts';
import { createFreshDatabase } from './fresh-database.ts';

const help = `Đo chi phí cơ sở dữ liệu cho mỗi bản tin / Database time per message, statement by statement

Usage: DATABASE_URL=postgres://… npm run measure:db-cost -- [options]

Times each statement of ingest and the refresher (storing messages, folding them into the hourly
rollup, latest values, last-seen times) for a fleet of environment stations, one after the other on
one connection, in a fresh database on DATABASE_URL's server (dropped at the end). Prints a markdown
table with the time per item. DATABASE_URL is required.

Options
  --devices <n>     stations (default: 10000)
  --per-fold <n>    messages per station between two folds; 10 is 10 000 msg/s from 10 000
                    stations folded every 10 s (default: 10)
  --rounds <n>      how many times the sequence runs (default: 2)
  -h, --help        this text

Example
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run measure:db-cost -- --devices 2000
`;

const { values } = parseCommandLine('measure:db-cost', help, {
  options: {
    devices: { type: 'string', default: '10000' },
    'per-fold': { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
  },
});
const deviceCount = wholeNumber('measure:db-cost', 'devices', values.devices, 1);
const rounds = wholeNumber('measure:db-cost', 'rounds', values.rounds, 1);
const perFold = wholeNumber('measure:db-cost', 'per-fold', values['per-fold'], 1);
const adminUrl = process.env.DATABASE_URL;
if (!adminUrl) {
  usageError(
    'measure:db-cost',
    'set DATABASE_URL to a PostgreSQL server (a fresh database is created there)',
  );
}

const database = await createFreshDatabase(adminUrl, `ioc_scratch_${Date.now()}`);
const pool = createPool(database.url, { max: 1 });
try {
  await migrate(pool, createLogger('silent'));
  const devices = Array.from({ length: deviceCount }, (_, i) => `tn-p1-env-${String(i).padStart(5, '0')}`);
  await pool.query(
    `INSERT INTO devices (id, kind, city, ward, lat, lon, name, secret_hash, created_at)
     SELECT id, 'environment', 'tay-ninh', 'phuong-tan-ninh', 11.3, 106.1, id, 'x', now() FROM unnest($1::text[]) AS id`,
    [devices],
  );
  // Messages per device per fold: 10 is 10,000 msg/s from 10,000 devices folded every 10 s.
  const messages = perFold * deviceCount;
  const batchSize = 5_000;
  const start = Date.now() - 3_600_000;
  let sent = 0;
  const batch = () =>
    telemetryBatch(
      Array.from({ length: batchSize }, () => {
        const n = sent++;
        return {
          deviceId: devices[n % deviceCount]!,
          time: new Date(start + Math.floor(n / deviceCount) * 1000),
          metrics: { pm25: Math.random() * 50, pm10: Math.random() * 80, temp_c: 30, humidity: 70 },
        };
      }),
    );
  const timed = async (label: string, count: number, unit: string, work: () => Promise<unknown>) => {
    const began = performance.now();
    await work();
    const ms = performance.now() - began;
    console.log(
      `| ${label} | ${count} ${unit} | ${ms.toFixed(0)} ms | ${((ms * 1000) / count).toFixed(1)} µs |`,
    );
  };

  console.log('| statement | of | took | per item |\n|---|---|---|---|');
  for (let round = 0; round < rounds; round++) {
    await timed('writer: messages and pending', messages, 'messages', async () => {
      for (let done = 0; done < messages; done += batchSize) await insertTelemetry(pool, batch());
    });
    await timed('fold into telemetry_hourly', messages, 'messages', () =>
      inTransaction(pool, (client) => foldHourlyDeltas(client)),
    );
    const at = new Date(Date.now() + round * 1000);
    const latest = devices.flatMap((deviceId) =>
      ['pm25', 'pm10', 'temp_c', 'humidity'].map((metric) => ({ deviceId, metric, time: at, value: 1 })),
    );
    await timed('latest values', latest.length, 'values', () => writeLatest(pool, latest));
    await timed('last seen', deviceCount, 'devices', () =>
      touchLastSeen(pool, new Map(devices.map((d) => [d, at]))),
    );
  }
} finally {
  await pool.end();
  await database.drop();
}
