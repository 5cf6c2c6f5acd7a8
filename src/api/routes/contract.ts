// The device contract for vendors, beside the OpenAPI pages and exposed by the same rule (DOCS_PUBLIC,
// or development): the AsyncAPI document and its HTML rendering (src/contract/).
import type { FastifyInstance } from 'fastify';
import type { Contract } from '../../contract/index.ts';

export async function contractRoutes(app: FastifyInstance, opts: { contract: Contract }) {
  app.get('/docs/asyncapi.json', { config: { role: 'public' }, schema: { hide: true } }, (_request, reply) =>
    reply.type('application/json; charset=utf-8').send(opts.contract.json()),
  );
  app.get('/docs/mqtt', { config: { role: 'public' }, schema: { hide: true } }, (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(opts.contract.html()),
  );
}
