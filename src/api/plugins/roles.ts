// Every route declares who may call it (`config.role`), and a route without one is refused at
// start-up: no route is public by accident. Users send `Authorization: Bearer <jwt>`.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Auth, Principal } from '../../auth/index.ts';
import { AppError } from '../../errors.ts';
import type { Role } from '../../storage/users.ts';

export type RouteRole = Role | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    role?: RouteRole;
  }
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

const rank: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export function installRoles(app: FastifyInstance, auth: Auth): void {
  app.decorateRequest('principal', undefined);
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
    if (!header?.startsWith('Bearer ')) {
      throw new AppError(
        'UNAUTHENTICATED',
        'log in first: send Authorization: Bearer <token> from POST /api/v1/auth/login',
      );
    }
    const principal = await auth.verifyToken(header.slice('Bearer '.length).trim());
    // Known before the role check, so the audit trail names who was refused.
    request.principal = principal;
    if (rank[principal.role] < rank[role]) {
      throw new AppError('FORBIDDEN', `this needs the ${role} role; you are ${principal.role}`);
    }
  });
}
