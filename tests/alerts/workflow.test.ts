// Working an alert on the running system: the rule's instructions, taking and assigning it, notes,
// its timeline with the notifications sent, consoles and webhooks told of each step, roles and the
// audit trail. The alert is raised by a real fire sensor over MQTT.
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDefaultRules } from '../../src/alerts/rules.ts';
import { AlertEventWire } from '../../src/alerts/wire.ts';
import { startTestApp, type TestApp, testAdminPassword } from '../helpers/app.ts';
import { liveConsole, nextEvent } from '../helpers/live.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';
import { startHttp } from '../notifications/servers.ts';

let app: TestApp;
let admin: Record<string, string>;
let operator: Record<string, string>;
let colleague: Record<string, string>;
let viewer: Record<string, string>;
let receiver: Awaited<ReturnType<typeof startHttp>>;
let webhookId: number;
const sockets: Socket[] = [];
const sensor = {
  id: 'ha-ha-fire-7001',
  kind: 'fire',
  city: 'hoi-an',
  ward: 'phuong-hoi-an',
  lat: 15.8777,
  lon: 108.3269,
  pole: null,
  zone: null,
  name: 'Cảm biến cháy – Chợ Hội An',
} as const;

async function fireAlarm() {
  const secret = await app.registry.rotateCredentials(sensor.id);
  const client = await connectDevice(app.mqttUrl, sensor.id, secret);
  await publish(client, `ioc/hoi-an/fire/${sensor.id}/telemetry`, JSON.stringify({ metrics: { alarm: 1 } }));
  client.end(true);
  await app.alerts.engine.settled();
  const { body } = await app.request('GET', `/api/v1/alerts?deviceId=${sensor.id}&state=active`, admin);
  return body.items[0];
}

const post = (path: string, who: Record<string, string>, body: unknown = {}) =>
  app.request('POST', `/api/v1${path}`, who, body);

