// The HTTP surface: security headers with a CSP that still lets the console load, CORS closed unless an
// origin is listed, request bodies bounded, every route with a declared role, and HTTPS when configured.
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentSecurityPolicy, tileSource } from '../../src/api/plugins/securityHeaders.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createTestCertificates, type TestCertificates } from '../helpers/certificates.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({
    CONSOLE_TILE_URL: 'https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png',
    HTTP_BODY_LIMIT_BYTES: '65536',
  });
});
afterAll(async () => app.close());

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${app.baseUrl}${path}`, { headers });

describe('security headers', () => {
  it('come with the console page, its scripts and the API', async () => {
    for (const path of ['/', '/console/app.js', '/api/v1/console/config', '/healthz', '/api/v1/devices']) {
      const res = await get(path);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(res.headers.get('content-security-policy'), path).toContain("frame-ancestors 'none'");
      expect(res.headers.get('strict-transport-security'), path).toBeNull(); // plain HTTP here
    }
  });

  it("let the console load its own scripts and the configured tiles, and nothing else's", async () => {
    const csp = (await get('/')).headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toMatch(/img-src 'self' data: blob: https:\/\/\*\.tile\.openstreetmap\.org/);
    expect(tileSource('http://10.0.0.5:8081/tiles/{z}/{x}/{y}.png')).toBe('http://10.0.0.5:8081');
    expect(contentSecurityPolicy(undefined)).toContain("img-src 'self' data: blob:;");
  });

  it('tell browsers and proxies not to keep API answers', async () => {
    expect((await get('/api/v1/devices')).headers.get('cache-control')).toBe('no-store');
  });
});

describe('CORS', () => {
  it('sends no CORS headers by default: same origin only', async () => {
    const res = await get('/api/v1/console/config', { origin: 'https://evil.example' });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${app.baseUrl}/api/v1/devices`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.status).toBe(404);
  });

  it('answers a listed origin by name, and refuses any other', async () => {
    const open = await startTestApp({ CORS_ORIGINS: 'https://ioc.tayninh.gov.vn' });
    try {
      const preflight = await fetch(`${open.baseUrl}/api/v1/devices`, {
        method: 'OPTIONS',
        headers: { origin: 'https://ioc.tayninh.gov.vn', 'access-control-request-method': 'GET' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://ioc.tayninh.gov.vn');
      expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
      const simple = await fetch(`${open.baseUrl}/healthz`, {
        headers: { origin: 'https://ioc.tayninh.gov.vn' },
      });
      expect(simple.headers.get('access-control-allow-origin')).toBe('https://ioc.tayninh.gov.vn');
      expect(simple.headers.get('vary')).toContain('Origin');

      const stranger = await fetch(`${open.baseUrl}/api/v1/devices`, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
      });
      expect(stranger.status).toBe(403);
      expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
      expect(((await stranger.json()) as { error: { message: string } }).error.message).toMatch(
        /CORS_ORIGINS/,
      );
    } finally {
      await open.close();
    }
  });
});

describe('request bodies', () => {
  it('refuses a body over HTTP_BODY_LIMIT_BYTES with 413 and the error shape', async () => {
    const admin = await app.login();
    const res = await app.request('POST', '/api/v1/rules', admin, { name: 'x'.repeat(70_000) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses a login body over 4 KiB before looking at it', async () => {
    const res = await app.request(
      'POST',
      '/api/v1/auth/login',
      {},
      { username: 'admin', password: 'p'.repeat(5_000) },
    );
    expect(res.status).toBe(413);
  });

  it('refuses malformed JSON and prototype pollution with 400', async () => {
    const admin = await app.login();
    expect((await app.request('POST', '/api/v1/rules', admin, '{"name": ')).status).toBe(400);
    const polluted = await app.request('POST', '/api/v1/rules', admin, '{"__proto__": {"admin": true}}');
    expect(polluted.status).toBe(400);
    expect(polluted.body.error.code).toBe('VALIDATION_FAILED');
  });
});

describe('text fields', () => {
  type Schema = {
    type?: string | string[];
    maxLength?: number;
    enum?: unknown[];
    const?: unknown;
    format?: string;
    properties?: Record<string, Schema>;
    additionalProperties?: Schema | boolean;
    items?: Schema | Schema[];
    anyOf?: Schema[];
    oneOf?: Schema[];
    allOf?: Schema[];
    not?: Schema;
  };
  /** Every string in a schema that has no maxLength (an enum or a constant is bounded already). */
  function unbounded(schema: Schema | boolean | undefined, at: string): string[] {
    if (!schema || typeof schema === 'boolean') return [];
    const types = [schema.type ?? []].flat();
    const own =
      types.includes('string') &&
      schema.maxLength === undefined &&
      schema.enum === undefined &&
      schema.const === undefined
        ? [at]
        : [];
    const nested: Array<[Schema | boolean | undefined, string]> = [
      ...Object.entries(schema.properties ?? {}).map(([k, v]) => [v, `${at}.${k}`] as [Schema, string]),
      [schema.additionalProperties, `${at}.*`],
      ...[schema.items ?? []].flat().map((v) => [v, `${at}[]`] as [Schema, string]),
      ...[...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])].map(
        (v) => [v, at] as [Schema, string],
      ),
    ];
    return [...own, ...nested.flatMap(([v, where]) => unbounded(v, where))];
  }

  it('gives every string a request body takes a maximum length (OpenAPI at /docs/json)', async () => {
    const spec = (await (await get('/docs/json')).json()) as {
      paths: Record<
        string,
        Record<string, { requestBody?: { content?: Record<string, { schema?: Schema }> } }>
      >;
    };
    const found: string[] = [];
    let bodies = 0;
    for (const [path, methods] of Object.entries(spec.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        for (const media of Object.values(operation.requestBody?.content ?? {})) {
          bodies++;
          found.push(...unbounded(media.schema, `${method.toUpperCase()} ${path} body`));
        }
      }
    }
    expect(bodies).toBeGreaterThan(10);
    expect(found).toEqual([]);
  });
});

