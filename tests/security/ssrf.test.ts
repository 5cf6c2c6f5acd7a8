// Webhooks as a way into the city's network: an admin (or whoever holds an admin's token) points a
// webhook at the server itself, a private address or the cloud's metadata service, and reads the
// delivery log to learn which ports answer. A real listener on loopback must receive nothing; the
// allow-list lets a city's own receiver in.
import { lookup } from 'node:dns/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signature } from '../../src/alerts/webhooks.ts';
import { createOutboundPolicy, isForbiddenAddress } from '../../src/net/outbound.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

interface Listener {
  server: Server;
  port: number;
  received: Array<{ url: string; headers: IncomingMessage['headers']; body: string }>;
}

async function listen(
  host: string,
  answer: (req: IncomingMessage) => { status: number; headers?: Record<string, string> } = () => ({
    status: 204,
  }),
): Promise<Listener> {
  const received: Listener['received'] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body });
      const { status, headers } = answer(req);
      res.writeHead(status, headers).end();
    });
  });
  await new Promise<void>((ok) => server.listen(0, host, () => ok()));
  return { server, port: (server.address() as { port: number }).port, received };
}

let app: TestApp;
let allowed: TestApp;
let admin: Record<string, string>;
let allowedAdmin: Record<string, string>;
let trap: Listener;
let trap6: Listener;

