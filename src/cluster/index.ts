// Several instances on one PostgreSQL (REDIS_URL set): the parts that make them one system.
//   - the socket.io Redis adapter, and the live relay over it (liveRelay.ts): a console on any instance
//     sees every device and alert;
//   - the alert feed (alertFeed.ts): every instance's readings to the alert leader through a Redis stream;
//   - leadership (leader.ts): a PostgreSQL advisory lock decides which instance runs the alert engine.
// Registry and rule changes travel by LISTEN/NOTIFY (notify.ts). Why this design: decision 0007.
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient, type RedisClientType } from 'redis';
import type { Namespace } from 'socket.io';
import type { Config } from '../config.ts';
import { createEventBus, type EventBus } from '../events/bus.ts';
import type { Logger } from '../log.ts';
import { createAlertFeed } from './alertFeed.ts';
import { createLeadership, type Leadership } from './leader.ts';
import { createLiveRelay } from './liveRelay.ts';

/** What the cluster needs of the alerts area. */
export interface Evaluator {
  startEvaluating(): Promise<void>;
  stopEvaluating(): Promise<void>;
}

async function connectRedis(url: string, log: Logger, role: string): Promise<RedisClientType> {
  const client = createClient({
    url,
    socket: { reconnectStrategy: (retries) => Math.min(retries * 200, 2_000) },
  }) as RedisClientType;
  client.on('error', (error) => log.warn({ err: error, role }, 'Redis connection error'));
  await client.connect();
  return client;
}

export async function startCluster(deps: {
  config: Pick<Config, 'REDIS_URL' | 'REDIS_PREFIX' | 'INSTANCE_ID'>;
  databaseUrl: string;
  bus: EventBus;
  log: Logger;
}) {
  const { config, bus, log } = deps;
  const url = config.REDIS_URL;
  if (!url) throw new Error('the cluster needs REDIS_URL');
  const clients: RedisClientType[] = [];
  const closeClients = async () => {
    for (const client of clients.splice(0)) await client.close().catch(() => client.destroy());
  };
  try {
    const publisher = await connectRedis(url, log, 'publisher');
    clients.push(publisher);
    const subscriber = await connectRedis(url, log, 'subscriber');
    clients.push(subscriber);
    const reader = await connectRedis(url, log, 'alert feed');
    clients.push(reader);

    const input: EventBus = createEventBus();
    const feed = createAlertFeed({
      redis: publisher,
      reader,
      prefix: config.REDIS_PREFIX,
      instanceId: config.INSTANCE_ID,
      bus,
      input,
      log,
    });
    feed.start();
    const relay = createLiveRelay({ bus, log });
    relay.start();
    let leadership: Leadership | undefined;
    log.info({ instanceId: config.INSTANCE_ID, prefix: config.REDIS_PREFIX }, 'cluster mode (Redis)');

    return {
      /** The alert engine's input: every instance's events, while this instance leads. */
      evaluationBus: input,
      /** The live layer's bus: every instance's readings, status, alerts and AQI. */
      liveBus: relay.view,
      adapter: createAdapter(publisher, subscriber, { key: `${config.REDIS_PREFIX}:socket.io` }),
      attachLive(namespace: Namespace) {
        relay.attach(namespace);
      },
      /** Competes for alert leadership; the winner evaluates for everyone until it goes away. */
      async lead(evaluator: Evaluator) {
        leadership = createLeadership({
          databaseUrl: deps.databaseUrl,
          instanceId: config.INSTANCE_ID,
          log,
          async onChange(leader) {
            if (leader) {
              await evaluator.startEvaluating();
              await feed.startConsuming();
            } else {
              await feed.stopConsuming();
              await evaluator.stopEvaluating();
            }
          },
        });
        await leadership.start();
      },
      isLeader: () => leadership?.isLeader() ?? false,
      /** Resolves once this instance's queued events are in the stream (tests). */
      flushed: () => feed.flushed(),
      async stopLeading() {
        await leadership?.stop();
      },
      async stop() {
        relay.stop();
        await feed.stop();
        await closeClients();
      },
    };
  } catch (error) {
    await closeClients();
    throw error;
  }
}

export type Cluster = Awaited<ReturnType<typeof startCluster>>;
