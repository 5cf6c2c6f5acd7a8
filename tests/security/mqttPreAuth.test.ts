// What a client that never authenticates can make the broker spend (src/broker/preAuth.ts), tried
// against the real process: a thousand sockets announcing a 1 MiB CONNECT are cut at their header,
// the process's memory hardly moves and a device still gets its CONNACK meanwhile; sockets that
// never send CONNECT are cut after the connect timeout; one address cannot hold more than its share
// of unauthenticated connections; and websockets are held to the same bounds. Every cut is counted in
// ioc_mqtt_refused_total{reason}.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { type Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connectPacket, remainingLength } from '../../bench/load/mqttWire.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { type AppProcess, startAppProcess } from '../helpers/appProcess.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { eventually } from '../helpers/mqtt.ts';

const connectTimeoutMs = 3_000;
const preAuthPerAddress = 50;
let database: TestDatabase;
let dataDir: string;
let running: AppProcess;
let device: { id: string; secret: string };
const metricsToken = randomBytes(24).toString('hex');

/** The app process's resident memory, in MiB. */
const rssMiB = () =>
  Number(readFileSync(`/proc/${running.child.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/)![1]) / 1024;

async function refused(reason: string): Promise<number> {
  const text = await (
    await fetch(`http://127.0.0.1:${running.http}/metrics`, {
      headers: { authorization: `Bearer ${metricsToken}` },
    })
  ).text();
  return Number(
    text.match(new RegExp(`^ioc_mqtt_refused_total\\{reason="${reason}"\\} (\\d+)`, 'm'))?.[1] ?? 0,
  );
}

/** A raw TCP connection from `from` (another loopback address is another client address). */
function open(from: string, port = running.mqtt): Promise<{ socket: Socket; closed: Promise<number> }> {
  const socket = tcpConnect({ port, host: '127.0.0.1', localAddress: from });
  socket.on('error', () => {}); // a cut may arrive as a reset
  const closed = new Promise<number>((ok) => socket.once('close', () => ok(performance.now())));
  return new Promise((ok, fail) => {
    socket.once('connect', () => ok({ socket, closed }));
    socket.once('error', fail);
  });
}

/** A device's CONNECT over raw TCP from `from`: resolves with the CONNACK's return code and its delay. */
async function connack(from: string, keep = false): Promise<{ code: number; ms: number; socket: Socket }> {
  const started = performance.now();
  const { socket } = await open(from);
  const answer = new Promise<Buffer>((ok) => socket.once('data', ok));
  socket.write(connectPacket(device.id, device.id, device.secret));
  const bytes = await answer;
  const ms = performance.now() - started;
  if (!keep) socket.destroy();
  expect(bytes[0]).toBe(0x20);
  return { code: bytes[3]!, ms, socket };
}

beforeAll(async () => {
  database = await createTestDatabase();
  dataDir = await mkdtemp(join(tmpdir(), 'ioc-preauth-'));
  running = await startAppProcess({
    NODE_ENV: 'production',
    JWT_SECRET: 'qTz8vN3kLw5pR7yB2mX9cF4hJ6dG1sA0eUoIiKrZ',
    MQTT_ALLOW_PLAINTEXT: 'true',
    METRICS_LISTEN: 'off',
    METRICS_TOKEN: metricsToken,
    DATABASE_URL: database.url,
    DATA_DIR: dataDir,
    MQTT_CONNECT_TIMEOUT_MS: String(connectTimeoutMs),
    MQTT_PREAUTH_PER_ADDRESS: String(preAuthPerAddress),
  });
  const created = await running.api('POST', '/api/v1/devices', {
    id: 'tn-preauth-env-1',
    kind: 'environment',
    city: 'tay-ninh',
    ward: 'phuong-tan-ninh',
    lat: 11.3,
    lon: 106.1,
    name: 'Trạm thử trước đăng nhập',
  });
  device = { id: 'tn-preauth-env-1', secret: created.body.credentials.secret };
}, 120_000);

