// Backups of a PostgreSQL the city runs itself (DATABASE_URL): npm run backup writes a pg_dump archive
// and npm run restore carries it into another database. The server is Debian's PostgreSQL, started
// here on a free port from its binaries, with the pg_dump and pg_restore of the same version.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { countContents } from '../../src/backup/contents.ts';
import { createLogger } from '../../src/log.ts';
import { type EmbeddedDatabase, startEmbeddedPostgres } from '../../src/storage/embedded.ts';
import { migrate } from '../../src/storage/migrate.ts';
import { createPool } from '../../src/storage/pool.ts';
import { withDatabase } from '../helpers/database.ts';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const bin = inject('services').postgresBin;
let server: EmbeddedDatabase;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ioc-dump-'));
  server = await startEmbeddedPostgres(join(dir, 'server'), createLogger('warn'), { binDir: bin });
});
afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function sql(url: string, statement: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(statement, values)).rows;
  } finally {
    await client.end();
  }
}

describe('backups with DATABASE_URL (pg_dump)', () => {
  it('dumps the database and restores it into an empty one with the same contents', {
    timeout: 120_000,
  }, async () => {
    await sql(server.url, 'CREATE DATABASE ioc_source');
    await sql(server.url, 'CREATE DATABASE ioc_target');
    const source = withDatabase(server.url, 'ioc_source');
    const target = withDatabase(server.url, 'ioc_target');
    const pool = createPool(source);
    await migrate(pool, createLogger('silent'));
    await pool.query(
      `INSERT INTO devices (id, kind, city, ward, lat, lon, name, secret_hash)
       VALUES ('tn-p3-env-0900', 'environment', 'tay-ninh', 'phuong-tan-ninh', 11.31, 106.1, 'Trạm Chợ Phường 3', 'x')`,
    );
    await pool.query(
      `INSERT INTO telemetry_messages (device_id, time, metrics)
       SELECT 'tn-p3-env-0900', t, jsonb_build_object('pm25', 30, 'noise_db', 60)
       FROM generate_series(now() - interval '1 day', now(), interval '1 minute') t`,
    );
    await pool.query(
      "INSERT INTO audit_log (actor, action, target, ip, outcome) VALUES ('admin', 'test', 'backup', '127.0.0.1', 'success')",
    );
    await pool.end();
    const before = await countContents(source);

    const env = { PATH: process.env.PATH ?? '', DATA_DIR: dir, PG_BIN: bin, LOG_LEVEL: 'warn' };
    const backup = await run(process.execPath, ['--import', 'tsx', 'scripts/backup.ts'], {
      cwd: root,
      env: { ...env, DATABASE_URL: source },
    });
    expect(backup.stdout + backup.stderr).toMatch(/written .*\.dump \(/);
    const [file] = await readdir(join(dir, 'backups'));
    const restore = await run(
      process.execPath,
      ['--import', 'tsx', 'scripts/restore.ts', join(dir, 'backups', file!)],
      { cwd: root, env: { ...env, DATABASE_URL: target } },
    );
    expect(restore.stdout).toMatch(/restored .*: 1 thiết bị \/ devices/);
    expect(await countContents(target)).toEqual(before);
    // The audit log is still append-only in the copy.
    await expect(sql(target, 'DELETE FROM audit_log')).rejects.toThrow(/append-only/);
  });
});
