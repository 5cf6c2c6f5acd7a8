// Property-based fuzzing (fast-check) of the HTTP API's inputs: random query strings for the filters of
// the main lists, random JSON and mutated valid bodies for the main writes. Whatever comes in, the
// answer is never a 5xx, and every refusal is a 4xx in the {error: {code, message}} shape.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
let admin: Record<string, string>;
let casesRun = 0;
const device = {
  id: 'tn-p1-sl-9801',
  kind: 'streetlight',
  city: 'tay-ninh',
  ward: 'phuong-tan-ninh',
  lat: 11.31,
  lon: 106.1,
  pole: null,
  zone: null,
  name: 'Đèn thử fuzz',
} as const;

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.login();
  await app.registry.create(device);
});
afterAll(async () => {
  await app?.close();
  console.log(`HTTP API fuzz cases run: ${casesRun}`);
});

/** One request through Fastify's inject (no sockets: thousands of cases in seconds). */
async function call(method: string, url: string, body?: unknown) {
  casesRun++;
  const res = await app.http.inject({
    method: method as 'GET',
    url,
    headers: body === undefined ? admin : { ...admin, 'content-type': 'application/json' },
    payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.statusCode, text: res.body };
}

function expectHandled(res: { status: number; text: string }, what: string) {
  expect(res.status, `${what} → ${res.text.slice(0, 300)}`).toBeLessThan(500);
  if (res.status >= 400) {
    const body = JSON.parse(res.text);
    expect(typeof body.error?.code, what).toBe('string');
    expect(typeof body.error?.message, what).toBe('string');
  }
}

/** Values a query string may carry: plausible, hostile and malformed. */
const queryValue = fc.oneof(
  fc.string(),
  fc.constantFrom(
    'tay-ninh',
    'hoi-an',
    'phuong-tan-ninh',
    'environment',
    'online',
    'open',
    'critical',
    'success',
  ),
  fc.integer().map(String),
  fc.double().map(String),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('', '-1', '0', '1e999', 'NaN', "' OR 1=1 --", '\u0000', '%', '[]', '{}', 'x'.repeat(5_000)),
);

const lists: Record<string, string[]> = {
  '/api/v1/devices': ['city', 'ward', 'kind', 'status', 'limit', 'offset'],
  '/api/v1/alerts': [
    'state',
    'severity',
    'city',
    'ward',
    'kind',
    'deviceId',
    'from',
    'to',
    'before',
    'limit',
  ],
  '/api/v1/dead-letters': ['deviceId', 'reason', 'from', 'before', 'limit'],
  '/api/v1/audit': ['actor', 'action', 'target', 'outcome', 'ip', 'from', 'to', 'before', 'limit'],
  [`/api/v1/devices/${device.id}/telemetry`]: ['metric', 'from', 'to', 'bucket', 'limit'],
};

describe('HTTP API under fuzzing', () => {
  for (const [path, names] of Object.entries(lists)) {
    it(`answers any query string on GET ${path} with data or a clear 4xx`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.dictionary(fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 8 })), queryValue, {
            maxKeys: 5,
          }),
          async (query) => {
            const qs = new URLSearchParams(query).toString();
            expectHandled(await call('GET', `${path}?${qs}`), `GET ${path}?${qs}`);
          },
        ),
        { numRuns: 400 },
      );
    });
  }

  /** A valid body with some fields replaced by anything, some removed, some added. */
  const mutated = (valid: Record<string, unknown>) =>
    fc
      .tuple(
        fc.subarray(Object.keys(valid)),
        fc.dictionary(fc.constantFrom(...Object.keys(valid)), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
        fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }),
      )
      .map(([kept, replaced, added]) => ({
        ...Object.fromEntries(kept.map((k) => [k, valid[k]])),
        ...replaced,
        ...added,
      }));
  const anyBody = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.string().map((s) => `{"x": ${s}`),
    fc.constantFrom(
      '',
      '{',
      'null',
      '[]',
      '{"__proto__": {"role": "admin"}}',
      '{"constructor": {"prototype": {}}}',
    ),
  );

  const writes: Array<[string, string, Record<string, unknown>]> = [
    [
      'POST',
      '/api/v1/devices',
      {
        id: 'tn-p2-env-9802',
        kind: 'environment',
        city: 'tay-ninh',
        ward: 'phuong-tan-ninh',
        lat: 11.3,
        lon: 106.1,
        name: 'x',
      },
    ],
    [
      'PATCH',
      `/api/v1/devices/${device.id}`,
      { ward: 'phuong-tan-ninh', lat: 11.3, lon: 106.1, name: 'Đèn', zone: 'normal' },
    ],
    ['POST', `/api/v1/devices/${device.id}/commands`, { name: 'set_lamp', args: { on: true, dim_pct: 50 } }],
    [
      'POST',
      '/api/v1/rules',
      {
        name: 'PM2.5 cao',
        type: 'threshold',
        metric: 'pm25',
        comparison: '>',
        threshold: 55,
        severity: 'warning',
        kind: 'environment',
        messageVi: 'PM2.5 cao',
        messageEn: 'PM2.5 high',
      },
    ],
    ['PATCH', '/api/v1/rules/1', { threshold: 60, enabled: false, forS: 120 }],
    ['POST', '/api/v1/alerts/1/ack', { note: 'đã xem' }],
    [
      'POST',
      '/api/v1/webhooks',
      {
        name: 'tỉnh',
        url: 'https://example.org/hook',
        secret: 'a-webhook-secret-123',
        severities: ['critical'],
      },
    ],
    ['POST', '/api/v1/users', { username: 'fuzz.user', password: 'fuzz-user-password', role: 'viewer' }],
    ['PATCH', '/api/v1/users/viewer', { role: 'operator', disabled: false }],
  ];

  for (const [method, path, valid] of writes) {
    it(`answers any body on ${method} ${path} with success or a clear 4xx`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(mutated(valid), anyBody), async (body) => {
          expectHandled(
            await call(method, path, body),
            `${method} ${path} ${JSON.stringify(body).slice(0, 200)}`,
          );
        }),
        { numRuns: 250 },
      );
    });
  }

  it('answers any login body with a token or a clear 4xx (scrypt makes each case slow: fewer runs)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(mutated({ username: 'fuzzer', password: 'a-password-123' }), anyBody),
        async (body) => {
          expectHandled(
            await call('POST', '/api/v1/auth/login', body),
            `login ${JSON.stringify(body).slice(0, 200)}`,
          );
        },
      ),
      { numRuns: 60 },
    );
  });
});
