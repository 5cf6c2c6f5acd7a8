// npm run backup: a backup of the IOC's database now, while the IOC runs or not (src/backup/).
import { backupDir, pruneBackups, runBackup } from '../src/backup/index.ts';
import { parseCommandLine } from '../src/cli/commandLine.ts';
import { createProgress, formatBytes, formatCount, formatDuration } from '../src/cli/units.ts';
import { loadConfig } from '../src/config.ts';

const help = `Sao lưu cơ sở dữ liệu của IOC / Back up the IOC's database

Usage: npm run backup -- [--out <file>]

With the embedded PostgreSQL (no DATABASE_URL) it copies the database online, the IOC running or not,
with nothing else installed: a .tar.gz that npm run restore lays into an empty DATA_DIR.
With DATABASE_URL it runs pg_dump (custom format; PG_BIN or --pg-bin names its folder).
The IOC also does this by itself every night (BACKUP_SCHEDULE, default 02:30 local time).

  --out <file>      where to write it (default: $BACKUP_DIR/ioc-<local time>.tar.gz or .dump,
                    BACKUP_DIR defaulting to $DATA_DIR/backups; older ones beyond BACKUP_KEEP,
                    default 14, are deleted there)
  --pg-bin <dir>    with DATABASE_URL: the folder holding pg_dump (default: PG_BIN, then
                    /usr/lib/postgresql/<newest>/bin, then PATH)
  -h, --help        this text

Example
  npm run backup && ls -l data/backups
`;

const { values } = parseCommandLine('backup', help, {
  options: { out: { type: 'string' }, 'pg-bin': { type: 'string' } },
});
const config = loadConfig();
const progress = createProgress('backup');
try {
  const result = await runBackup(
    { ...config, PG_BIN: values['pg-bin'] ?? config.PG_BIN },
    {
      out: values.out,
      onProgress: (p) => progress.update(`${formatCount(p.files)} files, ${formatBytes(p.bytes)} read`),
    },
  );
  const pruned = values.out ? [] : await pruneBackups(config);
  progress.done(
    `đã ghi / written ${result.file} (${formatBytes(result.bytes)}, ${formatDuration(result.ms)}, ${result.tool})` +
      (pruned.length ? `; ${pruned.length} older backup(s) deleted from ${backupDir(config)}` : ''),
  );
} catch (error) {
  process.stderr.write(`sao lưu thất bại / backup failed: ${(error as Error).message}\n`);
  process.exit(1);
}
