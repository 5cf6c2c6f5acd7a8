// The latest observations as NGSI-LD entities, for context brokers that poll the city.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Catalog } from '../../../catalog/index.ts';
import { CityId } from '../../../catalog/schema.ts';
import { ngsiEntities, ngsiTypes } from '../../../feeds/ngsiLd.ts';
import type { Pool } from '../../../storage/pool.ts';
import { feedErrors, wardCheck } from './query.ts';

export async function ngsiLdRoutes(app: FastifyInstance, opts: { pool: Pool; catalog: Catalog }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const checkWard = wardCheck(opts.catalog);

  r.get(
    '/feeds/ngsi-ld/entities',
    {
      config: { role: 'feed' },
      schema: {
        tags: ['feeds'],
        summary: 'Latest observations as NGSI-LD entities (FIWARE Smart Data Models), for context brokers',
        querystring: z
          .object({
            type: z.enum(ngsiTypes),
            city: CityId.optional(),
            ward: z.string().max(100).optional(),
            limit: z.coerce.number().int().min(1).max(10_000).default(1_000),
          })
          .strict(),
        response: { 200: z.array(z.record(z.string(), z.unknown())), ...feedErrors },
      },
    },
    async (request, reply) => {
      if (request.query.city) checkWard(request.query.city, request.query.ward);
      reply.type('application/ld+json; charset=utf-8');
      return ngsiEntities(opts.pool, request.query);
    },
  );
}
