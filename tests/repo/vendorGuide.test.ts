// The command lines a vendor copies from docs/mqtt.md work: every mosquitto_pub and mosquitto_sub line
// of its shell blocks runs, as written, with the real binaries against a running IOC (plain MQTT and
// TLS, password and device certificate), its variables set to a device of the kind the line's topic
// names, claimed the way the guide says. Each publish must be stored (or kept as the dead letter its
// comment names), and each subscription must receive a command the test sends.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deadLetterReasons } from '../../src/errors.ts';
import { claimRefusals } from '../../src/provisioning/texts.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createTestCertificates, type Pem, type TestCertificates } from '../helpers/certificates.ts';
import { eventually } from '../helpers/mqtt.ts';

const guide = readFileSync(new URL('../../docs/mqtt.md', import.meta.url), 'utf8');

/** The shell lines of the guide's ```sh blocks, a line continued with `\` joined to the next. */
function shellLines(markdown: string): string[] {
  const lines: string[] = [];
  for (const block of markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    const joined = block[1]!.replace(/\\\n\s*/g, ' ');
    lines.push(...joined.split('\n').filter((line) => line.trim() && !line.trim().startsWith('#')));
  }
  return lines;
}

interface GuideLine {
  text: string;
  program: 'mosquitto_pub' | 'mosquitto_sub';
  kind: string;
  channel: string;
  /** The dead-letter reason its trailing comment announces. */
  refused: string | undefined;
}

const lines: GuideLine[] = shellLines(guide)
  .filter((text) => /\bmosquitto_(pub|sub)\b/.test(text))
  .map((text) => {
    const topic = /-t "ioc\/\$CITY\/([a-z-]+)\/\$DEVICE\/([a-z_]+)"/.exec(text);
    if (!topic) throw new Error(`a guide line without a device topic: ${text}`);
    return {
      text,
      program: /\bmosquitto_sub\b/.test(text) ? 'mosquitto_sub' : 'mosquitto_pub',
      kind: topic[1]!,
      channel: topic[2]!,
      refused: /#\s*dead letter ([A-Z_]+)\s*$/.exec(text)?.[1],
    };
  });

let app: TestApp;
let certs: TestCertificates;
let admin: Record<string, string>;
const devices = new Map<string, { id: string; secret: string; cert: Pem }>();
/** The last command each device received through a guide line, for the cmd_result line after it. */
const received = new Map<string, string>();

beforeAll(async () => {
  certs = await createTestCertificates();
  app = await startTestApp({
    MQTT_TLS_PORT: '0',
    MQTT_TLS_CERT_FILE: certs.server.certFile,
    MQTT_TLS_KEY_FILE: certs.server.keyFile,
    MQTT_TLS_CA_FILE: certs.ca.certFile,
    MQTT_ALLOW_PLAINTEXT: 'true',
  });
  admin = await app.login();
  const key = await app.request('POST', '/api/v1/provisioning/keys', admin, {
    name: 'vendor-guide',
    city: 'hoi-an',
    unit: 'phuong-hoi-an',
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    maxClaims: 20,
  });
  expect(key.status).toBe(201);
  // One device of each kind the guide's lines name, claimed as the guide's quick start does.
  for (const kind of new Set(lines.map((l) => l.kind))) {
    const id = `ha-guide-${kind}-0001`;
    const claim = await app.request(
      'POST',
      '/api/v1/provisioning/claim',
      {},
      { key: key.body.key, secret: key.body.secret, id, kind, lat: 15.8801, lon: 108.338 },
    );
    expect(claim.status, JSON.stringify(claim.body)).toBe(201);
    devices.set(kind, { id, secret: claim.body.credentials.secret, cert: await certs.device(id) });
  }
});
afterAll(async () => {
  await app?.close();
  await certs?.remove();
});

/** The variables the guide tells the reader to set, for a device of `kind`. */
function variables(kind: string): Record<string, string> {
  const services = inject('services');
  const device = devices.get(kind)!;
  return {
    // The suite's binaries (tests/helpers/services.ts) come first on PATH.
    PATH: [dirname(services.mosquittoPub), dirname(services.mosquittoSub), process.env.PATH].join(':'),
    MQTT_HOST: 'localhost',
    MQTT_PORT: String(app.mqttPort),
    MQTT_TLS_PORT: String(app.mqttTlsPort),
    CITY: 'hoi-an',
    DEVICE: device.id,
    SECRET: device.secret,
    CA: certs.ca.certFile,
    CERT: device.cert.certFile,
    KEY: device.cert.keyFile,
    CMD_ID: received.get(device.id) ?? '',
  };
}

function run(line: GuideLine): { child: ChildProcess; done: Promise<{ code: number | null; out: string }> } {
  const child = spawn('bash', ['-c', line.text], {
    env: variables(line.kind),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (chunk) => (out += chunk));
  child.stderr!.on('data', (chunk) => (out += chunk));
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const done = new Promise<{ code: number | null; out: string }>((ok) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      ok({ code, out });
    }),
  );
  return { child, done };
}

