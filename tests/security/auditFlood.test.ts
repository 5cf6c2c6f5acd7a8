// Nobody can fill the append-only audit log from outside. Thousands of anonymous requests with garbage
// credentials and failed or throttled logins, sent to the real server, become a handful of rows: one
// per source address, action and outcome each minute, whose counts add up to what was sent. Many
// source addresses at once (X-Forwarded-For from a trusted proxy) are held to a bound per minute.
// An identified user's actions are still one row each.
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAttemptCounter, overflowKey } from '../../src/audit/attempts.ts';
import { attemptLimits } from '../../src/audit/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { eventually } from '../helpers/mqtt.ts';

let app: TestApp;
let admin: Record<string, string>;
let operator: Record<string, string>;

type Row = {
  id: number;
  actor: string | null;
  action: string;
  target: string | null;
  ip: string;
  outcome: string;
  status: number | null;
  details: {
    aggregated?: boolean;
    count?: number;
    from?: string;
    statuses?: Record<string, number>;
    errors?: Record<string, number>;
    claimedUsers?: Record<string, number>;
    addresses?: Record<string, number>;
  };
};

/** Rows written after `afterId`, once the counted attempts are flushed. */
async function rowsAfter(afterId: number): Promise<Row[]> {
  await app.audit.flush();
  const { rows } = await app.pool.query<Row>(
    'SELECT id::int, actor, action, target, ip, outcome, status, details FROM audit_log WHERE id > $1 ORDER BY id',
    [afterId],
  );
  return rows;
}

async function lastId(): Promise<number> {
  await app.audit.flush();
  return (await app.pool.query('SELECT coalesce(max(id), 0)::int AS id FROM audit_log')).rows[0].id;
}

/** Sends `total` requests, `parallel` at a time; the statuses they were answered with, counted. */
async function flood(total: number, one: (i: number) => Promise<Response>, parallel = 16) {
  const statuses: Record<string, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < total) {
        const res = await one(next++);
        await res.arrayBuffer();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      }
    }),
  );
  return statuses;
}

/** Entries the audit was given so far (counted or written): the hook gives them after answering. */
async function recorded(): Promise<number> {
  return (await app.metrics.auditEntries.get()).values.reduce((n, v) => n + v.value, 0);
}

/** Waits until the audit has been given `n` more entries than `from`. */
async function given(from: number, n: number): Promise<void> {
  await eventually(recorded, (now) => now - from >= n, 30_000);
}

const sum = (rows: Row[]) => rows.reduce((n, r) => n + (r.details.count ?? 0), 0);

beforeAll(async () => {
  // The test client is the proxy: its X-Forwarded-For is believed, so one client can be many sources.
  app = await startTestApp({ TRUST_PROXY: 'loopback' });
  admin = await app.login();
  operator = await app.loginAs('operator');
});
afterAll(async () => app?.close());

