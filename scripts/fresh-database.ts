// A fresh database on a PostgreSQL server for one measurement run: a table grown by earlier runs
// would measure its indexes, not the code. `drop()` removes it.
import { withClient } from '../src/storage/pool.ts';

export interface FreshDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Creates `name` on the server `serverUrl` points at (its own database is only used to connect). */
export async function createFreshDatabase(serverUrl: string, name: string): Promise<FreshDatabase> {
  const admin = (sql: string) => withClient(serverUrl, async (client) => void (await client.query(sql)));
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
