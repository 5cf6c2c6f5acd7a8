// npm run measure:backup: how long a backup and a restore of the embedded PostgreSQL take, and how large
// the backup is, for a city's fleet with a month of telemetry at each kind's reporting interval.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCommandLine, usageError, wholeNumber } from '../src/cli/commandLine.ts';
import { createProgress, formatBytes, formatCount, formatDuration } from '../src/cli/units.ts';

const help = `Đo sao lưu và khôi phục / Measure backup and restore on a month of a city's telemetry

Usage: npm run measure:backup -- [options]

Fills an embedded PostgreSQL in a temporary DATA_DIR with one city's fleet (devices/fleets) and
--days of telemetry messages at each kind's reporting interval (random values in each metric's
range), then times npm run backup's online copy while the server runs, and a restore into an empty
DATA_DIR up to the restored database answering (its log replayed). Prints sizes and times.

Options
  --city <id>     tay-ninh or hoi-an (default: tay-ninh)
  --days <n>      days of telemetry (default: 30)
  --keep          keep the temporary folders (default: removed at the end)
  -h, --help      this text

Example
  npm run measure:backup -- --city hoi-an --days 7
`;

const { values } = parseCommandLine('measure:backup', help, {
  options: {
    city: { type: 'string', default: 'tay-ninh' },
    days: { type: 'string', default: '30' },
    keep: { type: 'boolean', default: false },
  },
});
const days = wholeNumber('measure:backup', 'days', values.days!, 1);

const { loadCatalog } = await import('../src/catalog/index.ts');
const { createLogger } = await import('../src/log.ts');
const { startEmbeddedPostgres } = await import('../src/storage/embedded.ts');
const { migrate } = await import('../src/storage/migrate.ts');
const { createPool } = await import('../src/storage/pool.ts');
const { runBackup } = await import('../src/backup/index.ts');
const { restoreCluster } = await import('../src/backup/cluster.ts');
const { countContents } = await import('../src/backup/contents.ts');
const { loadConfig } = await import('../src/config.ts');

const catalog = loadCatalog();
const fleet = catalog.fleets.get(values.city as never);
if (!fleet) usageError('measure:backup', `--city must be one of ${[...catalog.fleets.keys()].join(', ')}`);
const log = createLogger('warn');
const source = await mkdtemp(join(tmpdir(), 'ioc-measure-backup-'));
const target = await mkdtemp(join(tmpdir(), 'ioc-measure-restore-'));

try {
  const database = await startEmbeddedPostgres(source, log);
  const pool = createPool(database.url);
  await migrate(pool, log);
  const devices = fleet.devices;
  await pool.query(
    `INSERT INTO devices (id, kind, city, ward, lat, lon, name, secret_hash)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::float8[], $7::text[],
                          array_fill('measure'::text, ARRAY[cardinality($1::text[])]))`,
    [
      devices.map((d) => d.id),
      devices.map((d) => d.kind),
      devices.map(() => values.city),
      devices.map((d) => d.ward),
      devices.map((d) => d.lat),
      devices.map((d) => d.lon),
      devices.map((d) => d.name),
    ],
  );
  // One statement per kind and day: each device of the kind, every reportingIntervalS, a message
  // holding every metric of the kind with a value in its range.
  const end = new Date();
  const start = new Date(end.getTime() - days * 86_400_000);
  const kinds = [...new Set(devices.map((d) => d.kind))];
  const loading = createProgress('measure:backup');
  const loadStarted = Date.now();
  let messages = 0;
  for (let day = 0; day < days; day++) {
    for (const kind of kinds) {
      const definition = catalog.kind(kind as never);
      const metrics = Object.entries(definition.metrics)
        .map(([name, m]) => {
          const min = (m as { min?: number }).min ?? 0;
          const max = Math.min((m as { max?: number }).max ?? 100, min + 1_000);
          return `'${name}', round((${min} + random() * ${max - min})::numeric, 1)`;
        })
        .join(', ');
      const from = new Date(start.getTime() + day * 86_400_000);
      const result = await pool.query(
        `INSERT INTO telemetry_messages (device_id, time, metrics)
         SELECT d.id, t, jsonb_build_object(${metrics})
         FROM devices d, generate_series($2::timestamptz, $3::timestamptz - interval '1 millisecond',
                                         make_interval(secs => $4)) t
         WHERE d.kind = $1`,
        [kind, from, new Date(from.getTime() + 86_400_000), definition.reportingIntervalS],
      );
      messages += result.rowCount ?? 0;
    }
    const rate = messages / ((Date.now() - loadStarted) / 1000);
    loading.update(
      `day ${day + 1} of ${days}: ${formatCount(messages)} messages (${formatCount(Math.round(rate))}/s)`,
    );
  }
  await pool.query('CHECKPOINT');
  const { rows } = await pool.query<{ bytes: string }>(
    'SELECT pg_database_size(current_database()) AS bytes',
  );
  const databaseBytes = Number(rows[0]!.bytes);
  loading.done(
    `${formatCount(devices.length)} devices, ${formatCount(messages)} messages over ${days} days loaded in ` +
      `${formatDuration(Date.now() - loadStarted)}; database ${formatBytes(databaseBytes)}`,
  );
  await pool.end();

  const progress = createProgress('backup');
  const config = loadConfig({ DATA_DIR: source, LOG_LEVEL: 'warn' });
  const backup = await runBackup(config, {
    onProgress: (p) => progress.update(`${formatCount(p.files)} files, ${formatBytes(p.bytes)} read`),
  });
  progress.done(`${backup.file}: ${formatBytes(backup.bytes)} in ${formatDuration(backup.ms)}`);
  await database.stop();

  const restoring = createProgress('restore');
  const restoreStarted = Date.now();
  await restoreCluster({
    dataDir: target,
    file: backup.file,
    onProgress: (p) => restoring.update(`${formatCount(p.files)} files, ${formatBytes(p.bytes)} written`),
  });
  const laidMs = Date.now() - restoreStarted;
  const restored = await startEmbeddedPostgres(target, log);
  const contents = await countContents(restored.url);
  const restoreMs = Date.now() - restoreStarted;
  await restored.stop();
  restoring.done(`${formatCount(contents.messages)} messages back in ${formatDuration(restoreMs)}`);

  const summary = {
    city: values.city,
    devices: devices.length,
    days,
    messages,
    databaseBytes,
    backupBytes: backup.bytes,
    backupMs: backup.ms,
    restoreFilesMs: laidMs,
    restoreMs,
    backupMiBPerS: Math.round((databaseBytes / 2 ** 20 / (backup.ms / 1000)) * 10) / 10,
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
} finally {
  if (!values.keep) {
    await rm(source, { recursive: true, force: true });
    await rm(target, { recursive: true, force: true });
  } else process.stderr.write(`kept: ${source} ${target}\n`);
}
