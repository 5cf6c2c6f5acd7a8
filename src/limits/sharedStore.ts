// Where limits shared between instances keep their counts: a Redis connection of their own (REDIS_URL),
// used through rate-limiter-flexible (keyLimit.ts, sharedDevices.ts). Redis is a help here, never a
// condition: commands fail at once while it is away (no offline queue to wait in), each limit then
// counts in this process as it would without REDIS_URL, and the store says so once per outage in the
// log and every failed call in ioc_limits_shared_unavailable_total{limit}.
import { createClient, type RedisClientType } from 'redis';
import type { Logger } from '../log.ts';

export interface SharedLimitStore {
  client: RedisClientType;
  /** Prefix of every key the limits write (REDIS_PREFIX). */
  prefix: string;
  /** A call of `limit` failed: this instance limits on its own until one succeeds again. */
  failed(limit: string, error: unknown): void;
  /** A call of `limit` succeeded: shared again. */
  succeeded(limit: string): void;
  stop(): Promise<void>;
}

export function connectSharedLimits(deps: {
  url: string;
  prefix: string;
  log: Logger;
  /** Counts a failed call, by limit. */
  onUnavailable: (limit: string) => void;
}): SharedLimitStore {
  const { log } = deps;
  const client = createClient({
    url: deps.url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 2_000, reconnectStrategy: (retries) => Math.min(100 + retries * 200, 2_000) },
  }) as RedisClientType;
  // node-redis reports each reconnection attempt as an error: the outage is logged once, below.
  client.on('error', () => {});
  // Not awaited: an instance starts, and ingests, with Redis away; the limits count locally meanwhile.
  client.connect().catch((error) => log.warn({ err: error }, 'shared limits: Redis unreachable at start'));
  const down = new Set<string>();
  return {
    client,
    prefix: deps.prefix,
    failed(limit, error) {
      deps.onUnavailable(limit);
      if (down.has(limit)) return;
      down.add(limit);
      log.warn(
        { limit, err: error instanceof Error ? { message: error.message } : String(error) },
        'shared limits: Redis unavailable; this instance limits on its own until it is back',
      );
    },
    succeeded(limit) {
      if (!down.delete(limit)) return;
      log.info({ limit }, 'shared limits: Redis back; limits shared again');
    },
    async stop() {
      // A client still trying to reconnect would wait for Redis to close politely: cut it instead.
      if (client.isReady) await client.close().catch(() => client.destroy());
      else if (client.isOpen) client.destroy();
    },
  };
}