describe('roles', () => {
  it('refuses an anonymous caller on every documented route except the few public ones', async () => {
    const spec = (await (await get('/docs/json')).json()) as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    // What the document calls public (`security: []`) stays a short list of known kinds.
    const open = new Set([
      'GET /healthz',
      'GET /readyz',
      'GET /metrics',
      'GET /api/v1/console/config',
      // Whether an offline base map is there; the map itself is under /tiles/, public like /console/.
      'GET /api/v1/console/basemap',
      'POST /api/v1/auth/login',
      // A device claims its identity with a provisioning key, checked by the route itself.
      'POST /api/v1/provisioning/claim',
      'GET /',
      'GET /api/v1/feeds/ngsi-ld/context.jsonld',
    ]);
    const openPrefixes = ['/api/v1/open/', '/docs/', '/console/', '/vendor/', '/tiles/'];
    const answered: string[] = [];
    const undeclaredPublic: string[] = [];
    for (const [template, methods] of Object.entries(spec.paths)) {
      const path = template.replace(/\{[^}]+\}/g, 'x1');
      for (const [method, operation] of Object.entries(methods).map(
        ([m, o]) => [m.toUpperCase(), o] as const,
      )) {
        const route = `${method} ${template}`;
        if (operation.security?.length === 0) {
          if (!open.has(route) && !openPrefixes.some((p) => template.startsWith(p)))
            undeclaredPublic.push(route);
          continue;
        }
        const res = await fetch(`${app.baseUrl}${path}`, {
          method,
          headers: method === 'GET' ? {} : { 'content-type': 'application/json' },
          body: method === 'GET' || method === 'DELETE' ? undefined : '{}',
        });
        answered.push(route);
        expect(res.status, route).toBe(401);
        // NGSI-LD routes answer in ProblemDetails, with the same code beside the spec's fields.
        const body = (await res.json()) as { error?: { code: string }; code?: string };
        expect(body.error?.code ?? body.code, route).toBe('UNAUTHENTICATED');
      }
    }
    expect(answered.length).toBeGreaterThan(25);
    expect(undeclaredPublic).toEqual([]);
  });
});

describe('HTTPS', () => {
  let certs: TestCertificates;
  let secure: TestApp;
  beforeAll(async () => {
    certs = await createTestCertificates();
    secure = await startTestApp({
      HTTP_TLS_CERT_FILE: certs.server.certFile,
      HTTP_TLS_KEY_FILE: certs.server.keyFile,
    });
  });
  afterAll(async () => {
    await secure?.close();
    await certs?.remove();
  });

  const call = (path: string, ca: Buffer) =>
    new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((ok, fail) => {
      const req = httpsRequest(`https://127.0.0.1:${secure.httpPort}${path}`, { ca }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => ok({ status: res.statusCode!, headers: res.headers, body }));
      });
      req.on('error', fail);
      req.end();
    });

  it('serves the API over TLS with HSTS, verified against the city CA', async () => {
    const res = await call('/healthz', certs.ca.cert);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
    expect(res.headers['strict-transport-security']).toMatch(/max-age=31536000/);
  });

  it('does not answer plain HTTP on the HTTPS port', async () => {
    await expect(fetch(`http://127.0.0.1:${secure.httpPort}/healthz`)).rejects.toThrow();
  });

  it('stops start-up naming the setting when a certificate file is missing', async () => {
    await expect(
      startTestApp({
        HTTP_TLS_CERT_FILE: '/nonexistent/server.crt',
        HTTP_TLS_KEY_FILE: certs.server.keyFile,
      }),
    ).rejects.toThrow(/HTTP_TLS_CERT_FILE=\/nonexistent\/server.crt cannot be read \(ENOENT\)/);
  });
});
