import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCommandOn } from '../helpers/adminCommand.ts';
import { startTestApp, type TestApp, testAdminPassword } from '../helpers/app.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';

let app: TestApp;
let admin: Record<string, string>;
let hoiAn: Record<string, string>;
const clients: MqttClient[] = [];

const inHoiAn = { city: 'hoi-an', ward: 'phuong-hoi-an', lat: 15.877, lon: 108.328, pole: null, zone: null };
const inTayNinh = {
  city: 'tay-ninh',
  ward: 'phuong-tan-ninh',
  lat: 11.3105,
  lon: 106.0982,
  pole: null,
  zone: null,
};
const haLamp = { ...inHoiAn, id: 'ha-sc-sl-9801', kind: 'streetlight', name: 'Đèn – Bạch Đằng' } as const;
const tnLamp = { ...inTayNinh, id: 'tn-sc-sl-9801', kind: 'streetlight', name: 'Đèn – 30/4' } as const;
const secrets = new Map<string, string>();

async function device(id: string): Promise<MqttClient> {
  const client = await connectDevice(app.mqttUrl, id, secrets.get(id));
  clients.push(client);
  return client;
}

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.login();
  for (const d of [haLamp, tnLamp]) secrets.set(d.id, (await app.registry.create(d)).secret);
  const created = await app.request('POST', '/api/v1/users', admin, {
    username: 'ha.operator',
    password: testAdminPassword,
    role: 'operator',
    scope: ['hoi-an'],
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  hoiAn = await app.login('ha.operator', testAdminPassword);
});
afterAll(async () => {
  for (const client of clients) client.end(true);
  await app.close();
});

