import type { MqttClient } from 'mqtt';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCommandOn } from '../helpers/adminCommand.ts';
import { startTestApp, type TestApp, testAdminPassword } from '../helpers/app.ts';
import { liveConsole, nextEvent } from '../helpers/live.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';

let app: TestApp;
let admin: Record<string, string>;
let vendor: Record<string, string>;
const clients: MqttClient[] = [];
const sockets: Socket[] = [];

const inHoiAn = { city: 'hoi-an', ward: 'phuong-hoi-an', lat: 15.877, lon: 108.328, pole: null, zone: null };
const sensor = { ...inHoiAn, id: 'ha-aq-9811', kind: 'environment', name: 'Không khí – Trần Phú' } as const;
const lamp = { ...inHoiAn, id: 'ha-sc-sl-9812', kind: 'streetlight', name: 'Đèn – Bạch Đằng' } as const;
const secrets = new Map<string, string>();

async function device(id: string): Promise<MqttClient> {
  const client = await connectDevice(app.mqttUrl, id, secrets.get(id));
  clients.push(client);
  return client;
}

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.login();
  for (const d of [sensor, lamp]) secrets.set(d.id, (await app.registry.create(d)).secret);
  const created = await app.request('POST', '/api/v1/users', admin, {
    username: 'vendor.aq',
    password: testAdminPassword,
    role: 'installer',
    devices: { devices: [sensor.id] },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  expect(created.body).toEqual({
    username: 'vendor.aq',
    role: 'installer',
    scope: 'all',
    devices: { profiles: [], devices: [sensor.id] },
  });
  vendor = await app.login('vendor.aq', testAdminPassword);

  // The vendor's sensor: online, one good message, one it got wrong; the lamp gets one wrong too.
  const air = await device(sensor.id);
  await publish(air, `ioc/hoi-an/environment/${sensor.id}/status`, JSON.stringify({ online: true }));
  await publish(
    air,
    `ioc/hoi-an/environment/${sensor.id}/telemetry`,
    JSON.stringify({ metrics: { pm25: 12.5, pm10: 30 } }),
  );
  await publish(
    air,
    `ioc/hoi-an/environment/${sensor.id}/telemetry`,
    JSON.stringify({ metrics: { pm25: -5 } }),
  );
  const light = await device(lamp.id);
  await publish(light, `ioc/hoi-an/streetlight/${lamp.id}/telemetry`, '{not json');
  await eventually(
    () => app.request('GET', '/api/v1/dead-letters', admin),
    (r) => new Set(r.body.items.map((l: { deviceId: string }) => l.deviceId)).size >= 2,
  );
});
afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  for (const client of clients) client.end(true);
  await app.close();
});

