import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt from 'mqtt';
import { parseCommandLine, wholeNumber } from '../../src/cli/commandLine.ts';
import { attackAdminPassword, rssOf, startProductionIoc } from './target.ts';

const command = 'attack:login';
const help = `Tấn công đăng nhập / Login flood: many logins with random usernames against a production IOC

Usage: npx tsx scripts/attacks/login.ts [options]

Starts the IOC of --app-dir (NODE_ENV=production, embedded PostgreSQL in a temporary DATA_DIR,
TRUST_PROXY=true, free ports), registers a device, then for --seconds keeps --concurrency logins
with random usernames and passwords in flight, from --addresses source addresses (X-Forwarded-For;
1: the attacker's own address only). Meanwhile it measures, and prints as JSON:
  - the device's first connection: time to its CONNACK (mqtt.js gives up at 30 s; here 60 s);
  - an admin login from the address it logged in from before (usual), and from a fresh one (fresh);
  - /healthz latency (median, max) and the IOC's RSS growth (from /proc);
  - the flood's answers by status (0: no answer within 60 s).

Options
  --app-dir <path>      checkout whose src/main.ts is started (default: this repository)
  --concurrency <n>     logins in flight at once (default 200)
  --seconds <n>         length of the flood (default 20)
  --addresses <n>       distinct source addresses of the flood (default 1)
  -h, --help            this text

Example
  npx tsx scripts/attacks/login.ts --concurrency 200 --seconds 20
  npx tsx scripts/attacks/login.ts --app-dir /tmp/before --addresses 1000
`;

const { values } = parseCommandLine(command, help, {
  options: {
    'app-dir': { type: 'string' },
    concurrency: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '20' },
    addresses: { type: 'string', default: '1' },
  },
});
const appDir = resolve(values['app-dir'] ?? new URL('../../', import.meta.url).pathname);
const concurrency = wholeNumber(command, 'concurrency', values.concurrency, 1);
const seconds = wholeNumber(command, 'seconds', values.seconds, 1);
const addressCount = wholeNumber(command, 'addresses', values.addresses, 1);
const adminPassword = attackAdminPassword;
const startIoc = (dataDir: string) => startProductionIoc(appDir, dataDir, { TRUST_PROXY: 'true' });

async function login(base: string, username: string, password: string, from?: string) {
  const started = performance.now();
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(from ? { 'x-forwarded-for': from } : {}) },
    body: JSON.stringify({ username, password }),
    signal: AbortSignal.timeout(60_000),
  }).catch(() => undefined);
  const body = res ? ((await res.json().catch(() => ({}))) as { token?: string }) : {};
  return { status: res?.status ?? 0, ms: Math.round(performance.now() - started), token: body.token };
}

/** An admin who keeps trying, as a person would after a 429 (Retry-After honoured), up to 60 s. */
async function adminGetsIn(base: string, from?: string) {
  const started = performance.now();
  let tries = 0;
  while (performance.now() - started < 60_000) {
    tries++;
    const res = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(from ? { 'x-forwarded-for': from } : {}) },
      body: JSON.stringify({ username: 'admin', password: adminPassword }),
      signal: AbortSignal.timeout(60_000),
    }).catch(() => undefined);
    if (res?.status === 200) return { ms: Math.round(performance.now() - started), tries };
    const wait = Number(res?.headers.get('retry-after') ?? 1);
    await res?.text();
    await new Promise((ok) => setTimeout(ok, Math.min(wait, 5) * 1000));
  }
  return { ms: null, tries };
}

function firstConnack(url: string, id: string, secret: string): Promise<number | string> {
  const started = performance.now();
  return new Promise((ok) => {
    const client = mqtt.connect(url, {
      clientId: id,
      username: id,
      password: secret,
      connectTimeout: 60_000,
      reconnectPeriod: 0,
    });
    const done = (outcome: number | string) => {
      client.end(true);
      ok(outcome);
    };
    client.once('connect', () => done(Math.round(performance.now() - started)));
    client.once('error', (error) =>
      done(`${error.message} after ${Math.round(performance.now() - started)} ms`),
    );
    client.once('close', () => done(`closed after ${Math.round(performance.now() - started)} ms`));
  });
}

