// The admins' pages at a province's scale, timed: 10,000 devices imported from one CSV file, then the
// device list over 50,000 devices searched, filtered, sorted and paged. The figures are printed for
// docs/performance.md; the bounds only catch a query that lost its plan.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
let admin: Record<string, string>;

beforeAll(async () => {
  app = await startTestApp({ HTTP_BODY_LIMIT_BYTES: '16777216' });
  admin = await app.login();
}, 120_000);
afterAll(async () => app.close());

const header = 'id,kind,city,ward,lat,lon,pole,zone,name';
const kinds = ['streetlight', 'environment', 'noise', 'waste'];

/** The median of a few timed reads, in ms. */
async function timed(path: string, times = 5): Promise<{ ms: number; body: any }> {
  const samples: number[] = [];
  let body: any;
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    const res = await app.request('GET', path, admin);
    samples.push(performance.now() - started);
    expect(res.status).toBe(200);
    body = res.body;
  }
  samples.sort((a, b) => a - b);
  return { ms: Math.round(samples[Math.floor(samples.length / 2)]!), body };
}

describe('at a province scale', () => {
  it('imports 10,000 devices from one file', { timeout: 600_000 }, async () => {
    const rows = Array.from(
      { length: 10_000 },
      (_, i) =>
        `scale-${String(i).padStart(5, '0')},${kinds[i % kinds.length]},tay-ninh,phuong-tan-ninh,${(11.3 + i / 1e7).toFixed(7)},106.0982,,,Thiết bị ${i}`,
    );
    const started = performance.now();
    const res = await fetch(`${app.baseUrl}/api/v1/devices/import`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'text/csv' },
      body: [header, ...rows].join('\n'),
    });
    const ms = Math.round(performance.now() - started);
    expect(res.status).toBe(201);
    expect(((await res.json()) as { created: number }).created).toBe(10_000);
    console.log(`import of 10,000 devices: ${ms} ms`);
  });

  it('lists 50,000 devices: search, filters, sort and paging', { timeout: 600_000 }, async () => {
    // Up to 50,000 straight into the table (the list reads the database, not the registry), whether or
    // not the import above ran.
    await app.pool.query(
      `INSERT INTO devices (id, kind, city, ward, lat, lon, name, secret_hash, online, last_seen)
       SELECT 'bulk-' || lpad(i::text, 5, '0'), (ARRAY['streetlight','environment','noise','waste'])[1 + i % 4],
              CASE WHEN i % 2 = 0 THEN 'tay-ninh' ELSE 'hoi-an' END,
              CASE WHEN i % 2 = 0 THEN 'phuong-tan-ninh' ELSE 'phuong-hoi-an' END,
              11.3, 106.1, 'Thiết bị số ' || i, 'x', i % 3 = 0, now() - make_interval(secs => i)
       FROM generate_series(1, 50000 - (SELECT count(*)::int FROM devices)) i`,
    );
    await app.pool.query('ANALYZE devices');
    const figures: Record<string, number> = {};
    const first = await timed('/api/v1/devices?limit=100');
    expect(first.body.total).toBe(50_000);
    figures['first page of 100'] = first.ms;
    const search = await timed('/api/v1/devices?q=s%E1%BB%91%2012345&limit=100');
    expect(search.body.items.map((d: { id: string }) => d.id)).toEqual(['bulk-12345']);
    figures['search by name'] = search.ms;
    const byId = await timed('/api/v1/devices?q=BULK-1234&limit=100');
    expect(byId.body.total).toBe(10);
    figures['search by id'] = byId.ms;
    const filtered = await timed('/api/v1/devices?city=hoi-an&kind=noise&status=online&limit=100');
    expect(filtered.body.items.every((d: any) => d.city === 'hoi-an' && d.kind === 'noise' && d.online)).toBe(
      true,
    );
    figures['area + kind + online'] = filtered.ms;
    const byName = await timed('/api/v1/devices?sort=name&limit=100');
    figures['sorted by name'] = byName.ms;
    const bySeen = await timed('/api/v1/devices?sort=-lastSeen&limit=100');
    expect(bySeen.body.items[0].id).toBe('bulk-00001');
    figures['sorted by last seen'] = bySeen.ms;
    const deep = await timed('/api/v1/devices?limit=100&offset=49000');
    figures['offset 49,000'] = deep.ms;

    // Every device once, in order, following nextCursor.
    let cursor: string | null = null;
    const seen = new Set<string>();
    let pages = 0;
    const started = performance.now();
    do {
      const path: string = `/api/v1/devices?sort=name&limit=5000${cursor ? `&cursor=${cursor}` : ''}`;
      const page: { items: Array<{ id: string }>; nextCursor: string | null } = (
        await app.request('GET', path, admin)
      ).body;
      for (const d of page.items) {
        expect(seen.has(d.id)).toBe(false);
        seen.add(d.id);
      }
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    figures['all 50,000 by cursor, pages of 5,000 (total)'] = Math.round(performance.now() - started);
    expect(seen.size).toBe(50_000);
    expect(pages).toBe(10);
    console.log(`device list over 50,000 devices (median ms): ${JSON.stringify(figures)}`);
    expect(first.ms).toBeLessThan(2_000);
  });
});
