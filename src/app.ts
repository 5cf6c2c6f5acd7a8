// Wires the areas together; read this first. The data path, top to bottom:
//   broker (aedes, device auth + ACL) → ingest (validate, dead letters) → bus → writer → PostgreSQL
//   Fastify API (roles on every route) reads the registry and the store.

import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createApiServer } from './api/server.ts';
import { createAuth, resolveJwtSecret } from './auth/index.ts';
import { type Broker, createBroker } from './broker/index.ts';
import { type Catalog, loadCatalog } from './catalog/index.ts';
import type { Config } from './config.ts';
import { createEventBus, type EventBus } from './events/bus.ts';
import { createDeadLetterSink } from './ingest/deadLetters.ts';
import { createIngest, type Ingest } from './ingest/index.ts';
import { createTelemetryWriter, type TelemetryWriter } from './ingest/writer.ts';
import type { Logger } from './log.ts';
import { createMetrics, type Metrics } from './metrics/index.ts';
import { createDeviceRegistry, type DeviceRegistry } from './registry/index.ts';
import { createDeviceQueries } from './storage/devices.ts';
import { type EmbeddedDatabase, startEmbeddedPostgres } from './storage/embedded.ts';
import { migrate } from './storage/migrate.ts';
import { createPool, type Pool } from './storage/pool.ts';
import { createRetention } from './storage/retention.ts';
import { createUserQueries } from './storage/users.ts';

export interface RunningApp {
  config: Config;
  pool: Pool;
  bus: EventBus;
  catalog: Catalog;
  registry: DeviceRegistry;
  broker: Broker;
  ingest: Ingest;
  writer: TelemetryWriter;
  metrics: Metrics;
  http: FastifyInstance;
  httpPort: number;
  mqttPort: number;
  mqttWsPort: number | undefined;
  databaseUrl: string;
  /** Set only on the very first start when no ADMIN_PASSWORD was given. */
  generatedAdminPassword: string | undefined;
  stop(): Promise<void>;
}

export async function startApp(config: Config, log: Logger): Promise<RunningApp> {
  const started = Date.now();
  let embedded: EmbeddedDatabase | undefined;
  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres(config.DATA_DIR, log.child({ area: 'storage' }));
    databaseUrl = embedded.url;
  }
  const pool = createPool(databaseUrl);
  try {
    await migrate(pool, log.child({ area: 'migrations' }));
  } catch (error) {
    await pool.end();
    await embedded?.stop();
    throw error;
  }

  const metrics = createMetrics();
  const bus = createEventBus();
  const catalog = loadCatalog();
  const deviceQueries = createDeviceQueries(pool);
  const registry = createDeviceRegistry({ queries: deviceQueries, catalog, bus });
  await registry.load();

  const users = createUserQueries(pool);
  const jwtSecret = await resolveJwtSecret(config.JWT_SECRET, config.DATA_DIR);
  const auth = createAuth({
    users,
    jwtSecret,
    ttlSeconds: config.JWT_TTL_S,
    log: log.child({ area: 'auth' }),
  });
  const generatedAdminPassword = await auth.bootstrapAdmin(config.ADMIN_PASSWORD);

  const ingestLog = log.child({ area: 'ingest' });
  const writer = createTelemetryWriter({
    pool,
    log: ingestLog,
    metrics,
    options: {
      batchRows: config.INGEST_BATCH_ROWS,
      flushMs: config.INGEST_FLUSH_MS,
      queueLimit: config.INGEST_QUEUE_LIMIT,
    },
  });
  const deadLetters = createDeadLetterSink({ pool, log: ingestLog, metrics, bus });
  const ingest = createIngest({
    catalog,
    registry,
    bus,
    writer,
    deadLetters,
    metrics,
    pool,
    log: ingestLog,
    config,
  });
  ingest.start();

  const retention = createRetention({
    pool,
    log: log.child({ area: 'retention' }),
    days: config.TELEMETRY_RETENTION_DAYS,
  });
  await retention.start();

  const broker = createBroker({ config, registry, ingest, metrics, log: log.child({ area: 'broker' }) });
  const { port: mqttPort, wsPort: mqttWsPort } = await broker.start();

  const http = await createApiServer({
    pool,
    auth,
    broker,
    catalog,
    registry,
    deviceQueries,
    metrics,
    log: log.child({ area: 'api' }),
  });
  await http.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT });
  const httpPort = (http.server.address() as AddressInfo).port;
  log.info(
    {
      httpPort,
      mqttPort,
      mqttWsPort,
      devices: registry.size(),
      startupMs: Date.now() - started,
      embeddedDatabase: !!embedded,
    },
    'city IOC ready',
  );

  let stopping: Promise<void> | undefined;
  return {
    config,
    pool,
    bus,
    catalog,
    registry,
    broker,
    ingest,
    writer,
    metrics,
    http,
    httpPort,
    mqttPort,
    mqttWsPort,
    databaseUrl,
    generatedAdminPassword,
    stop() {
      // Order matters: stop taking messages, store what was accepted, then close the store.
      stopping ??= (async () => {
        await http.close();
        await broker.stop();
        await ingest.stop();
        await deadLetters.stop();
        await writer.stop();
        retention.stop();
        await pool.end();
        await embedded?.stop();
        log.info('city IOC stopped');
      })();
      return stopping;
    },
  };
}