describe('an installer account', () => {
  it('is shown with its device lists; the lists are checked and belong to the installer role only', async () => {
    const users = await app.request('GET', '/api/v1/users', admin);
    const byName = Object.fromEntries(users.body.items.map((u: { username: string }) => [u.username, u]));
    expect(byName['vendor.aq']).toMatchObject({
      role: 'installer',
      devices: { profiles: [], devices: [sensor.id] },
    });
    expect(byName.admin.devices).toBeNull();

    const login = await app.request(
      'POST',
      '/api/v1/auth/login',
      {},
      {
        username: 'vendor.aq',
        password: testAdminPassword,
      },
    );
    expect(login.body.role).toBe('installer');

    const refused = async (body: Record<string, unknown>, message: RegExp) => {
      const res = await app.request('POST', '/api/v1/users', admin, { password: testAdminPassword, ...body });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error.message).toMatch(message);
    };
    await refused(
      {
        username: 'vendor.typo',
        role: 'installer',
        devices: { devices: [sensor.id, 'ha-aq-0000'], profiles: ['rocket'] },
      },
      /no profile rocket, device ha-aq-0000/,
    );
    await refused({ username: 'vendor.none', role: 'installer' }, /an installer account needs devices/);
    await refused(
      { username: 'vendor.empty', role: 'installer', devices: {} },
      /at least one profile or device/,
    );
    await refused(
      { username: 'vendor.area', role: 'installer', scope: ['hoi-an'], devices: { devices: [sensor.id] } },
      /installers reach devices, not areas/,
    );
    await refused(
      { username: 'viewer.lists', role: 'viewer', devices: { devices: [sensor.id] } },
      /only installer accounts have device lists/,
    );
  });

  it('lists and reads its own device: status, latest values, last payloads, status history', async () => {
    const listed = await app.request('GET', '/api/v1/devices', vendor);
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((d: { id: string }) => d.id)).toEqual([sensor.id]);
    expect(listed.body.total).toBe(1);
    expect((await app.request('GET', '/api/v1/devices?kind=streetlight', vendor)).body.total).toBe(0);

    const detail = await eventually(
      () => app.request('GET', `/api/v1/devices/${sensor.id}`, vendor),
      (r) => r.body.latest?.pm25 !== undefined && r.body.online === true,
    );
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ id: sensor.id, online: true, latest: { pm25: { value: 12.5 } } });

    const messages = await eventually(
      () => app.request('GET', `/api/v1/devices/${sensor.id}/messages`, vendor),
      (r) => r.body.items?.length > 0,
    );
    expect(messages.status).toBe(200);
    expect(messages.body.items[0].metrics).toEqual({ pm25: 12.5, pm10: 30 });

    const history = await eventually(
      () => app.request('GET', `/api/v1/devices/${sensor.id}/status-history`, vendor),
      (r) => r.body.items?.length > 0,
    );
    expect(history.status).toBe(200);
    expect(history.body).toMatchObject({ deviceId: sensor.id, online: true });
    expect(history.body.items[0]).toMatchObject({ online: true });
  });

  it('reads the refusals of its device with the reason, in Vietnamese and English', async () => {
    const mine = await app.request('GET', '/api/v1/dead-letters', vendor);
    expect(mine.status).toBe(200);
    expect(mine.body.items.length).toBeGreaterThan(0);
    expect(mine.body.items.every((l: { deviceId: string }) => l.deviceId === sensor.id)).toBe(true);
    const refusal = mine.body.items.find((l: { reason: string }) => l.reason === 'OUT_OF_RANGE');
    expect(refusal).toMatchObject({ fault: 'device', deviceId: sensor.id });
    expect(refusal.description.vi).toMatch(/dải đo của cảm biến/);
    expect(refusal.description.en).toMatch(/measuring range/);
    // Asking for another device's refusals by id answers none.
    const other = await app.request('GET', `/api/v1/dead-letters?deviceId=${lamp.id}`, vendor);
    expect(other.body.items).toEqual([]);
  });

  it('sees nothing of another device: 404, as if it did not exist', async () => {
    for (const path of [
      `/api/v1/devices/${lamp.id}`,
      `/api/v1/devices/${lamp.id}/messages`,
      `/api/v1/devices/${lamp.id}/status-history`,
    ]) {
      const res = await app.request('GET', path, vendor);
      expect(res.status, path).toBe(404);
      expect(res.body.error.code, path).toBe('DEVICE_NOT_FOUND');
    }
  });

  it('is refused everything else with 403: alerts, rules, users, feeds, commands, audit, places, telemetry', async () => {
    const calls: Array<[string, string, unknown?]> = [
      ['GET', '/api/v1/alerts'],
      ['GET', '/api/v1/rules'],
      ['GET', '/api/v1/users'],
      ['POST', '/api/v1/users', { username: 'sneaky', password: testAdminPassword, role: 'admin' }],
      ['GET', '/api/v1/feeds/alerts'],
      ['GET', '/api/v1/feeds/indicators'],
      ['POST', `/api/v1/devices/${sensor.id}/commands`, { name: 'ping', args: {} }],
      ['GET', `/api/v1/devices/${sensor.id}/commands`],
      ['GET', '/api/v1/audit'],
      ['GET', '/api/v1/places/areas'],
      ['GET', '/api/v1/catalog'],
      ['PATCH', `/api/v1/devices/${sensor.id}`, { name: 'renamed' }],
    ];
    for (const [method, path, body] of calls) {
      const res = await app.request(method, path, vendor, body);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
    }
    // Its own session still works: renewing it is allowed.
    expect((await app.request('POST', '/api/v1/auth/renew', vendor)).status).toBe(200);
  });

  it('reads the profile its devices answer to (metrics, units, ranges), counting only its devices, and no other', async () => {
    const listed = await app.request('GET', '/api/v1/profiles', vendor);
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((p: { id: string; devices: number }) => [p.id, p.devices])).toEqual([
      ['environment', 1],
    ]);
    expect(listed.body.items[0].metrics.pm25).toMatchObject({ unit: 'µg/m³', min: 0 });
    expect((await app.request('GET', '/api/v1/profiles/environment/example', vendor)).status).toBe(200);
    for (const path of ['/api/v1/profiles/streetlight', '/api/v1/profiles/streetlight/example'])
      expect((await app.request('GET', path, vendor)).status, path).toBe(404);
    expect((await app.request('DELETE', '/api/v1/profiles/environment', vendor)).status).toBe(403);
  });

  it('gets no live stream: the socket is refused', async () => {
    const token = vendor.authorization!.slice('Bearer '.length);
    const error = await nextEvent<Error>(liveConsole(app.baseUrl, token, sockets), 'connect_error');
    expect(error.message).toMatch(/^FORBIDDEN/);
  });
});

