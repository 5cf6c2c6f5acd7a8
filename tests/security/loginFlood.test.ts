// Logins as an attack on everyone else, against the real server with its default login budgets:
// - a flood of logins with made-up usernames (each would cost 64 MiB of scrypt on the thread pool
//   that also checks device secrets): most are refused before any work and counted, while a device
//   connecting for the first time gets its CONNACK and the admin logs in;
// - wrong passwords from two addresses lock the admin account, yet the admin from a third address
//   with the right password gets in, and the attackers' addresses stay locked out;
// - a validly signed token without `exp` is refused.
// The flood's sources are told apart by X-Forwarded-For (TRUST_PROXY=true): one attacker address,
// or a new address for every attempt, as a botnet would.
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, testAdminPassword } from '../helpers/app.ts';
import { eventually } from '../helpers/mqtt.ts';

const jwtSecret = 'Qm7vX2kP9rL4tW8zN1bY6cF3hG5dS0jA-flood';
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({
    JWT_SECRET: jwtSecret,
    TRUST_PROXY: 'true',
    LOGIN_LOCKOUT_FAILURES: '4',
    LOGIN_LOCKOUT_S: '600',
  });
});
afterAll(async () => app?.close());

interface Answer {
  status: number;
  retryAfter: string | null;
  code: string | undefined;
  token: string | undefined;
  ms: number;
}