beforeAll(async () => {
  app = await startTestApp({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' });
  admin = await app.login();
  operator = await app.loginAs('operator');
  viewer = await app.loginAs('viewer');
  const created = await post('/users', admin, {
    username: 'tran.thi.lan',
    password: testAdminPassword,
    role: 'operator',
  });
  expect(created.status).toBe(201);
  colleague = await app.login('tran.thi.lan', testAdminPassword);
  await app.registry.create(sensor);

  // A webhook for critical alerts, and a notification policy whose first step goes out at once and
  // whose second would come in half an hour: the alert's escalation is still running while it is worked.
  receiver = await startHttp([{ status: 204, body: null }]);
  webhookId = (
    await post('/webhooks', admin, {
      name: 'PCCC Hội An',
      url: receiver.url('/alerts'),
      secret: 'a-webhook-secret-of-enough-length',
      severities: ['critical'],
    })
  ).body.id;
  const channel = await post('/notifications/channels', admin, {
    name: 'Webhook trực ban',
    type: 'webhook',
    settings: { url: receiver.url('/on-call') },
    secrets: { secret: 'a-webhook-secret-of-some-length' },
  });
  const contact = await post('/notifications/contacts', admin, {
    name: 'Nguyễn Văn An',
    email: 'an.nv@hoian.gov.vn',
  });
  const policy = await post('/notifications/policies', admin, {
    name: 'Cháy Hội An',
    city: 'hoi-an',
    severities: ['critical'],
    steps: [
      { afterMinutes: 0, contactIds: [contact.body.id], channelIds: [channel.body.id] },
      { afterMinutes: 30, contactIds: [contact.body.id], channelIds: [channel.body.id] },
    ],
  });
  expect(policy.status).toBe(201);
});
afterAll(async () => {
  for (const socket of sockets) socket.close();
  await receiver?.close();
  await app.close();
});

describe('instructions', () => {
  it('ship with the default rules, reach the alert detail, and are edited by admins only', async () => {
    const alert = await fireAlarm();
    const rules = (await app.request('GET', '/api/v1/rules', viewer)).body.items;
    const fire = rules.find((r: any) => r.key === 'fire-alarm');
    expect(fire.instructions.vi).toContain('Gọi ngay 114 (Cảnh sát PCCC và CNCH)');
    expect(fire.instructions.en).toContain('Call 114 (Fire and Rescue Police)');
    for (const rule of rules) expect(rule.instructions, rule.key).not.toBeNull();

    const detail = await app.request('GET', `/api/v1/alerts/${alert.id}`, viewer);
    expect(detail.body.instructions).toEqual(fire.instructions);

    const instructions = { vi: 'Gọi 114, rồi gọi anh Minh (0905 000 111).', en: 'Call 114, then Minh.' };
    const path = `/api/v1/rules/${fire.id}`;
    expect((await app.request('PATCH', path, operator, { instructions })).status).toBe(403);
    const long = { vi: 'x'.repeat(2_001), en: 'x' };
    expect((await app.request('PATCH', path, admin, { instructions: long })).status).toBe(400);
    expect((await app.request('PATCH', path, admin, { instructions: null })).status).toBe(400);
    const patched = await app.request('PATCH', path, admin, { instructions });
    expect(patched.body).toMatchObject({ instructions, key: 'fire-alarm' });
    expect((await app.request('GET', `/api/v1/alerts/${alert.id}`, viewer)).body.instructions).toEqual(
      instructions,
    );
    await post(`/alerts/${alert.id}/resolve`, operator);
  });

  it("are given to a default stored before rules had them, and never replace an admin's", async () => {
    // A database from before: the defaults are there, without instructions.
    await app.pool.query(
      "UPDATE alert_rules SET instructions_vi = NULL, instructions_en = NULL WHERE default_key = 'fire-flame'",
    );
    expect(await app.alerts.queries.seedRules(loadDefaultRules())).toBe(0);
    const rules = (await app.request('GET', '/api/v1/rules', viewer)).body.items;
    const shipped = loadDefaultRules().find((r) => r.key === 'fire-flame')!.instructions;
    expect(rules.find((r: any) => r.key === 'fire-flame').instructions).toEqual(shipped);
    // The fire alarm's were edited by an admin in the test before.
    expect(rules.find((r: any) => r.key === 'fire-alarm').instructions.en).toBe('Call 114, then Minh.');
  });
});

describe('assignment and notes', () => {
  it('lets an operator take an alert, give it to a colleague and let it go; a viewer cannot', async () => {
    const alert = await fireAlarm();
    const assign = (who: Record<string, string>, body: unknown = {}) =>
      post(`/alerts/${alert.id}/assign`, who, body);
    expect((await assign(viewer)).status).toBe(403);

    const taken = await assign(operator);
    expect(taken.status).toBe(200);
    expect(taken.body).toMatchObject({ id: alert.id, state: 'open', assignee: 'operator' });
    expect(Date.parse(taken.body.assignedAt)).toBeGreaterThan(0);
    const mine = (await app.request('GET', '/api/v1/alerts?assignee=me', operator)).body.items;
    expect(mine.map((a: any) => a.id)).toEqual([alert.id]);
    expect((await app.request('GET', '/api/v1/alerts?assignee=me', admin)).body.items).toEqual([]);
    const unassigned = (await app.request('GET', '/api/v1/alerts?assigned=false', viewer)).body.items;
    expect(unassigned.map((a: any) => a.id)).not.toContain(alert.id);

    for (const nobody of ['viewer', 'nguoi.la']) {
      const refused = await assign(operator, { assignee: nobody });
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('VALIDATION_FAILED');
    }
    const given = await assign(operator, { assignee: 'tran.thi.lan', note: 'Chị Lan trực khu phố cổ' });
    expect(given.body.assignee).toBe('tran.thi.lan');
    const hers = (await app.request('GET', '/api/v1/alerts?assignee=me', colleague)).body.items;
    expect(hers.map((a: any) => a.id)).toEqual([alert.id]);

    const released = await post(`/alerts/${alert.id}/unassign`, colleague);
    expect(released.body).toMatchObject({ assignee: null, assignedAt: null });
    expect((await post(`/alerts/${alert.id}/unassign`, colleague)).status).toBe(409);
    expect((await post('/alerts/999999/assign', operator)).status).toBe(404);

    await post(`/alerts/${alert.id}/resolve`, operator);
    expect((await assign(operator)).body.error.code).toBe('CONFLICT');
  });

  it('keeps notes with their author and time, in any state; viewers read them but cannot write', async () => {
    const alert = await fireAlarm();
    expect((await post(`/alerts/${alert.id}/notes`, viewer, { text: 'x' })).status).toBe(403);
    expect((await post(`/alerts/${alert.id}/notes`, operator, { text: '' })).status).toBe(400);
    const noted = await post(`/alerts/${alert.id}/notes`, operator, {
      text: 'Đã gọi 114 lúc 14:05, xe chữa cháy đang đến / called 114',
    });
    expect(noted.status).toBe(201);
    expect(noted.body.note).toEqual({
      at: expect.any(String),
      author: 'operator',
      text: 'Đã gọi 114 lúc 14:05, xe chữa cháy đang đến / called 114',
    });
    expect(noted.body.alert).toMatchObject({ id: alert.id, state: 'open' });
    await post(`/alerts/${alert.id}/resolve`, operator);
    expect(
      (await post(`/alerts/${alert.id}/notes`, colleague, { text: 'Nguyên nhân: chập điện' })).status,
    ).toBe(201);
    const { body } = await app.request('GET', `/api/v1/alerts/${alert.id}/timeline`, viewer);
    expect(body.items.filter((e: any) => e.action === 'noted').map((e: any) => [e.actor, e.note])).toEqual([
      ['operator', 'Đã gọi 114 lúc 14:05, xe chữa cháy đang đến / called 114'],
      ['tran.thi.lan', 'Nguyên nhân: chập điện'],
    ]);
  });
});

describe('timeline', () => {
  it('orders every step with who, when and bilingual texts, the notifications sent among them', async () => {
    const alert = await fireAlarm();
    // The policy's first step goes out as the alert opens.
    await eventually(
      async () => {
        await app.notifications.runOnce();
        return (await app.request('GET', `/api/v1/alerts/${alert.id}/timeline`, operator)).body.items;
      },
      (items) => items.some((e: any) => e.action === 'notification' && e.notification.status === 'sent'),
    );
    await post(`/alerts/${alert.id}/assign`, operator);
    await post(`/alerts/${alert.id}/notes`, operator, { text: 'Đang xem camera' });
    // Assignment and notes leave the escalation running: only acknowledging stops it.
    const { rows } = await app.pool.query(
      'SELECT done_at FROM notification_escalations WHERE alert_id = $1',
      [alert.id],
    );
    expect(rows).toEqual([{ done_at: null }]);
    await post(`/alerts/${alert.id}/ack`, colleague, { note: 'Đội PCCC đã đến' });
    await eventually(
      async () => {
        await app.notifications.runOnce();
        return (await app.request('GET', `/api/v1/alerts/${alert.id}/timeline`, operator)).body.items;
      },
      (items) =>
        items.some((e: any) => e.notification?.event === 'acknowledged' && e.notification.status === 'sent'),
    );
    await post(`/alerts/${alert.id}/resolve`, colleague);
    // Resolving sends its own closing notice to whoever was told of the alert.
    const { body } = await eventually(
      async () => {
        await app.notifications.runOnce();
        return app.request('GET', `/api/v1/alerts/${alert.id}/timeline`, operator);
      },
      ({ body }) =>
        body.items.some((e: any) => e.notification?.event === 'resolved' && e.notification.status === 'sent'),
    );
    expect(body.alertId).toBe(alert.id);
    const steps = body.items.map((e: any) => [e.action, e.actor, e.notification?.event ?? null]);
    expect(steps).toEqual([
      ['opened', 'system', null],
      ['notification', 'system', 'opened'],
      ['assigned', 'operator', null],
      ['noted', 'operator', null],
      ['acknowledged', 'tran.thi.lan', null],
      ['notification', 'system', 'acknowledged'],
      ['resolved', 'tran.thi.lan', null],
      ['notification', 'system', 'resolved'],
    ]);
    const times = body.items.map((e: any) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const [, sent, assigned, , acknowledged] = body.items;
    expect(sent.notification).toMatchObject({ channel: 'webhook', status: 'sent', step: 0, attempts: 1 });
    expect(sent.text.vi).toContain('đã gửi');
    expect(assigned).toMatchObject({
      assignee: 'operator',
      text: { vi: 'operator nhận xử lý', en: 'operator took it' },
    });
    expect(acknowledged).toMatchObject({
      note: 'Đội PCCC đã đến',
      text: { en: 'tran.thi.lan acknowledged it' },
    });

    // The delivery log is for operators: a viewer's timeline has every step but the notifications.
    const seen = (await app.request('GET', `/api/v1/alerts/${alert.id}/timeline`, viewer)).body.items;
    expect(seen.map((e: any) => e.action)).toEqual([
      'opened',
      'assigned',
      'noted',
      'acknowledged',
      'resolved',
    ]);
    expect((await app.request('GET', '/api/v1/alerts/999999/timeline', viewer)).status).toBe(404);
  });
});

describe('consoles, webhooks and the audit trail', () => {
  it('push assignment and notes to consoles, assignment to webhooks but never notes, and audit each', async () => {
    const token = viewer.authorization!.slice('Bearer '.length);
    const socket = liveConsole(app.baseUrl, token, sockets);
    await socket.emitWithAck('subscribe', { city: 'hoi-an' });
    const alert = await fireAlarm();

    const assigned = nextEvent<any>(
      socket,
      'alert',
      (e) => e.action === 'assigned' && e.alert.id === alert.id,
    );
    await post(`/alerts/${alert.id}/assign`, operator, { assignee: 'tran.thi.lan' });
    const assignedEvent = await assigned;
    expect(AlertEventWire.parse(assignedEvent)).toEqual(assignedEvent);
    expect(assignedEvent).toMatchObject({
      version: 1,
      event: 'alert.assigned',
      alert: { assignee: 'tran.thi.lan' },
    });

    const noted = nextEvent<any>(socket, 'alert', (e) => e.action === 'noted' && e.alert.id === alert.id);
    await post(`/alerts/${alert.id}/notes`, colleague, { text: 'Chủ nhà báo báo động nhầm' });
    expect(await noted).toMatchObject({
      event: 'alert.noted',
      note: { author: 'tran.thi.lan', text: 'Chủ nhà báo báo động nhầm' },
    });
    const unassigned = nextEvent<any>(
      socket,
      'alert',
      (e) => e.action === 'unassigned' && e.alert.id === alert.id,
    );
    await post(`/alerts/${alert.id}/unassign`, colleague);
    expect((await unassigned).alert.assignee).toBeNull();

    const deliveries = await eventually(
      async () => (await app.request('GET', `/api/v1/webhooks/${webhookId}/deliveries`, admin)).body.items,
      (items: any[]) => items.some((d) => d.alertId === alert.id && d.action === 'unassigned'),
    );
    const actions = deliveries.filter((d: any) => d.alertId === alert.id).map((d: any) => d.action);
    expect(actions.sort()).toEqual(['assigned', 'opened', 'unassigned']);
    await app.alerts.webhooks.deliverDue();
    const bodies = receiver.requests.filter((r) => r.path === '/alerts' && r.body.alert.id === alert.id);
    expect(bodies.map((r) => r.headers['x-ioc-event']).sort()).toEqual([
      'alert.assigned',
      'alert.opened',
      'alert.unassigned',
    ]);

    await post(`/alerts/${alert.id}/notes`, viewer, { text: 'x' });
    // The trail is written once the answer has gone: wait for the entries to be there.
    const audit = (action: string, count: number) =>
      eventually(
        async () =>
          (
            await app.request(
              'GET',
              `/api/v1/audit?action=${encodeURIComponent(action)}&target=${alert.id}`,
              admin,
            )
          ).body.items as any[],
        (items) => items.length >= count,
      );
    expect(await audit('POST /api/v1/alerts/:id/assign', 1)).toEqual([
      expect.objectContaining({
        actor: 'operator',
        outcome: 'success',
        details: { body: { assignee: 'tran.thi.lan' } },
      }),
    ]);
    const notes = await audit('POST /api/v1/alerts/:id/notes', 2);
    expect(notes.map((e) => [e.actor, e.outcome])).toEqual([
      ['viewer', 'denied'],
      ['tran.thi.lan', 'success'],
    ]);
  });
});
