// The words for the routes @fastify/swagger-ui registers under /docs, which carry no schema of ours:
// keyed by their URL, which that plugin fixes. Every other route says these things in its own schema.
import { z } from 'zod';
import { ErrorBody } from '../schemas.ts';
import { mediaResponse } from './responses.ts';

const tags = ['docs'];

const operations: Record<string, Record<string, unknown>> = {
  // Fastify serves the prefix's '/' route at /docs and /docs/; the document lists it once.
  '/docs/': {
    operationId: 'showApiDocs',
    summary: 'Trang tài liệu API (Swagger UI) / API documentation page (Swagger UI)',
    description: 'Cũng tại /docs / Also at /docs',
    tags,
    response: { 200: mediaResponse('text/html', 'Trang HTML / The HTML page') },
  },
  '/docs/json': {
    operationId: 'getOpenApiJson',
    summary: 'Tài liệu OpenAPI này, dạng JSON / This OpenAPI document as JSON',
    tags,
    response: {
      200: mediaResponse('application/json', 'Tài liệu OpenAPI / The OpenAPI document', z.unknown()),
    },
  },
  '/docs/yaml': {
    operationId: 'getOpenApiYaml',
    summary: 'Tài liệu OpenAPI này, dạng YAML / This OpenAPI document as YAML',
    tags,
    response: { 200: mediaResponse('application/x-yaml', 'Tài liệu OpenAPI / The OpenAPI document') },
  },
  '/docs/static/index.html': {
    operationId: 'redirectApiDocs',
    summary: 'Chuyển về trang tài liệu API / Redirects to the API documentation page',
    tags,
    response: { 302: { description: 'Chuyển tới /docs/ / Redirect to /docs/', content: {} } },
  },
  '/docs/static/swagger-initializer.js': {
    operationId: 'getApiDocsInitializer',
    summary: 'Tập lệnh khởi tạo Swagger UI / The Swagger UI start-up script',
    tags,
    response: { 200: mediaResponse('application/javascript', 'JavaScript') },
  },
  '/docs/static/*': {
    operationId: 'getApiDocsAsset',
    summary: 'Tệp tĩnh của Swagger UI (JS, CSS, ảnh) / A Swagger UI asset (JS, CSS, images)',
    tags,
    response: {
      200: mediaResponse(
        'application/octet-stream',
        'Tệp, kiểu theo đuôi tên / The file, typed by its extension',
      ),
      404: ErrorBody,
    },
  },
};

/** The words for a swagger-ui route; nothing for any other URL. */
export function thirdPartyOperation(url: string): Record<string, unknown> {
  return operations[url] ?? {};
}
