// The audit log: every operator and admin action and every refused access, with who, what, target,
// where from, when and how it ended; readable by admins only; append-only even for a superuser.
// Attempts by nobody identified (a failed login, a forged token) are counted per address and minute
// (tests/security/auditFlood.test.ts floods them); flush() writes the minute's counts at once.
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, testAdminPassword } from '../helpers/app.ts';
import { eventually } from '../helpers/mqtt.ts';

let app: TestApp;
let admin: Record<string, string>;
let operator: Record<string, string>;
const station = {
  id: 'tn-p1-env-9301',
  kind: 'environment',
  city: 'tay-ninh',
  ward: 'phuong-tan-ninh',
  lat: 11.31,
  lon: 106.1,
  name: 'Trạm kiểm toán',
};

type Entry = {
  id: number;
  at: string;
  actor: string | null;
  actorRole: string | null;
  action: string;
  target: string | null;
  ip: string;
  outcome: string;
  status: number | null;
  details: Record<string, unknown>;
};

/**
 * The audit entries matching a query string, waiting for an entry the hook writes after answering
 * (and writing the attempts counted so far, which otherwise wait for the minute's end).
 */
async function entries(query: string, atLeast = 1): Promise<Entry[]> {
  return eventually(
    async () => {
      await app.audit.flush();
      return (await app.request('GET', `/api/v1/audit?${query}`, admin)).body.items as Entry[];
    },
    (items) => items.length >= atLeast,
  );
}

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.login();
  operator = await app.loginAs('operator');
});
afterAll(async () => app.close());