describe('the audit log under a flood from outside', { timeout: 180_000 }, () => {
  it('turns 2,000 requests with garbage credentials into a few counted rows', async () => {
    const since = await lastId();
    const from = await recorded();
    const forged = await new SignJWT({ ver: 0 })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('admin')
      .setIssuer('city-ioc')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('a key the attacker made up, not ours'));
    const statuses = await flood(2_000, (i) => {
      const url = `${app.baseUrl}/api/v1/devices`;
      switch (i % 4) {
        case 0:
          return fetch(url, { headers: { authorization: `Bearer garbage-${i}` } });
        case 1:
          return fetch(`${url}/tn-p1-env-${i}`, {
            method: 'DELETE',
            headers: { authorization: 'x'.repeat(i % 500) },
          });
        case 2:
          return fetch(url, { headers: { 'x-api-key': `not-a-key-${i}` } });
        default:
          return fetch(`${url}/tn-p1-env-${i}`, {
            method: 'DELETE',
            headers: { authorization: `Bearer ${forged}` },
          });
      }
    });
    expect(statuses).toEqual({ 401: 2_000 });
    await given(from, 2_000);

    const rows = await rowsAfter(since);
    // (GET, DELETE) × one address × one outcome, twice if a minute ended during the flood.
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows.length).toBeLessThanOrEqual(4);
    for (const row of rows) {
      expect(row).toMatchObject({ actor: null, ip: '127.0.0.1', outcome: 'denied', status: 401 });
      expect(row.details).toMatchObject({ aggregated: true, errors: { UNAUTHENTICATED: row.details.count } });
      // Nothing the client sent is kept beyond the bounded names.
      expect(JSON.stringify(row.details).length).toBeLessThan(2_000);
    }
    const byAction = (action: string) => rows.filter((r) => r.action === action);
    expect(sum(byAction('GET /api/v1/devices'))).toBe(1_000);
    expect(sum(byAction('DELETE /api/v1/devices/:id'))).toBe(1_000);
    // Who the forged token claimed to be is still there, counted.
    const claimed = byAction('DELETE /api/v1/devices/:id').reduce(
      (n, r) => n + (r.details.claimedUsers?.admin ?? 0),
      0,
    );
    expect(claimed).toBe(500);
  });

  it('counts failed and throttled logins per address and outcome, not a row each', async () => {
    const since = await lastId();
    const attacker = '203.0.113.7';
    const sent = 150;
    const statuses = await flood(
      sent,
      (i) =>
        fetch(`${app.baseUrl}/api/v1/auth/login`, {
          method: 'POST',
          // From an address of its own: the throttle it trips does not stop the other tests' logins.
          headers: { 'content-type': 'application/json', 'x-forwarded-for': attacker },
          body: JSON.stringify({
            username: i % 3 ? 'admin' : `ke-la-${i % 7}`,
            password: `sai-mat-khau-${i}`,
          }),
        }),
      8,
    );
    expect((statuses[401] ?? 0) + (statuses[429] ?? 0)).toBe(sent);
    expect(statuses[429]).toBeGreaterThan(0); // the throttle took over part way

    const rows = await rowsAfter(since);
    expect(rows.every((r) => r.action === 'auth.login' && r.actor === null && r.ip === attacker)).toBe(true);
    // failure (401) and denied (429), twice if a minute ended in between.
    expect(rows.length).toBeLessThanOrEqual(4);
    const failure = rows.filter((r) => r.outcome === 'failure');
    const denied = rows.filter((r) => r.outcome === 'denied');
    expect(sum(failure)).toBe(statuses[401] ?? 0);
    expect(sum(denied)).toBe(statuses[429]);
    const tried = rows.reduce((n, r) => n + (r.details.claimedUsers?.admin ?? 0), 0);
    expect(tried).toBe(sent - Math.ceil(sent / 3)); // every third tried a made-up name
  });

  it('holds many source addresses to a bound per minute, folding the rest into one row', async () => {
    const since = await lastId();
    const sources = 3 * attemptLimits.maxKeys;
    const from = await recorded();
    const statuses = await flood(sources, (i) =>
      fetch(`${app.baseUrl}/api/v1/devices`, {
        headers: { authorization: `Bearer garbage-${i}`, 'x-forwarded-for': `10.9.${i >> 8}.${i & 255}` },
      }),
    );
    expect(statuses).toEqual({ 401: sources });
    await given(from, sources);

    const rows = (await rowsAfter(since)).filter((r) => r.action !== 'auth.login');
    const minutes = new Set(rows.map((r) => r.details.from)).size;
    expect(minutes).toBeLessThanOrEqual(2);
    expect(rows.length).toBeLessThanOrEqual(minutes * (attemptLimits.maxKeys + 1));
    expect(sum(rows)).toBe(sources);
    const overflow = rows.filter((r) => r.ip === overflowKey);
    expect(overflow.length).toBeGreaterThanOrEqual(1);
    expect(sum(overflow)).toBeGreaterThanOrEqual(sources - minutes * attemptLimits.maxKeys);
    for (const row of overflow) {
      // The addresses it took in: the first few by name, the rest counted under (other).
      expect(Object.keys(row.details.addresses!).length).toBeLessThanOrEqual(attemptLimits.maxNames + 1);
    }
  });

  it("still writes each of an identified user's actions, refusals included, as one row", async () => {
    const since = await lastId();
    for (let i = 0; i < 5; i++) {
      const res = await app.request('POST', '/api/v1/rules', admin, {
        name: `Ngưỡng thử ${i}`,
        type: 'threshold',
        metric: 'pm25',
        comparison: '>',
        threshold: 100 + i,
        severity: 'warning',
        messageVi: 'Bụi mịn cao',
        messageEn: 'High PM2.5',
      });
      expect(res.status).toBe(201);
      expect((await app.request('DELETE', '/api/v1/rules/1', operator)).status).toBe(403);
    }
    // The hook writes after answering: wait for the last refusal's row.
    const rows = await eventually(
      () => rowsAfter(since),
      (all) => all.filter((r) => r.action === 'DELETE /api/v1/rules/:id').length >= 5,
    );
    const created = rows.filter((r) => r.action === 'POST /api/v1/rules');
    expect(created).toHaveLength(5);
    expect(
      created.every((r) => r.actor === 'admin' && r.outcome === 'success' && !r.details.aggregated),
    ).toBe(true);
    const refused = rows.filter((r) => r.action === 'DELETE /api/v1/rules/:id');
    expect(refused).toHaveLength(5);
    expect(refused.every((r) => r.actor === 'operator' && r.outcome === 'denied')).toBe(true);
  });

  it('writes what was counted when the minute ends, without being asked', async () => {
    let now = Date.parse('2025-03-01T02:00:10Z');
    const counter = createAttemptCounter({ maxKeys: 2, maxNames: 2, now: () => now });
    const attempt = (ip: string, actor: string | null) => ({
      actor,
      actorRole: null,
      action: 'auth.login',
      target: actor,
      ip,
      outcome: 'failure' as const,
      status: 401,
      details: { error: 'UNAUTHENTICATED' },
    });
    for (const name of ['a', 'b', 'c', 'a']) counter.add(attempt('192.0.2.1', name));
    counter.add(attempt('192.0.2.2', 'a'));
    counter.add(attempt('192.0.2.3', 'a')); // a third address: past maxKeys
    expect(counter.nextEnd()).toBe(Date.parse('2025-03-01T02:01:00Z'));
    expect(counter.take(false)).toEqual([]); // the minute has not ended
    now += 60_000;
    counter.add(attempt('192.0.2.1', 'a'));
    const [first, second, overflow, ...rest] = counter.take(false);
    expect(rest).toEqual([]);
    expect(first).toMatchObject({
      ip: '192.0.2.1',
      target: null,
      status: 401,
      details: { count: 4, claimedUsers: { a: 2, b: 1, '(other)': 1 }, from: '2025-03-01T02:00:00.000Z' },
    });
    expect(second).toMatchObject({ ip: '192.0.2.2', target: 'a', details: { count: 1 } });
    expect(overflow).toMatchObject({
      ip: overflowKey,
      action: overflowKey,
      details: { count: 1, addresses: { '192.0.2.3': 1 }, actions: { 'auth.login': 1 } },
    });
    // The new minute's attempt waits for its own minute to end.
    expect(counter.nextEnd()).toBe(Date.parse('2025-03-01T02:02:00Z'));
    expect(counter.take(true)).toHaveLength(1);
  });
});