async function login(username: string, password: string, from?: string): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(`${app.baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(from ? { 'x-forwarded-for': from } : {}) },
    body: JSON.stringify({ username, password }),
  });
  const body = (await res.json()) as { token?: string; error?: { code: string } };
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    code: body.error?.code,
    token: body.token,
    ms: performance.now() - started,
  };
}

/** A person logging in: after a 429 they come back when Retry-After says, for up to 30 s. */
async function personLogsIn(from: string) {
  const started = performance.now();
  let tries = 0;
  let answer: Answer;
  do {
    tries++;
    answer = await login('admin', testAdminPassword, from);
    if (answer.status !== 429) break;
    await new Promise((ok) => setTimeout(ok, Number(answer.retryAfter) * 1000));
  } while (performance.now() - started < 30_000);
  return { status: answer.status, tries, ms: performance.now() - started };
}

/** Until `stop()`: `concurrency` logins with random usernames in flight, each from `source()`. */
function flood(concurrency: number, source: () => string) {
  const answers: Answer[] = [];
  let running = true;
  const workers = Array.from({ length: concurrency }, async () => {
    while (running) {
      const answer = await login(
        `u${randomBytes(6).toString('hex')}`,
        randomBytes(9).toString('base64url'),
        source(),
      );
      answers.push(answer);
      // A refused sender comes back a second later: the server runs in this process, and a client
      // looping without a pause would measure the test's own loop more than the server
      // (scripts/attacks/login.ts floods from a process of its own, without pausing).
      if (answer.status === 429) await new Promise((ok) => setTimeout(ok, 1_000));
    }
  });
  return {
    answers,
    async stop() {
      running = false;
      await Promise.all(workers);
    },
  };
}

let deviceCount = 0;
/** A newly registered device: its first connection runs the full scrypt check of its secret. */
async function newDevice(admin: Record<string, string>) {
  const id = `tn-p1-sl-flood-${++deviceCount}`;
  const created = await app.request('POST', '/api/v1/devices', admin, {
    id,
    kind: 'streetlight',
    city: 'tay-ninh',
    ward: 'phuong-tan-ninh',
    lat: 11.3105,
    lon: 106.0982,
    name: `Đèn thử ${deviceCount}`,
  });
  expect(created.status).toBe(201);
  return { id, secret: created.body.credentials.secret as string };
}

/** ms to the CONNACK of a device's first connection (mqtt.js would give up at 30 s). */
function connackMs(device: { id: string; secret: string }): Promise<number> {
  const started = performance.now();
  return new Promise((ok, fail) => {
    const client = mqtt.connect(app.mqttUrl, {
      clientId: device.id,
      username: device.id,
      password: device.secret,
      connectTimeout: 30_000,
      reconnectPeriod: 0,
    });
    client.once('connect', () => {
      ok(performance.now() - started);
      client.end(true);
    });
    client.once('error', (error) => fail(error));
  });
}

const refusedBy = async () =>
  Object.fromEntries(
    (await app.metrics.loginRefused.get()).values.map((v) => [String(v.labels.reason), v.value]),
  ) as Record<string, number>;

/** Waits until the flood has filled the lane and had refusals of `reason` counted. */
async function saturated(reason: string) {
  const counted = await eventually(refusedBy, (r) => (r[reason] ?? 0) >= 50, 30_000);
  expect(counted[reason]).toBeGreaterThanOrEqual(50);
}

describe('a flood of logins with made-up usernames', { timeout: 120_000 }, () => {
  it('from one address: refused by its budget, while a new device connects and the admin logs in from elsewhere', async () => {
    const admin = await app.login();
    const device = await newDevice(admin);
    const attack = flood(200, () => '198.51.100.7');
    try {
      await saturated('address_budget');
      const [connack, adminLogin] = await Promise.all([
        connackMs(device),
        // An address the admin never used: only the attacker's address is out of budget, but what it
        // spent may still fill the hash queue for a moment.
        personLogsIn('203.0.113.10'),
      ]);
      expect(connack).toBeLessThan(5_000);
      expect(adminLogin.status).toBe(200);
      expect(adminLogin.ms).toBeLessThan(30_000);
    } finally {
      await attack.stop();
    }
    const refused = attack.answers.filter((a) => a.status === 429);
    // 30 a minute from one address (LOGIN_ADDRESS_RATE_PER_MIN): everything else is refused at once.
    expect(attack.answers.length - refused.length).toBeLessThanOrEqual(32);
    expect(refused.length).toBeGreaterThan(0.9 * attack.answers.length);
    expect(refused.every((a) => a.code === 'RATE_LIMITED' && Number(a.retryAfter) >= 1)).toBe(true);
  });

  it('from a new address each time: refused by the process budget and the hash queue, while a new device connects and the admin logs in from a usual address', async () => {
    // The admin's usual desk: a successful login makes the pair trusted.
    const admin = await app.login('admin', testAdminPassword);
    const device = await newDevice(admin);
    const before = await refusedBy();
    let n = 0;
    const attack = flood(200, () => `10.${(++n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`);
    try {
      await saturated('global_budget');
      const [connack, adminLogin] = await Promise.all([connackMs(device), login('admin', testAdminPassword)]);
      expect(connack).toBeLessThan(5_000);
      expect(adminLogin.status).toBe(200);
    } finally {
      await attack.stop();
    }
    const after = await refusedBy();
    const refused = attack.answers.filter((a) => a.status === 429);
    expect(refused.length).toBeGreaterThan(0.9 * attack.answers.length);
    expect(refused.every((a) => a.code === 'RATE_LIMITED' && Number(a.retryAfter) >= 1)).toBe(true);
    // Every refusal was counted by its reason, none reached a hash.
    const counted =
      after.global_budget! -
      (before.global_budget ?? 0) +
      (after.hash_queue_full ?? 0) -
      (before.hash_queue_full ?? 0);
    expect(counted).toBe(refused.length);
    // What was let through was hashed one at a time: a few per second, not 200 at once.
    const hashed = attack.answers.filter((a) => a.status === 401);
    expect(hashed.length).toBeLessThan(attack.answers.length / 10);
  });
});

describe('an attacker failing from two addresses', { timeout: 60_000 }, () => {
  it('locks the account for its own addresses only: the admin from a third address gets in, earlier tokens keep working', async () => {
    const earlier = await app.login();
    const attackers = ['198.51.100.21', '198.51.100.22'];
    for (let i = 0; i < 4; i++) {
      const wrong = await login('admin', `guess-${i}`, attackers[i % 2]);
      expect(wrong.status).toBe(401);
    }
    const { rows } = await app.pool.query(
      "SELECT locked_until > now() AS locked FROM users WHERE username = 'admin'",
    );
    expect(rows[0].locked).toBe(true);

    // The attackers keep guessing: refused, even had they the right password, and the lock goes on.
    for (const from of attackers) {
      const refused = await login('admin', testAdminPassword, from);
      expect(refused).toMatchObject({ status: 429, code: 'ACCOUNT_LOCKED' });
      expect(Number(refused.retryAfter)).toBeGreaterThan(500);
    }

    const admin = await login('admin', testAdminPassword, '203.0.113.30');
    expect(admin.status).toBe(200);
    const headers = { authorization: `Bearer ${admin.token}` };
    expect((await app.request('GET', '/api/v1/users', headers)).status).toBe(200);
    expect((await app.request('GET', '/api/v1/users', earlier)).status).toBe(200);
    // A third attacker address gets one guess during the lock, then is stopped like the others.
    expect((await login('admin', 'guess-x', '198.51.100.23')).status).toBe(401);
    expect((await login('admin', testAdminPassword, '198.51.100.23')).code).toBe('ACCOUNT_LOCKED');
    expect((await refusedBy()).account_locked).toBeGreaterThanOrEqual(3);
  });
});

describe('tokens', () => {
  it('refuses a token signed with our key that has no expiry', async () => {
    const forever = await new SignJWT({ ver: 0 })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('city-ioc')
      .setSubject('admin')
      .setIssuedAt()
      .sign(new TextEncoder().encode(jwtSecret));
    const res = await app.request('GET', '/api/v1/users', { authorization: `Bearer ${forever}` });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
  });
});
