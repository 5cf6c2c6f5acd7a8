// Getting in without the right to: expired, forged, unsigned and tampered tokens; a viewer or an
// operator on routes above their role; a user trying to raise their own role; guessing passwords until
// the account locks. Each is refused with the error shape, and lands in the audit log or the metrics.
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, testAdminPassword } from '../helpers/app.ts';
import { eventually } from '../helpers/mqtt.ts';

const jwtSecret = 'k3Jq9vR2xL7pT4wZ8mN6bY1cF5hG0dS-escalation';
let app: TestApp;
let admin: Record<string, string>;
let operator: Record<string, string>;
let viewer: Record<string, string>;

beforeAll(async () => {
  app = await startTestApp({ JWT_SECRET: jwtSecret, LOGIN_LOCKOUT_FAILURES: '4', LOGIN_LOCKOUT_S: '600' });
  admin = await app.login();
  operator = await app.loginAs('operator');
  viewer = await app.loginAs('viewer');
});
afterAll(async () => app.close());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const token = (
  claims: { sub?: string; ver?: number; exp?: number | string; iss?: string },
  key = jwtSecret,
) => {
  const jwt = new SignJWT({ ver: claims.ver ?? 0 })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(claims.iss ?? 'city-ioc')
    .setIssuedAt();
  if (claims.sub) jwt.setSubject(claims.sub);
  jwt.setExpirationTime(claims.exp ?? '1h');
  return jwt.sign(new TextEncoder().encode(key));
};
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('tokens', () => {
  it('accepts a token signed with our key for a real account (the control case)', async () => {
    const res = await app.request('GET', '/api/v1/users', bearer(await token({ sub: 'admin' })));
    expect(res.status).toBe(200);
  });

  it.each([
    ['an expired token', () => token({ sub: 'admin', exp: Math.floor(Date.now() / 1000) - 60 })],
    ['a token signed with another key', () => token({ sub: 'admin' }, 'someone-elses-key-0123456789abcdef')],
    ['a token from another issuer', () => token({ sub: 'admin', iss: 'not-the-ioc' })],
    ['a token without a subject', () => token({})],
    ['a token for a user that does not exist', () => token({ sub: 'ghost' })],
    ['a token from before the last logout (old session version)', () => token({ sub: 'admin', ver: -1 })],
    [
      'an unsigned token (alg none)',
      async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'admin', iss: 'city-ioc', ver: 0 })}.`,
    ],
    [
      "a viewer's token with its payload swapped for the admin's",
      async () => {
        const [header, , signature] = (viewer.authorization ?? '').slice(7).split('.');
        const claims = { sub: 'admin', iss: 'city-ioc', ver: 0, exp: Math.floor(Date.now() / 1000) + 3600 };
        return `${header}.${b64(claims)}.${signature}`;
      },
    ],
    ['garbage', async () => 'not.a.jwt'],
  ])('refuses %s with 401 UNAUTHENTICATED', async (_name, make) => {
    const res = await app.request('GET', '/api/v1/users', bearer(await make()));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
    expect(res.body.error.message).toMatch(/log in/);
  });

  it('keeps a forged token used on an admin action in the audit log, with the user it claimed', async () => {
    const forged = await token({ sub: 'admin' }, 'someone-elses-key-0123456789abcdef');
    await app.request('POST', '/api/v1/users', bearer(forged), {
      username: 'intruder',
      password: 'intruder-password-1',
      role: 'admin',
    });
    // Nobody was identified: the attempt is counted per minute, and flush writes the count at once.
    const { rows } = await eventually(
      async () => {
        await app.audit.flush();
        return app.pool.query(
          "SELECT outcome, details FROM audit_log WHERE action = 'POST /api/v1/users' AND actor IS NULL",
        );
      },
      (r) => r.rows.length === 1,
    );
    expect(rows[0]).toMatchObject({
      outcome: 'denied',
      details: { count: 1, claimedUsers: { admin: 1 }, errors: { UNAUTHENTICATED: 1 } },
    });
    expect((await app.pool.query("SELECT 1 FROM users WHERE username = 'intruder'")).rowCount).toBe(0);
  });
});

describe('roles', () => {
  const adminOnly: Array<[string, string, unknown?]> = [
    ['GET', '/api/v1/users'],
    ['POST', '/api/v1/users', { username: 'sneaky', password: 'sneaky-password-1', role: 'admin' }],
    ['PATCH', '/api/v1/users/operator', { role: 'admin' }],
    ['GET', '/api/v1/audit'],
    ['POST', '/api/v1/devices', { id: 'tn-p1-env-9999' }],
    ['DELETE', '/api/v1/devices/tn-p1-env-9999'],
    ['POST', '/api/v1/devices/tn-p1-env-9999/credentials'],
    ['POST', '/api/v1/fleets/tay-ninh/load', {}],
    ['POST', '/api/v1/rules', {}],
    ['DELETE', '/api/v1/rules/1'],
    ['POST', '/api/v1/webhooks', {}],
  ];

  it.each(adminOnly)('refuses an operator on %s %s (403), and audits it', async (method, path, body) => {
    const res = await app.request(method, path, operator, body);
    expect(res.status).toBe(403);
    expect(res.body.error).toEqual({
      code: 'FORBIDDEN',
      message: 'this needs the admin role; you are operator',
    });
    await eventually(
      async () =>
        (
          await app.pool.query(
            "SELECT 1 FROM audit_log WHERE actor = 'operator' AND outcome = 'denied' AND status = 403 AND action LIKE $1",
            [`${method} %`],
          )
        ).rowCount ?? 0,
      (n) => n > 0,
    );
  });

  it('refuses a viewer on operator work: acknowledging, resolving, commands, dead letters', async () => {
    for (const [method, path] of [
      ['POST', '/api/v1/alerts/1/ack'],
      ['POST', '/api/v1/alerts/1/resolve'],
      ['POST', '/api/v1/devices/tn-p1-env-9999/commands'],
      ['GET', '/api/v1/dead-letters'],
    ] as const) {
      const res = await app.request(method, path, viewer, method === 'POST' ? {} : undefined);
      expect(res.status, path).toBe(403);
    }
  });

  it('does not let a user raise their own role', async () => {
    // Not through the admin route...
    expect((await app.request('PATCH', '/api/v1/users/operator', operator, { role: 'admin' })).status).toBe(
      403,
    );
    // ...nor by slipping a role into their own password change...
    const sneaky = await app.request('POST', '/api/v1/auth/password', operator, {
      currentPassword: testAdminPassword,
      newPassword: 'a-new-password-123',
      role: 'admin',
    });
    expect(sneaky.status).toBe(400);
    // ...nor into a login.
    const login = await app.request(
      'POST',
      '/api/v1/auth/login',
      {},
      {
        username: 'operator',
        password: testAdminPassword,
        role: 'admin',
      },
    );
    expect(login.status).toBe(400);
    const { rows } = await app.pool.query("SELECT role FROM users WHERE username = 'operator'");
    expect(rows[0].role).toBe('operator');
    // The role is read from the account on every request, not from the token: a token cannot carry one.
    expect((await app.request('GET', '/api/v1/users', operator)).status).toBe(403);
  });

  it('does not let an admin demote themselves: another admin must', async () => {
    const res = await app.request('PATCH', '/api/v1/users/admin', admin, { role: 'viewer' });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/ask another admin/);
  });
});

describe('password guessing', () => {
  it('locks the account after LOGIN_LOCKOUT_FAILURES, even against the right password, until an admin resets it', async () => {
    await app.loginAs('viewer');
    for (let i = 0; i < 4; i++) {
      const res = await app.request(
        'POST',
        '/api/v1/auth/login',
        {},
        { username: 'viewer', password: `guess-${i}` },
      );
      expect(res.status).toBe(401);
    }
    const locked = await fetch(`${app.baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'viewer', password: testAdminPassword }),
    });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(500);
    const body = (await locked.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('ACCOUNT_LOCKED');
    expect(body.error.message).toMatch(/ask an admin to reset its password/);

    // Failed logins are counted per address and minute (flush writes them at once), with who was tried.
    await app.audit.flush();
    const { rows: audited } = await app.pool.query<{ outcome: string; tried: number; locked: number }>(
      `SELECT outcome, sum((details->'claimedUsers'->>'viewer')::int)::int AS tried,
              sum(coalesce((details->'errors'->>'ACCOUNT_LOCKED')::int, 0))::int AS locked
       FROM audit_log WHERE action = 'auth.login' AND details->'claimedUsers' ? 'viewer' GROUP BY outcome`,
    );
    expect(audited.find((r) => r.outcome === 'failure')?.tried).toBeGreaterThanOrEqual(4);
    expect(audited.find((r) => r.outcome === 'denied')?.locked).toBeGreaterThanOrEqual(1);

    expect(
      (await app.request('PATCH', '/api/v1/users/viewer', admin, { password: 'viewer-reset-password' }))
        .status,
    ).toBe(204);
    expect(
      (
        await app.request(
          'POST',
          '/api/v1/auth/login',
          {},
          { username: 'viewer', password: 'viewer-reset-password' },
        )
      ).status,
    ).toBe(200);
  });

  it('answers an unknown user exactly like a wrong password', async () => {
    const unknown = await app.request(
      'POST',
      '/api/v1/auth/login',
      {},
      { username: 'nobody-here', password: 'x' },
    );
    const wrong = await app.request('POST', '/api/v1/auth/login', {}, { username: 'admin', password: 'x' });
    expect(unknown).toEqual(wrong);
  });
});