describe('scope on accounts', () => {
  it('is set by admins, shown in the users list and the login answer, and checked', async () => {
    const users = await app.request('GET', '/api/v1/users', admin);
    const byName = Object.fromEntries(users.body.items.map((u: { username: string }) => [u.username, u]));
    expect(byName.admin.scope).toBe('all');
    expect(byName['ha.operator'].scope).toEqual(['hoi-an']);

    const login = await app.request(
      'POST',
      '/api/v1/auth/login',
      {},
      {
        username: 'ha.operator',
        password: testAdminPassword,
      },
    );
    expect(login.body).toMatchObject({ role: 'operator', scope: ['hoi-an'] });

    const unknown = await app.request('POST', '/api/v1/users', admin, {
      username: 'nobody.where',
      password: testAdminPassword,
      role: 'viewer',
      scope: ['hoi-an', 'atlantis'],
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/no area or unit atlantis/);

    const scopedAdmin = await app.request('POST', '/api/v1/users', admin, {
      username: 'ha.admin',
      password: testAdminPassword,
      role: 'admin',
      scope: ['hoi-an'],
    });
    expect(scopedAdmin.status).toBe(400);
    expect(scopedAdmin.body.error.message).toMatch(/admins reach every area/);
  });

  it('a scoped user cannot reach the users API (admins only, and admins are global)', async () => {
    expect((await app.request('GET', '/api/v1/users', hoiAn)).status).toBe(403);
  });
});

const adminCommand = (...args: string[]) => adminCommandOn(app, ...args);

describe('the admin command', { timeout: 90_000 }, () => {
  it('creates an account limited to the places named, and refuses unknown ones and a scoped admin', async () => {
    const [created, unknown, scopedAdmin] = await Promise.all([
      adminCommand('create-user', 'le.van.c', '--role', 'viewer', '--scope', 'hoi-an,phuong-tan-ninh'),
      adminCommand('create-user', 'le.van.d', '--role', 'viewer', '--scope', 'hoi-an,atlantis'),
      adminCommand('create-user', 'le.van.e', '--role', 'admin', '--scope', 'hoi-an'),
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/Limited to: hoi-an, phuong-tan-ninh/);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no area or unit: atlantis/);
    expect(scopedAdmin.code).toBe(2);
    expect(scopedAdmin.stderr).toMatch(/admins reach every area/);

    const users = await app.request('GET', '/api/v1/users', admin);
    const names = users.body.items.map((u: { username: string }) => u.username);
    expect(names).toContain('le.van.c');
    expect(names).not.toContain('le.van.d');
    expect(users.body.items.find((u: { username: string }) => u.username === 'le.van.c').scope).toEqual([
      'hoi-an',
      'phuong-tan-ninh',
    ]);
    const listed = await adminCommand('list-users');
    expect(listed.stdout).toMatch(/le\.van\.c\s+viewer\s+không \/ no\s+hoi-an,phuong-tan-ninh/);
  });
});

describe('devices, telemetry and commands', () => {
  it('lists only the devices in scope; one outside it is not found, its telemetry neither', async () => {
    const mine = await app.request('GET', '/api/v1/devices', hoiAn);
    expect(mine.body.items.map((d: { id: string }) => d.id)).toEqual([haLamp.id]);
    expect(mine.body.total).toBe(1);
    const filtered = await app.request('GET', '/api/v1/devices?city=tay-ninh', hoiAn);
    expect(filtered.body).toMatchObject({ items: [], total: 0 });

    const detail = await app.request('GET', `/api/v1/devices/${tnLamp.id}`, hoiAn);
    expect(detail.status).toBe(404);
    expect(detail.body.error.code).toBe('DEVICE_NOT_FOUND');
    expect((await app.request('GET', `/api/v1/devices/${haLamp.id}`, hoiAn)).status).toBe(200);
    expect((await app.request('GET', `/api/v1/devices/${tnLamp.id}/telemetry`, hoiAn)).status).toBe(404);
    expect((await app.request('GET', `/api/v1/devices/${haLamp.id}/telemetry`, hoiAn)).status).toBe(200);

    const all = await app.request('GET', '/api/v1/devices', admin);
    expect(all.body.items.map((d: { id: string }) => d.id).sort()).toEqual([haLamp.id, tnLamp.id].sort());
  });

  it('refuses a command to a device outside scope before anything reaches its MQTT topic', async () => {
    const lamp = await device(tnLamp.id);
    const received: string[] = [];
    lamp.on('message', (topic) => received.push(topic));
    await new Promise<void>((ok, fail) =>
      lamp.subscribe(`ioc/tay-ninh/streetlight/${tnLamp.id}/cmd`, { qos: 1 }, (e) => (e ? fail(e) : ok())),
    );
    const refused = await app.request('POST', `/api/v1/devices/${tnLamp.id}/commands`, hoiAn, {
      name: 'set_lamp',
      args: { on: true },
    });
    expect(refused.status).toBe(404);
    expect(refused.body.error.code).toBe('DEVICE_NOT_FOUND');
    // The admin's command to the same lamp arrives: had the refused one been published, it came first.
    const sent = await app.request('POST', `/api/v1/devices/${tnLamp.id}/commands`, admin, {
      name: 'ping',
      args: {},
    });
    expect(sent.status).toBe(202);
    await eventually(
      async () => received.length,
      (n) => n > 0,
    );
    expect(received).toHaveLength(1);
    const commands = await app.request('GET', `/api/v1/devices/${tnLamp.id}/commands`, admin);
    expect(commands.body.items.map((c: { name: string }) => c.name)).toEqual(['ping']);
    // Nor can the scoped operator follow it.
    expect((await app.request('GET', `/api/v1/devices/${tnLamp.id}/commands`, hoiAn)).body.items).toEqual([]);
    expect(
      (await app.request('GET', `/api/v1/devices/${tnLamp.id}/commands/${sent.body.id}`, hoiAn)).status,
    ).toBe(404);

    const mine = await app.request('POST', `/api/v1/devices/${haLamp.id}/commands`, hoiAn, {
      name: 'ping',
      args: {},
    });
    expect(mine.status).toBe(202);
  });

  it('lists the dead letters of devices in scope only', async () => {
    for (const d of [haLamp, tnLamp]) {
      const client = await device(d.id);
      await publish(client, `ioc/${d.city}/streetlight/${d.id}/telemetry`, '{not json');
    }
    const all = await eventually(
      () => app.request('GET', '/api/v1/dead-letters', admin),
      (r) => new Set(r.body.items.map((l: { deviceId: string }) => l.deviceId)).size >= 2,
    );
    expect(all.body.items.map((l: { deviceId: string }) => l.deviceId)).toEqual(
      expect.arrayContaining([haLamp.id, tnLamp.id]),
    );
    const mine = await app.request('GET', '/api/v1/dead-letters', hoiAn);
    expect(mine.status).toBe(200);
    expect(mine.body.items.length).toBeGreaterThan(0);
    expect(mine.body.items.every((l: { deviceId: string }) => l.deviceId === haLamp.id)).toBe(true);
  });
});

describe('a new scope', () => {
  it('ends the user’s sessions; the next login carries it', async () => {
    await app.request('POST', '/api/v1/users', admin, {
      username: 'mover',
      password: testAdminPassword,
      role: 'viewer',
      scope: ['hoi-an'],
    });
    const before = await app.login('mover', testAdminPassword);
    expect((await app.request('GET', '/api/v1/devices', before)).status).toBe(200);

    const changed = await app.request('PATCH', '/api/v1/users/mover', admin, { scope: ['phuong-tan-ninh'] });
    expect(changed.status).toBe(204);
    const ended = await app.request('GET', '/api/v1/devices', before);
    expect(ended.status).toBe(401);

    const after = await app.login('mover', testAdminPassword);
    const listed = await app.request('GET', '/api/v1/devices', after);
    expect(listed.body.items.map((d: { id: string }) => d.id)).toEqual([tnLamp.id]);

    // The same scope again changes nothing, so ends nothing.
    await app.request('PATCH', '/api/v1/users/mover', admin, { scope: ['phuong-tan-ninh'] });
    expect((await app.request('GET', '/api/v1/devices', after)).status).toBe(200);

    // Every area again: the user sees both.
    await app.request('PATCH', '/api/v1/users/mover', admin, { scope: 'all' });
    const everywhere = await app.login('mover', testAdminPassword);
    expect((await app.request('GET', '/api/v1/devices', everywhere)).body.total).toBe(2);
  });

  it('becoming an admin widens the scope to every area', async () => {
    await app.request('POST', '/api/v1/users', admin, {
      username: 'promoted',
      password: testAdminPassword,
      role: 'operator',
      scope: ['hoi-an'],
    });
    expect((await app.request('PATCH', '/api/v1/users/promoted', admin, { role: 'admin' })).status).toBe(204);
    const users = await app.request('GET', '/api/v1/users', admin);
    expect(users.body.items.find((u: { username: string }) => u.username === 'promoted').scope).toBe('all');
    const narrowed = await app.request('PATCH', '/api/v1/users/promoted', admin, { scope: ['hoi-an'] });
    expect(narrowed.status).toBe(400);
  });
});
