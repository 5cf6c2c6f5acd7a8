// Attacks a viewer can make on the live layer (/live) of a real production-mode IOC, and what they do
// to it: a subscribe flood from one socket, then a socket that stops reading while it keeps asking
// (answering pings blindly to stay alive). The IOC runs as its own process (src/main.ts of --app-dir)
// with Hội An's fleet registered, so every snapshot carries its 887 devices and the attacker's work is
// not on the IOC's event loop.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt from 'mqtt';
import { io } from 'socket.io-client';
import { WebSocket } from 'ws';
import { parseCommandLine, wholeNumber } from '../../src/cli/commandLine.ts';
import { attackAdminPassword, mib, rssOf, sleep, startProductionIoc } from './target.ts';

const command = 'attack:live';
const help = `Tấn công kênh trực tiếp / Live layer attacks: a subscribe flood and a socket that does not read

Usage: npx tsx scripts/attacks/live.ts [options]

Starts the IOC of --app-dir (NODE_ENV=production, embedded PostgreSQL in a temporary DATA_DIR,
free ports), registers Hội An's fleet (887 devices) and a viewer, then:
  1. flood: one viewer socket emits subscribe {} --subscribes times at once, and is watched for
     --seconds;
  2. stalled: a raw WebSocket whose TCP socket stops reading (it answers pings blindly) sends
     --rate subscribes a second for --seconds, then closes.
During each phase it measures, and prints as JSON: the IOC's RSS growth (from /proc), /healthz
latency (median, max), a device's time to CONNACK (connecting again and again), and the answers.

Options
  --app-dir <path>      checkout whose src/main.ts is started (default: this repository)
  --subscribes <n>      subscribes of the flood (default 2000)
  --rate <n>            subscribes a second of the stalled socket (default 50)
  --seconds <n>         length of each phase (default 30)
  -h, --help            this text

Example
  npx tsx scripts/attacks/live.ts
  npx tsx scripts/attacks/live.ts --app-dir /tmp/before --seconds 30
`;

const { values } = parseCommandLine(command, help, {
  options: {
    'app-dir': { type: 'string' },
    subscribes: { type: 'string', default: '2000' },
    rate: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '30' },
  },
});
const appDir = resolve(values['app-dir'] ?? new URL('../../', import.meta.url).pathname);
const subscribes = wholeNumber(command, 'subscribes', values.subscribes, 1);
const rate = wholeNumber(command, 'rate', values.rate, 1);
const seconds = wholeNumber(command, 'seconds', values.seconds, 1);
const adminPassword = attackAdminPassword;
const startIoc = (dataDir: string) =>
  startProductionIoc(appDir, dataDir).then((t) => ({ ...t, port: t.httpPort }));

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? null;

