// What the API's listener shows besides the API. /metrics tells the Node version, memory, descriptor
// limits, connected clients and the refusal counters an attacker would watch; /docs lists every admin
// route. In production neither is on the public listener unless configured: /metrics behind
// METRICS_TOKEN or on a listener of its own (METRICS_LISTEN), /docs with DOCS_PUBLIC=true.
// Development keeps both open.
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, monitoringSurface } from '../../src/config.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

const production = {
  NODE_ENV: 'production',
  JWT_SECRET: 'q7Rk2vN9pLx4Tz8WcYb3HmJd6FsGa5Ue1KoPiVnQ-surface',
  MQTT_ALLOW_PLAINTEXT: 'true',
};
const metricsToken = 'f3b1c9e07a5d4e8b9c2a6f1d0e7b3c5a-scraper';
const started: TestApp[] = [];
afterAll(async () => {
  for (const app of started) await app.close();
});
async function start(env: Record<string, string>) {
  const app = await startTestApp(env);
  started.push(app);
  return app;
}
const get = (base: string, path: string, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, { headers });

describe('the defaults', () => {
  it('close /metrics and /docs on the API listener in production, and keep them open elsewhere', () => {
    expect(monitoringSurface(loadConfig(production))).toEqual({
      metrics: { open: false, token: undefined },
      metricsListen: { host: '127.0.0.1', port: 9464 },
      docs: false,
    });
    expect(monitoringSurface(loadConfig({}))).toEqual({
      metrics: { open: true, token: undefined },
      metricsListen: undefined,
      docs: true,
    });
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN.*at least 32/);
    expect(() => loadConfig({ METRICS_LISTEN: '9464' })).toThrow(/METRICS_LISTEN.*host:port/);
    expect(loadConfig({ METRICS_LISTEN: '[::1]:9464' }).METRICS_LISTEN).toEqual({ host: '::1', port: 9464 });
  });
});

describe('a production instance as configured by default', () => {
  it('answers 404 for /metrics and /docs on the public listener, and serves /metrics on its own', async () => {
    const app = await start({ ...production, METRICS_LISTEN: '127.0.0.1:0' });
    for (const path of ['/metrics', '/docs', '/docs/json', '/docs/static/index.html']) {
      const res = await get(app.baseUrl, path);
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).not.toContain('nodejs_version_info');
    }
    // The API itself is unchanged.
    expect((await get(app.baseUrl, '/healthz')).status).toBe(200);
    expect((await get(app.baseUrl, '/api/v1/devices')).status).toBe(401);

    expect(app.metricsPort).toBeGreaterThan(0);
    const local = `http://127.0.0.1:${app.metricsPort}`;
    const scraped = await get(local, '/metrics');
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('content-type')).toContain('text/plain');
    expect(await scraped.text()).toContain('ioc_http_refused_total');
    // That listener serves nothing else: not the API, not the docs.
    for (const path of ['/', '/docs/json', '/api/v1/devices', '/healthz'])
      expect((await get(local, path)).status, path).toBe(404);
  });
});

describe('a production instance with METRICS_TOKEN and DOCS_PUBLIC', () => {
  it('serves /metrics to the token only, and /docs to anyone', async () => {
    const app = await start({
      ...production,
      METRICS_TOKEN: metricsToken,
      METRICS_LISTEN: 'off',
      DOCS_PUBLIC: 'true',
    });
    expect(app.metricsPort).toBeUndefined();
    const refused: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: `Bearer ${metricsToken}x` },
      { authorization: metricsToken },
    ];
    for (const headers of refused) {
      const res = await get(app.baseUrl, '/metrics', headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
    }
    const scraped = await get(app.baseUrl, '/metrics', { authorization: `Bearer ${metricsToken}` });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('ioc_http_refused_total');
    // A user's token is not the scraper's.
    const admin = await app.login();
    expect((await get(app.baseUrl, '/metrics', admin)).status).toBe(401);

    const docs = await get(app.baseUrl, '/docs/json');
    expect(docs.status).toBe(200);
    expect(Object.keys(((await docs.json()) as { paths: object }).paths)).toContain('/api/v1/users');
  });
});
