// Liveness, readiness and Prometheus metrics: what a supervisor and a scraper poll.
// /readyz: 200 "ready"; 200 "degraded" while ingest runs on the local journal (the database is failing
// or the journal is being replayed: devices are still acknowledged, history reads may fail); 503
// "not_ready" when the broker is down or the journal is full (publishers are being held back).
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
    status: z.enum(['ready', 'degraded', 'not_ready']),
    checks: z.object({
      database: z.enum(['ok', 'failing']),
      broker: z.enum(['ok', 'failing']),
      journal: z.object({
        state: z.enum(['idle', 'active', 'full']),
        bytes: z.number(),
      }),
    }),
  });
  const gauge = async (g: { get(): Promise<{ values: Array<{ value: number }> }> }) =>
    (await g.get()).values[0]?.value ?? 0;
  // A full journal shows as writes waiting since the last look.
  let fullSeen = 0;
  r.get(
    '/readyz',
    { config: { role: 'public' }, schema: { tags: ['health'], response: { 200: Ready, 503: Ready } } },
    async (_request, reply) => {
      const database = await Promise.race([
        opts.pool.query('SELECT 1').then(() => 'ok' as const),
        new Promise<'failing'>((ok) => setTimeout(() => ok('failing'), 2_000).unref()),
      ]).catch(() => 'failing' as const);
      const broker = opts.broker.ready() ? ('ok' as const) : ('failing' as const);
      const degraded = (await gauge(opts.metrics.ingestDegraded)) === 1;
      const bytes = await gauge(opts.metrics.journalBytes);
      const fullCount = await gauge(opts.metrics.journalFull);
      const full = degraded && fullCount > fullSeen;
      fullSeen = fullCount;
      const journal = {
        state: full ? ('full' as const) : degraded ? ('active' as const) : ('idle' as const),
        bytes,
      };
      const status =
        broker === 'failing' || full
          ? ('not_ready' as const)
          : database === 'failing' || degraded
            ? ('degraded' as const)
            : ('ready' as const);
      return reply
        .code(status === 'not_ready' ? 503 : 200)
        .send({ status, checks: { database, broker, journal } });
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
