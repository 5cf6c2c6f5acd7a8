// Real answers against what the OpenAPI document of the same server declares: a public route answered
// without a token, a protected one refusing it, a CSV feed page with its ETag and then 304, and a key
// over its allowance getting 429 with Retry-After.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';

type Response = { headers?: Record<string, unknown>; content?: Record<string, unknown> };
type Operation = { security?: unknown[]; responses: Record<string, Response> };

let app: TestApp;
let spec: { paths: Record<string, Record<string, Operation>> };
beforeAll(async () => {
  app = await startTestApp({ FEEDS_RATE_PER_MIN: '4' });
  spec = (await (await fetch(`${app.baseUrl}/docs/json`)).json()) as typeof spec;
});
afterAll(async () => app?.close());

const operation = (method: string, path: string) => {
  const found = spec.paths[path]?.[method];
  if (!found) throw new Error(`the document has no ${method.toUpperCase()} ${path}`);
  return found;
};

/** The media type as the document keys it: without parameters. */
const mediaType = (res: globalThis.Response) => res.headers.get('content-type')?.split(';')[0]?.trim();

/** Every header the document declares for this answer is sent. */
function expectDeclaredHeaders(res: globalThis.Response, declared: Response) {
  for (const name of Object.keys(declared.headers ?? {})) {
    if (name === 'Content-Disposition' && mediaType(res) !== 'text/csv') continue; // CSV only, as declared
    expect(res.headers.get(name), name).not.toBeNull();
  }
}

describe('what the document declares', () => {
  it('a public route answers without a token; a protected one refuses with the declared 401', async () => {
    const health = operation('get', '/healthz');
    expect(health.security).toEqual([]);
    const res = await fetch(`${app.baseUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(Object.keys(health.responses['200']!.content!)).toContain(mediaType(res));

    const devices = operation('get', '/api/v1/devices');
    expect(devices.security).toEqual([{ bearer: [] }]);
    const refused = await fetch(`${app.baseUrl}/api/v1/devices`);
    expect(refused.status).toBe(401);
    expect(Object.keys(devices.responses['401']!.content!)).toContain(mediaType(refused));
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
  });

  it('a CSV feed page comes with the declared headers and ETag, then 304 without a body', async () => {
    const admin = await app.login();
    const created = await app.request('POST', '/api/v1/feeds/keys', admin, { name: 'openapi' });
    expect(created.status).toBe(201);
    const key = { 'x-api-key': created.body.key as string };
    const feed = operation('get', '/api/v1/feeds/indicators');
    expect(feed.security).toEqual([{ apiKey: [] }, { bearer: [] }]);

    const url = `${app.baseUrl}/api/v1/feeds/indicators?city=hoi-an&period=month&from=2026-04&to=2026-05&format=csv`;
    const page = await fetch(url, { headers: key });
    expect(page.status).toBe(200);
    expect(mediaType(page)).toBe('text/csv');
    expect(Object.keys(feed.responses['200']!.content!)).toContain('text/csv');
    expectDeclaredHeaders(page, feed.responses['200']!);
    await page.text();

    const etag = page.headers.get('etag')!;
    const again = await fetch(url, { headers: { ...key, 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect(feed.responses['304']!.content).toBeUndefined();
    expectDeclaredHeaders(again, feed.responses['304']!);
    expect(again.headers.get('etag')).toBe(etag);

    // The allowance is 4 a minute: a key over it gets the declared 429 with Retry-After.
    let limited: globalThis.Response | undefined;
    for (let i = 0; i < 10 && !limited; i++) {
      const res = await fetch(url, { headers: key });
      if (res.status === 429) limited = res;
      else await res.text();
    }
    expect(limited, 'a key over its allowance is refused').toBeDefined();
    expectDeclaredHeaders(limited!, feed.responses['429']!);
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Object.keys(feed.responses['429']!.content!)).toContain(mediaType(limited!));
    expect(((await limited!.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
  });
});
