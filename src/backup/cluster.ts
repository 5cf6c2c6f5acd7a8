// Backup of the embedded PostgreSQL while it runs, with nothing but the server itself: PostgreSQL's
// online low-level backup API (pg_backup_start / pg_backup_stop) around a copy of the cluster's files,
// plus the WAL written meanwhile, which a temporary replication slot keeps from being recycled until
// it is copied. Restored, the cluster replays that WAL at its first start and is consistent as of the
// end of the backup, like a pg_basebackup with its WAL.
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, chown, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip, type Gzip } from 'node:zlib';
import pg from 'pg';
import { clusterLocation, clusterOwner, runningEmbeddedUrl } from '../storage/embedded.ts';
import { createTarWriter, readTar } from './tar.ts';

export const clusterFormat = 'city-ioc-cluster-1';

/** What the archive says of itself (backup.json at its root). */
export interface ClusterManifest {
  format: typeof clusterFormat;
  createdAt: string;
  postgresVersion: string;
  startLsn: string;
  stopLsn: string;
  walSegments: number;
}

export interface BackupProgress {
  files: number;
  bytes: number;
}

// Not copied: what the server makes anew at start, per the PostgreSQL manual ("Making a Base Backup
// Using the Low Level API"). Their folders are kept, empty.
const emptied = new Set([
  'pg_wal',
  'pg_replslot',
  'pg_dynshmem',
  'pg_notify',
  'pg_serial',
  'pg_snapshots',
  'pg_stat_tmp',
  'pg_subtrans',
]);
const skipped = new Set([
  'postmaster.pid',
  'postmaster.opts',
  'backup_label',
  'tablespace_map',
  'backup_label.old',
]);

async function* walk(root: string, folder = root): AsyncGenerator<{ path: string; directory: boolean }> {
  const entries = await readdir(folder, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return []; // a database dropped meanwhile
    throw error;
  });
  for (const entry of entries) {
    const path = join(folder, entry.name);
    const top = folder === root;
    if (top && skipped.has(entry.name)) continue;
    if (entry.name.startsWith('pgsql_tmp') || entry.name === 'pg_internal.init') continue;
    if (entry.isDirectory()) {
      yield { path, directory: true };
      if (!(top && emptied.has(entry.name))) yield* walk(root, path);
    } else if (entry.isFile()) {
      yield { path, directory: false };
    }
  }
}

/**
 * Writes a backup of the running embedded cluster of dataDir to `out` (gzip-compressed tar, mode
 * 0600), written to a temporary name first so a half-written backup is never taken for one.
 */