describe('audit log', () => {
  it('records logins that succeed, and counts those that fail, with the address they came from', async () => {
    await app.request('POST', '/api/v1/auth/login', {}, { username: 'admin', password: 'wrong-password-1' });
    const failed = await entries('action=auth.login&outcome=failure');
    expect(failed[0]).toMatchObject({
      actor: null,
      action: 'auth.login',
      target: 'admin',
      ip: '127.0.0.1',
      outcome: 'failure',
      status: 401,
      details: {
        aggregated: true,
        count: 1,
        errors: { UNAUTHENTICATED: 1 },
        claimedUsers: { admin: 1 },
      },
    });
    const succeeded = await entries('action=auth.login&outcome=success&actor=operator');
    expect(succeeded[0]).toMatchObject({ actor: 'operator', actorRole: 'operator', status: 200 });
    expect(Date.now() - Date.parse(succeeded[0]!.at)).toBeLessThan(60_000);
  });

  it('records a logout', async () => {
    const viewer = await app.loginAs('viewer');
    expect((await app.request('POST', '/api/v1/auth/logout', viewer)).status).toBe(204);
    expect((await entries('action=auth.logout'))[0]).toMatchObject({
      actor: 'viewer',
      actorRole: 'viewer',
      outcome: 'success',
    });
  });

  it('records admin changes with their target and body, and never the secrets in them', async () => {
    const created = await app.request('POST', '/api/v1/devices', admin, station);
    expect(created.status).toBe(201);
    await app.request('POST', `/api/v1/devices/${station.id}/credentials`, admin);
    await app.request('POST', '/api/v1/users', admin, {
      username: 'ca-truc-2',
      password: 'a-new-operator-password',
      role: 'operator',
    });
    const [device] = await entries('action=POST%20/api/v1/devices');
    expect(device).toMatchObject({
      actor: 'admin',
      actorRole: 'admin',
      target: station.id,
      outcome: 'success',
      status: 201,
      details: { body: { id: station.id, ward: 'phuong-tan-ninh' } },
    });
    const [rotation] = await entries(`target=${station.id}&action=POST%20/api/v1/devices/:id/credentials`);
    expect(rotation).toMatchObject({ actor: 'admin', outcome: 'success', status: 200 });
    const [user] = await entries('action=POST%20/api/v1/users');
    expect(user!.details.body).toEqual({ username: 'ca-truc-2', password: '[redacted]', role: 'operator' });
    const everything = JSON.stringify((await app.request('GET', '/api/v1/audit?limit=1000', admin)).body);
    expect(everything).not.toContain('a-new-operator-password');
    expect(everything).not.toContain(created.body.credentials.secret);
  });

  it('records operator work on alerts and commands, including what failed', async () => {
    await app.request('POST', '/api/v1/alerts/999999/ack', operator, { note: 'đã kiểm tra' });
    expect((await entries('actor=operator&action=POST%20/api/v1/alerts/:id/ack'))[0]).toMatchObject({
      target: '999999',
      outcome: 'failure',
      status: 404,
      details: { error: 'NOT_FOUND', body: { note: 'đã kiểm tra' } },
    });
  });

  it('records refused accesses: an operator on an admin route, a forged token', async () => {
    expect((await app.request('DELETE', `/api/v1/devices/${station.id}`, operator)).status).toBe(403);
    // The entry is written after the answer has gone out: the next request waits for it, so the two
    // are stored in the order they happened.
    await entries('actor=operator&outcome=denied');
    expect((await app.request('GET', '/api/v1/audit', operator)).status).toBe(403);
    const denied = await entries('actor=operator&outcome=denied', 2);
    expect(denied.map((e) => e.action)).toEqual(['GET /api/v1/audit', 'DELETE /api/v1/devices/:id']);
    expect(denied[1]).toMatchObject({ target: station.id, status: 403, details: { error: 'FORBIDDEN' } });

    const forged = await new SignJWT({ ver: 0 })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('admin')
      .setIssuer('city-ioc')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('a key the attacker made up, not ours'));
    const res = await app.request('DELETE', `/api/v1/devices/${station.id}`, {
      authorization: `Bearer ${forged}`,
    });
    expect(res.status).toBe(401);
    // Nobody was identified: the attempt is counted, its count written as a row (newest first).
    const [entry] = await entries('outcome=denied&action=DELETE%20/api/v1/devices/:id', 2);
    expect(entry).toMatchObject({
      actor: null,
      target: station.id,
      status: 401,
      details: { aggregated: true, count: 1, errors: { UNAUTHENTICATED: 1 }, claimedUsers: { admin: 1 } },
    });
    // The device is still there.
    expect((await app.request('GET', `/api/v1/devices/${station.id}`, admin)).status).toBe(200);
  });

  it('does not write anonymous noise (no credentials at all), but counts it', async () => {
    const refused401 = async () =>
      (await app.metrics.httpRefused.get()).values.find((v) => v.labels.status === '401')?.value ?? 0;
    const before = (await app.pool.query('SELECT count(*)::int AS n FROM audit_log')).rows[0].n;
    const refusedBefore = await refused401();
    for (let i = 0; i < 5; i++) await app.request('POST', '/api/v1/devices', {}, station);
    // The hook counts a refusal after answering, and decides in the same step whether to write it:
    // once all five are counted, the audit has been given whatever it was going to get, and a flush
    // writes what it counted.
    expect(await eventually(refused401, (n) => n >= refusedBefore + 5)).toBe(refusedBefore + 5);
    await app.audit.flush();
    expect((await app.pool.query('SELECT count(*)::int AS n FROM audit_log')).rows[0].n).toBe(before);
  });

  it('is read by admins only, filtered and paged newest first', async () => {
    expect((await app.request('GET', '/api/v1/audit')).status).toBe(401);
    const first = await app.request('GET', '/api/v1/audit?limit=2', admin);
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    const [a, b] = first.body.items as Entry[];
    expect(a!.id).toBeGreaterThan(b!.id);
    const next = await app.request('GET', `/api/v1/audit?limit=2&before=${first.body.nextBefore}`, admin);
    expect((next.body.items as Entry[])[0]!.id).toBeLessThan(b!.id);
    const window = await app.request(
      'GET',
      `/api/v1/audit?from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`,
      admin,
    );
    expect(window.body.items).toEqual([]);
    expect((await app.request('GET', '/api/v1/audit?outcome=maybe', admin)).status).toBe(400);
  });

  it('cannot be changed or erased, not even by a superuser connection', async () => {
    await expect(app.pool.query("UPDATE audit_log SET actor = 'nobody'")).rejects.toThrow(/append-only/);
    await expect(app.pool.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
    await expect(app.pool.query('TRUNCATE audit_log')).rejects.toThrow(/append-only/);
    const { rows } = await app.pool.query("SELECT count(*)::int AS n FROM audit_log WHERE actor = 'admin'");
    expect(rows[0].n).toBeGreaterThan(0);
  });

  it('keeps a password change and an admin password reset without the passwords', async () => {
    await app.request('POST', '/api/v1/auth/password', operator, {
      currentPassword: testAdminPassword,
      newPassword: 'operator-new-password-2',
    });
    const [change] = await entries('actor=operator&action=POST%20/api/v1/auth/password');
    expect(change!.details.body).toEqual({ currentPassword: '[redacted]', newPassword: '[redacted]' });
  });
});
