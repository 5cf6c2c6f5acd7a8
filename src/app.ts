// Wires the areas together; read this first. The data path, top to bottom:
//   broker (aedes, device auth + ACL) → ingest (validate, dead letters) → bus → writer → PostgreSQL
//   bus → alerts (rules, lifecycle, webhooks), notifications (email, SMS, Zalo) and live (socket.io /live)
//   Fastify API (roles on every route) reads the registry and the store; commands go out via the broker.

import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type Alerts, createAlerts } from './alerts/index.ts';
import { brokerEndpoint } from './api/routes/admin/devices.ts';
import { startMetricsListener } from './api/routes/health.ts';
import { createApiServer } from './api/server.ts';
import { type Audit, createAudit } from './audit/index.ts';
import { bootstrapAdmin } from './auth/bootstrap.ts';
import { createAuth, resolveJwtSecret } from './auth/index.ts';
import { type BackupScheduler, createBackupScheduler } from './backup/scheduler.ts';
import { createSelfAlert } from './backup/selfAlert.ts';
import { createDynsecAccounts } from './broker/dynsec.ts';
import { createExternalBroker } from './broker/external.ts';
import { type Broker, createBroker } from './broker/index.ts';
import { endRevokedConnections } from './broker/revoked.ts';
import { type Catalog, loadCatalog } from './catalog/index.ts';
import { startCluster } from './cluster/index.ts';
import { createChangeNotifier } from './cluster/notify.ts';
import { type Commands, createCommands } from './commands/index.ts';
import { type Config, monitoringSurface } from './config.ts';
import { createEventBus, type EventBus } from './events/bus.ts';
import { createFeeds, type Feeds } from './feeds/index.ts';
import { createDeadLetterSink } from './ingest/deadLetters.ts';
import { createIngest, type Ingest } from './ingest/index.ts';
import { createIngestLimiter } from './ingest/rateLimit.ts';
import { createTelemetryWriter, type TelemetryWriter } from './ingest/writer.ts';
import { createKeyLimit } from './limits/keyLimit.ts';
import { createDeviceShares } from './limits/sharedDevices.ts';
import { connectSharedLimits } from './limits/sharedStore.ts';
import { createLive, type Live } from './live/index.ts';
import type { Logger } from './log.ts';
import { createMetrics, type Metrics } from './metrics/index.ts';
import { explainListenError, readPem } from './net.ts';
import { createNotifications, type Notifications } from './notifications/index.ts';
import { createPlaces, type Places } from './places/index.ts';
import { createProfiles, type Profiles } from './profiles/index.ts';
import { mqttEndpoints } from './provisioning/endpoints.ts';
import { createProvisioning } from './provisioning/index.ts';
import { createDeviceRegistry, type DeviceRegistry } from './registry/index.ts';
import { createBackgroundLane } from './storage/backgroundLane.ts';
import { createCommandQueries } from './storage/commands.ts';
import { createDeviceQueries } from './storage/devices.ts';
import { type EmbeddedDatabase, startEmbeddedPostgres } from './storage/embedded.ts';
import { createHousekeeping } from './storage/housekeeping.ts';
import { migrate } from './storage/migrate.ts';
import { createPlaceQueries } from './storage/places.ts';
import { createPool, type Pool } from './storage/pool.ts';
import { createProfileQueries } from './storage/profiles.ts';
import { createProvisioningQueries } from './storage/provisioning.ts';
import { createRetention } from './storage/retention.ts';
import { createUserQueries } from './storage/users.ts';
import { createSystemHealth } from './system/index.ts';

export interface RunningApp {
  config: Config;
  pool: Pool;
  /** The writer's own connections (telemetry, statuses, events, latest values). */
  ingestPool: Pool;
  bus: EventBus;
  catalog: Catalog;
  /** Areas, units in force, former units and boundaries (devices/places, edited through the API). */
  places: Places;
  /** Device kinds as data (devices/kinds seeded, added and edited through the API). */
  profiles: Profiles;
  registry: DeviceRegistry;
  alerts: Alerts;
  feeds: Feeds;
  commands: Commands;
  notifications: Notifications;
  live: Live;
  broker: Broker;
  ingest: Ingest;
  writer: TelemetryWriter;
  metrics: Metrics;
  /** The audit trail; flush() writes the attempts counted this minute. */
  audit: Audit;
  backups: BackupScheduler;
  http: FastifyInstance;
  httpPort: number;
  /** The separate /metrics listener (METRICS_LISTEN); undefined when there is none. */
  metricsPort: number | undefined;
  /** Plain MQTT; undefined when it is off (TLS only). */
  mqttPort: number | undefined;
  mqttTlsPort: number | undefined;
  mqttWsPort: number | undefined;
  databaseUrl: string;
  /** Set only on the very first start when no ADMIN_PASSWORD was given. */
  generatedAdminPassword: string | undefined;
  stop(): Promise<void>;
}

