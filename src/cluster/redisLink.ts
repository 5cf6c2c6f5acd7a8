// The cluster's Redis connections and whether they are up. Redis only carries what crosses between
// instances (live fan-out, the alert feed), so an outage must cost no more than that: commands fail at
// once while a connection is down (no offline queue, whose commands would each time out 5 s later),
// the clients reconnect with back-off by themselves (subscriptions included), the outage is logged once
// when it starts and once when it ends, and every failed call is counted by part, never logged alone.
// Each part handles its own failures; `guard` is for a library that leaves a command's promise unheard
// (the socket.io adapter publishes without awaiting), so that a failure there is counted, not unhandled.
import { createClient, type RedisClientType } from 'redis';
import type { Logger } from '../log.ts';

/** How long a polite close may wait for Redis before the connection is cut. */
const closeBoundMs = 1_000;

export interface RedisLinkEvents {
  /** The connection of `role` came up (true) or went down (false). */
  onState?(role: string, up: boolean): void;
  /** A call of `part` failed (Redis away, or it refused the command). */
  onFailure?(part: string): void;
}

export type RedisLink = ReturnType<typeof createRedisLink>;

export function createRedisLink(deps: { url: string; log: Logger } & RedisLinkEvents) {
  const { log } = deps;
  const clients = new Map<string, RedisClientType>();
  const onBack = new Set<() => void>();
  const up = new Map<string, boolean>();
  let connected = false;
  let closing = false;
  let downSince = 0;
  let failuresInOutage = 0;
  // Parts whose failure was logged while the connections still looked up (the first sign of trouble).
  const reported = new Set<string>();

  function update() {
    if (closing) return;
    for (const [role, client] of clients) {
      if (up.get(role) === client.isReady) continue;
      up.set(role, client.isReady);
      deps.onState?.(role, client.isReady);
    }
    const now = clients.size > 0 && [...up.values()].every(Boolean);
    if (now === connected) return;
    connected = now;
    if (!now) {
      downSince = Date.now();
      failuresInOutage = 0;
      const down = [...clients].filter(([, client]) => !client.isReady).map(([role]) => role);
      log.warn(
        { down },
        'Redis unreachable: this instance ingests and serves its own consoles alone; fan-out to the other instances resumes when Redis is back',
      );
      return;
    }
    if (downSince > 0)
      log.info(
        { outageMs: Date.now() - downSince, failedCalls: failuresInOutage },
        'Redis back: fan-out between instances resumed',
      );
    reported.clear();
    for (const listener of onBack) listener();
  }

  function failed(part: string, error: unknown) {
    deps.onFailure?.(part);
    failuresInOutage++;
    if (!connected || reported.has(part)) return;
    reported.add(part);
    log.warn(
      { part, err: error instanceof Error ? { message: error.message } : String(error) },
      'a Redis call failed',
    );
  }

  return {
    /** Opens the connection for `role`; it then reconnects by itself until close(). */
    async connect(role: string): Promise<RedisClientType> {
      const client = createClient({
        url: deps.url,
        disableOfflineQueue: true,
        socket: {
          connectTimeout: 2_000,
          reconnectStrategy: (retries) => Math.min(100 + retries * 200, 2_000),
        },
      }) as RedisClientType;
      // node-redis reports each failed reconnection as an error: the outage is logged by update().
      client.on('error', () => update());
      for (const event of ['ready', 'end', 'reconnecting']) client.on(event, () => update());
      try {
        await client.connect();
      } catch (error) {
        client.destroy();
        throw error;
      }
      // Counted from here: a connection still being opened at start is no outage.
      clients.set(role, client);
      update();
      return client;
    },
    connected: () => connected,
    /** Called each time every connection is up again after an outage. */
    whenBack(listener: () => void) {
      onBack.add(listener);
    },
    failed,
    /**
     * The same client for a caller that drops the promises of its commands: each one's failure is
     * counted as `part`. The promise itself is handed back as is, so a caller that awaits it still
     * sees the failure.
     */
    guard(client: RedisClientType, part: string): RedisClientType {
      const wrapped = new Map<PropertyKey, unknown>();
      return new Proxy(client, {
        get(target, property) {
          const value = Reflect.get(target, property, target);
          if (typeof value !== 'function') return value;
          let guarded = wrapped.get(property);
          if (!guarded) {
            guarded = (...args: unknown[]) => {
              const result = (value as (...a: unknown[]) => unknown).apply(target, args);
              if (result instanceof Promise) result.catch((error) => failed(part, error));
              return result;
            };
            wrapped.set(property, guarded);
          }
          return guarded;
        },
      });
    },
    /** Closes every connection: politely when Redis answers, cut after a bound or when it does not. */
    async close() {
      closing = true;
      onBack.clear();
      const closed = [...clients.values()].map(async (client) => {
        if (!client.isReady) {
          if (client.isOpen) client.destroy();
          return;
        }
        let timer: NodeJS.Timeout | undefined;
        const polite = client.close().catch(() => {});
        const cut = new Promise<void>((ok) => {
          timer = setTimeout(() => {
            client.destroy();
            ok();
          }, closeBoundMs);
        });
        await Promise.race([polite, cut]);
        clearTimeout(timer);
      });
      clients.clear();
      await Promise.all(closed);
    },
  };
}
