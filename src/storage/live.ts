// The queries of the live layer: the newest value of every metric of every device (its state at
// start), and the channel on which the database announces users whose sessions changed.
import type pg from 'pg';
import type { Pool } from './pool.ts';

/** Named by the users trigger (migration 016) for every logout, new password, disabling, role change or deletion. */
export const sessionsChannel = 'ioc_sessions';

export async function readLatestValues(
  pool: Pool,
): Promise<Array<{ deviceId: string; metric: string; time: Date; value: number }>> {
  const { rows } = await pool.query<{ deviceId: string; metric: string; time: Date; value: number }>(
    'SELECT device_id AS "deviceId", metric, time, value FROM device_latest',
  );
  return rows;
}

/** Has `client` (a connection of its own) hear the session notices. */
export async function listenForSessionChanges(client: pg.Client): Promise<void> {
  await client.query(`LISTEN ${sessionsChannel}`);
}