export async function startApp(config: Config, log: Logger): Promise<RunningApp> {
  const started = Date.now();
  // What has been started, to be stopped in reverse order: by stop(), or at once if start-up fails
  // half-way (a taken port must not leave a database server running behind it).
  const running: Array<() => Promise<void> | void> = [];
  const stopAll = async () => {
    for (const stop of running.reverse()) await stop();
  };
  try {
    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      const embedded: EmbeddedDatabase = await startEmbeddedPostgres(
        config.DATA_DIR,
        log.child({ area: 'storage' }),
      );
      running.push(() => embedded.stop());
      databaseUrl = embedded.url;
    }
    const pool = createPool(databaseUrl);
    running.push(() => pool.end());
    await migrate(pool, log.child({ area: 'migrations' }));

    const metrics = createMetrics();
    const bus = createEventBus();
    const places = createPlaces({
      queries: createPlaceQueries(pool),
      log: log.child({ area: 'places' }),
      formerIdsUntil: config.PLACES_FORMER_IDS_UNTIL,
      changed: () => bus.emit('placesChanged'),
    });
    await places.start();
    const profiles = createProfiles({
      queries: createProfileQueries(pool),
      log: log.child({ area: 'profiles' }),
      changed: () => bus.emit('profilesChanged'),
    });
    await profiles.start();
    const catalog = loadCatalog(undefined, places, profiles);
    const deviceQueries = createDeviceQueries(pool);
    // Mosquitto dynamic security: device accounts on the broker follow the registry (and the IOC's
    // own ingest account is made sure of before ingest connects).
    const accounts = config.MQTT_DYNSEC_ADMIN_USERNAME
      ? createDynsecAccounts({ config, log: log.child({ area: 'dynsec' }) })
      : undefined;
    if (accounts) {
      running.push(() => accounts.stop());
      await accounts.start();
    }
    const registry = createDeviceRegistry({ queries: deviceQueries, catalog, places, bus, accounts });
    await registry.load();
    // Several instances on one database (an external broker or Redis): registry, rule, place and
    // profile changes made on one are announced to the others (LISTEN/NOTIFY).
    if (config.MQTT_URL || config.REDIS_URL) {
      const notifier = createChangeNotifier({
        databaseUrl,
        pool,
        bus,
        registry,
        caches: { places, profiles },
        instanceId: config.INSTANCE_ID,
        log: log.child({ area: 'cluster' }),
      });
      await notifier.start();
      running.push(() => notifier.stop());
    }
    // REDIS_URL: several instances as one (live view, alert leader fed by every instance).
    const cluster = config.REDIS_URL
      ? await startCluster({ config, databaseUrl, bus, metrics, log: log.child({ area: 'cluster' }) })
      : undefined;
    if (cluster) running.push(() => cluster.stop());

    // REDIS_URL: the device, login and feed-key limits hold across instances (docs/decisions/0020-shared-limits.md).
    const sharedLimits = config.REDIS_URL
      ? connectSharedLimits({
          url: config.REDIS_URL,
          prefix: config.REDIS_PREFIX,
          log: log.child({ area: 'limits' }),
          onUnavailable: (limit) => metrics.sharedLimitsDown.inc({ limit }),
        })
      : undefined;
    if (sharedLimits) running.push(() => sharedLimits.stop());
    // Behind an external broker a device's messages were already acknowledged by the broker, and a
    // backlog it redelivers after an instance restart arrives at full speed: holding them here would
    // hold every device's messages behind them (one receive window per instance), and refusing them
    // would lose acknowledged data. Flood control then belongs to the broker (EMQX rate limits).
    const deviceRatePerS = config.MQTT_URL ? 0 : config.INGEST_DEVICE_RATE_PER_S;
    const deviceShares =
      sharedLimits && deviceRatePerS > 0
        ? createDeviceShares({ store: sharedLimits, ratePerS: deviceRatePerS })
        : undefined;
    deviceShares?.start();
    if (deviceShares) running.push(() => deviceShares.stop());

    const users = createUserQueries(pool);
    const jwtSecret = await resolveJwtSecret(config.JWT_SECRET, config.DATA_DIR);
    const auth = createAuth({
      users,
      jwtSecret,
      ttlSeconds: config.JWT_TTL_S,
      lockout: { failures: config.LOGIN_LOCKOUT_FAILURES, seconds: config.LOGIN_LOCKOUT_S },
      budget: {
        addressPerMinute: config.LOGIN_ADDRESS_RATE_PER_MIN,
        globalPerSecond: config.LOGIN_GLOBAL_RATE_PER_S,
        hashQueue: config.LOGIN_HASH_QUEUE,
        shared: sharedLimits,
      },
      refused: (reason) => metrics.loginRefused.inc({ reason }),
      dataDir: config.DATA_DIR,
      log: log.child({ area: 'auth' }),
    });
    // A generated password is printed and kept in DATA_DIR here, at once: whatever fails later in
    // start-up, the newcomer is not locked out.
    const generatedAdminPassword = await bootstrapAdmin({
      users,
      dataDir: config.DATA_DIR,
      password: config.ADMIN_PASSWORD,
      log: log.child({ area: 'auth' }),
      out: process.stdout,
    });

    const ingestLog = log.child({ area: 'ingest' });
    // The writer has connections of its own (its concurrent batches and the latest-values flush): a
    // burst of alert writes, API queries or a long refresher pass must not make a batch wait for a
    // connection, since a batch not stored within JOURNAL_AFTER_MS sends ingest to the journal.
    const ingestPool = createPool(databaseUrl, {
      max: config.INGEST_WRITE_CONCURRENCY + 1,
      application: 'city-ioc-ingest',
    });
    running.push(() => ingestPool.end());
    // Periodic whole-fleet statements (latest values, last-seen stamps, folds, the indicator pass)
    // take turns on one lane with rests, so they never crowd out ingest (src/storage/backgroundLane.ts).
    const lane = createBackgroundLane();
    // Before the writer: a journal record the database refuses on replay becomes a dead letter.
    const deadLetters = createDeadLetterSink({ pool, log: ingestLog, metrics, bus });
    running.push(() => deadLetters.stop());
    const writer = createTelemetryWriter({
      deadLetters,
      lane,
      pool: ingestPool,
      log: ingestLog,
      metrics,
      options: {
        batchRows: config.INGEST_BATCH_ROWS,
        flushMs: config.INGEST_FLUSH_MS,
        concurrency: config.INGEST_WRITE_CONCURRENCY,
        queueLimit: config.INGEST_QUEUE_LIMIT,
        journal: { dir: join(config.DATA_DIR, 'journal'), maxBytes: config.JOURNAL_MAX_BYTES },
        journalAfterMs: config.JOURNAL_AFTER_MS,
        latestFlushMs: config.INGEST_LATEST_FLUSH_MS,
      },
    });
    running.push(() => writer.stop());
    // A journal left by a crash is replayed before anything new is written (docs/decisions/0008-journal.md).
    await writer.start();
    const ingest = createIngest({
      lane,
      catalog,
      registry,
      bus,
      writer,
      deadLetters,
      metrics,
      pool,
      log: ingestLog,
      config,
      rateLimit: createIngestLimiter({
        shares: deviceShares,
        devicePerS: deviceRatePerS,
        deviceBurst: config.INGEST_DEVICE_BURST,
        globalPerS: config.INGEST_GLOBAL_RATE_PER_S,
        onLimited: (scope) => metrics.rateLimited.inc({ scope }),
        onThrottled: () => metrics.throttled.inc(),
      }),
    });
    ingest.start();
    running.push(() => ingest.stop());

    const retention = createRetention({
      pool,
      log: log.child({ area: 'retention' }),
      days: config.TELEMETRY_RETENTION_DAYS,
    });
    await retention.start();
    running.push(() => retention.stop());
    const housekeeping = createHousekeeping({
      pool,
      log: log.child({ area: 'housekeeping' }),
      days: {
        rollups: config.ROLLUP_RETENTION_DAYS,
        deadLetters: config.DEAD_LETTER_RETENTION_DAYS,
        webhookDeliveries: config.WEBHOOK_LOG_RETENTION_DAYS,
      },
    });
    await housekeeping.start();
    running.push(() => housekeeping.stop());

    const feeds = createFeeds({
      pool,
      catalog,
      log: log.child({ area: 'feeds' }),
      publishDelayS: config.FEEDS_PUBLISH_DELAY_S,
      foldEveryS: config.FEEDS_FOLD_S,
      lane,
    });
    feeds.start(config.FEEDS_REFRESH_S);
    running.push(() => feeds.stop());
    // Stopping: what is queued on the lane goes at once (pushed after the writer, ingest and feeds,
    // so it runs before their stops).
    running.push(() => lane.hurry());

    const alerts = createAlerts({
      pool,
      bus,
      registry,
      catalog,
      log: log.child({ area: 'alerts' }),
      input: cluster?.evaluationBus,
      webhookAllowedHosts: config.WEBHOOK_ALLOWED_HOSTS,
      // A rule's dry run reads a day of history: it takes turns with the other heavy reads.
      lane,
    });
    await alerts.start({ evaluate: !cluster });
    running.push(() => alerts.stop());
    if (cluster) {
      await cluster.lead(alerts);
      running.push(() => cluster.stopLeading());
    }

    // Alarms to a person (email, SMS, Zalo OA, webhooks): every instance records the alert transitions
    // it hears; the alert leader alone escalates and sends (src/notifications/index.ts).
    const notifications = createNotifications({
      pool,
      bus,
      log: log.child({ area: 'notifications' }),
      clock: () => new Date(),
      isLeader: cluster ? () => cluster.isLeader() : () => true,
      policy: alerts.outboundPolicy,
      smtp: {
        host: config.NOTIFY_SMTP_HOST,
        port: config.NOTIFY_SMTP_PORT,
        secure: config.NOTIFY_SMTP_SECURE,
        requireTls: config.NOTIFY_SMTP_REQUIRE_TLS,
        username: config.NOTIFY_SMTP_USERNAME,
        password: config.NOTIFY_SMTP_PASSWORD,
        from: config.NOTIFY_EMAIL_FROM,
      },
      alertById: (id) => alerts.queries.get(id),
    });
    notifications.start();
    running.push(() => notifications.stop());

    // Nightly backups, and the self-alert when one fails or the last good one is too old.
    const backups = createBackupScheduler({
      config,
      log: log.child({ area: 'backup' }),
      metrics,
      alert: createSelfAlert({ key: 'ioc-backup', queries: alerts.queries, lifecycle: alerts.lifecycle }),
    });
    await backups.start();
    running.push(() => backups.stop());

    // MQTT_URL: the city's broker (shared subscriptions over every instance) instead of the embedded one.
    const broker = config.MQTT_URL
      ? createExternalBroker({ config, ingest, metrics, log: log.child({ area: 'broker' }) })
      : createBroker({ config, registry, ingest, metrics, log: log.child({ area: 'broker' }) });
    running.push(() => broker.stop());
    const { port: mqttPort, tlsPort: mqttTlsPort, wsPort: mqttWsPort } = await broker.start();
    running.push(endRevokedConnections({ bus, registry, broker }));

    const commands = createCommands({
      queries: createCommandQueries(pool),
      broker,
      registry,
      bus,
      log: log.child({ area: 'commands' }),
      clock: () => new Date(),
      timeoutSeconds: config.COMMAND_TIMEOUT_S,
    });
    commands.start();
    running.push(() => commands.stop());

    // Stopped after the API (pushed before it): the attempts counted until the last answer are written.
    const audit = createAudit({ pool, metrics, log: log.child({ area: 'audit' }) });
    running.push(() => audit.stop());
    // Devices claiming their identity in the field with an admin's key (docs/mqtt.md, Provisioning).
    const provisioning = createProvisioning({
      queries: createProvisioningQueries(pool),
      registry,
      catalog,
      places,
      audit,
      limit: createKeyLimit(
        {
          name: 'provision_key',
          points: config.PROVISION_CLAIM_RATE_PER_MIN,
          durationS: 60,
          maxKeys: 10_000,
        },
        sharedLimits,
      ),
    });
    // The admins' health page: numbers registered with the metrics, so /metrics shows them too.
    const system = createSystemHealth({
      pool,
      metrics,
      broker,
      alerts,
      backups,
      dataDir: config.DATA_DIR,
      embeddedDatabase: !config.DATABASE_URL,
      journalMaxBytes: config.JOURNAL_MAX_BYTES,
    });
    const surface = monitoringSurface(config);
    const http = await createApiServer({
      pool,
      auth,
      alerts,
      commands,
      users,
      consoleTileUrl: config.CONSOLE_TILE_URL,
      consoleBasemapPath: config.CONSOLE_PMTILES_PATH ?? join(config.DATA_DIR, 'basemap.pmtiles'),
      bus,
      broker,
      catalog,
      places,
      profiles,
      registry,
      deviceQueries,
      provisioning: { provisioning, mqtt: mqttEndpoints(config, { mqttPort, mqttTlsPort, mqttWsPort }) },
      unflushedLatest: (id) => writer.unflushedLatest(id),
      metrics,
      feeds: {
        feeds,
        ratePerMinute: config.FEEDS_RATE_PER_MIN,
        shared: sharedLimits,
        openData: config.OPEN_DATA_ENABLED,
        openDataCacheBytes: config.OPEN_DATA_CACHE_BYTES,
        openDataConcurrency: config.OPEN_DATA_CONCURRENCY,
      },
      audit,
      notifications,
      surface: { metrics: surface.metrics, docs: surface.docs },
      admin: {
        system,
        backups: { scheduler: backups, config },
        mqtt: brokerEndpoint(config.MQTT_URL, { port: mqttPort, tlsPort: mqttTlsPort, wsPort: mqttWsPort }),
      },
      brokerHooks:
        config.MQTT_URL || config.MQTT_AUTH_HOOK_TOKEN
          ? {
              token: config.MQTT_AUTH_HOOK_TOKEN,
              ingest: {
                username: config.MQTT_INGEST_USERNAME,
                password: config.MQTT_INGEST_PASSWORD,
                group: config.MQTT_SHARED_GROUP,
              },
              accounts,
            }
          : undefined,
      http: {
        tls:
          config.HTTP_TLS_CERT_FILE && config.HTTP_TLS_KEY_FILE
            ? {
                cert: readPem(config.HTTP_TLS_CERT_FILE, 'HTTP_TLS_CERT_FILE'),
                key: readPem(config.HTTP_TLS_KEY_FILE, 'HTTP_TLS_KEY_FILE'),
              }
            : undefined,
        bodyLimit: config.HTTP_BODY_LIMIT_BYTES,
        corsOrigins: config.CORS_ORIGINS,
        trustProxy: config.TRUST_PROXY,
      },
      log: log.child({ area: 'api' }),
    });
    running.push(() => http.close());
    const live = createLive({
      server: http.server,
      auth,
      registry,
      kinds: { has: (kind) => catalog.kinds.has(kind) },
      bus: cluster?.liveBus ?? bus,
      adapter: cluster?.adapter,
      alertQueries: alerts.queries,
      pool,
      log: log.child({ area: 'live' }),
      coalesceMs: config.LIVE_COALESCE_MS,
      maxCoalesceMs: config.LIVE_COALESCE_MAX_MS,
      metrics,
      limits: {
        subscribePerS: config.LIVE_SUBSCRIBE_PER_S,
        subscribeBurst: config.LIVE_SUBSCRIBE_BURST,
        socketBufferBytes: config.LIVE_SOCKET_BUFFER_BYTES,
        totalBufferBytes: config.LIVE_BUFFER_TOTAL_BYTES,
        socketsPerUser: config.LIVE_SOCKETS_PER_USER,
        maxSockets: config.LIVE_SOCKETS_MAX,
        sessionCheckMs: config.LIVE_SESSION_CHECK_S * 1000,
      },
      databaseUrl,
    });
    await live.start();
    running.push(() => live.stop());
    cluster?.attachLive(live.io.of('/live'));
    await http.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT }).catch((error) => {
      throw explainListenError(error, 'HTTP_PORT', config.HTTP_PORT, config.HTTP_HOST);
    });
    const httpPort = (http.server.address() as AddressInfo).port;
    const metricsListener = surface.metricsListen
      ? await startMetricsListener(metrics, surface.metricsListen)
      : undefined;
    if (metricsListener) running.push(() => metricsListener.close());
    log.info(
      {
        httpPort,
        metricsPort: metricsListener?.port,
        mqttPort,
        mqttTlsPort,
        mqttWsPort,
        devices: registry.size(),
        startupMs: Date.now() - started,
        embeddedDatabase: !config.DATABASE_URL,
      },
      'city IOC ready',
    );

    let stopping: Promise<void> | undefined;
    return {
      config,
      pool,
      ingestPool,
      bus,
      catalog,
      places,
      profiles,
      registry,
      alerts,
      feeds,
      commands,
      notifications,
      live,
      broker,
      ingest,
      writer,
      metrics,
      audit,
      backups,
      http,
      httpPort,
      metricsPort: metricsListener?.port,
      mqttPort,
      mqttTlsPort,
      mqttWsPort,
      databaseUrl,
      generatedAdminPassword,
      stop() {
        // Reverse order: stop taking messages, store what was accepted, then close the store.
        stopping ??= stopAll().then(() => log.info('city IOC stopped'));
        return stopping;
      },
    };
  } catch (error) {
    await stopAll().catch(() => {});
    throw error;
  }
}