export async function backupCluster(options: {
  dataDir: string;
  out: string;
  onProgress?: (progress: BackupProgress) => void;
}): Promise<ClusterManifest & BackupProgress> {
  const url = await runningEmbeddedUrl(options.dataDir);
  if (!url) throw new Error(`no embedded PostgreSQL runs on ${resolve(options.dataDir)}`);
  const cluster = await clusterLocation(options.dataDir, undefined);
  const client = new pg.Client({ connectionString: url, application_name: 'city-ioc-backup' });
  await client.connect();
  const partial = `${options.out}.partial`;
  // Created before the copy starts; destroyed on any failure so nothing is left writing.
  let archive: { gzip: Gzip; written: Promise<void> } | undefined;
  try {
    const slot = `ioc_backup_${process.pid}_${Date.now()}`;
    // Temporary: dropped with this session, even if the job dies half-way.
    await client.query('SELECT pg_create_physical_replication_slot($1, true, true)', [slot]);
    const { rows: version } = await client.query<{ v: string }>(
      "SELECT current_setting('server_version') AS v",
    );
    const started = await client.query<{ lsn: string }>('SELECT pg_backup_start($1, true)::text AS lsn', [
      `city-ioc ${new Date().toISOString()}`,
    ]);
    const startLsn = started.rows[0]!.lsn;

    await mkdir(dirname(options.out), { recursive: true });
    // Level 1: most of what level 6 saves, at a fraction of the CPU the ingest shares.
    const gzip = createGzip({ level: 1 });
    // pipeline: an error of the file (a full disk) destroys the gzip stream too, which ends the copy.
    const written = pipeline(gzip, createWriteStream(partial, { mode: 0o600 }));
    written.catch(() => {}); // awaited below; a failure also surfaces through the writes
    archive = { gzip, written };
    const tar = createTarWriter(gzip);
    const progress = { files: 0, bytes: 0 };
    await tar.directory('pgdata');
    for await (const entry of walk(cluster)) {
      const name = `pgdata/${relative(cluster, entry.path)}`;
      if (entry.directory) await tar.directory(name);
      else if (await tar.file(name, entry.path)) progress.files++;
      progress.bytes = tar.bytes;
      options.onProgress?.(progress);
    }

    const stopped = await client.query<{ lsn: string; labelfile: string; spcmapfile: string }>(
      'SELECT lsn::text, labelfile, spcmapfile FROM pg_backup_stop(false)',
    );
    const { lsn: stopLsn, labelfile, spcmapfile } = stopped.rows[0]!;
    await tar.buffer('pgdata/backup_label', Buffer.from(labelfile));
    if (spcmapfile) await tar.buffer('pgdata/tablespace_map', Buffer.from(spcmapfile));
    // The WAL from the backup's start to its end, which replaying at the first start needs.
    const { rows: names } = await client.query<{ first: string; last: string }>(
      'SELECT pg_walfile_name($1::pg_lsn) AS first, pg_walfile_name($2::pg_lsn) AS last',
      [startLsn, stopLsn],
    );
    const { first, last } = names[0]!;
    const segments = (await readdir(join(cluster, 'pg_wal')))
      .filter((name) => /^[0-9A-F]{24}$/.test(name) && name >= first && name <= last)
      .sort();
    if (segments[0] !== first || segments.at(-1) !== last)
      throw new Error(`the WAL of the backup (${first} to ${last}) is no longer all in pg_wal`);
    for (const segment of segments) {
      await tar.file(`pgdata/pg_wal/${segment}`, join(cluster, 'pg_wal', segment));
      progress.files++;
      progress.bytes = tar.bytes;
      options.onProgress?.(progress);
    }
    // The password the restored cluster's `postgres` role has, for the IOC that restores it.
    await tar.buffer(
      'postgres.password',
      await readFile(join(resolve(options.dataDir), 'postgres.password')),
    );
    const manifest: ClusterManifest = {
      format: clusterFormat,
      createdAt: new Date().toISOString(),
      postgresVersion: version[0]!.v,
      startLsn,
      stopLsn,
      walSegments: segments.length,
    };
    await tar.buffer('backup.json', Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
    await tar.end();
    await written;
    await rename(partial, options.out);
    return { ...manifest, files: progress.files, bytes: (await stat(options.out)).size };
  } catch (error) {
    // A failure half-way (a full disk, the server stopping) leaves no partial file open or behind.
    archive?.gzip.destroy();
    await archive?.written.catch(() => {});
    await rm(partial, { force: true });
    throw error;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Whether a file is a cluster backup (gzip) rather than a pg_dump archive. */
export async function isClusterBackup(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(2);
    await handle.read(head, 0, 2, 0);
    return head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/**
 * Lays a cluster backup into dataDir, which must hold no cluster yet. The server replays the WAL it
 * carries at its first start (startEmbeddedPostgres), which makes it consistent.
 */
export async function restoreCluster(options: {
  dataDir: string;
  file: string;
  onProgress?: (progress: BackupProgress) => void;
}): Promise<ClusterManifest> {
  const root = resolve(options.dataDir);
  if (await runningEmbeddedUrl(root))
    throw new Error(`an IOC is running on ${root}: stop it first (a restore replaces its database)`);
  const who = clusterOwner();
  const cluster = await clusterLocation(root, who);
  if ((await readdir(cluster)).length > 0)
    throw new Error(
      `${root} already holds a database: restore into an empty DATA_DIR (or move ${join(root, 'postgres')} away first)`,
    );
  let manifest: ClusterManifest | undefined;
  const progress = { files: 0, bytes: 0 };
  const input = createReadStream(options.file).pipe(createGunzip());
  try {
    await readTar(input, async (entry) => {
      if (entry.name === 'backup.json') {
        const parts: Buffer[] = [];
        return async (piece) => {
          parts.push(Buffer.from(piece));
          manifest = JSON.parse(Buffer.concat(parts).toString('utf8')) as ClusterManifest;
        };
      }
      const target =
        entry.name === 'postgres.password'
          ? join(root, 'postgres.password')
          : entry.name === 'pgdata' || entry.name.startsWith('pgdata/')
            ? join(cluster, entry.name.slice('pgdata'.length))
            : undefined;
      if (!target) return undefined;
      if (entry.type === 'directory') {
        await mkdir(target, { recursive: true, mode: 0o700 });
        if (who) await chown(target, who.uid, who.gid);
        return undefined;
      }
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      const handle = await open(target, 'w', 0o600);
      if (who && target.startsWith(`${cluster}/`)) await handle.chown(who.uid, who.gid);
      progress.files++;
      let left = entry.size;
      if (left === 0) await handle.close();
      return async (piece) => {
        await handle.write(piece);
        progress.bytes += piece.length;
        left -= piece.length;
        if (left === 0) await handle.close();
        options.onProgress?.(progress);
      };
    });
    if (manifest?.format !== clusterFormat)
      throw new Error(`it has no backup.json of format ${clusterFormat}`);
  } catch (error) {
    // Nothing half restored is left to be mistaken for a database.
    await rm(cluster, { recursive: true, force: true });
    throw new Error(`${options.file} is not a readable city IOC backup: ${(error as Error).message}`, {
      cause: error,
    });
  }
  await chmod(cluster, 0o700);
  return manifest;
}
