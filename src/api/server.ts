// The HTTP layer: Fastify with zod schemas (which also feed OpenAPI at /docs), the error shape and
// route roles first, then routes grouped by resource. Areas come in as options; nothing is global.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Alerts } from '../alerts/index.ts';
import type { Auth } from '../auth/index.ts';
import type { Broker } from '../broker/index.ts';
import type { Catalog } from '../catalog/index.ts';
import type { Commands } from '../commands/index.ts';
import type { EventBus } from '../events/bus.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics/index.ts';
import type { DeviceRegistry } from '../registry/index.ts';
import type { DeviceQueries } from '../storage/devices.ts';
import type { Pool } from '../storage/pool.ts';
import type { UserQueries } from '../storage/users.ts';
import { installErrorHandling } from './plugins/errors.ts';
import { installRoles } from './plugins/roles.ts';
import { alertRoutes } from './routes/alerts.ts';
import { authRoutes } from './routes/auth.ts';
import { commandRoutes } from './routes/commands.ts';
import { consoleRoutes } from './routes/console.ts';
import { deadLetterRoutes } from './routes/deadLetters.ts';
import { deviceRoutes } from './routes/devices.ts';
import { fleetRoutes } from './routes/fleets.ts';
import { healthRoutes } from './routes/health.ts';
import { ruleRoutes } from './routes/rules.ts';
import { telemetryRoutes } from './routes/telemetry.ts';

export interface ApiAreas {
  pool: Pool;
  auth: Auth;
  alerts: Alerts;
  commands: Commands;
  users: UserQueries;
  consoleTileUrl: string | undefined;
  bus: EventBus;
  broker: Broker;
  catalog: Catalog;
  registry: DeviceRegistry;
  deviceQueries: DeviceQueries;
  metrics: Metrics;
  log: Logger;
}

export async function createApiServer(areas: ApiAreas): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: areas.log as FastifyBaseLogger,
    // The API logs its own lifecycle and failures; a line per request is noise at a control room's rates.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1_048_576,
    trustProxy: false,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app);
  installRoles(app, areas.auth);

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'City IOC API',
        version: '1',
        description:
          'Trung tâm điều hành thông minh (IOC) cấp thành phố — City Intelligent Operations Center. ' +
          'Log in at POST /api/v1/auth/login and send `Authorization: Bearer <token>`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(consoleRoutes, { tileUrl: areas.consoleTileUrl });
  await app.register(healthRoutes, { pool: areas.pool, broker: areas.broker, metrics: areas.metrics });
  await app.register(
    async (api) => {
      await api.register(authRoutes, { auth: areas.auth, users: areas.users });
      await api.register(deviceRoutes, {
        registry: areas.registry,
        queries: areas.deviceQueries,
        catalog: areas.catalog,
      });
      await api.register(telemetryRoutes, {
        pool: areas.pool,
        registry: areas.registry,
        catalog: areas.catalog,
      });
      await api.register(deadLetterRoutes, { pool: areas.pool });
      await api.register(fleetRoutes, { catalog: areas.catalog, registry: areas.registry });
      await api.register(alertRoutes, { alerts: areas.alerts });
      await api.register(commandRoutes, { commands: areas.commands });
      await api.register(ruleRoutes, { alerts: areas.alerts, bus: areas.bus });
    },
    { prefix: '/api/v1' },
  );
  return app;
}
