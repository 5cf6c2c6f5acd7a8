// SQL injection in every filter: each query parameter and path parameter of every GET route in the
// OpenAPI document gets the classic attack strings. No 500, no data from elsewhere, no table harmed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';

const injections = [
  "' OR '1'='1",
  "' OR 1=1 --",
  "'; DROP TABLE users; --",
  '1; SELECT pg_sleep(3) --',
  "' UNION SELECT username, password_hash, NULL FROM users --",
  "admin'--",
  '" OR ""="',
  "' || (SELECT password_hash FROM users LIMIT 1) || '",
  '$1',
  '\\',
  '%',
  '_',
  '\u0000',
  "1' AND SLEEP(3)#",
  '-1',
  '1e309',
  '99999999999999999999999',
  '../../../etc/passwd',
  '{"$gt": ""}',
  'tay-ninh\u0000',
];

let app: TestApp;
let admin: Record<string, string>;
const device = {
  id: 'tn-p1-env-9401',
  kind: 'environment',
  city: 'tay-ninh',
  ward: 'phuong-tan-ninh',
  lat: 11.31,
  lon: 106.1,
  pole: null,
  zone: null,
  name: 'Trạm thử tiêm SQL',
} as const;

type Spec = {
  paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }> }>>;
};

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.login();
  await app.registry.create(device);
});
afterAll(async () => app.close());

async function targets(): Promise<Array<{ template: string; name: string; where: 'query' | 'path' }>> {
  const spec = (await (await fetch(`${app.baseUrl}/docs/json`)).json()) as Spec;
  const found: Array<{ template: string; name: string; where: 'query' | 'path' }> = [];
  for (const [template, methods] of Object.entries(spec.paths)) {
    for (const p of methods.get?.parameters ?? []) {
      if (p.in === 'query' || p.in === 'path') found.push({ template, name: p.name, where: p.in });
    }
  }
  return found;
}

/** A path with every path parameter set to something real, so the filter under attack is reached. */
function realPath(template: string): string {
  return template
    .replace('{id}', template.startsWith('/api/v1/devices') ? device.id : '1')
    .replace('{commandId}', '00000000-0000-4000-8000-000000000000')
    .replace(/\{[^}]+\}/g, 'x');
}

describe('SQL injection', () => {
  it('never gets a 500 or a stack trace from any filter of any GET route', async () => {
    const list = await targets();
    expect(list.length).toBeGreaterThan(30);
    const problems: string[] = [];
    for (const { template, name, where } of list) {
      for (const attack of injections) {
        const encoded = encodeURIComponent(attack);
        const path =
          where === 'path'
            ? realPath(template.replace(`{${name}}`, encoded))
            : `${realPath(template)}?${name}=${encoded}`;
        const started = Date.now();
        const res = await fetch(`${app.baseUrl}${path}`, { headers: admin });
        const text = await res.text();
        if (res.status >= 500) problems.push(`${res.status} ${path}: ${text.slice(0, 200)}`);
        if (/\sat \S+\.ts:\d+|syntax error at or near|relation "\w+" does not exist/.test(text))
          problems.push(`leak ${path}: ${text.slice(0, 200)}`);
        if (Date.now() - started > 2_500) problems.push(`slow ${path}: ${Date.now() - started} ms`);
        if (res.status >= 400) {
          // The API's {error: {code, message}}, or NGSI-LD's ProblemDetails (the NGSI-LD routes).
          const body = JSON.parse(text);
          const apiError = typeof body?.error?.code === 'string' && typeof body?.error?.message === 'string';
          const problem =
            path.includes('/ngsi-ld/') && typeof body?.type === 'string' && typeof body?.detail === 'string';
          if (!apiError && !problem) problems.push(`error shape ${path}: ${text.slice(0, 200)}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('treats a tautology as a value: it matches nothing instead of everything', async () => {
    const tautology = encodeURIComponent("' OR '1'='1");
    for (const path of [
      `/api/v1/devices?ward=${tautology}`,
      `/api/v1/alerts?ward=${tautology}`,
      `/api/v1/dead-letters?deviceId=${tautology}`,
      `/api/v1/audit?actor=${tautology}`,
    ]) {
      const res = await app.request('GET', path, admin);
      expect(res.status, path).toBe(200);
      expect(res.body.items, path).toEqual([]);
    }
    // The same filter with a real value does find things: the empty answers above are not an accident.
    expect((await app.request('GET', '/api/v1/devices?ward=phuong-tan-ninh', admin)).body.items).toHaveLength(
      1,
    );
  });

  it('leaves every table in place', async () => {
    const { rows } = await app.pool.query(
      "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name IN ('users', 'devices', 'telemetry', 'audit_log', 'alerts')",
    );
    expect(rows[0].n).toBe(5);
    expect((await app.pool.query('SELECT count(*)::int AS n FROM users')).rows[0].n).toBe(1);
  });
});
