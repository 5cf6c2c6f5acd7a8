// A fresh database per test file on the run's PostgreSQL server, dropped afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { migrate } from '../../src/storage/migrate.ts';
import { createPool, type Pool } from '../../src/storage/pool.ts';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const admin = inject('adminDatabaseUrl');
  const name = `ioc_test_${randomBytes(5).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  return {
    url: withDatabase(admin, name),
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/**
 * A fresh database with the IOC's migrations applied, for a whole test file: created before its tests
 * (the pool handed to `use`), dropped after them.
 */
export function useMigratedDatabase(use: (pool: Pool, url: string) => void): void {
  let database: TestDatabase | undefined;
  let pool: Pool | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
    pool = createPool(database.url);
    await migrate(pool, createLogger('silent'));
    use(pool, database.url);
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });
}
