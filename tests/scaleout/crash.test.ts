// An instance killed outright (SIGKILL: no drain, no DISCONNECT) loses no reading the broker
// acknowledged: what it had in flight, and what the broker queued for it while it was down, stays in
// its persistent session and is redelivered when it comes back under the same INSTANCE_ID; a reading
// it had already stored but not acknowledged is stored once.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, testAdminPassword } from '../helpers/app.ts';
import { startMosquitto, type TestMosquitto } from '../helpers/mosquitto.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';

let mosquitto: TestMosquitto;
let b: TestApp;
let dataDir: string;
const children: ChildProcess[] = [];
const jwt = 'q7Rk2vN9pLx4Tz8WcYb3HmJd6FsGa5Ue1KoPiVnQ';

/** Instance A as its own process (npm start's entry), ready once it says so. */
async function startChild(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      ...mosquitto.env('crash-a'),
      DATABASE_URL: b.databaseUrl,
      DATA_DIR: dataDir,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      ADMIN_PASSWORD: testAdminPassword,
      JWT_SECRET: jwt,
      LOG_LEVEL: 'info',
      INGEST_FLUSH_MS: '10',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  await new Promise<void>((ok, fail) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`instance A did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (output.includes('city IOC ready')) {
        clearTimeout(timer);
        ok();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`instance A exited (${code}):\n${output}`));
    });
  });
  return child;
}

const kill = (child: ChildProcess) =>
  new Promise<void>((ok) => {
    if (child.exitCode !== null || child.signalCode !== null) return ok();
    child.once('exit', () => ok());
    child.kill('SIGKILL');
  });

beforeAll(async () => {
  mosquitto = await startMosquitto();
  dataDir = await mkdtemp(join(tmpdir(), 'ioc-crash-a-'));
  b = await startTestApp({ ...mosquitto.env('crash-b'), JWT_SECRET: jwt });
});
afterAll(async () => {
  for (const child of children) await kill(child);
  await b?.close();
  await mosquitto?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('an instance killed in the middle of a burst', () => {
  it('loses no acknowledged reading: its session redelivers to it when it comes back', async () => {
    const admin = await b.login();
    const fleet: Array<{ id: string; secret: string }> = [];
    for (let n = 1; n <= 4; n++) {
      const id = `tn-p2-waste-77${String(n).padStart(2, '0')}`;
      const created = await b.request('POST', '/api/v1/devices', admin, {
        id,
        kind: 'waste',
        city: 'tay-ninh',
        ward: 'phuong-tan-ninh',
        lat: 11.3,
        lon: 106.1,
        name: `Thùng ${n}`,
      });
      expect(created.status).toBe(201);
      fleet.push({ id, secret: created.body.credentials.secret });
    }
    let a = await startChild();
    const perDevice = 150;
    const total = fleet.length * perDevice;
    const t0 = Date.now() - 3_600_000;
    let acknowledged = 0;
    let killed: Promise<void> | undefined;
    await Promise.all(
      fleet.map(async ({ id, secret }) => {
        const client = await connectDevice(mosquitto.url, id, secret);
        for (let i = 0; i < perDevice; i++) {
          // Resolves on the broker's PUBACK: from here on the reading must not be lost.
          await publish(
            client,
            `ioc/tay-ninh/waste/${id}/telemetry`,
            JSON.stringify({ ts: t0 + i * 1_000, metrics: { fill_pct: i % 100 } }),
          );
          acknowledged++;
          if (acknowledged === Math.floor(total / 3)) killed = kill(a);
        }
        await client.endAsync();
      }),
    );
    await killed;
    expect(acknowledged).toBe(total);
    const count = async () =>
      Number(
        (await b.pool.query(`SELECT count(*) AS n FROM telemetry WHERE device_id LIKE 'tn-p2-waste-77%'`))
          .rows[0].n,
      );
    // B alone holds what was routed to it; A's share waits in A's session on the broker.
    await new Promise((ok) => setTimeout(ok, 1_000));
    // Mosquitto keeps routing A's share to A's session while A is away (round robin over the group's
    // sessions, connected or not): those readings are stored only once A is back.
    expect(await count()).toBeLessThan(total);
    a = await startChild();
    expect(await eventually(count, (n) => n >= total, 20_000)).toBe(total);
    await kill(a);
  });
});
