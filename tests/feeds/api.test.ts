// The province feeds over HTTP against the running system: API keys (created, scoped, revoked,
// rate-limited), reporting periods in local time, CSV for Excel, ETags, and cursors that deliver each
// record once, even while alerts are being written concurrently.
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PublicAlertWire } from '../../src/alerts/wire.ts';
import { createFeeds, type Feeds } from '../../src/feeds/index.ts';
import { createLogger } from '../../src/log.ts';
import { insertTelemetryRows, writeLatest } from '../../src/storage/telemetry.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
let admin: Record<string, string>;
/** A refresher whose clock stands in April 2026, so the test does not depend on today's date. */
let april: Feeds;
const local = (text: string) => new Date(`${text}+07:00`);

async function newKey(name = 'province') {
  const res = await app.request('POST', '/api/v1/feeds/keys', admin, { name });
  expect(res.status).toBe(201);
  return { id: res.body.id as number, headers: { 'x-api-key': res.body.key as string } };
}

async function device(id: string, kind: string, ward: string) {
  await app.pool.query(
    `INSERT INTO devices (id, kind, city, ward, lat, lon, name, secret_hash, created_at)
     VALUES ($1, $2, 'hoi-an', $3, 15.877, 108.326, $1, 'x', '2026-01-01')`,
    [id, kind, ward],
  );
}

/** Stores readings as the writer does: raw and rollup, then the latest values. */
async function store(rows: Array<[string, string, Date, number]>) {
  await insertTelemetryRows(app.pool, {
    deviceId: rows.map((r) => r[0]),
    metric: rows.map((r) => r[1]),
    time: rows.map((r) => r[2]),
    value: rows.map((r) => r[3]),
  });
  const newest = new Map<string, { deviceId: string; metric: string; time: Date; value: number }>();
  for (const [deviceId, metric, time, value] of rows) {
    const known = newest.get(`${deviceId} ${metric}`);
    if (!known || known.time < time) newest.set(`${deviceId} ${metric}`, { deviceId, metric, time, value });
  }
  await writeLatest(app.pool, [...newest.values()]);
}

beforeAll(async () => {
  app = await startTestApp({ FEEDS_REFRESH_S: '3600', FEEDS_RATE_PER_MIN: '200' });
  admin = await app.login();
  april = createFeeds({
    pool: app.pool,
    catalog: app.catalog,
    log: createLogger('silent'),
    publishDelayS: 600,
    clock: () => new Date('2026-04-03T00:00:00Z'),
  });
  await device('ha-env-a', 'environment', 'phuong-hoi-an');
  await device('ha-env-b', 'environment', 'phuong-hoi-an-tay');
  // One reading each side of midnight between March and April, local time (17:00 UTC).
  await store([
    ['ha-env-a', 'pm25', local('2026-03-31T23:30:00'), 10],
    ['ha-env-a', 'pm25', local('2026-04-01T00:30:00'), 30],
    ['ha-env-b', 'pm25', local('2026-04-01T00:30:00'), 50],
  ]);
  await april.refresher.runUntilIdle();
});
afterAll(async () => {
  await april?.stop();
  await app?.close();
});

