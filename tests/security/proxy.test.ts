// The client's address behind a reverse proxy (TRUST_PROXY). As in the compose layout, the proxy has
// an address of its own: here it connects from 127.0.0.2 and sets X-Forwarded-For as Caddy does,
// while a client that reaches the IOC around it connects from 127.0.0.1. The IOC believes the header
// from the proxy only, so the audit log and the login throttle see the real client behind it, and a
// client cannot pick its own address with a forged header.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { startTestApp, type TestApp, testAdminPassword } from '../helpers/app.ts';

const proxyAddress = '127.0.0.2';
const direct = '127.0.0.1';

/** POST /api/v1/auth/login from a local address, with an X-Forwarded-For header when given. */
function login(
  app: TestApp,
  password: string,
  from: string,
  forwardedFor?: string,
): Promise<{ status: number; body: { code?: string } }> {
  const body = JSON.stringify({ username: 'admin', password });
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: app.httpPort,
        localAddress: from,
        method: 'POST',
        path: '/api/v1/auth/login',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : {} }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The addresses the audit log recorded for logins, oldest first: each success, and the failures
 * counted per address (written by flush, before the helper's own login adds a row).
 */
async function loginAddresses(app: TestApp): Promise<string[]> {
  await app.audit.flush();
  const headers = await app.login();
  const { body } = await app.request('GET', '/api/v1/audit?action=auth.login&limit=1000', headers);
  return (body.items as { ip: string }[]).map((i) => i.ip).reverse();
}

// Failures of the pair (admin, address) before that pair waits (src/auth/index.ts).
const pairFailures = 10;
// Far above the failures here, so the account's own lockout never comes into it.
const lockout = { LOGIN_LOCKOUT_FAILURES: '1000' };

describe('TRUST_PROXY', () => {
  it('takes false, true, or addresses and CIDR ranges, and refuses anything else (a hop count too)', () => {
    const parse = (value: string) => loadConfig({ TRUST_PROXY: value }).TRUST_PROXY;
    expect(loadConfig({}).TRUST_PROXY).toBe(false);
    expect(parse('false')).toBe(false);
    expect(parse('true')).toBe(true);
    expect(parse('10.0.0.5, 10.0.1.0/24,fd00::/8,::1, loopback')).toEqual([
      '10.0.0.5',
      '10.0.1.0/24',
      'fd00::/8',
      '::1',
      'loopback',
    ]);
    for (const wrong of ['1', '10.0.0.300', '10.0.0.0/33', 'proxy.local', '10.0.0.5/8/8', ',']) {
      const error = (() => {
        try {
          parse(wrong);
        } catch (e) {
          return e;
        }
      })();
      expect(error, wrong).toBeInstanceOf(ConfigError);
      expect((error as Error).message, wrong).toMatch(/TRUST_PROXY/);
    }
  });
});

describe('behind a trusted proxy (TRUST_PROXY set to its address)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ TRUST_PROXY: proxyAddress, ...lockout });
  });
  afterAll(() => app?.close());

  it("records the forwarded client's address in the audit log, not the proxy's", async () => {
    expect((await login(app, testAdminPassword, proxyAddress, '203.0.113.7')).status).toBe(200);
    // A client's own forged entry comes first; the proxy appends the address it saw, which counts.
    expect((await login(app, 'wrong-password-1234', proxyAddress, '198.51.100.1, 203.0.113.8')).status).toBe(
      401,
    );
    // Around the proxy, a forged header is ignored: the connection's own address is recorded.
    expect((await login(app, 'wrong-password-1234', direct, '203.0.113.9')).status).toBe(401);
    const addresses = await loginAddresses(app);
    expect(addresses.slice(0, 3)).toEqual(['203.0.113.7', '203.0.113.8', direct]);
  });

  it('throttles the client behind the proxy, not everyone who shares it', async () => {
    const attacker = '203.0.113.66';
    for (let i = 0; i < pairFailures; i++)
      expect((await login(app, 'wrong-password-1234', proxyAddress, attacker)).status).toBe(401);
    const refused = await login(app, testAdminPassword, proxyAddress, attacker);
    expect(refused.status).toBe(429);
    // Another operator behind the same proxy logs in as usual.
    expect((await login(app, testAdminPassword, proxyAddress, '203.0.113.67')).status).toBe(200);
  });
});

describe('without TRUST_PROXY (the default)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ ...lockout });
  });
  afterAll(() => app?.close());

  it('ignores X-Forwarded-For: the audit log records the connecting address', async () => {
    expect((await login(app, testAdminPassword, proxyAddress, '203.0.113.7')).status).toBe(200);
    expect((await login(app, 'wrong-password-1234', proxyAddress, '203.0.113.8')).status).toBe(401);
    expect((await loginAddresses(app)).slice(0, 2)).toEqual([proxyAddress, proxyAddress]);
  });

  it('does not let a forged header dodge the login throttle', async () => {
    for (let i = 0; i < pairFailures; i++)
      expect((await login(app, 'wrong-password-1234', direct, `198.51.100.${i + 1}`)).status).toBe(401);
    const refused = await login(app, testAdminPassword, direct, '198.51.100.200');
    expect(refused.status).toBe(429);
  });
});
