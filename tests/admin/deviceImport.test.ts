// Registering a fleet from a CSV file on the running system: every bad row named by its line, nothing
// half imported, the secrets once, and a device from the file publishing with them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';

let app: TestApp;
let admin: Record<string, string>;

const header = 'id,kind,city,ward,lat,lon,pole,zone,name';
const row = (i: number, prefix = 'imp') =>
  `${prefix}-sl-${String(i).padStart(5, '0')},streetlight,tay-ninh,phuong-tan-ninh,${(11.3 + i / 1e6).toFixed(6)},106.0982,pole-${i},,"Đèn ${i}, Đường 30 Tháng 4"`;

async function postCsv(path: string, csv: string, headers = admin) {
  const res = await fetch(`${app.baseUrl}${path}`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'text/csv' },
    body: csv,
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined,
  };
}

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.login();
});
afterAll(async () => app.close());

describe('device import', () => {
  const lines = [header, ...Array.from({ length: 1_000 }, (_, i) => row(i))];
  // Three bad rows: an unknown kind (line 101), latitude out of range (line 501), an id repeated (line 901).
  lines[100] = lines[100]!.replace('streetlight', 'toaster');
  lines[500] = lines[500]!.replace(/,11\.\d+,/, ',123.5,');
  lines[900] = row(3);

  it('refuses a file with three bad rows, naming exactly their lines, and registers none of it', async () => {
    const res = await postCsv('/api/v1/devices/import', lines.join('\r\n'));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    const problems = res.body.error.details.problems as Array<{
      line: number;
      field: string;
      message: string;
    }>;
    expect(problems.map((p) => [p.line, p.field])).toEqual([
      [101, 'kind'],
      [501, 'lat'],
      [901, 'id'],
    ]);
    expect(problems[2]!.message).toMatch(/dòng 5 .*line 5/);
    const listed = await app.request('GET', '/api/v1/devices?limit=10', admin);
    expect(listed.body.total).toBe(0);
  });

  it('checks without writing when dryRun=true', async () => {
    const res = await postCsv('/api/v1/devices/import?dryRun=true', lines.join('\n'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ dryRun: true, valid: false, rows: 1_000 });
    expect(res.body.problems.map((p: { line: number }) => p.line)).toEqual([101, 501, 901]);
    expect((await app.request('GET', '/api/v1/devices?limit=1', admin)).body.total).toBe(0);
  });

  it('imports the corrected file whole, with each secret once, and a device connects with its own', async () => {
    const fixed = [header, ...Array.from({ length: 1_000 }, (_, i) => row(i))].join('\n');
    const started = Date.now();
    const res = await postCsv('/api/v1/devices/import', fixed);
    const ms = Date.now() - started;
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body.created).toBe(1_000);
    expect(res.body.credentials).toHaveLength(1_000);
    console.log(`imported 1,000 devices in ${ms} ms`);

    const one = res.body.credentials.find((c: { id: string }) => c.id === 'imp-sl-00042');
    expect(one).toMatchObject({
      username: 'imp-sl-00042',
      topicPrefix: 'ioc/tay-ninh/streetlight/imp-sl-00042/',
    });
    const device = await app.request('GET', '/api/v1/devices/imp-sl-00042', admin);
    expect(device.body).toMatchObject({ name: 'Đèn 42, Đường 30 Tháng 4', pole: 'pole-42', zone: null });

    const client = await connectDevice(app.mqttUrl, one.username, one.secret);
    await publish(
      client,
      `${one.topicPrefix}telemetry`,
      JSON.stringify({ metrics: { lamp_on: 1, power_w: 88 } }),
    );
    client.end(true);
    const latest = await eventually(
      async () => (await app.request('GET', '/api/v1/devices/imp-sl-00042', admin)).body.latest,
      (l) => l?.power_w?.value === 88,
    );
    expect(latest.power_w.value).toBe(88);
  });

  it('refuses ids already registered, naming their lines', async () => {
    const res = await postCsv('/api/v1/devices/import', [header, row(5000, 'new'), row(7)].join('\n'));
    expect(res.status).toBe(400);
    expect(res.body.error.details.problems).toEqual([
      { line: 3, field: 'id', message: expect.stringMatching(/already registered/) },
    ]);
    expect((await app.request('GET', '/api/v1/devices/new-sl-05000', admin)).status).toBe(404);
  });

  it('takes the file as JSON too and returns the credentials as a CSV download', async () => {
    const res = await fetch(`${app.baseUrl}/api/v1/devices/import?format=csv`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ csv: [header, row(1, 'csv'), row(2, 'csv')].join('\n') }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-disposition')).toMatch(
      /attachment; filename="device-credentials-.*\.csv"/,
    );
    const [head, ...rows] = (await res.text()).replace('\uFEFF', '').trim().split('\r\n');
    expect(head).toBe('id,kind,city,username,secret,topicPrefix');
    expect(rows.map((r) => r.split(',')[0])).toEqual(['csv-sl-00001', 'csv-sl-00002']);
  });

  it('names a missing column, a short row and an unclosed quote', async () => {
    const missing = await postCsv(
      '/api/v1/devices/import?dryRun=true',
      'id,kind,city,ward,lat,name\nx,y,z,w,1,n',
    );
    expect(missing.body.problems).toEqual([{ line: 1, field: 'lon', message: expect.any(String) }]);
    const short = await postCsv('/api/v1/devices/import?dryRun=true', `${header}\n${row(1, 'short')}\na,b`);
    expect(short.body.problems).toEqual([{ line: 3, field: '', message: expect.stringMatching(/2 cells/) }]);
    const quote = await postCsv('/api/v1/devices/import?dryRun=true', `${header}\n${row(1, 'q')}\n"open,x`);
    expect(quote.body.problems).toEqual([
      { line: 3, field: '', message: expect.stringMatching(/not closed/) },
    ]);
  });

  it('is for admins only, and an import is in the audit log', async () => {
    const operator = await app.loginAs('operator');
    const res = await postCsv('/api/v1/devices/import', [header, row(1, 'op')].join('\n'), operator);
    expect(res.status).toBe(403);
    const audit = await eventually(
      async () =>
        (await app.request('GET', '/api/v1/audit?action=POST%20/api/v1/devices/import', admin)).body,
      (b) => b.items.length >= 4,
    );
    expect(audit.items.map((e: { outcome: string }) => e.outcome)).toContain('denied');
  });

  it('exports the registry in the columns the import reads, filtered like the list', async () => {
    const res = await fetch(`${app.baseUrl}/api/v1/devices/export?city=tay-ninh&kind=streetlight`, {
      headers: admin,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/csv/);
    const text = await res.text();
    const [head, ...rows] = text.replace('\uFEFF', '').trim().split('\r\n');
    expect(head).toBe(header);
    expect(rows).toHaveLength(1_002);
    expect(rows).toContain(row(42));
    // What was exported imports again once the ids are free: the round trip keeps every field.
    const again = await postCsv(
      '/api/v1/devices/import?dryRun=true',
      text.replaceAll('imp-sl-', 'copy-sl-').replaceAll('csv-sl-', 'copy2-sl-'),
    );
    expect(again.body).toMatchObject({ valid: true, rows: 1_002, problems: [] });
  });
});
