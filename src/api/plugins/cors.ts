// CORS by allowlist (CORS_ORIGINS). Empty by default: the console is served from the API's own origin
// and needs no CORS, so no Access-Control-* header is ever sent. A listed origin gets its own name
// back (never `*`); tokens travel in the Authorization header, so no credentials mode is offered.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.ts';

const allowedHeaders = 'authorization, content-type, x-api-key';
const allowedMethods = 'GET, POST, PATCH, PUT, DELETE';

export function installCors(app: FastifyInstance, origins: readonly string[]): void {
  const allowed = new Set(origins.map((o) => o.toLowerCase()));
  if (allowed.size === 0) return;
  const isAllowed = (request: FastifyRequest) => {
    const origin = request.headers.origin;
    return typeof origin === 'string' && allowed.has(origin.toLowerCase()) ? origin : undefined;
  };

  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload) => {
    reply.header('vary', 'Origin');
    const origin = isAllowed(request);
    if (origin) {
      reply.header('access-control-allow-origin', origin);
      reply.header('access-control-expose-headers', 'retry-after');
    }
    return payload;
  });

  // Preflight requests of allowed origins; any other origin learns nothing and is told why.
  app.options(
    '/*',
    { config: { role: 'public' }, schema: { hide: true } },
    async (request: FastifyRequest, reply: FastifyReply) => {
      if (!isAllowed(request)) {
        throw new AppError(
          'FORBIDDEN',
          'this origin may not call the API; an admin can add it to CORS_ORIGINS',
        );
      }
      return reply
        .code(204)
        .header('access-control-allow-methods', allowedMethods)
        .header('access-control-allow-headers', allowedHeaders)
        .header('access-control-max-age', '600')
        .send();
    },
  );
}
