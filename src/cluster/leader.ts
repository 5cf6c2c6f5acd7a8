// Which instance evaluates the alert rules: the one holding a PostgreSQL session advisory lock on a
// connection of its own. PostgreSQL releases the lock when that connection ends, so a crashed or cut-off
// leader loses it and another instance takes it within a retry interval. The leader checks its
// connection on every interval too: a failed check means leadership is given up at once (stateful
// rules restart from the database on the next leader; see docs/decisions/0007-scale-out.md).
import pg from 'pg';
import type { Logger } from '../log.ts';
import { checkConnection, tryAlertLeaderLock } from '../storage/cluster.ts';

export interface Leadership {
  isLeader(): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createLeadership(deps: {
  databaseUrl: string;
  instanceId: string;
  log: Logger;
  /** Called (one at a time, in order) when this instance becomes or stops being the leader. */
  onChange(leader: boolean): Promise<void>;
  retryMs?: number;
}): Leadership {
  const { log } = deps;
  const retryMs = deps.retryMs ?? 2_000;
  let client: pg.Client | undefined;
  let leader = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let transitions = Promise.resolve();

  function become(value: boolean) {
    if (leader === value) return;
    leader = value;
    log.info(
      { instanceId: deps.instanceId, leader: value },
      value ? 'alert leader now' : 'no longer alert leader',
    );
    transitions = transitions
      .then(() => deps.onChange(value))
      .catch((error) => log.error({ err: error }, 'alert leadership change failed'));
  }

  function drop(error: unknown) {
    log.warn({ err: error }, 'leadership connection lost');
    const lost = client;
    client = undefined;
    void lost?.end().catch(() => {});
    become(false);
  }

  async function tick() {
    timer = undefined;
    if (stopped) return;
    try {
      if (!client) {
        const fresh = new pg.Client({
          connectionString: deps.databaseUrl,
          application_name: `ioc-leader-${deps.instanceId}`.slice(0, 63),
          query_timeout: retryMs * 2,
          keepAlive: true,
        });
        fresh.on('error', (error) => {
          if (client === fresh) drop(error);
        });
        await fresh.connect();
        client = fresh;
      }
      if (leader) await checkConnection(client);
      else if (await tryAlertLeaderLock(client)) become(true);
    } catch (error) {
      drop(error);
    }
    if (!stopped) {
      timer = setTimeout(() => void tick(), retryMs);
      timer.unref();
    }
  }

  return {
    isLeader: () => leader,
    async start() {
      await tick();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      become(false);
      await transitions;
      // Ending the session releases the lock for the next instance at once.
      await client?.end().catch(() => {});
      client = undefined;
    },
  };
}
