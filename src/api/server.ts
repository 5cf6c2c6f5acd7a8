// The HTTP layer: Fastify with zod schemas (which also feed OpenAPI at /docs), the error shape and
// route roles first, then routes grouped by resource. Areas come in as options; nothing is global.
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Alerts } from '../alerts/index.ts';
import type { Audit } from '../audit/index.ts';
import type { Auth } from '../auth/index.ts';
import type { Broker } from '../broker/index.ts';
import type { Catalog } from '../catalog/index.ts';
import type { Commands } from '../commands/index.ts';
import { createContract } from '../contract/index.ts';
import type { EventBus } from '../events/bus.ts';
import type { Feeds } from '../feeds/index.ts';
import type { SharedLimitStore } from '../limits/sharedStore.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics/index.ts';
import type { Notifications } from '../notifications/index.ts';
import type { Places } from '../places/index.ts';
import type { Profiles } from '../profiles/index.ts';
import type { MqttEndpoints } from '../provisioning/endpoints.ts';
import type { Provisioning } from '../provisioning/index.ts';
import type { DeviceRegistry } from '../registry/index.ts';
import type { DeviceQueries } from '../storage/devices.ts';
import type { Pool } from '../storage/pool.ts';
import type { UserQueries } from '../storage/users.ts';
import { installAuditTrail } from './plugins/audit.ts';
import { installCors } from './plugins/cors.ts';
import { installErrorHandling } from './plugins/errors.ts';
import { installNulGuard } from './plugins/nulGuard.ts';
import { installOpenApi } from './plugins/openapi.ts';
import { installRoles } from './plugins/roles.ts';
import { installSecurityHeaders } from './plugins/securityHeaders.ts';
import { type AdminAreas, adminRoutes } from './routes/admin/index.ts';
import { alertRoutes } from './routes/alerts.ts';
import { auditRoutes } from './routes/audit.ts';
import { authRoutes } from './routes/auth.ts';
import { type BrokerHookOptions, brokerHookRoutes } from './routes/brokerHooks.ts';
import { commandRoutes } from './routes/commands.ts';
import { consoleRoutes } from './routes/console.ts';
import { contractRoutes } from './routes/contract.ts';
import { deadLetterRoutes } from './routes/deadLetters.ts';
import { deviceRoutes } from './routes/devices.ts';
import { feedRoutes } from './routes/feeds.ts';
import { fleetRoutes } from './routes/fleets.ts';
import { healthRoutes, type MetricsAccess } from './routes/health.ts';
import { notificationRoutes } from './routes/notifications.ts';
import { placeRoutes } from './routes/places.ts';
import { profileRoutes } from './routes/profiles.ts';
import { provisioningRoutes } from './routes/provisioning.ts';
import { ruleRoutes } from './routes/rules.ts';
import { telemetryRoutes } from './routes/telemetry.ts';
import { tileRoutes } from './routes/tiles.ts';

export interface ApiAreas {
  pool: Pool;
  auth: Auth;
  alerts: Alerts;
  commands: Commands;
  users: UserQueries;
  consoleTileUrl: string | undefined;
  /** Where the offline base map (PMTiles) is looked for; unset: none is served. */
  consoleBasemapPath?: string;
  bus: EventBus;
  broker: Broker;
  catalog: Catalog;
  places: Places;
  /** Device kinds as data (src/profiles); without them, no /profiles routes (tests of other areas). */
  profiles?: Profiles;
  registry: DeviceRegistry;
  deviceQueries: DeviceQueries;
  /** Devices claiming their identity with a key, and where the claim tells them to connect. */
  provisioning?: { provisioning: Provisioning; mqtt: MqttEndpoints };
  /** The writer's latest values not yet in device_latest. */
  unflushedLatest?: (deviceId: string) => Array<{ metric: string; time: Date; value: number }>;
  metrics: Metrics;
  audit: Audit;
  /** Channels, on-call schedules, escalation policies and the delivery log. */
  notifications: Notifications;
  /**
   * HTTPS certificate and key (PEM) when configured, the body limit, the CORS allowlist, and the
   * reverse proxies whose X-Forwarded-For gives request.ip (TRUST_PROXY; unset: none).
   */
  http: {
    tls: { cert: Buffer; key: Buffer } | undefined;
    bodyLimit: number;
    corsOrigins: readonly string[];
    trustProxy?: boolean | string[];
  };
  /**
   * Province feeds, their per-key rate, whether the anonymous open-data endpoints are on, and their
   * cache's byte budget and concurrent database reads.
   */
  feeds: {
    feeds: Feeds;
    ratePerMinute: number;
    /** Where the per-key allowance is shared with the other instances (REDIS_URL). */
    shared?: SharedLimitStore;
    openData: boolean;
    openDataCacheBytes?: number;
    openDataConcurrency?: number;
  };
  /** An external broker's hooks (EMQX auth/ACL) and account sync (Mosquitto dynamic security). */
  brokerHooks?: Omit<BrokerHookOptions, 'registry' | 'metrics'>;
  /**
   * What the API's listener shows besides the API: /metrics (open, behind METRICS_TOKEN, or not at
   * all) and the OpenAPI description at /docs (src/config.ts, monitoringSurface).
   */
  surface: { metrics: MetricsAccess; docs: boolean };
  /** The admins' pages: system health, backups, where devices reach the MQTT broker. */
  admin: AdminAreas;
  log: Logger;
}