describe('changing an installer account', () => {
  it('new lists end its sessions; a profile reaches every device of it; the change is audited', async () => {
    await app.request('POST', '/api/v1/users', admin, {
      username: 'vendor.lamps',
      password: testAdminPassword,
      role: 'installer',
      devices: { devices: [sensor.id] },
    });
    const before = await app.login('vendor.lamps', testAdminPassword);
    const changed = await app.request('PATCH', '/api/v1/users/vendor.lamps', admin, {
      devices: { profiles: ['streetlight'] },
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(204);
    expect((await app.request('GET', '/api/v1/devices', before)).status).toBe(401);
    const after = await app.login('vendor.lamps', testAdminPassword);
    const listed = await app.request('GET', '/api/v1/devices', after);
    expect(listed.body.items.map((d: { id: string }) => d.id)).toEqual([lamp.id]);
    const letters = await app.request('GET', '/api/v1/dead-letters', after);
    expect(letters.body.items.length).toBeGreaterThan(0);
    expect(letters.body.items.every((l: { deviceId: string }) => l.deviceId === lamp.id)).toBe(true);

    // An area scope is not an installer's; an unknown profile is refused.
    const area = await app.request('PATCH', '/api/v1/users/vendor.lamps', admin, { scope: ['hoi-an'] });
    expect(area.status).toBe(400);
    const typo = await app.request('PATCH', '/api/v1/users/vendor.lamps', admin, {
      devices: { profiles: ['streetlights'] },
    });
    expect(typo.status).toBe(400);

    const audit = await eventually(
      async () =>
        (
          await app.request(
            'GET',
            `/api/v1/audit?action=${encodeURIComponent('PATCH /api/v1/users/:username')}`,
            admin,
          )
        ).body,
      (b) =>
        b.items?.some(
          (e: { target: string; outcome: string }) => e.target === 'vendor.lamps' && e.outcome === 'success',
        ),
    );
    const entry = audit.items.find(
      (e: { target: string; outcome: string }) => e.target === 'vendor.lamps' && e.outcome === 'success',
    );
    expect(entry).toMatchObject({
      actor: 'admin',
      details: { body: { devices: { profiles: ['streetlight'] } } },
    });
    const creation = await app.request(
      'GET',
      `/api/v1/audit?action=${encodeURIComponent('POST /api/v1/users')}&target=vendor.aq`,
      admin,
    );
    expect(creation.body.items[0]).toMatchObject({
      outcome: 'success',
      details: { body: { role: 'installer' } },
    });
  });

  it('becoming a viewer needs an area scope and drops the lists; becoming an installer needs them', async () => {
    await app.request('POST', '/api/v1/users', admin, {
      username: 'vendor.moves',
      password: testAdminPassword,
      role: 'installer',
      devices: { profiles: ['environment'] },
    });
    // Without a scope the former installer would reach every area: the change must say which.
    const unscoped = await app.request('PATCH', '/api/v1/users/vendor.moves', admin, { role: 'viewer' });
    expect(unscoped.status).toBe(400);
    expect(unscoped.body.error.details.fields).toEqual([expect.objectContaining({ field: 'scope' })]);
    expect(
      (await app.request('PATCH', '/api/v1/users/vendor.moves', admin, { role: 'viewer', scope: ['hoi-an'] }))
        .status,
    ).toBe(204);
    let users = await app.request('GET', '/api/v1/users', admin);
    expect(users.body.items.find((u: { username: string }) => u.username === 'vendor.moves')).toMatchObject({
      role: 'viewer',
      scope: ['hoi-an'],
      devices: null,
    });
    const bare = await app.request('PATCH', '/api/v1/users/vendor.moves', admin, { role: 'installer' });
    expect(bare.status).toBe(400);
    const back = await app.request('PATCH', '/api/v1/users/vendor.moves', admin, {
      role: 'installer',
      devices: { devices: [lamp.id] },
    });
    expect(back.status).toBe(204);
    users = await app.request('GET', '/api/v1/users', admin);
    expect(users.body.items.find((u: { username: string }) => u.username === 'vendor.moves')).toMatchObject({
      role: 'installer',
      scope: 'all',
      devices: { profiles: [], devices: [lamp.id] },
    });
  });
});

const adminCommand = (...args: string[]) => adminCommandOn(app, ...args);

describe('the admin command', { timeout: 90_000 }, () => {
  it('creates an installer with --devices and --profiles, and refuses one without them or with unknown ids', async () => {
    const [created, bare, unknown] = await Promise.all([
      adminCommand(
        'create-user',
        'vendor.cli',
        '--role',
        'installer',
        '--devices',
        sensor.id,
        '--profiles',
        'streetlight',
      ),
      adminCommand('create-user', 'vendor.bare', '--role', 'installer'),
      adminCommand('create-user', 'vendor.typo2', '--role', 'installer', '--devices', 'ha-aq-0000'),
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(new RegExp(`profiles:streetlight devices:${sensor.id}`));
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/an installer needs --devices or --profiles/);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no device ha-aq-0000/);

    const users = await app.request('GET', '/api/v1/users', admin);
    expect(users.body.items.find((u: { username: string }) => u.username === 'vendor.cli')).toMatchObject({
      role: 'installer',
      devices: { profiles: ['streetlight'], devices: [sensor.id] },
    });
    const listed = await adminCommand('list-users');
    expect(listed.stdout).toMatch(
      /vendor\.cli\s+installer\s+không \/ no\s+profiles:streetlight devices:ha-aq-9811/,
    );
  });
});
