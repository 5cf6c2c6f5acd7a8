// Backups of the IOC's database, one way per kind of install: the embedded PostgreSQL is copied online
// (./cluster.ts), a city's own PostgreSQL (DATABASE_URL) is dumped with pg_dump (./dump.ts). Both land
// in BACKUP_DIR as ioc-<local time>.<ext>, so their names sort by age and retention keeps the newest.
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config.ts';
import { localParts } from '../standards/time.ts';
import { withIocDatabase } from '../storage/iocDatabase.ts';
import { type BackupProgress, backupCluster } from './cluster.ts';
import { dumpDatabase } from './dump.ts';

export type BackupConfig = Pick<
  Config,
  'DATABASE_URL' | 'DATA_DIR' | 'LOG_LEVEL' | 'BACKUP_DIR' | 'BACKUP_KEEP' | 'PG_BIN'
>;

export interface BackupResult {
  file: string;
  bytes: number;
  ms: number;
  /** cluster: an online copy of the embedded PostgreSQL; dump: pg_dump of DATABASE_URL. */
  kind: 'cluster' | 'dump';
  /** What made it (pg_dump's path, or the embedded server's version). */
  tool: string;
}

const backupName = /^ioc-\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}\.(tar\.gz|dump)$/;

export function backupDir(config: Pick<Config, 'BACKUP_DIR' | 'DATA_DIR'>): string {
  return resolve(config.BACKUP_DIR ?? join(config.DATA_DIR, 'backups'));
}

/** ioc-2026-12-08_02-30-00: the local (Vietnam) time, which is what the IT officer reads. */
function stamp(at: Date): string {
  const p = localParts(at);
  const two = (n: number) => String(n).padStart(2, '0');
  return `ioc-${p.year}-${two(p.month)}-${two(p.day)}_${two(p.hour)}-${two(p.minute)}-${two(at.getUTCSeconds())}`;
}

export async function runBackup(
  config: BackupConfig,
  options: { out?: string; onProgress?: (progress: BackupProgress) => void; now?: Date } = {},
): Promise<BackupResult> {
  const started = Date.now();
  const base = join(backupDir(config), stamp(options.now ?? new Date()));
  // The embedded cluster is copied while a server runs on it: the IOC's, or one started for the copy.
  return withIocDatabase(config, async ({ url, source }) => {
    if (source === 'DATABASE_URL') {
      const file = options.out ?? `${base}.dump`;
      await mkdir(dirname(file), { recursive: true });
      const { tool, bytes } = await dumpDatabase(url, file, config.PG_BIN);
      return { file, bytes, ms: Date.now() - started, kind: 'dump', tool };
    }
    const file = options.out ?? `${base}.tar.gz`;
    const result = await backupCluster({
      dataDir: config.DATA_DIR,
      out: file,
      onProgress: options.onProgress,
    });
    return {
      file,
      bytes: result.bytes,
      ms: Date.now() - started,
      kind: 'cluster',
      tool: `PostgreSQL ${result.postgresVersion}`,
    };
  });
}

export interface StoredBackup {
  file: string;
  bytes: number;
  at: Date;
}

/** The backups in BACKUP_DIR, newest first (half-written ones, *.partial, are not backups). */
export async function listBackups(config: Pick<Config, 'BACKUP_DIR' | 'DATA_DIR'>): Promise<StoredBackup[]> {
  const dir = backupDir(config);
  const names = await readdir(dir).catch(() => [] as string[]);
  const found: StoredBackup[] = [];
  for (const name of names
    .filter((n) => backupName.test(n))
    .sort()
    .reverse()) {
    const stats = await stat(join(dir, name)).catch(() => undefined);
    if (stats) found.push({ file: join(dir, name), bytes: stats.size, at: stats.mtime });
  }
  return found;
}

/** Deletes all but the newest `keep` backups; returns what it deleted. */
export async function pruneBackups(
  config: Pick<Config, 'BACKUP_DIR' | 'DATA_DIR' | 'BACKUP_KEEP'>,
): Promise<string[]> {
  const old = (await listBackups(config)).slice(config.BACKUP_KEEP).map((b) => b.file);
  for (const file of old) await rm(file, { force: true });
  return old;
}