afterAll(async () => {
  running?.child.kill('SIGKILL');
  await running?.exited;
  await database?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('MQTT before authentication', () => {
  it('cuts 1,000 sockets announcing a 1 MiB CONNECT at their header; memory holds and a device connects meanwhile', {
    timeout: 60_000,
  }, async () => {
    const before = { large: await refused('connect_too_large'), cap: await refused('preauth_per_address') };
    const timedOut = await refused('connect_timeout');
    const rssBefore = rssMiB();
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, rssMiB());
    }, 20);
    // The header of a CONNECT announcing 1,048,570 bytes, and a few bytes of its body.
    const attack = Buffer.concat([
      Buffer.from([0x10, ...remainingLength(1_048_570)]),
      Buffer.alloc(16, 0x41),
    ]);
    const sockets = Array.from({ length: 1_000 }, async () => {
      const { socket, closed } = await open('127.0.0.1').catch(() => ({
        socket: undefined,
        closed: undefined,
      }));
      if (!socket) return 0; // refused by a cap before the handshake ended: nothing held
      const sent = performance.now();
      socket.write(attack);
      return (await closed!) - sent;
    });
    const honest = await connack('127.0.0.2');
    const closedAfter = await Promise.all(sockets);
    clearInterval(sampler);
    const rssClosed = rssMiB();
    const counted = {
      large: (await refused('connect_too_large')) - before.large,
      cap: (await refused('preauth_per_address')) - before.cap,
    };
    console.info(
      `[mqtt pre-auth] 1,000 sockets: RSS ${rssBefore.toFixed(0)} → peak ${rssPeak.toFixed(0)} → ${rssClosed.toFixed(0)} MiB after; slowest cut ${Math.max(...closedAfter).toFixed(0)} ms; device CONNACK ${honest.ms.toFixed(0)} ms; refused ${counted.large} oversized, ${counted.cap} over the address cap`,
    );
    // Let in, so within the connect timeout: its time is shared with this test's own 1,000 sockets.
    expect(honest.code).toBe(0);
    // Cut at the header, not by the connect timeout: every one of them, and none counted as timed out.
    expect(Math.max(...closedAfter)).toBeLessThan(connectTimeoutMs);
    expect(await refused('connect_timeout')).toBe(timedOut);
    expect(counted.large + counted.cap).toBe(1_000);
    // Announced: 1,000 MiB. Held: a few bytes each.
    expect(rssPeak - rssBefore).toBeLessThan(64);
  });

  it('cuts sockets that never send CONNECT after the connect timeout, and counts them', async () => {
    const before = await refused('connect_timeout');
    const opened = performance.now();
    const silent = await Promise.all(Array.from({ length: 5 }, () => open('127.0.0.3')));
    const closedAt = await Promise.all(silent.map((s) => s.closed));
    for (const at of closedAt) {
      expect(at - opened).toBeGreaterThanOrEqual(connectTimeoutMs - 50);
      expect(at - opened).toBeLessThan(connectTimeoutMs + 3_000);
    }
    expect(
      await eventually(
        () => refused('connect_timeout'),
        (n) => n === before + 5,
      ),
    ).toBe(before + 5);
  });

  it('refuses unauthenticated connections over the per-address cap at once; devices behind the same address carry on', async () => {
    const before = await refused('preauth_per_address');
    // A device behind the same address (a NAT) is connected: it no longer counts as unauthenticated.
    const behindNat = await connack('127.0.0.4', true);
    expect(behindNat.code).toBe(0);
    const held = await Promise.all(Array.from({ length: preAuthPerAddress }, () => open('127.0.0.4')));
    const excess = await Promise.all(
      Array.from({ length: 10 }, () => open('127.0.0.4').catch(() => undefined)),
    );
    const excessOpened = performance.now();
    await Promise.all(excess.map((s) => s?.closed));
    // Closed at once, not by the connect timeout; exactly the excess (the device did not take a place).
    expect(performance.now() - excessOpened).toBeLessThan(connectTimeoutMs);
    expect(
      await eventually(
        () => refused('preauth_per_address'),
        (n) => n >= before + 10,
      ),
    ).toBe(before + 10);
    expect(behindNat.socket.destroyed).toBe(false);
    // Another address is not affected (the same device id: it takes the session over).
    expect((await connack('127.0.0.5')).code).toBe(0);
    for (const s of [...held, behindNat]) s.socket.destroy();
  });

  it('cuts a first packet that is not a CONNECT', async () => {
    const before = await refused('not_connect');
    const { socket, closed } = await open('127.0.0.6');
    socket.write(Buffer.from([0x30, ...remainingLength(10), ...Buffer.alloc(10)]));
    await closed;
    expect(
      await eventually(
        () => refused('not_connect'),
        (n) => n === before + 1,
      ),
    ).toBe(before + 1);
  });
});

describe('MQTT over websockets before authentication', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ MQTT_WS_PORT: '0' });
  });
  afterAll(async () => app.close());

  const counter = async (reason: string) =>
    (await app.metrics.mqttRefused.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;

  async function websocket(): Promise<{ ws: WebSocket; closed: Promise<void> }> {
    const ws = new WebSocket(`ws://127.0.0.1:${app.mqttWsPort}`, 'mqtt');
    ws.on('error', () => {});
    const closed = new Promise<void>((ok) => ws.once('close', () => ok()));
    await new Promise((ok) => ws.once('open', ok));
    return { ws, closed };
  }

  it('cuts a CONNECT announcing 1 MiB, and a large frame before CONNACK', async () => {
    const before = { large: await counter('connect_too_large'), bytes: await counter('preauth_bytes') };
    const announced = await websocket();
    announced.ws.send(Buffer.concat([Buffer.from([0x10, ...remainingLength(1_048_570)]), Buffer.alloc(16)]));
    await announced.closed;
    // One frame of 512 KiB whose bytes never reach the MQTT parser: cut once a CONNECT's worth arrived.
    const frame = await websocket();
    frame.ws.send(Buffer.alloc(512 * 1024, 0x10));
    await frame.closed;
    expect(
      await eventually(
        () => counter('connect_too_large'),
        (n) => n === before.large + 1,
      ),
    ).toBe(before.large + 1);
    expect(
      await eventually(
        () => counter('preauth_bytes'),
        (n) => n === before.bytes + 1,
      ),
    ).toBe(before.bytes + 1);
  });
});
