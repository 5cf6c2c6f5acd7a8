// The admins' pages on the running system: health with the numbers /metrics shows, a backup started
// from the API and downloaded, the audit log by area and as CSV, a password reset and an unlock.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApp, startApp } from '../../src/app.ts';
import { createLogger } from '../../src/log.ts';
import { embeddedConfig, startTestApp, type TestApp, testAdminPassword } from '../helpers/app.ts';
import { connectDevice, eventually } from '../helpers/mqtt.ts';

let app: TestApp;
let admin: Record<string, string>;

beforeAll(async () => {
  app = await startTestApp({
    LOGIN_LOCKOUT_FAILURES: '3',
    LOGIN_LOCKOUT_S: '600',
  });
  admin = await app.login();
});
afterAll(async () => app.close());

/** A metric's value as /metrics prints it (no labels). */
async function scraped(name: string): Promise<number> {
  const text = await (await fetch(`${app.baseUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
}

describe('system health', () => {
  it('shows readiness, broker, database, disks and rules, the same numbers as /metrics', async () => {
    const device = await app.request('POST', '/api/v1/devices', admin, {
      id: 'sys-sl-0001',
      kind: 'streetlight',
      city: 'tay-ninh',
      ward: 'phuong-tan-ninh',
      lat: 11.3105,
      lon: 106.0982,
      name: 'Đèn kiểm tra',
    });
    const client = await connectDevice(app.mqttUrl, 'sys-sl-0001', device.body.credentials.secret);
    try {
      const res = await eventually(
        () => app.request('GET', '/api/v1/system/health', admin),
        (r) => r.body?.broker?.connections >= 1,
      );
      expect(res.status).toBe(200);
      const health = res.body;
      expect(health.readiness).toEqual((await app.request('GET', '/readyz')).body);
      expect(health).toMatchObject({
        status: 'ready',
        journal: { mode: 'idle', bytes: 0 },
        ingest: { degraded: false },
        broker: { ready: true, connections: 1 },
        database: { embedded: false },
        rules: { evaluating: true },
        backups: { lastSuccessAt: null, last: null, running: null },
        notifications: { failedLastHour: 0 },
      });
      expect(health.database.sizeBytes).toBeGreaterThan(1_000_000);
      expect(health.disks).toEqual([
        expect.objectContaining({
          volume: 'data',
          freeBytes: expect.any(Number),
          totalBytes: expect.any(Number),
        }),
      ]);
      expect(health.rules.lagSeconds).toBeLessThan(5);
      expect(await scraped('ioc_mqtt_clients')).toBe(health.broker.connections);
      expect(await scraped('ioc_notification_failures_last_hour')).toBe(0);
      expect(await scraped('ioc_database_size_bytes')).toBeGreaterThan(1_000_000);
    } finally {
      client.end(true);
    }
  });

  it('is for admins only', async () => {
    const operator = await app.loginAs('operator');
    expect((await app.request('GET', '/api/v1/system/health', operator)).status).toBe(403);
  });
});

describe('backups from the API', () => {
  // The default install (the embedded PostgreSQL, copied online): the kind of backup a newcomer has.
  let embedded: RunningApp;
  let dataDir: string;
  let base: string;
  let headers: Record<string, string>;
  const request = async (method: string, path: string, h = headers) => {
    const res = await fetch(`${base}${path}`, { method, headers: h });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ioc-admin-backup-'));
    embedded = await startApp(
      embeddedConfig(dataDir, { ADMIN_PASSWORD: testAdminPassword, INGEST_DEVICE_RATE_PER_S: '0' }),
      createLogger('silent'),
    );
    base = `http://127.0.0.1:${embedded.httpPort}`;
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: testAdminPassword }),
    });
    headers = { authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
  }, 120_000);
  afterAll(async () => {
    await embedded?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('runs one now (202), refuses a second while it runs, lists it and streams it to an admin, audited', {
    timeout: 120_000,
  }, async () => {
    const health = await request('GET', '/api/v1/system/health');
    expect(health.body.database.embedded).toBe(true);
    expect(health.body.disks.map((d: { volume: string }) => d.volume)).toEqual(['data', 'database']);

    const started = await request('POST', '/api/v1/backups');
    expect(started.status).toBe(202);
    expect(started.body.running).toMatchObject({ trigger: 'api', ok: null });
    const again = await request('POST', '/api/v1/backups');
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('CONFLICT');

    const listed = await eventually(
      () => request('GET', '/api/v1/backups'),
      (r) => r.body.running === null,
      100_000,
    );
    expect(listed.body.last).toMatchObject({ trigger: 'api', ok: true, error: null });
    const [file] = listed.body.items;
    expect(file).toMatchObject({ name: expect.stringMatching(/^ioc-.*\.tar\.gz$/), ok: true });
    expect(file.name).toBe(listed.body.last.file);

    const download = await fetch(`${base}/api/v1/backups/${file.name}`, { headers });
    expect(download.status).toBe(200);
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.length).toBe(file.bytes);
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);

    const after = await request('GET', '/api/v1/system/health');
    expect(after.body.backups).toMatchObject({ lastSizeBytes: file.bytes, last: { ok: true } });
    expect(after.body.backups.lastSuccessAt).not.toBeNull();

    const audit = await request(
      'GET',
      `/api/v1/audit?action=${encodeURIComponent('GET /api/v1/backups/:name')}`,
    );
    expect(audit.body.items[0]).toMatchObject({ actor: 'admin', target: file.name, outcome: 'success' });

    expect((await request('GET', '/api/v1/backups/ioc-2020-01-01_00-00-00.dump')).status).toBe(404);
    expect((await request('GET', '/api/v1/backups/..%2Fjwt-secret')).status).toBe(400);
    expect((await request('GET', `/api/v1/backups/${file.name}`, {})).status).toBe(401);
  });
});

