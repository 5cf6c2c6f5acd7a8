// The NGSI-LD feed for context brokers (ETSI GS CIM 009 query entities, 6.4.3.2): GET
// /feeds/ngsi-ld/entities behind a feed key, and the @context it refers to, public because a broker
// fetches it without the key and it holds no data. Errors of both are ProblemDetails.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Catalog } from '../../../catalog/index.ts';
import { CityId } from '../../../catalog/schema.ts';
import { contextDocument, contextPath } from '../../../feeds/ngsiLd/context.ts';
import { conciseEntity, type Entity, keyValuesEntity } from '../../../feeds/ngsiLd/entities.ts';
import { NgsiProblem, sendProblem } from '../../../feeds/ngsiLd/problems.ts';
import {
  negotiate,
  parseIds,
  parseRepresentation,
  parseTypes,
  typeOfId,
} from '../../../feeds/ngsiLd/request.ts';
import { ngsiEntities, ngsiTypes } from '../../../feeds/ngsiLd.ts';
import type { Pool } from '../../../storage/pool.ts';
import { callerScope } from '../../plugins/roles.ts';
import { feedScope, wardCheck } from './query.ts';

// Registered by id: the OpenAPI document states it once (components.schemas.ProblemDetails).
const ProblemBody = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number(),
    detail: z.string(),
    code: z.string().optional(),
  })
  .meta({
    id: 'ProblemDetails',
    description: 'RFC 7807 ProblemDetails (ETSI GS CIM 009 5.5.2), application/json',
  });
const problems = { 400: ProblemBody, 401: ProblemBody, 406: ProblemBody, 429: ProblemBody, 500: ProblemBody };
const Entities = z.array(z.record(z.string(), z.unknown()));

const jsonLdContextRel = 'rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"';

export async function ngsiLdRoutes(app: FastifyInstance, opts: { pool: Pool; catalog: Catalog }) {
  // This plugin is its own scope: its error handler answers NGSI-LD clients in their error format,
  // for the key check, the rate limit and the query's validation alike.
  app.setErrorHandler(sendProblem);
  const r = app.withTypeProvider<ZodTypeProvider>();
  const checkWard = wardCheck(opts.catalog);

  r.get(
    '/feeds/ngsi-ld/context.jsonld',
    {
      config: { role: 'public' },
      schema: {
        operationId: 'getNgsiLdContext',
        summary: 'Ngữ cảnh JSON-LD của luồng NGSI-LD / The JSON-LD @context of the NGSI-LD feed',
        description:
          'Thuật ngữ Smart Data Models, rồi ngữ cảnh lõi NGSI-LD; công khai vì broker tải nó không kèm khoá. / ' +
          'Smart Data Models terms, then the NGSI-LD core context; public because a broker fetches it without the key.',
        tags: ['feeds'],
        response: {
          200: {
            description: 'Tài liệu @context / The @context document',
            headers: { 'Cache-Control': { type: 'string', description: 'public, max-age=3600' } },
            content: { 'application/ld+json': { schema: z.object({ '@context': z.array(z.unknown()) }) } },
          },
          500: ProblemBody,
        },
      },
    },
    async (_request, reply) => {
      reply.type('application/ld+json; charset=utf-8');
      reply.header('cache-control', 'public, max-age=3600');
      return contextDocument;
    },
  );

  r.get(
    '/feeds/ngsi-ld/entities',
    {
      config: { role: 'feed' },
      schema: {
        operationId: 'queryNgsiLdEntities',
        summary: 'Số đo mới nhất dạng thực thể NGSI-LD / Latest observations as NGSI-LD entities',
        description:
          'FIWARE Smart Data Models, cho context broker. Accept application/ld+json (@context trong nội dung) hoặc ' +
          'application/json (@context trong header Link); khác: 406. / FIWARE Smart Data Models, for context ' +
          'brokers. Accept application/ld+json (@context in the body) or application/json (@context in a Link ' +
          'header); anything else: 406.',
        tags: ['feeds'],
        querystring: z
          .object({
            type: z
              .string()
              .max(2_000)
              .optional()
              .describe('entity types, comma-separated: short names or IRIs'),
            id: z.string().max(20_000).optional().describe('entity ids, comma-separated'),
            options: z.string().max(100).optional().describe('keyValues, concise, count'),
            format: z.string().max(100).optional().describe('normalized, simplified, concise'),
            count: z
              .enum(['true', 'false'])
              .optional()
              .describe('NGSILD-Results-Count header with the total'),
            limit: z.coerce.number().int().min(0).max(10_000).default(1_000),
            offset: z.coerce.number().int().min(0).max(1_000_000_000).default(0),
            city: CityId.optional(),
            ward: z.string().max(100).optional(),
          })
          .strict(),
        response: {
          200: {
            description: 'Các thực thể, theo Accept / The entities, by Accept',
            headers: {
              Link: {
                type: 'string',
                description:
                  'Chỉ với application/json: địa chỉ @context / application/json only: the @context',
              },
              'NGSILD-Results-Count': {
                type: 'integer',
                description: 'Tổng số khi count=true / The total with count=true',
              },
              Vary: { type: 'string', description: 'Accept' },
            },
            content: {
              'application/ld+json': { schema: Entities },
              'application/json': { schema: Entities },
            },
          },
          ...problems,
        },
      },
    },
    async (request, reply) => {
      const media = negotiate(request.headers.accept);
      if (!media) {
        throw new NgsiProblem(
          'NotAcceptable',
          'this endpoint answers application/ld+json or application/json; change the Accept header',
        );
      }
      const q = request.query;
      const ids = parseIds(q.id);
      let types = parseTypes(q.type);
      if (!types && !ids)
        throw new NgsiProblem('BadRequestData', 'give type (entity types) or id (entity ids)');
      if (ids) {
        const ofIds = new Set(ids.map(typeOfId));
        types = (types ?? ngsiTypes).filter((t) => ofIds.has(t));
      }
      const { representation, count: countOption } = parseRepresentation(q.options, q.format);
      const count = countOption || q.count === 'true';
      if (q.limit === 0 && !count)
        throw new NgsiProblem('BadRequestData', 'limit=0 is only allowed with count=true');
      if (q.city) checkWard(q.city, q.ward);

      const { entities, total } = await ngsiEntities(opts.pool, opts.catalog, {
        types: types ?? [],
        entityIds: ids,
        scope: feedScope(callerScope(request)),
        city: q.city,
        ward: q.ward,
        limit: q.limit,
        offset: q.offset,
        count,
      });
      const shaped: Entity[] =
        representation === 'keyValues'
          ? entities.map(keyValuesEntity)
          : representation === 'concise'
            ? entities.map(conciseEntity)
            : entities;
      const contextUrl = `${request.protocol}://${request.host}${contextPath}`;
      reply.header('vary', 'Accept');
      if (total !== undefined) reply.header('ngsild-results-count', String(total));
      reply.type(`${media}; charset=utf-8`);
      if (media === 'application/ld+json') return shaped.map((e) => ({ ...e, '@context': contextUrl }));
      reply.header('link', `<${contextUrl}>; ${jsonLdContextRel}`);
      return shaped;
    },
  );
}
