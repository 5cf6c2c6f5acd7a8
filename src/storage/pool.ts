// The one pg pool, handed to every query module. Times are timestamptz, returned as Date.
import pg from 'pg';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export function createPool(connectionString: string, options: { max?: number; application?: string } = {}) {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    application_name: options.application ?? 'city-ioc',
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection (database restart) must not crash the process; the pool
  // replaces it and the next query reports the outage to whoever asked.
  pool.on('error', () => {});
  return pool;
}

/** One connection for a command-line job's few statements, closed whatever happens. */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Whether the TimescaleDB extension is loaded in this database. */
export async function hasTimescale(pool: Pool): Promise<boolean> {
  const { rows } = await pool.query<{ on: boolean }>(
    "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') AS on",
  );
  return rows[0]?.on ?? false;
}

/**
 * Runs `work` in one transaction on its own connection: committed when it returns, rolled back when
 * it throws. `begin` chooses the isolation (a read-only snapshot, say).
 */
export async function inTransaction<T>(
  pool: Pool,
  work: (client: PoolClient) => Promise<T>,
  begin = 'BEGIN',
): Promise<T> {
  const client = await pool.connect();
  // A connection lost between two of the transaction's queries (database restart, cut network) is
  // an 'error' event on the checked-out client, which the pool no longer listens to: unheard, it
  // crashed the process (the outage test, once the refresher ran 32 short transactions a minute).
  // The next query fails and says so; the broken connection is then dropped, not pooled.
  const ignore = () => {};
  client.on('error', ignore);
  let broken = false;
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    broken = await client.query('ROLLBACK').then(
      () => false,
      () => true,
    );
    throw error;
  } finally {
    client.off('error', ignore);
    client.release(broken);
  }
}
