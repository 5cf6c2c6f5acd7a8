// Backup of a PostgreSQL the city runs itself (DATABASE_URL): pg_dump's custom format, restorable
// table by table and across versions. TimescaleDB asks for timescaledb_pre_restore() before and
// timescaledb_post_restore() after a restore, which is done when the target has the extension.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { withClient } from '../storage/pool.ts';

const run = promisify(execFile);

export async function serverMajor(url: string): Promise<number> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
    return Math.floor(Number(rows[0]!.v) / 10_000);
  });
}

async function majorOf(binary: string): Promise<number | undefined> {
  try {
    const { stdout } = await run(binary, ['--version']);
    const m = stdout.match(/\(PostgreSQL\) (\d+)/);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * pg_dump or pg_restore at least as new as the server (pg_dump refuses a newer server), looked for in
 * PG_BIN (a folder), /usr/lib/postgresql/<major>/bin (newest first) and PATH.
 */
export async function findPgTool(
  tool: 'pg_dump' | 'pg_restore',
  minMajor: number,
  pgBin?: string,
): Promise<string> {
  const folders = [
    ...(pgBin ? [pgBin] : []),
    ...(existsSync('/usr/lib/postgresql')
      ? readdirSync('/usr/lib/postgresql')
          .filter((v) => /^\d+$/.test(v))
          .sort((a, b) => Number(b) - Number(a))
          .map((v) => `/usr/lib/postgresql/${v}/bin`)
      : []),
  ];
  const candidates = [...folders.map((f) => join(f, tool)).filter((p) => existsSync(p)), tool];
  const seen: string[] = [];
  for (const candidate of candidates) {
    const major = await majorOf(candidate);
    if (major === undefined) continue;
    seen.push(`${candidate} (${major})`);
    if (major >= minMajor) return candidate;
  }
  throw new Error(
    `no ${tool} for PostgreSQL ${minMajor} or newer (found: ${seen.join(', ') || 'none'}): ` +
      `install postgresql-client-${minMajor}, or point --pg-bin (PG_BIN) at a folder that has ${tool}`,
  );
}

export async function dumpDatabase(
  url: string,
  out: string,
  pgBin?: string,
): Promise<{ tool: string; bytes: number }> {
  const tool = await findPgTool('pg_dump', await serverMajor(url), pgBin);
  await run(tool, ['--format=custom', '--no-owner', '--file', out, '--dbname', url], {
    maxBuffer: 16 << 20,
  });
  return { tool, bytes: (await stat(out)).size };
}

/** Whether the dump holds TimescaleDB (its table of contents lists the extension). */
async function dumpHasTimescale(tool: string, file: string): Promise<boolean> {
  const { stdout } = await run(tool, ['--list', file], { maxBuffer: 64 << 20 });
  return /\bEXTENSION - timescaledb\b/.test(stdout);
}

export async function restoreDump(options: {
  url: string;
  file: string;
  clean: boolean;
  pgBin?: string;
}): Promise<{ tool: string; timescale: boolean }> {
  const tool = await findPgTool('pg_restore', await serverMajor(options.url), options.pgBin);
  const timescale = await dumpHasTimescale(tool, options.file);
  // TimescaleDB's documented order: the extension first, then pre-restore, the data, post-restore.
  if (timescale)
    await withClient(options.url, (c) =>
      c.query('CREATE EXTENSION IF NOT EXISTS timescaledb; SELECT timescaledb_pre_restore()'),
    );
  try {
    await run(
      tool,
      [
        '--no-owner',
        '--exit-on-error',
        // TimescaleDB's catalog is restored in several steps that one transaction cannot hold.
        ...(timescale ? [] : ['--single-transaction']),
        ...(options.clean ? ['--clean', '--if-exists'] : []),
        '--dbname',
        options.url,
        options.file,
      ],
      { maxBuffer: 16 << 20 },
    );
  } finally {
    if (timescale) await withClient(options.url, (c) => c.query('SELECT timescaledb_post_restore()'));
  }
  return { tool, timescale };
}
