// Housekeeping: old rollups, dead letters and webhook deliveries pruned by age (the audit log never).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { createHousekeeping } from '../../src/storage/housekeeping.ts';
import { migrate } from '../../src/storage/migrate.ts';
import { createPool, type Pool } from '../../src/storage/pool.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

const log = createLogger('silent');
let database: TestDatabase;
let pool: Pool;
const now = new Date('2026-11-29T00:00:00Z');
const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);

beforeAll(async () => {
  database = await createTestDatabase();
  pool = createPool(database.url);
  await migrate(pool, log);
  for (const age of [1, 40, 4_000]) {
    await pool.query(
      `INSERT INTO telemetry_hourly (device_id, metric, hour, count, sum, min, max) VALUES ('d', 'pm25', $1, 1, 1, 1, 1)`,
      [daysAgo(age)],
    );
    await pool.query(
      `INSERT INTO telemetry_daily (device_id, metric, day, count, sum, min, max) VALUES ('d', 'pm25', $1::timestamptz::date, 1, 1, 1, 1)`,
      [daysAgo(age)],
    );
    await pool.query(
      `INSERT INTO dead_letters (received_at, device_id, topic, reason, message, payload_bytes)
       VALUES ($1, 'd', 't', 'NOT_JSON', 'm', 1)`,
      [daysAgo(age)],
    );
    await pool.query(
      `INSERT INTO audit_log (at, actor, action, ip, outcome) VALUES ($1, 'admin', 'auth.login', '127.0.0.1', 'success')`,
      [daysAgo(age)],
    );
  }
});
afterAll(async () => {
  await pool.end();
  await database.drop();
});

const count = async (table: string) =>
  (await pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n as number;

describe('housekeeping', () => {
  it('prunes by age: rollups after years, dead letters after a month, never the audit log', async () => {
    const housekeeping = createHousekeeping({
      pool,
      log,
      days: { rollups: 3_650, deadLetters: 30, webhookDeliveries: 30 },
    });
    const deleted = await housekeeping.runOnce(now);
    expect(deleted.telemetry_hourly).toBe(1);
    expect(deleted.telemetry_daily).toBe(1);
    expect(deleted.dead_letters).toBe(2);
    expect(await count('telemetry_hourly')).toBe(2);
    expect(await count('telemetry_daily')).toBe(2);
    expect(await count('dead_letters')).toBe(1);
    expect(await count('audit_log')).toBe(3);
    // A second pass finds nothing more.
    expect(Object.values(await housekeeping.runOnce(now)).every((n) => n === 0)).toBe(true);
  });
});
