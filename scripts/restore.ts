// npm run restore: a backup of npm run backup (or of the nightly schedule) back into a database.
import { isClusterBackup, restoreCluster } from '../src/backup/cluster.ts';
import { countContents } from '../src/backup/contents.ts';
import { restoreDump } from '../src/backup/dump.ts';
import { parseCommandLine, usageError } from '../src/cli/commandLine.ts';
import { createProgress, formatBytes, formatCount, formatDuration } from '../src/cli/units.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { startEmbeddedPostgres } from '../src/storage/embedded.ts';

const help = `Khôi phục cơ sở dữ liệu của IOC / Restore the IOC's database

Usage: npm run restore -- <backup file> [--clean]

A .tar.gz (a copy of the embedded PostgreSQL) is laid into DATA_DIR, which must hold no database yet
(a new server, or the old DATA_DIR moved away); the IOC must be stopped. Its first start replays the
database's log up to the end of the backup; this command does that start once and prints what the
restored database holds (devices, rules, alerts, telemetry messages), then npm start runs on it.
A .dump (pg_dump, made with DATABASE_URL) is restored with pg_restore into DATABASE_URL, with
TimescaleDB's pre- and post-restore steps when the backup holds TimescaleDB.

  --clean           with DATABASE_URL: drop what the backup holds first (the database is replaced;
                    default: off, the target database must be empty)
  --pg-bin <dir>    with DATABASE_URL: the folder holding pg_restore (default: PG_BIN, then
                    /usr/lib/postgresql/<newest>/bin, then PATH)
  -h, --help        this text

Example
  DATA_DIR=/srv/ioc-restored npm run restore -- data/backups/ioc-2026-12-08_02-30-00.tar.gz
`;

const { values, positionals } = parseCommandLine('restore', help, {
  allowPositionals: true,
  options: { clean: { type: 'boolean', default: false }, 'pg-bin': { type: 'string' } },
});
const file = positionals[0];
if (!file || positionals.length > 1) usageError('restore', 'give exactly one backup file');
const config = loadConfig();
const started = Date.now();
const show = (c: Awaited<ReturnType<typeof countContents>>) =>
  `${formatCount(c.devices)} thiết bị / devices, ${formatCount(c.rules)} quy tắc / rules, ` +
  `${formatCount(c.alerts)} cảnh báo / alerts, ${formatCount(c.messages)} bản tin đo / telemetry messages, ` +
  `${formatCount(c.users)} tài khoản / accounts`;
try {
  const cluster = await isClusterBackup(file);
  if (cluster && config.DATABASE_URL)
    usageError(
      'restore',
      `${file} is a copy of an embedded database: unset DATABASE_URL and restore into an empty DATA_DIR`,
    );
  if (!cluster && !config.DATABASE_URL)
    usageError('restore', `${file} is a pg_dump archive: set DATABASE_URL to the server to restore it into`);
  if (cluster) {
    const progress = createProgress('restore');
    const manifest = await restoreCluster({
      dataDir: config.DATA_DIR,
      file,
      onProgress: (p) => progress.update(`${formatCount(p.files)} files, ${formatBytes(p.bytes)} written`),
    });
    progress.update(`laid out in ${formatDuration(Date.now() - started)}; replaying the log`, true);
    const database = await startEmbeddedPostgres(config.DATA_DIR, createLogger('warn'));
    try {
      const contents = await countContents(database.url);
      progress.done(
        `đã khôi phục / restored ${file} (backup of ${manifest.createdAt}) into ${config.DATA_DIR} ` +
          `in ${formatDuration(Date.now() - started)}: ${show(contents)}`,
      );
    } finally {
      await database.stop();
    }
  } else {
    const { tool, timescale } = await restoreDump({
      url: config.DATABASE_URL!,
      file,
      clean: values.clean ?? false,
      pgBin: values['pg-bin'] ?? config.PG_BIN,
    });
    const contents = await countContents(config.DATABASE_URL!);
    process.stdout.write(
      `restore: đã khôi phục / restored ${file} in ${formatDuration(Date.now() - started)} (${tool}` +
        `${timescale ? ', TimescaleDB pre/post restore' : ''}): ${show(contents)}\n`,
    );
  }
} catch (error) {
  process.stderr.write(`khôi phục thất bại / restore failed: ${(error as Error).message}\n`);
  process.exit(1);
}
