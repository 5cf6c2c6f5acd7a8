// What the system health page reads from PostgreSQL: the database's size, where its files are (for
// the free space of that disk, when the IOC runs the server itself), and the notification deliveries
// that failed lately.
import type { Pool } from './pool.ts';

export function createSystemHealthQueries(pool: Pool) {
  return {
    async databaseBytes(): Promise<number> {
      const { rows } = await pool.query<{ bytes: string }>(
        'SELECT pg_database_size(current_database()) AS bytes',
      );
      return Number(rows[0]?.bytes ?? 0);
    },

    /** The server's data directory; undefined when this role may not read it (a city's own server). */
    async dataDirectory(): Promise<string | undefined> {
      const { rows } = await pool.query<{ dir: string | null }>(
        "SELECT current_setting('data_directory', true) AS dir",
      );
      return rows[0]?.dir ?? undefined;
    },

    /** Deliveries that ended failed (every retry spent) within the last `seconds`. */
    async failedDeliveries(seconds: number): Promise<number> {
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM notification_deliveries
         WHERE status = 'failed' AND updated_at > now() - make_interval(secs => $1)`,
        [seconds],
      );
      return rows[0]?.n ?? 0;
    },
  };
}

export type SystemHealthQueries = ReturnType<typeof createSystemHealthQueries>;