export async function createApiServer(areas: ApiAreas): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: areas.log as FastifyBaseLogger,
    // The API logs its own lifecycle and failures; a line per request is noise at a control room's rates.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: areas.http.bodyLimit,
    // Only a proxy named in TRUST_PROXY may say who the client is: anyone else could forge the header
    // and walk past the login throttle or write another address into the audit log.
    trustProxy: areas.http.trustProxy ?? false,
    ...(areas.http.tls ? { https: { ...areas.http.tls, minVersion: 'TLSv1.2' as const } } : {}),
  }) as unknown as FastifyInstance;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app);
  installRoles(app, areas.auth, areas.feeds.feeds.apiKeys);
  installSecurityHeaders(app, { tileUrl: areas.consoleTileUrl, https: areas.http.tls !== undefined });
  installCors(app, areas.http.corsOrigins);
  installNulGuard(app);
  installAuditTrail(app, areas.audit, areas.metrics);

  await installOpenApi(app, { docs: areas.surface.docs });
  // The MQTT contract (AsyncAPI and its page) sits beside the API's pages, under the same rule.
  if (areas.surface.docs) await app.register(contractRoutes, { contract: createContract(areas.catalog) });

  await app.register(consoleRoutes, { tileUrl: areas.consoleTileUrl });
  await app.register(tileRoutes, { basemapPath: areas.consoleBasemapPath });
  await app.register(healthRoutes, {
    pool: areas.pool,
    broker: areas.broker,
    metrics: areas.metrics,
    access: areas.surface.metrics,
  });
  await app.register(
    async (api) => {
      await api.register(authRoutes, { auth: areas.auth, users: areas.users, audit: areas.audit });
      await api.register(auditRoutes, { audit: areas.audit });
      await api.register(deviceRoutes, {
        registry: areas.registry,
        queries: areas.deviceQueries,
        catalog: areas.catalog,
        unflushedLatest: areas.unflushedLatest,
      });
      if (areas.provisioning) {
        const { provisioning, mqtt } = areas.provisioning;
        await api.register(provisioningRoutes, { provisioning, mqtt });
      }
      await api.register(adminRoutes, {
        admin: areas.admin,
        registry: areas.registry,
        deviceQueries: areas.deviceQueries,
        catalog: areas.catalog,
        places: areas.places,
        pool: areas.pool,
        audit: areas.audit,
        auth: areas.auth,
        users: areas.users,
      });
      await api.register(telemetryRoutes, {
        pool: areas.pool,
        registry: areas.registry,
        catalog: areas.catalog,
      });
      await api.register(deadLetterRoutes, { pool: areas.pool });
      await api.register(fleetRoutes, {
        catalog: areas.catalog,
        registry: areas.registry,
        places: areas.places,
      });
      await api.register(placeRoutes, { places: areas.places });
      if (areas.profiles)
        await api.register(profileRoutes, { profiles: areas.profiles, registry: areas.registry });
      await api.register(alertRoutes, { alerts: areas.alerts, catalog: areas.catalog });
      await api.register(commandRoutes, { commands: areas.commands });
      await api.register(ruleRoutes, { alerts: areas.alerts, bus: areas.bus, catalog: areas.catalog });
      await api.register(notificationRoutes, {
        notifications: areas.notifications,
        policy: areas.alerts.outboundPolicy,
      });
      await api.register(feedRoutes, {
        ...areas.feeds,
        pool: areas.pool,
        catalog: areas.catalog,
        metrics: areas.metrics,
      });
      if (areas.brokerHooks) {
        await api.register(brokerHookRoutes, {
          ...areas.brokerHooks,
          registry: areas.registry,
          metrics: areas.metrics,
        });
      }
    },
    { prefix: '/api/v1' },
  );
  return app;
}
