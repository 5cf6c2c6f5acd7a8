// Several instances on one PostgreSQL (REDIS_URL set): the parts that make them one system.
//   - the socket.io Redis adapter, and the live relay over it (liveRelay.ts): a console on any instance
//     sees every device and alert;
//   - the alert feed (alertFeed.ts): every instance's readings to the alert leader through a Redis stream;
//   - leadership (leader.ts): a PostgreSQL advisory lock decides which instance runs the alert engine.
// Registry and rule changes travel by LISTEN/NOTIFY (notify.ts). Why this design: decision 0007.
// Redis is needed to start, not to keep running: through an outage each instance ingests, stores and
// serves its own consoles, and the connections come back by themselves (redisLink.ts); stop() ends
// within a few seconds whether Redis answers or not.
import { createAdapter } from '@socket.io/redis-adapter';
import type { Namespace } from 'socket.io';
import type { Config } from '../config.ts';
import { createEventBus, type EventBus } from '../events/bus.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics/index.ts';
import { createAlertFeed } from './alertFeed.ts';
import { createLeadership, type Leadership } from './leader.ts';
import { createLiveRelay } from './liveRelay.ts';
import { createRedisLink } from './redisLink.ts';

/** What the cluster needs of the alerts area. */
export interface Evaluator {
  startEvaluating(): Promise<void>;
  stopEvaluating(): Promise<void>;
}

export async function startCluster(deps: {
  config: Pick<Config, 'REDIS_URL' | 'REDIS_PREFIX' | 'INSTANCE_ID'>;
  databaseUrl: string;
  bus: EventBus;
  log: Logger;
  metrics?: Pick<Metrics, 'clusterRedisConnected' | 'clusterRedisFailures'>;
}) {
  const { config, bus, log, metrics } = deps;
  const url = config.REDIS_URL;
  if (!url) throw new Error('the cluster needs REDIS_URL');
  const link = createRedisLink({
    url,
    log,
    onState: (role, up) => metrics?.clusterRedisConnected.set({ connection: role }, up ? 1 : 0),
    onFailure: (part) => metrics?.clusterRedisFailures.inc({ part }),
  });
  try {
    const publisher = await link.connect('publisher');
    const subscriber = await link.connect('subscriber');
    const reader = await link.connect('alert feed');

    const input: EventBus = createEventBus();
    const feed = createAlertFeed({
      redis: publisher,
      reader,
      prefix: config.REDIS_PREFIX,
      instanceId: config.INSTANCE_ID,
      bus,
      input,
      link,
      log,
    });
    feed.start();
    const relay = createLiveRelay({ bus, log, connected: link.connected });
    relay.start();
    let leadership: Leadership | undefined;
    log.info({ instanceId: config.INSTANCE_ID, prefix: config.REDIS_PREFIX }, 'cluster mode (Redis)');

    return {
      /** The alert engine's input: every instance's events, while this instance leads. */
      evaluationBus: input,
      /** The live layer's bus: every instance's readings, status, alerts and AQI. */
      liveBus: relay.view,
      // The adapter publishes without awaiting: its failures are counted, not left unhandled.
      adapter: createAdapter(link.guard(publisher, 'live fan-out'), link.guard(subscriber, 'live fan-out'), {
        key: `${config.REDIS_PREFIX}:socket.io`,
      }),
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
      /** Whether every Redis connection is up (false through an outage). */
      redisConnected: link.connected,
      async stop() {
        relay.stop();
        await feed.stop();
        await link.close();
      },
    };
  } catch (error) {
    await link.close();
    throw error;
  }
}

export type Cluster = Awaited<ReturnType<typeof startCluster>>;
