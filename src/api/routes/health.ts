// Liveness, readiness and Prometheus metrics: what a supervisor and a scraper poll.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Broker } from '../../broker/index.ts';
import type { Metrics } from '../../metrics/index.ts';
import type { Pool } from '../../storage/pool.ts';

export async function healthRoutes(
  app: FastifyInstance,
  opts: { pool: Pool; broker: Broker; metrics: Metrics },
) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/healthz',
    {
      config: { role: 'public' },
      schema: { tags: ['health'], response: { 200: z.object({ status: z.literal('ok') }) } },
    },
    async () => ({ status: 'ok' as const }),
  );

  const Ready = z.object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.object({ database: z.enum(['ok', 'failing']), broker: z.enum(['ok', 'failing']) }),
  });
  r.get(
    '/readyz',
    { config: { role: 'public' }, schema: { tags: ['health'], response: { 200: Ready, 503: Ready } } },
    async (_request, reply) => {
      const database = await opts.pool
        .query('SELECT 1')
        .then(() => 'ok' as const)
        .catch(() => 'failing' as const);
      const broker = opts.broker.ready() ? ('ok' as const) : ('failing' as const);
      const ok = database === 'ok' && broker === 'ok';
      return reply
        .code(ok ? 200 : 503)
        .send({ status: ok ? 'ready' : 'not_ready', checks: { database, broker } });
    },
  );

  r.get(
    '/metrics',
    { config: { role: 'public' }, schema: { tags: ['health'], hide: false } },
    async (_request, reply) => {
      reply.header('content-type', opts.metrics.registry.contentType);
      return opts.metrics.registry.metrics();
    },
  );
}