async function call(base: string, method: string, path: string, token: string | undefined, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

function connackMs(url: string, id: string, secret: string): Promise<number | null> {
  const started = performance.now();
  return new Promise((ok) => {
    const client = mqtt.connect(url, {
      clientId: id,
      username: id,
      password: secret,
      connectTimeout: 60_000,
      reconnectPeriod: 0,
    });
    const done = (ms: number | null) => {
      client.end(true);
      ok(ms);
    };
    client.once('connect', () => done(Math.round(performance.now() - started)));
    client.once('error', () => done(null));
    client.once('close', () => done(null));
  });
}

/** Samples the IOC while `phase` runs: RSS, /healthz one after another, a device's CONNACK again and again. */
async function watch<T>(
  ioc: { child: ChildProcess; http: string; mqtt: string },
  device: { id: string; secret: string },
  phase: () => Promise<T>,
) {
  const pid = ioc.child.pid!;
  const rssBefore = rssOf(pid);
  let rssMax = rssBefore;
  let running = true;
  const health: number[] = [];
  const connacks: Array<number | null> = [];
  const sampler = setInterval(() => {
    rssMax = Math.max(rssMax, rssOf(pid));
  }, 100);
  const probes = [
    (async () => {
      while (running) {
        const started = performance.now();
        await fetch(`${ioc.http}/healthz`, { signal: AbortSignal.timeout(60_000) })
          .then((res) => res.text())
          .catch(() => undefined);
        health.push(performance.now() - started);
        await new Promise((ok) => setTimeout(ok, 100));
      }
    })(),
    (async () => {
      while (running) {
        connacks.push(await connackMs(ioc.mqtt, device.id, device.secret));
        await new Promise((ok) => setTimeout(ok, 250));
      }
    })(),
  ];
  const result = await phase();
  running = false;
  await Promise.all(probes);
  clearInterval(sampler);
  const rssAfter = rssOf(pid);
  const done = connacks.filter((x): x is number => x !== null);
  return {
    ...result,
    rssBeforeMiB: mib(rssBefore),
    rssMaxMiB: mib(rssMax),
    rssGrowthMiB: mib(rssMax - rssBefore),
    rssAfterMiB: mib(rssAfter),
    healthzMs: { median: Math.round(median(health) ?? 0), max: Math.round(Math.max(0, ...health)) },
    connackMs: {
      median: median(done),
      max: done.length ? Math.max(...done) : null,
      failed: connacks.length - done.length,
    },
  };
}

const dataDir = await mkdtemp(join(tmpdir(), 'ioc-attack-live-'));
const ioc = await startIoc(dataDir);
try {
  const adminToken = (
    (await call(ioc.http, 'POST', '/api/v1/auth/login', undefined, {
      username: 'admin',
      password: adminPassword,
    })) as { token: string }
  ).token;
  const fleet = (await call(ioc.http, 'POST', '/api/v1/fleets/hoi-an/load', adminToken, {})) as {
    created: number;
    credentials: Array<{ id: string; secret: string }>;
  };
  const device = fleet.credentials[0]!;
  const viewerPassword = randomBytes(12).toString('base64url');
  await call(ioc.http, 'POST', '/api/v1/users', adminToken, {
    username: 'attacker',
    password: viewerPassword,
    role: 'viewer',
  });
  const token = (
    (await call(ioc.http, 'POST', '/api/v1/auth/login', undefined, {
      username: 'attacker',
      password: viewerPassword,
    })) as { token: string }
  ).token;

  // 1. One socket, `subscribes` subscribes at once; it reads what it is sent.
  const flood = await watch(ioc, device, async () => {
    const socket = io(`${ioc.http}/live`, {
      auth: { token },
      transports: ['websocket'],
      reconnection: false,
    });
    let snapshots = 0;
    let snapshotBytes = 0;
    socket.on('snapshot', (s: unknown) => {
      snapshots++;
      snapshotBytes ||= JSON.stringify(s).length;
    });
    await new Promise((ok) => socket.once('snapshot', ok));
    const answers = { ok: 0, refused: 0 };
    const started = performance.now();
    for (let i = 0; i < subscribes; i++)
      socket.emit('subscribe', {}, (answer: { ok?: boolean }) => {
        if (answer.ok) answers.ok++;
        else answers.refused++;
      });
    await sleep(seconds * 1000);
    const result = {
      subscribes,
      answers,
      answeredWithinS: Math.round((performance.now() - started) / 1000),
      snapshotsReceived: snapshots,
      snapshotBytes,
      connectedAtEnd: socket.connected,
    };
    socket.disconnect();
    return result;
  });

  // 2. A socket that stops reading after its handshake and keeps asking for snapshots.
  const stalled = await watch(ioc, device, async () => {
    const tcp = net.connect(ioc.port, '127.0.0.1');
    const ws = new WebSocket(`ws://127.0.0.1:${ioc.port}/socket.io/?EIO=4&transport=websocket`, {
      createConnection: () => tcp,
    });
    let closed = false;
    tcp.once('close', () => {
      closed = true;
    });
    const frames: string[] = [];
    ws.on('message', (data) => frames.push(data.toString()));
    ws.on('error', () => {});
    await new Promise((ok) => ws.once('open', ok));
    while (!frames.some((f) => f.startsWith('0'))) await sleep(10);
    ws.send(`40/live,${JSON.stringify({ token })}`);
    while (!frames.some((f) => f.startsWith('42/live,["snapshot"'))) await sleep(10);
    tcp.pause();
    const started = performance.now();
    let sent = 0;
    let cutAfterS: number | null = null;
    while (performance.now() - started < seconds * 1000) {
      if (closed || ws.readyState !== WebSocket.OPEN || tcp.destroyed) {
        cutAfterS ??= Math.round((performance.now() - started) / 100) / 10;
        await sleep(100);
        continue;
      }
      ws.send('3'); // a pong, unasked: the connection stays alive without reading
      for (let i = 0; i < rate / 10; i++) ws.send('42/live,["subscribe",{}]');
      sent += Math.ceil(rate / 10);
      await sleep(100);
    }
    // Written but maybe not yet seen by the server: the kernel's buffers may hold the last of them.
    const result = { subscribesSent: sent, cutByServerAfterS: cutAfterS };
    tcp.destroy();
    await sleep(2_000);
    return result;
  });

  process.stdout.write(
    `${JSON.stringify({ appDir, devices: fleet.created, seconds, flood, stalled }, null, 2)}\n`,
  );
} finally {
  ioc.child.kill('SIGTERM');
  await new Promise((ok) => ioc.child.once('exit', ok));
  await rm(dataDir, { recursive: true, force: true });
}
