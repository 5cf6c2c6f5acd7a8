import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { migrate, readMigrations } from '../../src/storage/migrate.ts';
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

  it('compare the per-message and per-device keys byte by byte, whatever the database collation', async () => {
    const { rows } = await pool.query(
      `SELECT table_name || '.' || column_name AS column, collation_name FROM information_schema.columns
        WHERE table_schema = 'public' AND column_name IN ('device_id', 'metric')
          AND table_name IN ('telemetry_messages', 'telemetry_hourly', 'device_latest') ORDER BY 1`,
    );
    expect(rows).toEqual(
      [
        'device_latest.device_id',
        'device_latest.metric',
        'telemetry_hourly.device_id',
        'telemetry_hourly.metric',
        'telemetry_messages.device_id',
      ].map((column) => ({ column, collation_name: 'C' })),
    );
    // A device's id still meets its rows across tables of the database's own collation.
    await pool.query(
      "INSERT INTO devices (id, kind, city, ward, name, lat, lon, secret_hash) VALUES ('coll-1', 'environment', 'tay-ninh', 'w', 'n', 11.3, 106.1, 'x')",
    );
    await pool.query("INSERT INTO telemetry_messages VALUES ('coll-1', now(), '{\"pm25\": 1}')");
    const joined = await pool.query(
      'SELECT d.id, t.metric FROM devices d JOIN telemetry t ON t.device_id = d.id ORDER BY d.id, t.device_id',
    );
    expect(joined.rows).toEqual([{ id: 'coll-1', metric: 'pm25' }]);
  });
});
