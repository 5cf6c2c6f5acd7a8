// The MQTT contract's pages follow the rule of the OpenAPI pages beside them: where DOCS_PUBLIC says no
// (the production default), neither the document nor its page is served.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ DOCS_PUBLIC: 'false' });
});
afterAll(async () => {
  await app?.close();
});

describe('the MQTT contract pages with DOCS_PUBLIC=false', () => {
  it('serves neither the AsyncAPI document nor its page, like /docs', async () => {
    for (const path of ['/docs', '/docs/asyncapi.json', '/docs/mqtt']) {
      const response = await fetch(`${app.baseUrl}${path}`);
      expect(response.status, path).toBe(404);
    }
  });
});
