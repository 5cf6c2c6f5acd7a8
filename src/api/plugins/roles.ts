// Every route declares who may call it (`config.role`), and a route without one is refused at
// start-up: no route is public by accident. Users send `Authorization: Bearer <jwt>`; machine clients
// of the province feeds send `x-api-key`, which opens the `feed` routes and nothing else. Either
// carries a scope (src/auth/scope.ts) that the routes read through `callerScope`.
// An installer / vendor account stands outside the viewer < operator < admin ladder: it passes only
// the routes that say so (`config.installer`), each of which narrows to its devices
// (src/auth/deviceScope.ts) through `callerDevices` / `callerReaches`; everything else is 403.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type DeviceScope, reachesDevice } from '../../auth/deviceScope.ts';
import type { Auth, Principal } from '../../auth/index.ts';
import { everywhere, inScope, type Scope, type ScopedPlace } from '../../auth/scope.ts';
import { AppError } from '../../errors.ts';
import type { ApiKeys, KeyPrincipal } from '../../feeds/apiKeys.ts';
import type { Role } from '../../storage/users.ts';

/** `feed`: an API key, or any logged-in user (read-only province feeds). */
export type RouteRole = Role | 'public' | 'feed';

declare module 'fastify' {
  interface FastifyContextConfig {
    role?: RouteRole;
    /**
     * Installers may call this too, for their own devices: the handler narrows what it reads with
     * `callerDevices` or `callerReaches`. Read routes of devices and dead letters, and the session's own.
     */
    installer?: true;
  }
  interface FastifyRequest {
    principal: Principal | undefined;
    apiKey: KeyPrincipal | undefined;
  }
}

// An installer ranks below every route's role: only `config.installer` lets one through.
const rank: Record<Role, number> = { installer: 0, viewer: 1, operator: 2, admin: 3 };

/**
 * The users' roles a route lets through, lowest first (none for a public route). The OpenAPI document
 * states them from here, so it says what this plugin enforces.
 */
export function rolesAllowed(role: RouteRole, installer = false): Role[] {
  if (role === 'public') return [];
  const needed = role === 'feed' ? 'viewer' : role;
  const ladder = (['viewer', 'operator', 'admin'] as const).filter((r) => rank[r] >= rank[needed]);
  return installer ? ['installer', ...ladder] : ladder;
}

/**
 * What the caller reaches: the user's or the key's scope. A public route's anonymous caller reads what
 * is published for everyone, so it is not narrowed.
 */
export function callerScope(request: FastifyRequest): Scope {
  return request.principal?.scope ?? request.apiKey?.scope ?? everywhere;
}

/** An installer's device lists; undefined for every other caller (they are narrowed by area). */
export function callerDevices(request: FastifyRequest): DeviceScope | undefined {
  return request.principal?.devices;
}

/**
 * How a device list query is narrowed for the caller: an installer by its device lists (its area
 * scope reaches nothing, so they replace it), anyone else by area.
 */
export function callerReach(request: FastifyRequest): { scope: Scope; devices?: DeviceScope } {
  const devices = callerDevices(request);
  return devices ? { scope: everywhere, devices } : { scope: callerScope(request) };
}

/** Whether the caller reaches this device: listed for an installer, in its area for anyone else. */
export function callerReaches(request: FastifyRequest, device: ScopedPlace & { id: string; kind: string }) {
  const devices = callerDevices(request);
  return devices ? reachesDevice(devices, device) : inScope(callerScope(request), device);
}

export function installRoles(app: FastifyInstance, auth: Auth, apiKeys: ApiKeys): void {
  app.decorateRequest('principal', undefined);
  app.decorateRequest('apiKey', undefined);
  app.addHook('onRoute', (route) => {
    const role = (route.config as { role?: RouteRole } | undefined)?.role;
    const internal = route.url.startsWith('/docs'); // swagger-ui's own pages
    if (!role && !internal)
      throw new Error(`route ${route.method} ${route.url} declares no role (config.role)`);
  });
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const role = request.routeOptions.config.role ?? 'public';
    if (role === 'public') return;
    const header = request.headers.authorization;
    const key = request.headers['x-api-key'];
    if (typeof key === 'string' && !header) {
      if (role !== 'feed') {
        throw new AppError(
          'UNAUTHENTICATED',
          'API keys read the province feeds (/api/v1/feeds/...) only; log in as a user for this route',
        );
      }
      request.apiKey = await apiKeys.verify(key);
      return;
    }
    if (!header?.startsWith('Bearer ')) {
      throw new AppError(
        'UNAUTHENTICATED',
        'log in first: send Authorization: Bearer <token> from POST /api/v1/auth/login',
      );
    }
    const principal = await auth.verifyToken(header.slice('Bearer '.length).trim());
    const needed = role === 'feed' ? 'viewer' : role;
    // Known before the role check, so the audit trail names who was refused.
    request.principal = principal;
    if (principal.role === 'installer') {
      if (request.routeOptions.config.installer) return;
      throw new AppError(
        'FORBIDDEN',
        'tài khoản nhà cung cấp / lắp đặt chỉ xem thiết bị của mình (GET /api/v1/devices, /api/v1/dead-letters) / ' +
          'an installer account reads its own devices only (GET /api/v1/devices, /api/v1/dead-letters)',
      );
    }
    if (rank[principal.role] < rank[needed]) {
      throw new AppError('FORBIDDEN', `this needs the ${role} role; you are ${principal.role}`);
    }
  });
}
