// Work on an alert seen from another instance: two instances on one PostgreSQL and one Redis, an
// operator working the alert on one, a console on the other told of each step, the note included.
import { randomBytes } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertEventWire } from '../../src/alerts/wire.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { liveConsole, nextEvent } from '../helpers/live.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let a: TestApp;
let b: TestApp;
const sockets: Socket[] = [];
const sensor = {
  id: 'ha-ha-fire-7801',
  kind: 'fire',
  city: 'hoi-an',
  ward: 'phuong-hoi-an',
  lat: 15.877,
  lon: 108.328,
  pole: null,
  zone: null,
  name: 'Cảm biến cháy – Hội quán Phúc Kiến',
} as const;

beforeAll(async () => {
  redis = await startRedis();
  const shared = {
    REDIS_URL: redis.url,
    REDIS_PREFIX: `ioc-test-${randomBytes(6).toString('hex')}`,
    JWT_SECRET: 'q7Rk2vN9pLx4Tz8WcYb3HmJd6FsGa5Ue1KoPiVnQ',
  };
  a = await startTestApp({ ...shared, INSTANCE_ID: 'work-a' });
  b = await startTestApp({ ...shared, INSTANCE_ID: 'work-b' }, { databaseUrl: a.databaseUrl });
}, 120_000);
afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await b?.close();
  await a?.close();
  await redis?.stop();
});

describe('working an alert on several instances', () => {
  it("shows a console on one instance the assignment and the note made on the other's API", async () => {
    const operator = await a.loginAs('operator');
    await a.registry.create(sensor);
    // Opened as the engine opens it, on whichever instance leads: the relay is what is tested here.
    const rule = (await a.alerts.queries.rules()).find((r) => r.key === 'fire-alarm')!;
    const alert = await a.alerts.lifecycle.open({
      rule,
      device: sensor,
      messageVi: 'Báo cháy tại Hội quán Phúc Kiến',
      messageEn: 'Fire alarm at Phuc Kien Assembly Hall',
      value: 1,
      details: {},
      at: new Date(),
      repeats: 1,
    });
    const watcher = liveConsole(b.baseUrl, operator.authorization!.slice('Bearer '.length), sockets);
    await watcher.emitWithAck('subscribe', { city: 'hoi-an' });

    const assigned = nextEvent<any>(
      watcher,
      'alert',
      (e) => e.action === 'assigned' && e.alert.id === alert.id,
    );
    await a.request('POST', `/api/v1/alerts/${alert.id}/assign`, operator, {});
    expect((await assigned).alert).toMatchObject({ assignee: 'operator', assignedAt: expect.any(String) });

    const noted = nextEvent<any>(watcher, 'alert', (e) => e.action === 'noted' && e.alert.id === alert.id);
    await a.request('POST', `/api/v1/alerts/${alert.id}/notes`, operator, {
      text: 'Đội PCCC Hội An đã nhận tin',
    });
    const event = await noted;
    expect(AlertEventWire.parse(event)).toEqual(event);
    expect(event).toMatchObject({
      event: 'alert.noted',
      alert: { assignee: 'operator' },
      note: { author: 'operator', text: 'Đội PCCC Hội An đã nhận tin', at: expect.any(String) },
    });
  });
});
