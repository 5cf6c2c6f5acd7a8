// Applies migrations/NNN_name.sql in order, each in its own transaction, once. An advisory lock makes
// two processes starting together take turns; a checksum catches an applied file that was edited.
// The checksum covers what the database runs, not the comments, so a comment can be corrected in a
// released migration. Databases migrated before that rule carry a checksum of the whole file: it is
// still accepted (or, for the files whose comments were corrected since, the whole file as released)
// and replaced by the new one.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.ts';
import type { Pool } from './pool.ts';

export const defaultMigrationsDir = new URL('../../migrations/', import.meta.url).pathname;
const lockKey = 7_243_001; // any constant shared by every instance of this application

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
  /** Checksums an earlier release stored for this file: the whole file's, as it is and as released. */
  earlierChecksums: string[];
}

/** The whole-file checksums of migrations whose comments were corrected after release. */
const releasedChecksums: Record<number, string> = {
  9: '5bfae835c409c0c1e400d7d97f88ba954c188d4e96fa0c81979e9fcd6d5a3435',
  12: '526997f6b0cb740faae427953f13df7d37f3434e8f7e4707fc584d3abe724f88',
  13: '1394ff46d3f08d336d917a6eaecf4d70c43511b0ea7872b2f1f9b3f3439242dc',
};

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The statements without their full-line comments: what a checksum should protect. */
export function statementsOf(sql: string): string {
  return sql
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n');
}

export async function readMigrations(dir = defaultMigrationsDir): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f)).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const sql = await readFile(join(dir, file), 'utf8');
    const version = Number(file.slice(0, 3));
    const released = releasedChecksums[version];
    migrations.push({
      version,
      name: file.replace(/\.sql$/, ''),
      sql,
      checksum: sha256(statementsOf(sql)),
      earlierChecksums: released ? [sha256(sql), released] : [sha256(sql)],
    });
  }
  const versions = migrations.map((m) => m.version);
  if (new Set(versions).size !== versions.length) throw new Error(`duplicate migration number in ${dir}`);
  return migrations;
}

export async function migrate(pool: Pool, log: Logger, dir = defaultMigrationsDir): Promise<string[]> {
  const migrations = await readMigrations(dir);
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [lockKey]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number; name: string; checksum: string }>(
      'SELECT version, name, checksum FROM schema_migrations',
    );
    const done = new Map(rows.map((r) => [r.version, r]));
    for (const migration of migrations) {
      const previous = done.get(migration.version);
      if (previous) {
        if (previous.checksum === migration.checksum) continue;
        if (!migration.earlierChecksums.includes(previous.checksum)) {
          throw new Error(
            `migration ${migration.name} was changed after it was applied; add a new migration instead of editing it`,
          );
        }
        await client.query('UPDATE schema_migrations SET checksum = $2 WHERE version = $1', [
          migration.version,
          migration.checksum,
        ]);
        continue;
      }
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
          migration.version,
          migration.name,
          migration.checksum,
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${migration.name} failed: ${(error as Error).message}`, { cause: error });
      }
      applied.push(migration.name);
      log.info({ migration: migration.name }, 'migration applied');
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [lockKey]).catch(() => {});
    client.release();
  }
}