const randomAddress = () => `10.${randomBytes(1)[0]}.${randomBytes(1)[0]}.${(randomBytes(1)[0]! % 254) + 1}`;
const attackers = Array.from({ length: addressCount }, (_, i) =>
  i === 0 ? '10.255.255.254' : randomAddress(),
);

const dataDir = await mkdtemp(join(tmpdir(), 'ioc-attack-login-'));
const ioc = await startIoc(dataDir);
const pid = ioc.child.pid!;
try {
  const session = await login(ioc.http, 'admin', adminPassword);
  if (!session.token) throw new Error(`the admin could not log in before the flood (${session.status})`);
  const created = await fetch(`${ioc.http}/api/v1/devices`, {
    method: 'POST',
    headers: { authorization: `Bearer ${session.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      id: 'tn-p1-sl-attack',
      kind: 'streetlight',
      city: 'tay-ninh',
      ward: 'phuong-tan-ninh',
      lat: 11.3105,
      lon: 106.0982,
      name: 'Đèn đo tấn công',
    }),
  });
  const { secret } = ((await created.json()) as { credentials: { secret: string } }).credentials;
  if (created.status !== 201) throw new Error(`the device was not registered (${created.status})`);
  // The device is new to this process: its first connection runs the full scrypt check.
  const rssBefore = rssOf(pid);

  const statuses = new Map<number, number>();
  let running = true;
  const flood = Array.from({ length: concurrency }, async (_, worker) => {
    let n = 0;
    while (running) {
      const from = attackers[(worker + n++ * concurrency) % attackers.length];
      const { status } = await login(
        ioc.http,
        `u${randomBytes(6).toString('hex')}`,
        randomBytes(9).toString('base64url'),
        from,
      );
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  });

  const health: number[] = [];
  let rssMax = rssBefore;
  const sampler = setInterval(() => {
    rssMax = Math.max(rssMax, rssOf(pid));
    const started = performance.now();
    void fetch(`${ioc.http}/healthz`, { signal: AbortSignal.timeout(60_000) })
      .then((res) => res.text())
      .then(() => health.push(performance.now() - started))
      .catch(() => health.push(60_000));
  }, 500);

  // Into the flood, so the pool is as full as the flood makes it.
  await new Promise((ok) => setTimeout(ok, 3_000));
  const [connackMs, usual, fresh] = await Promise.all([
    firstConnack(ioc.mqtt, 'tn-p1-sl-attack', secret),
    adminGetsIn(ioc.http),
    adminGetsIn(ioc.http, '192.0.2.77'),
  ]);
  await new Promise((ok) => setTimeout(ok, Math.max(0, seconds * 1000 - 3_000)));
  running = false;
  await Promise.all(flood);
  clearInterval(sampler);
  health.sort((a, b) => a - b);
  console.log(
    JSON.stringify(
      {
        appDir,
        concurrency,
        seconds,
        addresses: addressCount,
        floodAnswers: Object.fromEntries(statuses),
        deviceFirstConnackMs: connackMs,
        adminLoginUsualAddress: usual,
        adminLoginFreshAddress: fresh,
        healthzMs: {
          median: Math.round(health[Math.floor(health.length / 2)] ?? 0),
          max: Math.round(health.at(-1) ?? 0),
        },
        rssGrowthMiB: Math.round((rssMax - rssBefore) / 1_048_576),
      },
      null,
      2,
    ),
  );
} finally {
  ioc.child.kill('SIGTERM');
  await new Promise((ok) => ioc.child.once('exit', ok));
  await rm(dataDir, { recursive: true, force: true });
}