describe('audit log', () => {
  it('filters by area and exports what it lists as CSV, the export itself audited', async () => {
    await app.request('POST', '/api/v1/devices', admin, {
      id: 'ha-audit-0001',
      kind: 'waste',
      city: 'hoi-an',
      ward: 'phuong-hoi-an',
      lat: 15.8801,
      lon: 108.338,
      name: 'Thùng rác kiểm tra',
    });
    const byArea = await app.request('GET', '/api/v1/audit?area=hoi-an', admin);
    expect(byArea.status).toBe(200);
    expect(byArea.body.items.map((e: { target: string }) => e.target)).toEqual(['ha-audit-0001']);
    const tayNinh = await app.request('GET', '/api/v1/audit?area=tay-ninh', admin);
    expect(tayNinh.body.items.map((e: { target: string }) => e.target)).toContain('sys-sl-0001');
    expect(tayNinh.body.items.map((e: { target: string }) => e.target)).not.toContain('ha-audit-0001');

    const res = await fetch(`${app.baseUrl}/api/v1/audit/export?area=hoi-an`, { headers: admin });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/attachment/);
    const [head, ...rows] = (await res.text()).replace('\uFEFF', '').trim().split('\r\n');
    expect(head).toBe('id,at,actor,actorRole,action,target,ip,outcome,status,details');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain('POST /api/v1/devices,ha-audit-0001');
    const exported = await app.request(
      'GET',
      `/api/v1/audit?action=${encodeURIComponent('GET /api/v1/audit/export')}`,
      admin,
    );
    expect(exported.body.items[0]).toMatchObject({
      actor: 'admin',
      details: { rows: 1, query: { area: 'hoi-an' } },
    });
  });
});

describe('users', () => {
  it('lists the last login; resets a password to a generated one that ends the old sessions', async () => {
    const old = await app.loginAs('operator');
    const users = await app.request('GET', '/api/v1/users', admin);
    const operator = users.body.items.find((u: { username: string }) => u.username === 'operator');
    expect(operator.lastLoginAt).toEqual(expect.any(String));

    const reset = await app.request('POST', '/api/v1/users/operator/password-reset', admin);
    expect(reset.status).toBe(200);
    expect(reset.body.password).toHaveLength(24);
    expect((await app.request('GET', '/api/v1/alerts', old)).status).toBe(401);
    await app.login('operator', reset.body.password);
    const audit = await app.request('GET', '/api/v1/audit?target=operator', admin);
    expect(JSON.stringify(audit.body)).not.toContain(reset.body.password);
    expect((await app.request('POST', '/api/v1/users/nobody/password-reset', admin)).status).toBe(404);
  });

  it('shows a lockout and lifts it', async () => {
    await app.loginAs('viewer');
    for (let i = 0; i < 3; i++)
      await app.request(
        'POST',
        '/api/v1/auth/login',
        {},
        { username: 'viewer', password: 'wrong-password-123' },
      );
    const locked = await app.request('GET', '/api/v1/users', admin);
    expect(
      locked.body.items.find((u: { username: string }) => u.username === 'viewer').lockedUntil,
    ).not.toBeNull();
    const unlock = await app.request('POST', '/api/v1/users/viewer/unlock', admin);
    expect(unlock.body).toEqual({ username: 'viewer', wasLocked: true });
    await app.login('viewer', testAdminPassword);
    const again = await app.request('POST', '/api/v1/users/viewer/unlock', admin);
    expect(again.body.wasLocked).toBe(false);
  });
});
