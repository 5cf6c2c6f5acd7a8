// The real process (`npm start`'s entry) under SIGTERM: whatever it accepted reaches the database first.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { connectDevice, eventually } from '../helpers/mqtt.ts';

const root = new URL('../../', import.meta.url).pathname;
let database: TestDatabase;
let dataDir: string;

beforeAll(async () => {
  database = await createTestDatabase();
  dataDir = await mkdtemp(join(tmpdir(), 'ioc-shutdown-'));
});
afterAll(async () => {
  await database.drop();
  await rm(dataDir, { recursive: true, force: true });
});

function startProcess(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const ports = new Promise<{ http: number; mqtt: number }>((ok, fail) => {
    child.stdout.on('data', () => {
      const match = output.match(/IOC: http:\/\/localhost:(\d+)\/.*MQTT: mqtt:\/\/localhost:(\d+)/);
      if (match) ok({ http: Number(match[1]), mqtt: Number(match[2]) });
    });
    child.once('exit', (code) => fail(new Error(`process exited (${code}) before it was ready:\n${output}`)));
  });
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  return { child, ports, exited, output: () => output };
}

describe('graceful shutdown', () => {
  it('drains accepted readings to the database on SIGTERM, then exits 0', { timeout: 60_000 }, async () => {
    const proc = startProcess({
      DATABASE_URL: database.url,
      DATA_DIR: dataDir,
      HTTP_PORT: '0',
      MQTT_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      MQTT_HOST: '127.0.0.1',
      ADMIN_PASSWORD: 'shutdown-test-password',
      // Long batching delay: the readings are surely still queued when SIGTERM arrives.
      INGEST_FLUSH_MS: '10000',
      LOG_LEVEL: 'info',
    });
    const { http, mqtt } = await proc.ports;
    const login = await fetch(`http://127.0.0.1:${http}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'shutdown-test-password' }),
    });
    const { token } = (await login.json()) as { token: string };
    const created = await fetch(`http://127.0.0.1:${http}/api/v1/devices`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        id: 'tn-p2-noise-9200',
        kind: 'noise',
        city: 'tay-ninh',
        ward: 'phuong-tan-ninh',
        lat: 11.3,
        lon: 106.1,
        name: 'Ồn',
      }),
    });
    const { credentials } = (await created.json()) as { credentials: { secret: string } };

    const client = await connectDevice(`mqtt://127.0.0.1:${mqtt}`, 'tn-p2-noise-9200', credentials.secret);
    const count = 200;
    const base = Date.now() - 600_000;
    for (let i = 0; i < count; i++) {
      client.publish(
        'ioc/tay-ninh/noise/tn-p2-noise-9200/telemetry',
        JSON.stringify({ ts: base + i * 1000, metrics: { laeq_db: 60 } }),
        { qos: 1 },
      );
    }
    // Wait until the process holds readings in its queue (none written yet: 10 s batching delay).
    let queued = 0;
    await eventually(
      async () => {
        const text = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text();
        const now = Number(text.match(/^ioc_ingest_queue_rows (\d+)/m)?.[1] ?? 0);
        const stable = now > 0 && now === queued;
        queued = now;
        return stable;
      },
      (stable) => stable,
      10_000,
    );
    expect(queued).toBeGreaterThan(0);
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    const stored = async () =>
      (await db.query("SELECT count(*)::int AS n FROM telemetry WHERE device_id = 'tn-p2-noise-9200'"))
        .rows[0].n as number;
    expect(await stored()).toBe(0);

    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    client.end(true);
    expect(await stored()).toBeGreaterThanOrEqual(queued);
    await db.end();
    expect(proc.output()).toContain('city IOC stopped');
  });
});

describe('start-up', () => {
  it('names the setting when a port is taken, and leaves nothing running behind', async () => {
    const { createServer } = await import('node:net');
    const { startTestApp } = await import('../helpers/app.ts');
    const blocker = createServer();
    await new Promise<void>((ok) => blocker.listen(0, '127.0.0.1', () => ok()));
    const port = (blocker.address() as { port: number }).port;
    await expect(startTestApp({ MQTT_PORT: String(port) })).rejects.toThrow(
      `MQTT_PORT=${port} is already in use on 127.0.0.1; set MQTT_PORT to a free port (0 picks any)`,
    );
    await expect(startTestApp({ HTTP_PORT: String(port) })).rejects.toThrow(
      /HTTP_PORT=\d+ is already in use/,
    );
    blocker.close();
  });
});
