// The OpenAPI document as the API registers it, without a database or a broker: createApiServer runs
// with production-like settings (docs served, /metrics behind its token, the external broker's hooks
// and open data on), so every route an instance can have is described. The areas it is given are
// never called: registering routes and describing them reads no data.
import { loadCatalog } from '../../catalog/index.ts';
import { createLogger } from '../../log.ts';
import { createMetrics } from '../../metrics/index.ts';
import type { RegisteredRoute } from '../plugins/openapi.ts';
import { type ApiAreas, createApiServer } from '../server.ts';

/**
 * A stand-in for an area whose functions nobody calls while routes register: reading any property
 * gives another stand-in (plugins take `opts.alerts.queries` up front), calling one is a mistake.
 */
function inert(name: string): unknown {
  const target = () => {};
  return new Proxy(target, {
    get: (_target, key) => (typeof key === 'symbol' ? undefined : inert(`${name}.${key}`)),
    apply: () => {
      throw new Error(`the OpenAPI build called ${name}: routes must not read data while registering`);
    },
  });
}

/** Settings that only change what a deployment shows, chosen so that everything is shown. */
const placeholderSecret = 'openapi-placeholder-not-a-real-secret';

/** The parts of an OpenAPI 3 document this project reads back; the rest passes through as written. */
export interface OpenApiDocument {
  openapi: string;
  tags?: Array<{ name: string; description?: string }>;
  paths: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
  [field: string]: unknown;
}

export interface BuiltApi {
  document: OpenApiDocument;
  /** Every route the server registered (plugins/openapi.ts), for checking the document covers them. */
  routes: readonly RegisteredRoute[];
}

/** The document as JSON text, the way docs/openapi.json holds it. */
export const openApiText = (document: OpenApiDocument) => `${JSON.stringify(document, null, 2)}\n`;

export async function buildOpenApiDocument(): Promise<BuiltApi> {
  const given: Partial<ApiAreas> = {
    catalog: loadCatalog(),
    metrics: createMetrics(),
    consoleTileUrl: undefined,
    http: { tls: undefined, bodyLimit: 1_048_576, corsOrigins: [], trustProxy: false },
    feeds: { feeds: inert('feeds') as ApiAreas['feeds']['feeds'], ratePerMinute: 60, openData: true },
    brokerHooks: {
      token: placeholderSecret,
      ingest: { username: 'ioc-ingest', password: placeholderSecret, group: 'ioc' },
      accounts: undefined,
    },
    surface: { metrics: { open: false, token: placeholderSecret }, docs: true },
    log: createLogger('silent'),
  };
  const areas = new Proxy(given, {
    get: (target, key: string) => (key in target ? target[key as keyof ApiAreas] : inert(key)),
  }) as ApiAreas;
  const app = await createApiServer(areas);
  try {
    await app.ready();
    return { document: app.swagger() as unknown as OpenApiDocument, routes: [...app.registeredRoutes] };
  } finally {
    await app.close();
  }
}
