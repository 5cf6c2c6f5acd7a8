// Hears, on a connection of its own, when a user's sessions end or change anywhere: the database
// announces every logout, new password, disabling, role change or deletion on `ioc_sessions`
// (migration 016), whichever instance or process made it, so the live layer can end that user's sockets
// at once. Notices sent while the connection is down are lost: on reconnecting, `onResync` asks for a
// check of every socket, and the live layer's periodic check bounds the gap in any case.
import pg from 'pg';
import type { Logger } from '../log.ts';
import { listenForSessionChanges, sessionsChannel } from '../storage/live.ts';

export function watchSessions(deps: {
  databaseUrl: string;
  log: Logger;
  /** The user's sessions ended or changed (their sockets must go). */
  onChange(username: string): void;
  /** The connection was lost and is back: notices may have been missed meanwhile. */
  onResync(): void;
  retryMs?: number;
}) {
  const { log } = deps;
  const retryMs = deps.retryMs ?? 1_000;
  let client: pg.Client | undefined;
  let stopped = false;
  let lost = false;
  let timer: NodeJS.Timeout | undefined;

  async function connect() {
    const fresh = new pg.Client({
      connectionString: deps.databaseUrl,
      application_name: 'ioc-live-sessions',
      keepAlive: true,
    });
    fresh.on('notification', (message) => {
      if (message.channel === sessionsChannel && message.payload) deps.onChange(message.payload);
    });
    fresh.on('error', (error) => {
      if (client !== fresh) return;
      log.warn({ err: error }, 'lost the connection that hears ended sessions; reconnecting');
      client = undefined;
      lost = true;
      void fresh.end().catch(() => {});
      schedule();
    });
    try {
      await fresh.connect();
      await listenForSessionChanges(fresh);
    } catch (error) {
      void fresh.end().catch(() => {});
      throw error;
    }
    if (stopped) {
      await fresh.end().catch(() => {});
      return;
    }
    client = fresh;
    if (lost) {
      lost = false;
      deps.onResync();
    }
  }

  function schedule() {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      connect().catch((error) => {
        log.warn({ err: error }, 'could not listen for ended sessions; retrying');
        lost = true;
        schedule();
      });
    }, retryMs);
    timer.unref();
  }

  return {
    async start() {
      await connect();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      const current = client;
      client = undefined;
      await current?.end().catch(() => {});
    },
  };
}