const count = async (sql: string, ...params: unknown[]) =>
  (await app.pool.query<{ n: number }>(sql, params)).rows[0]!.n;

/** What a publish on the line's channel leaves in the database, counted. */
function stored(line: GuideLine, id: string): () => Promise<number> {
  if (line.refused) {
    return () =>
      count(
        'SELECT count(*)::int AS n FROM dead_letters WHERE device_id = $1 AND reason = $2',
        id,
        line.refused,
      );
  }
  switch (line.channel) {
    case 'telemetry':
      return () => count('SELECT count(*)::int AS n FROM telemetry WHERE device_id = $1', id);
    case 'status':
      return () => count('SELECT count(*)::int AS n FROM device_status_changes WHERE device_id = $1', id);
    case 'event':
      return /"cmd_result"/.test(line.text)
        ? () =>
            count(
              "SELECT count(*)::int AS n FROM device_commands WHERE device_id = $1 AND state = 'succeeded'",
              id,
            )
        : () => count('SELECT count(*)::int AS n FROM device_events WHERE device_id = $1', id);
    default:
      throw new Error(`the guide publishes on ${line.channel}: ${line.text}`);
  }
}

describe('the vendor guide (docs/mqtt.md)', () => {
  it('has command lines for every kind, backlog, status, event, cmd, cmd_result, TLS and a certificate', () => {
    const published = lines.filter((l) => l.program === 'mosquitto_pub');
    for (const kind of ['streetlight', 'environment', 'noise', 'fire', 'waste', 'camera']) {
      expect(
        published.some((l) => l.kind === kind && l.channel === 'telemetry'),
        kind,
      ).toBe(true);
    }
    expect(published.some((l) => l.text.includes('| mosquitto_pub') && l.text.includes('[{'))).toBe(true);
    expect(published.some((l) => l.channel === 'status')).toBe(true);
    expect(published.some((l) => l.channel === 'event' && !l.text.includes('cmd_result'))).toBe(true);
    expect(published.some((l) => l.text.includes('cmd_result'))).toBe(true);
    expect(lines.some((l) => l.program === 'mosquitto_sub' && l.channel === 'cmd')).toBe(true);
    expect(published.some((l) => l.text.includes('--cafile') && l.text.includes('-P'))).toBe(true);
    expect(published.some((l) => l.text.includes('--cert') && !l.text.includes('-P'))).toBe(true);
  });

  it.each(lines.map((l, i) => [`#${i + 1} ${l.program} ${l.kind}/${l.channel}`, l] as const))(
    '%s works against a running IOC',
    async (_label, line) => {
      const device = devices.get(line.kind)!;
      if (line.program === 'mosquitto_sub') {
        const sub = run(line);
        // The subscription is in place when a command sent now reaches it: send until one does.
        const sent: string[] = [];
        let exit: { code: number | null; out: string } | undefined;
        void sub.done.then((result) => (exit = result));
        const deadline = Date.now() + 20_000;
        while (!exit && Date.now() < deadline) {
          const command = await app.request('POST', `/api/v1/devices/${device.id}/commands`, admin, {
            name: 'ping',
          });
          expect(command.status).toBe(202);
          sent.push(command.body.id);
          await Promise.race([sub.done, new Promise((r) => setTimeout(r, 300))]);
        }
        if (!exit) sub.child.kill('SIGKILL');
        const { code, out } = await sub.done;
        expect(code, out).toBe(0);
        const command = JSON.parse(out.trim().split('\n').pop()!) as { id: string; name: string };
        expect(sent).toContain(command.id);
        expect(command.name).toBe('ping');
        received.set(device.id, command.id);
        return;
      }
      const read = stored(line, device.id);
      const before = await read();
      const { code, out } = await run(line).done;
      expect(code, out).toBe(0);
      const after = await eventually(read, (n) => n > before, 10_000);
      expect(after, line.text).toBeGreaterThan(before);
    },
  );

  it('lists every claim refusal reason in the provisioning section', () => {
    const section = guide.slice(
      guide.indexOf('## Cấp phát tại hiện trường / Provisioning in the field'),
      guide.indexOf('## Kết nối / Connecting'),
    );
    const listed = [...section.matchAll(/^\| `([A-Z_]+)` \| \d{3} \|/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual([...claimRefusals].sort());
  });

  it('links the served contract and the stored one', () => {
    for (const place of ['/docs/mqtt', '/docs/asyncapi.json', '(asyncapi.json)'])
      expect(guide).toContain(place);
    // The dead-letter table stays whole (tests/repo/mqttDocExamples.test.ts checks it row by row).
    for (const reason of deadLetterReasons) expect(guide).toContain(`\`${reason}\``);
  });
});
