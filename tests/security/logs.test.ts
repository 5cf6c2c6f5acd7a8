// Secrets never reach the log: the whole app runs at trace level with its output captured while
// passwords, tokens, device secrets and API keys go through every path that handles them, failures
// included; not one of them may appear in what was written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, redactSecrets } from '../../src/log.ts';
import { startTestApp, type TestApp, testAdminPassword } from '../helpers/app.ts';
import { connectDevice } from '../helpers/mqtt.ts';

const lines: string[] = [];
const sink = { write: (line: string) => void lines.push(line) };
const jwtSecret = 'Zr8uQ2mV5xK9tB3nL7wC1pF6hJ0gD4sA-logs-test';
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ LOG_LEVEL: 'trace', JWT_SECRET: jwtSecret }, { logDestination: sink });
});
afterAll(async () => app.close());

describe('secrets in logs', () => {
  it('never writes a password, token, device secret or API key, whatever the app does with them', async () => {
    const secrets: string[] = [testAdminPassword, jwtSecret];
    const admin = await app.login();
    secrets.push(admin.authorization!.slice('Bearer '.length));
    await app.request(
      'POST',
      '/api/v1/auth/login',
      {},
      { username: 'admin', password: 'wrong-but-secret-guess-1' },
    );
    secrets.push('wrong-but-secret-guess-1');
    await app.request('POST', '/api/v1/users', admin, {
      username: 'truc-ban',
      password: 'operator-secret-pass-9',
      role: 'operator',
    });
    secrets.push('operator-secret-pass-9');
    const created = await app.request('POST', '/api/v1/devices', admin, {
      id: 'ha-ma-fire-9951',
      kind: 'fire',
      city: 'hoi-an',
      ward: 'phuong-hoi-an',
      lat: 15.877,
      lon: 108.328,
      name: 'Báo cháy thử log',
    });
    secrets.push(created.body.credentials.secret);
    const rotated = await app.request('POST', '/api/v1/devices/ha-ma-fire-9951/credentials', admin);
    secrets.push(rotated.body.secret);
    const device = await connectDevice(app.mqttUrl, 'ha-ma-fire-9951', rotated.body.secret);
    device.end(true);
    await expect(
      connectDevice(app.mqttUrl, 'ha-ma-fire-9951', created.body.credentials.secret),
    ).rejects.toThrow();
    // Credentials on requests that fail: an unknown route, a forged token, an API key where none fits.
    await app.request('GET', '/api/v1/nowhere', { ...admin, cookie: 'session=cookie-secret-value-1' });
    await app.request('GET', '/api/v1/devices', { 'x-api-key': 'api-key-secret-value-1' });
    secrets.push('cookie-secret-value-1', 'api-key-secret-value-1');
    await app.request('POST', '/api/v1/auth/password', admin, {
      currentPassword: testAdminPassword,
      newPassword: 'admin-new-secret-pass-2',
    });
    secrets.push('admin-new-secret-pass-2');

    const written = lines.join('');
    expect(lines.length).toBeGreaterThan(10); // trace level really wrote things
    for (const secret of secrets)
      expect(written, `a secret of ${secret.length} characters`).not.toContain(secret);
  }, 120_000); // a dozen scrypt hashes: slow on a loaded machine

  it('redacts secret fields and headers wherever a careless log line puts them', () => {
    const captured: string[] = [];
    const log = createLogger('info', { write: (line: string) => void captured.push(line) });
    log.info(
      {
        password: 'p1',
        user: { password: 'p2', token: 't1' },
        body: { device: { secret: 's1' } },
        req: { headers: { authorization: 'Bearer b1', cookie: 'c1', 'x-api-key': 'k1' } },
        res: { headers: { 'set-cookie': 'c2' } },
      },
      'careless',
    );
    const line = JSON.parse(captured[0]!);
    expect(JSON.stringify(line)).not.toMatch(/p1|p2|t1|s1|b1|c1|k1|c2/);
    expect(line.req.headers.authorization).toBe('[redacted]');
  });

  it('redacts secrets kept in audit details at any depth', () => {
    expect(
      redactSecrets({ username: 'a', password: 'x', nested: [{ newPassword: 'y', apiKey: 'z', keep: 1 }] }),
    ).toEqual({
      username: 'a',
      password: '[redacted]',
      nested: [{ newPassword: '[redacted]', apiKey: '[redacted]', keep: 1 }],
    });
  });
});
