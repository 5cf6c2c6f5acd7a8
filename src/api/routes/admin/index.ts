// The routes an administrator's pages need beyond the resources' own: device import, export and
// installer details, system health, backups, account resets. Admins only; registered under /api/v1 as
// one plugin, so its CSV body parser stays with the import route.
import type { FastifyInstance } from 'fastify';
import type { Audit } from '../../../audit/index.ts';
import type { Auth } from '../../../auth/index.ts';
import type { Catalog } from '../../../catalog/index.ts';
import type { Places } from '../../../places/index.ts';
import type { DeviceRegistry } from '../../../registry/index.ts';
import type { DeviceQueries } from '../../../storage/devices.ts';
import type { Pool } from '../../../storage/pool.ts';
import type { UserQueries } from '../../../storage/users.ts';
import type { SystemHealth } from '../../../system/index.ts';
import { type BackupAccess, backupRoutes } from './backups.ts';
import { deviceFileRoutes } from './deviceFiles.ts';
import { adminDeviceRoutes, type MqttEndpoint } from './devices.ts';
import { systemRoutes } from './system.ts';
import { adminUserRoutes } from './users.ts';

export interface AdminAreas {
  system: SystemHealth;
  backups: BackupAccess;
  mqtt: MqttEndpoint;
}

export async function adminRoutes(
  app: FastifyInstance,
  opts: {
    admin: AdminAreas;
    registry: DeviceRegistry;
    deviceQueries: DeviceQueries;
    catalog: Catalog;
    places: Places;
    pool: Pool;
    audit: Audit;
    auth: Auth;
    users: UserQueries;
  },
) {
  await app.register(deviceFileRoutes, {
    registry: opts.registry,
    queries: opts.deviceQueries,
    catalog: opts.catalog,
    places: opts.places,
    audit: opts.audit,
  });
  await app.register(adminDeviceRoutes, {
    registry: opts.registry,
    queries: opts.deviceQueries,
    pool: opts.pool,
    mqtt: opts.admin.mqtt,
  });
  await app.register(adminUserRoutes, { auth: opts.auth, users: opts.users });
  await app.register(systemRoutes, { system: opts.admin.system });
  await app.register(backupRoutes, { backups: opts.admin.backups, audit: opts.audit });
}

export type { MqttEndpoint };