beforeAll(async () => {
  [app, allowed, trap, trap6] = await Promise.all([
    startTestApp(),
    startTestApp({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' }),
    listen('127.0.0.1'),
    listen('::1'),
  ]);
  [admin, allowedAdmin] = await Promise.all([app.login(), allowed.login()]);
}, 60_000);
afterAll(async () => {
  trap?.server.close();
  trap6?.server.close();
  await Promise.all([app?.close(), allowed?.close()]);
});

const evilUrls = () => [
  `http://127.0.0.1:${trap.port}/hook`,
  `http://[::1]:${trap6.port}/hook`,
  `http://localhost:${trap.port}/hook`,
  `http://LOCALHOST.:${trap.port}/hook`,
  `http://0x7f000001:${trap.port}/hook`,
  `http://2130706433:${trap.port}/hook`,
  `http://127.1:${trap.port}/hook`,
  `http://0177.0.0.1:${trap.port}/hook`,
  `http://[::ffff:127.0.0.1]:${trap.port}/hook`,
  `http://0.0.0.0:${trap.port}/hook`,
  'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
  'http://[fd00:ec2::254]/latest/meta-data/',
  'http://10.0.0.5:5432/',
  'http://192.168.1.1/admin',
  'http://100.100.100.200/latest/meta-data/',
];

/** An alert of the severity every webhook wants, and one pass of the real server's notifier. */
async function alertAndDeliver(target: TestApp): Promise<number> {
  const { rows } = await target.pool.query<{ id: number }>(
    `INSERT INTO alerts (rule_id, device_id, kind, city, ward, severity, state, message_vi, message_en, opened_at, last_seen_at)
     SELECT id, 'tn-ssrf-1', 'camera', 'tay-ninh', 'phuong-tan-ninh', 'critical', 'resolved', 'thử', 'test', now(), now()
     FROM alert_rules ORDER BY id LIMIT 1 RETURNING id::int`,
  );
  const alert = { id: rows[0]!.id, severity: 'critical', kind: 'camera' };
  await target.alerts.webhookQueries.enqueue(alert, 'opened', { event: 'alert.opened', alert });
  await target.alerts.webhooks.deliverDue();
  return alert.id;
}

async function deliveriesOf(target: TestApp, headers: Record<string, string>, webhookId: number) {
  const log = await target.request('GET', `/api/v1/webhooks/${webhookId}/deliveries`, headers);
  expect(log.status).toBe(200);
  return log.body.items as Array<{ state: string; lastStatus: number | null; lastError: string | null }>;
}

describe('webhook URLs that reach the server or its network', () => {
  it('are refused at creation when the address is in the URL, with a reason', async () => {
    for (const url of evilUrls()) {
      const res = await app.request('POST', '/api/v1/webhooks', admin, {
        name: 'scan',
        url,
        secret: 'a-webhook-secret-of-enough-length',
        severities: ['critical'],
      });
      expect(res.status, url).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.error.message, url).toMatch(/WEBHOOK_ALLOWED_HOSTS/);
    }
    expect((await app.pool.query('SELECT count(*)::int AS n FROM webhooks')).rows[0].n).toBe(0);
    expect(trap.received).toHaveLength(0);
  });

  it('are refused at delivery too, after DNS, when the row got past creation (older rows, changed DNS)', async () => {
    const urls = evilUrls();
    // A name only DNS knows to be loopback: this machine's own, where /etc/hosts maps it so.
    const own = await lookup(hostname(), { all: true }).catch(() => []);
    if (own.length > 0 && own.every((a) => isForbiddenAddress(a.address)))
      urls.push(`http://${hostname()}:${trap.port}/hook`);
    const { rows } = await app.pool.query<{ id: number; url: string }>(
      `INSERT INTO webhooks (name, url, secret, severities) SELECT 'old', u, 'a-webhook-secret-of-enough-length', '{critical}'
       FROM unnest($1::text[]) AS u RETURNING id, url`,
      [urls],
    );
    await alertAndDeliver(app);
    for (const { id, url } of rows) {
      const [delivery] = await deliveriesOf(app, admin, id);
      expect(delivery, url).toMatchObject({ attempts: 1, lastStatus: null, lastError: 'refused by policy' });
    }
    expect(trap.received).toHaveLength(0);
    expect(trap6.received).toHaveLength(0);
    await app.pool.query('DELETE FROM webhooks');
  });

  it('checks every resolved address, IPv4 inside IPv6 included', () => {
    for (const address of [
      '127.0.0.1',
      '127.255.0.9',
      '10.1.2.3',
      '172.31.255.255',
      '192.168.0.1',
      '100.64.0.1',
      '169.254.169.254',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::',
      '::1',
      '::ffff:127.0.0.1',
      '::ffff:a9fe:a9fe',
      '64:ff9b::a00:1',
      '2002:7f00:1::',
      'fc00::1',
      'fd12:3456::1',
      'fe80::1%eth0',
      'ff02::1',
    ])
      expect(isForbiddenAddress(address), address).toBe(true);
    for (const address of ['203.162.4.191', '8.8.8.8', '2001:4860:4860::8888', '::ffff:8.8.8.8'])
      expect(isForbiddenAddress(address), address).toBe(false);
    const policy = createOutboundPolicy(['10.20.0.0/24', 'alerts.city.local']);
    expect(policy.allows('x.example', '10.20.0.7')).toBe(true);
    expect(policy.allows('x.example', '10.20.1.7')).toBe(false);
    expect(policy.allows('ALERTS.city.local.', '192.168.9.9')).toBe(true);
  });
});

describe('with the allow-list naming 127.0.0.1', () => {
  const secret = 'a-webhook-secret-of-enough-length';
  const create = async (url: string) => {
    const res = await allowed.request('POST', '/api/v1/webhooks', allowedAdmin, {
      name: 'city receiver',
      url,
      secret,
      severities: ['critical'],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as number;
  };
  const remove = (id: number) => allowed.request('DELETE', `/api/v1/webhooks/${id}`, allowedAdmin);

  it('delivers to the listed receiver, signed', async () => {
    const receiver = await listen('127.0.0.1');
    const id = await create(`http://127.0.0.1:${receiver.port}/hook`);
    const alertId = await alertAndDeliver(allowed);
    receiver.server.close();
    await remove(id);
    expect(receiver.received).toHaveLength(1);
    const [got] = receiver.received;
    expect(JSON.parse(got!.body)).toMatchObject({ event: 'alert.opened', alert: { id: alertId } });
    expect(got!.headers['x-ioc-signature']).toBe(
      signature(secret, String(got!.headers['x-ioc-timestamp']), got!.body),
    );
    // Other loopback addresses stay refused: the list names one address, not the range.
    const other = await allowed.request('POST', '/api/v1/webhooks', allowedAdmin, {
      name: 'x',
      url: 'http://127.0.0.2/hook',
      secret,
    });
    expect(other.status).toBe(400);
  });

  it('does not follow a redirect from the listed receiver to another internal address', async () => {
    const trap2 = await listen('127.0.0.2');
    const redirector = await listen('127.0.0.1', (req) => ({
      status: 302,
      headers: {
        location: req.url?.includes('meta')
          ? 'http://169.254.169.254/latest/meta-data/'
          : `http://127.0.0.2:${trap2.port}/stolen`,
      },
    }));
    const ids = [
      await create(`http://127.0.0.1:${redirector.port}/hook`),
      await create(`http://127.0.0.1:${redirector.port}/meta`),
    ];
    await alertAndDeliver(allowed);
    redirector.server.close();
    trap2.server.close();
    for (const id of ids) {
      const [delivery] = await deliveriesOf(allowed, allowedAdmin, id);
      expect(delivery).toMatchObject({
        state: 'pending',
        lastStatus: 302,
        lastError: 'HTTP 302 (redirects are not followed)',
      });
      await remove(id);
    }
    expect(redirector.received).toHaveLength(2);
    expect(trap2.received).toHaveLength(0);
  });

  it('logs a closed port as "unreachable", nothing of the operating system error', async () => {
    const gone = await listen('127.0.0.1');
    gone.server.close();
    await new Promise((ok) => gone.server.once('close', ok));
    const id = await create(`http://127.0.0.1:${gone.port}/hook`);
    await alertAndDeliver(allowed);
    const [delivery] = await deliveriesOf(allowed, allowedAdmin, id);
    await remove(id);
    expect(delivery, JSON.stringify(delivery)).toMatchObject({ lastStatus: null, lastError: 'unreachable' });
  });
});

describe('webhook fields', () => {
  it('are bounded: secret, name, URL, lists', async () => {
    const valid = {
      name: 'PCCC',
      url: 'https://hooks.example.org/ioc',
      secret: 'a-webhook-secret-of-enough-length',
      severities: ['critical'],
    };
    for (const [field, value] of [
      ['secret', 's'.repeat(257)],
      ['secret', 's'.repeat(1_000_000)],
      ['name', 'n'.repeat(201)],
      ['url', `https://hooks.example.org/${'a'.repeat(2_048)}`],
      ['kinds', Array(101).fill('camera')],
    ] as const) {
      const res = await app.request('POST', '/api/v1/webhooks', admin, { ...valid, [field]: value });
      expect(res.status, field).toBeGreaterThanOrEqual(400);
      expect(res.status, field).toBeLessThan(500);
    }
    expect((await app.pool.query('SELECT count(*)::int AS n FROM webhooks')).rows[0].n).toBe(0);
  });
});
