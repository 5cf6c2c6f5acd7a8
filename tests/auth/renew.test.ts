// A session renews without the password while it is valid, and not once it has ended: the wall
// display's way to stay up without weakening logout, password changes or disabled accounts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
}, 60_000);
afterAll(async () => {
  await app?.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('POST /api/v1/auth/renew', () => {
  it('gives a still-valid session a new token that works, with a later expiry', async () => {
    const login = await app.request(
      'POST',
      '/api/v1/auth/login',
      {},
      { username: 'admin', password: 'test-admin-password-1234' },
    );
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // a later second, so a later expiry
    const renewed = await app.request('POST', '/api/v1/auth/renew', bearer(login.body.token));
    expect(renewed.status).toBe(200);
    expect(renewed.body).toMatchObject({ role: 'admin' });
    expect(renewed.body.token).not.toBe(login.body.token);
    expect(Date.parse(renewed.body.expiresAt)).toBeGreaterThan(Date.parse(login.body.expiresAt));
    expect((await app.request('GET', '/api/v1/devices', bearer(renewed.body.token))).status).toBe(200);
  });

  it('refuses a session ended by a logout, and a token that is not one', async () => {
    await app.loginAs('viewer');
    const authorization = (await app.login('viewer', 'test-admin-password-1234')).authorization!;
    const ended = authorization.slice('Bearer '.length);
    await app.request('POST', '/api/v1/auth/logout', { authorization });
    const refused = await app.request('POST', '/api/v1/auth/renew', bearer(ended));
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('UNAUTHENTICATED');
    expect((await app.request('POST', '/api/v1/auth/renew', bearer('not-a-token'))).status).toBe(401);
    expect((await app.request('POST', '/api/v1/auth/renew')).status).toBe(401);
  });
});
