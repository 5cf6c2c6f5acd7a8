// The HTTP authenticator and authorizer EMQX calls: the embedded broker's rules, behind a shared token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
let secret: string;
const token = 'hook-token-0123456789abcdef';
const headers = { 'x-ioc-hook-token': token };
const device = {
  id: 'tn-p1-noise-7801',
  kind: 'noise',
  city: 'tay-ninh',
  ward: 'phuong-tan-ninh',
  lat: 11.3,
  lon: 106.1,
  pole: null,
  zone: null,
  name: 'Tiếng ồn thử',
} as const;
const own = (channel: string) => `ioc/tay-ninh/noise/${device.id}/${channel}`;

beforeAll(async () => {
  app = await startTestApp({
    MQTT_AUTH_HOOK_TOKEN: token,
    MQTT_INGEST_USERNAME: 'ioc-ingest',
    MQTT_INGEST_PASSWORD: 'ingest-password-1',
  });
  secret = (await app.registry.create(device)).secret;
});
afterAll(async () => app?.close());

const auth = (body: unknown, h: Record<string, string> = headers) =>
  app.request('POST', '/api/v1/broker/auth', h, body);
const acl = (body: unknown, h: Record<string, string> = headers) =>
  app.request('POST', '/api/v1/broker/acl', h, body);

describe('EMQX HTTP authentication hook', () => {
  it('allows a device with its own secret and denies anything else', async () => {
    expect((await auth({ clientid: device.id, username: device.id, password: secret })).body.result).toBe(
      'allow',
    );
    expect((await auth({ clientid: device.id, username: device.id, password: 'wrong' })).body.result).toBe(
      'deny',
    );
    expect((await auth({ clientid: 'other', username: device.id, password: secret })).body.result).toBe(
      'deny',
    );
    expect((await auth({ clientid: 'nobody', username: 'nobody', password: 'x' })).body.result).toBe('deny');
    expect((await auth({ clientid: device.id })).body.result).toBe('deny');
  });

  it("allows the IOC's ingest account with its password only", async () => {
    const ingest = { clientid: 'ioc-ingest-a', username: 'ioc-ingest' };
    expect((await auth({ ...ingest, password: 'ingest-password-1' })).body.result).toBe('allow');
    expect((await auth({ ...ingest, password: 'ingest-password-2' })).body.result).toBe('deny');
  });

  it('refuses a call without the token, or with a wrong one', async () => {
    const missing = await auth({ clientid: device.id, username: device.id, password: secret }, {});
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe('UNAUTHENTICATED');
    const wrong = await acl(
      { clientid: device.id, username: device.id, topic: own('telemetry'), action: 'publish' },
      { 'x-ioc-hook-token': 'not-the-token-at-all' },
    );
    expect(wrong.status).toBe(401);
  });
});

describe('EMQX HTTP authorization hook', () => {
  const asDevice = { clientid: device.id, username: device.id };
  it.each([
    ['publish', own('telemetry'), 'allow'],
    ['publish', own('status'), 'allow'],
    ['publish', own('event'), 'allow'],
    ['publish', own('cmd'), 'deny'],
    ['publish', 'ioc/tay-ninh/noise/tn-p1-noise-0001/telemetry', 'deny'],
    ['publish', `ioc/hoi-an/noise/${device.id}/telemetry`, 'deny'],
    ['publish', '$SYS/broker/x', 'deny'],
    ['subscribe', own('cmd'), 'allow'],
    ['subscribe', 'ioc/#', 'deny'],
    ['subscribe', 'ioc/tay-ninh/noise/tn-p1-noise-0001/cmd', 'deny'],
  ])('a device may %s %s: %s', async (action, topic, result) => {
    expect((await acl({ ...asDevice, topic, action })).body.result).toBe(result);
  });

  it('lets the ingest account take the shared subscriptions and send commands, nothing else', async () => {
    const ingest = { clientid: 'ioc-ingest-a', username: 'ioc-ingest' };
    const verdict = async (topic: string, action: string) =>
      (await acl({ ...ingest, topic, action })).body.result;
    expect(await verdict('$share/ioc/ioc/+/+/+/telemetry', 'subscribe')).toBe('allow');
    expect(await verdict('#', 'subscribe')).toBe('deny');
    expect(await verdict(own('cmd'), 'publish')).toBe('allow');
    expect(await verdict(own('telemetry'), 'publish')).toBe('deny');
  });

  it('denies an unknown client', async () => {
    expect(
      (await acl({ clientid: 'x', username: 'x', topic: own('telemetry'), action: 'publish' })).body.result,
    ).toBe('deny');
  });
});

describe('broker account sync', () => {
  it('answers 409 without Mosquitto dynamic security, and needs an admin', async () => {
    const admin = await app.login();
    expect((await app.request('POST', '/api/v1/broker/sync', admin, {})).status).toBe(409);
    const viewer = await app.loginAs('viewer');
    expect((await app.request('POST', '/api/v1/broker/sync', viewer, {})).status).toBe(403);
  });
});
