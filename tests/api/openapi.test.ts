// The OpenAPI document a client generator is given: docs/openapi.json is what the server's routes
// generate, a validator finds no error in it, every registered route is in it, and every operation says
// who may call it (from the route's declared role), what it is called and what it can answer.
import { readFileSync } from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BuiltApi, buildOpenApiDocument, openApiText } from '../../src/api/openapi/build.ts';
import { openApiPath, securityFor } from '../../src/api/openapi/operation.ts';
import { rolesAllowed } from '../../src/api/plugins/roles.ts';

type Operation = {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: Array<Record<string, string[]>>;
  'x-roles'?: string[];
  responses: Record<
    string,
    { headers?: Record<string, unknown>; content?: Record<string, { schema?: { $ref?: string } }> }
  >;
};

let built: BuiltApi;
let operations: Array<{ method: string; path: string; operation: Operation }>;
beforeAll(async () => {
  built = await buildOpenApiDocument();
  const paths = built.document.paths as Record<string, Record<string, Operation>>;
  operations = Object.entries(paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })),
  );
});

describe('docs/openapi.json', () => {
  it('is exactly what the routes generate', () => {
    const committed = readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8');
    expect(
      committed === openApiText(built.document),
      'docs/openapi.json is stale: regenerate it with `npm run openapi` and commit it',
    ).toBe(true);
  });

  it('passes the OpenAPI validator without an error', async () => {
    await expect(SwaggerParser.validate(structuredClone(built.document) as never)).resolves.toBeDefined();
  });
});

describe('every operation', () => {
  it('has a unique camelCase operationId, a Vietnamese / English summary and declared tags', () => {
    const declaredTags = new Set((built.document.tags ?? []).map((t) => t.name));
    const problems: string[] = [];
    const ids = new Map<string, string>();
    for (const { method, path, operation } of operations) {
      const at = `${method} ${path}`;
      const id = operation.operationId;
      if (!id || !/^[a-z][A-Za-z0-9]*$/.test(id)) problems.push(`${at}: operationId ${id}`);
      else if (ids.has(id)) problems.push(`${at}: operationId ${id} also on ${ids.get(id)}`);
      else ids.set(id, at);
      if (!operation.summary?.includes(' / ')) problems.push(`${at}: summary "${operation.summary}"`);
      if (!operation.tags?.length) problems.push(`${at}: no tags`);
      for (const tag of operation.tags ?? [])
        if (!declaredTags.has(tag)) problems.push(`${at}: tag ${tag} not in the document's tags`);
    }
    expect(problems).toEqual([]);
    expect(ids.size).toBeGreaterThan(80);
  });

  it('states the security the roles plugin enforces: bearer with its roles, x-api-key, or none', () => {
    const problems: string[] = [];
    const ownCredential: string[] = [];
    for (const route of built.routes) {
      if (route.method === 'HEAD') continue;
      const at = `${route.method} ${openApiPath(route.url)}`;
      const found = operations.find((o) => `${o.method} ${o.path}` === at);
      if (!found) continue; // the coverage test names it
      const role = route.role ?? 'public';
      const { security, 'x-roles': roles } = found.operation;
      if (!Array.isArray(security)) problems.push(`${at}: no explicit security`);
      else if (role === 'public' && security.length > 0)
        ownCredential.push(`${at} ${JSON.stringify(security)}`);
      else expect(security, at).toEqual(securityFor(role));
      if (role === 'public') expect(roles, at).toBeUndefined();
      else expect(roles, at).toEqual(rolesAllowed(role, route.installer));
    }
    expect(problems).toEqual([]);
    // Public to the roles plugin, but checking a credential of their own.
    expect(ownCredential.sort()).toEqual([
      'GET /metrics [{"metricsToken":[]}]',
      'POST /api/v1/broker/acl [{"hookToken":[]}]',
      'POST /api/v1/broker/auth [{"hookToken":[]}]',
    ]);
    const feeds = operations.filter(
      (o) => o.path.startsWith('/api/v1/feeds/') && o.operation.tags?.[0] === 'feeds',
    );
    expect(
      feeds.filter((o) => JSON.stringify(o.operation.security).includes('apiKey')).length,
    ).toBeGreaterThan(3);
  });

  it('answers errors as {error: {code, message}}, 429 with Retry-After, 304 with ETag', () => {
    const problems: string[] = [];
    for (const { method, path, operation } of operations) {
      const at = `${method} ${path}`;
      if (!operation.responses['500']) problems.push(`${at}: no 500`);
      if (operation.security?.length && !operation.responses['401']) problems.push(`${at}: no 401`);
      for (const [status, response] of Object.entries(operation.responses)) {
        if (status === '429' && !response.headers?.['Retry-After'])
          problems.push(`${at}: 429 without Retry-After`);
        if (status === '304' && (!response.headers?.ETag || response.content))
          problems.push(`${at}: 304 without ETag or with a body`);
        if (status === '204' && response.content) problems.push(`${at}: 204 with a body`);
        if (Number(status) >= 400 && Number(status) <= 500) {
          const schemas = Object.values(response.content ?? {}).map((media) => media.schema?.$ref);
          // NGSI-LD answers its errors as ProblemDetails of its own.
          if (!schemas.length || schemas.some((ref) => !ref?.startsWith('#/components/schemas/')))
            problems.push(`${at}: ${status} without a named error schema`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('the routes fastify registers', () => {
  it('are all in the document (a HEAD route by its GET, /docs by /docs/)', () => {
    // Fastify serves a prefix's '/' route with and without the slash; HTTP defines HEAD by GET.
    const key = (method: string, path: string) =>
      `${method === 'HEAD' ? 'GET' : method} ${path.length > 1 ? path.replace(/\/$/, '') : path}`;
    const documented = new Set(operations.map((o) => key(o.method, o.path)));
    const missing = built.routes
      .map((r) => key(r.method, openApiPath(r.url)))
      .filter((route) => !documented.has(route));
    expect(missing).toEqual([]);
    expect(built.routes.length).toBeGreaterThan(operations.length);
    for (const path of [
      '/healthz',
      '/metrics',
      '/docs/json',
      '/api/v1/open/indicators',
      '/api/v1/broker/acl',
    ])
      expect(Object.keys(built.document.paths ?? {}), path).toContain(path);
  });
});
