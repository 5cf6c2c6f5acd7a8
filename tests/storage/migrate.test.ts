import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { migrate, readMigrations, statementsOf } from '../../src/storage/migrate.ts';
import { createPool, type Pool } from '../../src/storage/pool.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

const log = createLogger('silent');
let database: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  database = await createTestDatabase();
  pool = createPool(database.url);
});
afterAll(async () => {
  await pool.end();
  await database.drop();
});

describe('migrations', () => {
  it('are numbered without gaps or duplicates', async () => {
    const versions = (await readMigrations()).map((m) => m.version);
    expect(versions).toEqual(versions.map((_, i) => i + 1));
  });

  it('apply in order when two processes start together, each exactly once', async () => {
    const other = createPool(database.url);
    const [first, second] = await Promise.all([migrate(pool, log), migrate(other, log)]);
    await other.end();
    const all = (await readMigrations()).map((m) => m.name);
    expect([...first, ...second].sort()).toEqual(all.sort());
    const { rows } = await pool.query('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(all.map((_, i) => i + 1));
  });

  it('run a second time is a no-op', async () => {
    const before = await pool.query('SELECT version, applied_at FROM schema_migrations ORDER BY version');
    expect(await migrate(pool, log)).toEqual([]);
    const after = await pool.query('SELECT version, applied_at FROM schema_migrations ORDER BY version');
    expect(after.rows).toEqual(before.rows);
  });

  it('accept a database migrated by an earlier release, whose checksums covered the whole file', async () => {
    const migrations = await readMigrations();
    const wholeFile = (m: (typeof migrations)[number]) => createHash('sha256').update(m.sql).digest('hex');
    for (const m of migrations) {
      await pool.query('UPDATE schema_migrations SET checksum = $2 WHERE version = $1', [
        m.version,
        wholeFile(m),
      ]);
    }
    // 009's comments were corrected after release: the file as released carried another text.
    await pool.query('UPDATE schema_migrations SET checksum = $1 WHERE version = 9', [
      '5bfae835c409c0c1e400d7d97f88ba954c188d4e96fa0c81979e9fcd6d5a3435',
    ]);
    expect(await migrate(pool, log)).toEqual([]);
    const { rows } = await pool.query('SELECT version, checksum FROM schema_migrations ORDER BY version');
    expect(rows).toEqual(migrations.map((m) => ({ version: m.version, checksum: m.checksum })));
  });

  it('let a comment be corrected but not a statement', () => {
    const sql = '-- a note (reworded)\nCREATE TABLE t (x int);\n';
    expect(statementsOf(sql)).toBe(statementsOf('-- a note\nCREATE TABLE t (x int);\n'));
    expect(statementsOf(sql)).not.toBe(statementsOf('-- a note\nCREATE TABLE t (x bigint);\n'));
  });

  it('refuse to run when an applied migration was edited', async () => {
    await pool.query("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1");
    await expect(migrate(pool, log)).rejects.toThrow(/001_core was changed after it was applied/);
  });

  it('leave plain PostgreSQL without TimescaleDB usable with the same schema', async () => {
    const { rows } = await pool.query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    expect(rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining([
        'dead_letters',
        'device_events',
        'device_latest',
        'devices',
        'telemetry',
        'users',
      ]),
    );
  });

  it('index raw telemetry by time with a BRIN on plain PostgreSQL: no B-tree entry per message', async () => {
    const { rows } = await pool.query(
      "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'telemetry_messages' ORDER BY indexname",
    );
    expect(rows.map((r) => r.indexdef)).toEqual([
      expect.stringMatching(/UNIQUE INDEX telemetry_messages_pkey .* USING btree \(device_id, "time"\)/),
      expect.stringMatching(/INDEX telemetry_messages_time_brin .* USING brin \("time"\)/),
    ]);
  });
});
