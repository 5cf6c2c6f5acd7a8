// A fresh database on a PostgreSQL server for one measurement run: a table grown by earlier runs
// would measure its indexes, not the code. `drop()` removes it.
import pg from 'pg';

export interface FreshDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Creates `name` on the server `serverUrl` points at (its own database is only used to connect). */
export async function createFreshDatabase(serverUrl: string, name: string): Promise<FreshDatabase> {
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
