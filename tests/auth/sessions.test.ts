// Accounts and sessions: admins manage users, a logout or a disabled account ends tokens at once,
// failed logins are throttled, roles apply on the next request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
let admin: Record<string, string>;
const password = 'mat-khau-du-dai-2026';

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.login();
});
afterAll(async () => app.close());

describe('accounts', () => {
  it('lets an admin create a user who can then log in; passwords are stored hashed', async () => {
    const created = await app.request('POST', '/api/v1/users', admin, {
      username: 'nguyen.van.a',
      password,
      role: 'viewer',
    });
    expect(created).toEqual({
      status: 201,
      body: { username: 'nguyen.van.a', role: 'viewer', scope: 'all', devices: null },
    });
    const stored = await app.pool.query("SELECT password_hash FROM users WHERE username = 'nguyen.van.a'");
    expect(stored.rows[0].password_hash).toMatch(/^scrypt\$65536\$8\$1\$/);
    expect(
      (
        await app.request('POST', '/api/v1/users', admin, {
          username: 'nguyen.van.a',
          password,
          role: 'viewer',
        })
      ).status,
    ).toBe(409);
    const weak = await app.request('POST', '/api/v1/users', admin, {
      username: 'weak.user',
      password: 'short',
      role: 'viewer',
    });
    expect(weak.body.error.message).toMatch(/password: at least 12 characters/);
    const list = await app.request('GET', '/api/v1/users', admin);
    expect(list.body.items.map((u: any) => u.username)).toEqual(['admin', 'nguyen.van.a']);
    expect(JSON.stringify(list.body)).not.toMatch(/scrypt/);
  });

  it('applies a role change on the next request, without a new login', async () => {
    const user = await app.login('nguyen.van.a', password);
    expect((await app.request('GET', '/api/v1/alerts/summary', user)).status).toBe(200);
    expect((await app.request('POST', '/api/v1/alerts/1/ack', user, {})).status).toBe(403);
    await app.request('PATCH', '/api/v1/users/nguyen.van.a', admin, { role: 'operator' });
    expect((await app.request('POST', '/api/v1/alerts/1/ack', user, {})).status).toBe(404); // allowed now; no such alert
  });

  it('ends every session on logout, and when an admin disables the account', async () => {
    const first = await app.login('nguyen.van.a', password);
    const second = await app.login('nguyen.van.a', password);
    expect((await app.request('POST', '/api/v1/auth/logout', first)).status).toBe(204);
    const after = await app.request('GET', '/api/v1/devices', second);
    expect(after).toMatchObject({
      status: 401,
      body: { error: { code: 'UNAUTHENTICATED', message: expect.stringMatching(/session has ended/) } },
    });

    const third = await app.login('nguyen.van.a', password);
    await app.request('PATCH', '/api/v1/users/nguyen.van.a', admin, { disabled: true });
    expect((await app.request('GET', '/api/v1/devices', third)).status).toBe(401);
    await expect(app.login('nguyen.van.a', password)).rejects.toThrow(/401/);
  });

  it('does not let an admin lock themselves out', async () => {
    const res = await app.request('PATCH', '/api/v1/users/admin', admin, { role: 'viewer' });
    expect(res.body.error.code).toBe('CONFLICT');
  });

  it('changes your own password only with the current one', async () => {
    await app.request('POST', '/api/v1/users', admin, { username: 'tran.thi.b', password, role: 'viewer' });
    const me = await app.login('tran.thi.b', password);
    const wrong = await app.request('POST', '/api/v1/auth/password', me, {
      currentPassword: 'not-it',
      newPassword: 'mot-mat-khau-moi-2026',
    });
    expect(wrong.status).toBe(401);
    const ok = await app.request('POST', '/api/v1/auth/password', me, {
      currentPassword: password,
      newPassword: 'mot-mat-khau-moi-2026',
    });
    expect(ok.status).toBe(204);
    await expect(app.login('tran.thi.b', password)).rejects.toThrow(/401/);
    expect((await app.login('tran.thi.b', 'mot-mat-khau-moi-2026')).authorization).toMatch(/^Bearer /);
  });
});

describe('login throttling', () => {
  it('answers 429 with Retry-After after 10 failures for one user from one address', {
    timeout: 30_000,
  }, async () => {
    await app.request('POST', '/api/v1/users', admin, { username: 'le.van.c', password, role: 'viewer' });
    for (let i = 0; i < 10; i++) {
      expect(
        (
          await app.request(
            'POST',
            '/api/v1/auth/login',
            {},
            { username: 'le.van.c', password: `guess-${i}` },
          )
        ).status,
      ).toBe(401);
    }
    const res = await fetch(`${app.baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'le.van.c', password }),
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(800);
    expect(((await res.json()) as any).error.code).toBe('RATE_LIMITED');
    // Other users are not affected.
    expect((await app.login()).authorization).toMatch(/^Bearer /);
  });
});
