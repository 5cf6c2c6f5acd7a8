// The queries that make several instances on one PostgreSQL one system: change notices between them
// (NOTIFY on a channel every instance LISTENs on), and the advisory lock held by the alert leader.
import type pg from 'pg';
import type { Pool } from './pool.ts';

export const changesChannel = 'ioc_changes';

/** pg_try_advisory_lock key: "IOC alerts" as two int4 halves, unlikely to meet anyone else's lock. */
const alertLeaderLock = [0x10c, 0xa1e7] as const;

/** Announces `payload` (under 8000 bytes, PostgreSQL's limit) to every instance's listener. */
export async function announceChange(pool: Pool, payload: string): Promise<void> {
  await pool.query('SELECT pg_notify($1, $2)', [changesChannel, payload]);
}

/** Has `client` (a connection of its own) hear the change notices. */
export async function listenForChanges(client: pg.Client): Promise<void> {
  await client.query(`LISTEN ${changesChannel}`);
}

/**
 * Takes the alert leader's lock on `client` if no other session holds it. The lock is the session's:
 * it lasts until released or until the connection ends, whichever instance it belonged to.
 */
export async function tryAlertLeaderLock(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [
    ...alertLeaderLock,
  ]);
  return rows[0]?.locked === true;
}

/** Fails when `client`'s connection (and with it a lock it holds) is gone. */
export async function checkConnection(client: pg.Client): Promise<void> {
  await client.query('SELECT 1');
}
