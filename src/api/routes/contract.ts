// The device contract for vendors, beside the OpenAPI pages and exposed by the same rule (DOCS_PUBLIC,
// or development): the AsyncAPI document and its HTML rendering (src/contract/).
import type { FastifyInstance } from 'fastify';
import type { Contract } from '../../contract/index.ts';
import { mediaResponse } from '../openapi/responses.ts';

export async function contractRoutes(app: FastifyInstance, opts: { contract: Contract }) {
  app.get(
    '/docs/asyncapi.json',
    {
      config: { role: 'public' },
      schema: {
        operationId: 'getMqttContract',
        summary: 'Hợp đồng MQTT (AsyncAPI 3.0) / The MQTT contract (AsyncAPI 3.0)',
        tags: ['docs'],
        response: { 200: mediaResponse('application/json', 'Tài liệu AsyncAPI / The AsyncAPI document') },
      },
    },
    (_request, reply) => reply.type('application/json; charset=utf-8').send(opts.contract.json()),
  );
  app.get(
    '/docs/mqtt',
    {
      config: { role: 'public' },
      schema: {
        operationId: 'showMqttContract',
        summary: 'Hợp đồng MQTT dạng trang HTML / The MQTT contract as an HTML page',
        tags: ['docs'],
        response: { 200: mediaResponse('text/html', 'Trang HTML / The HTML page') },
      },
    },
    (_request, reply) => reply.type('text/html; charset=utf-8').send(opts.contract.html()),
  );
}
