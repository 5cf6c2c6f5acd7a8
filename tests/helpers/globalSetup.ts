// What the whole run needs, prepared once before any test file starts:
// - the programs the tests start or drive (Mosquitto, redis-server, Chromium, …), found on the machine
//   or installed with apt-get (tests/helpers/services.ts), their paths provided to every test file;
//   a missing one stops the run here, in one line, before anything is started;
// - one PostgreSQL server: the one DATABASE_URL names, or, when unset, an embedded one started here on
//   a free port, so `npm test` needs no database installed. Each test file then creates its own
//   database on it (tests/helpers/database.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createLogger } from '../../src/log.ts';
import { startEmbeddedPostgres } from '../../src/storage/embedded.ts';
import { ensureServices } from './services.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
  }
}

export default async function setup(project: TestProject) {
  project.provide('services', await ensureServices());
  let url = process.env.DATABASE_URL;
  let cleanup = async () => {};
  if (!url) {
    const dir = await mkdtemp(join(tmpdir(), 'ioc-test-pg-'));
    const embedded = await startEmbeddedPostgres(dir, createLogger('warn'));
    url = embedded.url;
    cleanup = async () => {
      await embedded.stop();
      await rm(dir, { recursive: true, force: true });
    };
  }
  // Fail loudly when the database the run was pointed at is not there: no silent skips.
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new Error(
      `tests need PostgreSQL at ${url.replace(/:[^:@/]+@/, ':***@')}: ${(error as Error).message}`,
    );
  } finally {
    await client.end().catch(() => {});
  }
  project.provide('adminDatabaseUrl', url);
  return cleanup;
}