describe('API keys', () => {
  it('are shown once, read the feeds and nothing else, and stop working when revoked', async () => {
    const key = await newKey();
    expect(key.headers['x-api-key']).toMatch(/^iocf_[0-9a-f]{12}_/);
    const list = await app.request('GET', '/api/v1/feeds/keys', admin);
    expect(JSON.stringify(list.body)).not.toContain(key.headers['x-api-key']);
    expect(list.body.items.find((k: { id: number }) => k.id === key.id)).toMatchObject({
      name: 'province',
      revokedAt: null,
    });

    const path = '/api/v1/feeds/indicators?city=hoi-an&from=2026-03-01&to=2026-05-01&period=month';
    expect((await app.request('GET', path, key.headers)).status).toBe(200);
    const devices = await app.request('GET', '/api/v1/devices', key.headers);
    expect(devices.status).toBe(401);
    expect(devices.body.error.message).toContain('feeds');
    expect((await app.request('POST', '/api/v1/feeds/keys', key.headers, { name: 'x' })).status).toBe(401);

    expect((await app.request('DELETE', `/api/v1/feeds/keys/${key.id}`, admin)).status).toBe(200);
    const revoked = await app.request('GET', path, key.headers);
    expect(revoked.status).toBe(401);
    expect(revoked.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('refuse unknown and malformed keys, and only admins manage them', async () => {
    const path = '/api/v1/feeds/alerts';
    const unknown = `iocf_000000000000_${'A'.repeat(43)}`;
    expect((await app.request('GET', path, { 'x-api-key': unknown })).status).toBe(401);
    expect((await app.request('GET', path, { 'x-api-key': 'letmein' })).body.error.message).toContain(
      'malformed',
    );
    const operator = await app.loginAs('operator');
    expect((await app.request('POST', '/api/v1/feeds/keys', operator, { name: 'x' })).status).toBe(403);
    const viewer = await app.loginAs('viewer');
    expect((await app.request('GET', path, viewer)).status).toBe(200);
    expect((await app.request('GET', '/api/v1/feeds/keys', viewer)).status).toBe(403);
  });

  it('are rate-limited one by one: a key over its allowance gets 429 with Retry-After, another key does not', async () => {
    const greedy = await newKey('greedy');
    const calm = await newKey('calm');
    let allowed = 0;
    let refused: Response | undefined;
    while (!refused && allowed < 1_000) {
      const res = await fetch(`${app.baseUrl}/api/v1/feeds/alerts?limit=1`, { headers: greedy.headers });
      if (res.status === 429) refused = res;
      else allowed++;
      await res.arrayBuffer();
    }
    // 200 a minute: a burst of 200, plus what refilled while the burst was being sent.
    expect(allowed).toBeGreaterThanOrEqual(200);
    expect(allowed).toBeLessThan(400);
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await app.request('GET', '/api/v1/feeds/alerts?limit=1', calm.headers)).status).toBe(200);
  });
});

describe('indicators', () => {
  it('put each reading in the month and quarter of its local time', async () => {
    const key = await newKey();
    const read = async (query: string) =>
      (
        await app.request(
          'GET',
          `/api/v1/feeds/indicators?city=hoi-an&indicator=pm25_mean&${query}`,
          key.headers,
        )
      ).body;
    const months = await read('ward=phuong-hoi-an&period=month&from=2026-03&to=2026-05');
    expect(months.items.map((i: { period: string; value: number }) => [i.period, i.value])).toEqual([
      ['2026-03', 10],
      ['2026-04', 30],
    ]);
    expect(months.items[0]).toMatchObject({
      ward: 'phuong-hoi-an',
      wardName: 'Phường Hội An',
      group: 'sector',
      unit: 'µg/m³',
    });
    const quarters = await read('period=quarter&from=2026-01-01&to=2026-07-01');
    expect(
      quarters.items.map((i: { period: string; value: number; ward: string | null }) => [
        i.period,
        i.ward,
        i.value,
      ]),
    ).toEqual([
      ['2026-Q1', null, 10],
      ['2026-Q2', null, 40], // the city: (30 + 50) / 2
    ]);
  });

  it('come as CSV with a byte-order mark, Vietnamese names intact', async () => {
    const key = await newKey();
    const res = await fetch(
      `${app.baseUrl}/api/v1/feeds/indicators?city=hoi-an&ward=*&period=month&from=2026-04&to=2026-05&format=csv`,
      { headers: key.headers },
    );
    expect(res.headers.get('content-type')).toContain('text/csv');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder().decode(bytes.slice(3));
    const [header, ...lines] = text.trimEnd().split('\r\n');
    expect(header).toBe(
      'period,start,end,city,ward,wardName,indicator,name_vi,name_en,group,sector,dimension,value,unit,max,sum,count,partial',
    );
    expect(
      lines.some(
        (l) => l.includes('Phường Hội An Tây') && l.includes('Bụi PM2.5 trung bình') && l.includes(',50,'),
      ),
    ).toBe(true);
  });

  it('answer 304 to a repeated read with the ETag it was given', async () => {
    const key = await newKey();
    const url = `${app.baseUrl}/api/v1/feeds/indicators?city=hoi-an&period=day&from=2026-03-30&to=2026-04-02`;
    const first = await fetch(url, { headers: key.headers });
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^".+"$/);
    const again = await fetch(url, { headers: { ...key.headers, 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('through a cursor, return a day once, and again only when a late reading changes it', async () => {
    const key = await newKey();
    const base = '/api/v1/feeds/indicators?city=hoi-an&ward=phuong-hoi-an&period=day&indicator=pm25_mean';
    const first = await app.request('GET', `${base}&from=2026-03-01&to=2026-05-01`, key.headers);
    expect(first.body.items.map((i: { period: string }) => i.period)).toEqual(['2026-03-31', '2026-04-01']);
    const nothing = await app.request('GET', `${base}&cursor=${first.body.cursor}`, key.headers);
    expect(nothing.body.error).toBeUndefined();
    expect(nothing.body.items).toEqual([]);

    await store([['ha-env-a', 'pm25', local('2026-04-01T01:30:00'), 50]]); // late, for a published day
    await april.refresher.runUntilIdle();
    const res = await app.request('GET', `${base}&cursor=${nothing.body.cursor}`, key.headers);
    const received = res.body.items.map((i: { period: string; value: number }) => [i.period, i.value]);
    const cursor = res.body.cursor as string;
    expect(received).toEqual([['2026-04-01', 40]]);
    const after = await app.request('GET', `${base}&cursor=${cursor}`, key.headers);
    expect(after.body.items).toEqual([]);
  });

  it('refuse bad requests with a precise error', async () => {
    const key = await newKey();
    const get = (q: string) => app.request('GET', `/api/v1/feeds/indicators?${q}`, key.headers);
    const cases: Array<[string, string]> = [
      ['city=hoi-an&from=2026-03-01&to=2026-04-01&indicator=happiness', 'unknown indicator happiness'],
      ['city=hoi-an&from=yesterday&to=2026-04-01', 'expected a local date'],
      ['city=hoi-an&from=2026-02-30&to=2026-04-01', 'expected a local date'],
      ['city=hoi-an&period=hour&from=2026-01-01&to=2026-04-01', 'at most 31 days'],
      ['city=hoi-an&from=2026-04-01&to=2026-03-01', '`to` must be after `from`'],
      ['city=hoi-an&ward=atlantis&from=2026-03-01&to=2026-04-01', 'no ward atlantis'],
      ['city=hanoi&from=2026-03-01&to=2026-04-01', 'city'],
      ['city=hoi-an', 'give `from` and `to`'],
      ['city=hoi-an&cursor=bm90LWEtY3Vyc29y', 'not a cursor'],
      ['city=hoi-an&period=day&unexpected=1&from=2026-03-01&to=2026-04-01', 'unexpected'],
    ];
    for (const [query, message] of cases) {
      const res = await get(query);
      expect(res.status, query).toBe(400);
      expect(res.body.error.message, query).toContain(message);
    }
    const monthly = await get('city=hoi-an&period=month&from=2026-03-01&to=2026-05-01');
    const reused = await get(`city=hoi-an&period=day&cursor=${monthly.body.cursor}`);
    expect(reused.body.error.message).toContain('other filters');
  });
});

describe('the OpenAPI description', () => {
  it('documents the three feeds, the key header and an example', async () => {
    const res = await fetch(`${app.baseUrl}/docs/json`);
    const spec = (await res.json()) as any;
    for (const path of ['/api/v1/feeds/indicators', '/api/v1/feeds/aggregates', '/api/v1/feeds/alerts']) {
      expect(spec.paths[path]?.get, path).toBeDefined();
    }
    expect(spec.components.securitySchemes.apiKey).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'x-api-key',
    });
    expect(JSON.stringify(spec.paths['/api/v1/feeds/indicators'].get.responses['200'])).toContain(
      'Phường Hội An',
    );
    expect(JSON.stringify(spec.paths['/api/v1/feeds/aggregates'].get.responses['200'])).toContain(
      'ha-env-001',
    );
    expect(JSON.stringify(spec.paths['/api/v1/feeds/alerts'].get.responses['200'])).toContain(
      'Nguyễn Thái Học',
    );
  });
});

describe('aggregates', () => {
  it('page through published hours once each, in order, with the metric statistics', async () => {
    const key = await newKey();
    const seen: string[] = [];
    let cursor = '';
    for (let page = 0; page < 10; page++) {
      const res = await app.request(
        'GET',
        `/api/v1/feeds/aggregates?city=hoi-an&limit=1${cursor}`,
        key.headers,
      );
      expect(res.status).toBe(200);
      for (const item of res.body.items)
        seen.push(`${item.deviceId} ${item.start} ${item.metric} ${item.mean}`);
      cursor = `&cursor=${res.body.cursor}`;
      if (!res.body.hasMore) break;
    }
    // The first refresh published 16:00 and 17:00 UTC; the late reading republished 18:00 later.
    expect(seen).toEqual([
      'ha-env-a 2026-03-31T16:00:00.000Z pm25 10',
      'ha-env-a 2026-03-31T17:00:00.000Z pm25 30',
      'ha-env-b 2026-03-31T17:00:00.000Z pm25 50',
      'ha-env-a 2026-03-31T18:00:00.000Z pm25 50',
    ]);
  });
});

describe('the alerts feed', () => {
  it('returns every alert once across concurrent inserts, holding back a transaction still open', async () => {
    const key = await newKey();
    const { rows } = await app.pool.query("SELECT id FROM alert_rules WHERE default_key = 'flood'");
    const ruleId = rows[0].id as number;
    let n = 0;
    let inserted = 0;
    let writing = true;
    // The job's pause between polls lasts until a writer has inserted again (or all have finished).
    const wakers = new Set<() => void>();
    const wake = () => {
      for (const resume of wakers) resume();
      wakers.clear();
    };
    const insertedSince = (count: number) =>
      new Promise<void>((resume) => {
        if (inserted > count || !writing) resume();
        else wakers.add(resume);
      });
    const insert = async (client: pg.Pool | pg.PoolClient) => {
      await client.query(
        `INSERT INTO alerts (rule_id, device_id, kind, city, ward, severity, state, message_vi, message_en, opened_at, last_seen_at)
         VALUES ($1, $2, 'environment', 'hoi-an', 'phuong-hoi-an', 'warning', 'open', 'Ngập', 'Flood', now(), now())`,
        [ruleId, `feed-dev-${n++}`],
      );
      inserted++;
      wake();
    };

    // A transaction that has written an alert but not committed: a read must not step past it.
    const slow = await app.pool.connect();
    await slow.query('BEGIN');
    await insert(slow);

    const seen: number[] = [];
    let cursor = '';
    const poll = async () => {
      for (;;) {
        const res = await app.request(
          'GET',
          `/api/v1/feeds/alerts?city=hoi-an&limit=7${cursor}`,
          key.headers,
        );
        expect(res.status).toBe(200);
        seen.push(...res.body.items.map((a: { id: number }) => a.id));
        cursor = `&cursor=${res.body.cursor}`;
        if (!res.body.hasMore) return;
      }
    };
    // Four writers insert while one province job (a single, sequential consumer) keeps polling.
    const writers = Array.from({ length: 4 }, async () => {
      for (let i = 0; i < 25; i++) await insert(app.pool);
    });
    const job = (async () => {
      while (writing) {
        const before = inserted;
        await poll();
        await insertedSince(before);
      }
    })();
    await Promise.all(writers);
    writing = false;
    wake();
    await job;
    await poll();
    await slow.query('COMMIT');
    slow.release();
    await poll(); // the held-back alert is delivered by the next read, once

    const all = (
      await app.pool.query("SELECT id::int FROM alerts WHERE device_id LIKE 'feed-dev-%' ORDER BY id")
    ).rows.map((r) => r.id as number);
    expect(all).toHaveLength(101);
    expect([...seen].sort((a, b) => a - b)).toEqual(all);
  });

  it('sends each alert in the public wire shape, fields in its order', async () => {
    const key = await newKey();
    const res = await fetch(`${app.baseUrl}/api/v1/feeds/alerts?city=hoi-an&limit=3`, {
      headers: key.headers,
    });
    const page = (await res.json()) as { items: Array<Record<string, unknown>> };
    expect(page.items.length).toBeGreaterThan(0);
    for (const item of page.items) {
      expect(PublicAlertWire.strict().parse(item)).toEqual(item);
      expect(Object.keys(item)).toEqual(Object.keys(PublicAlertWire.shape));
    }
  });
});
