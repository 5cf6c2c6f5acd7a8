// What an anonymous client does to the append-only audit log of a real production-mode IOC: requests
// with garbage credentials, then failed logins, and the rows each adds to audit_log. The IOC of
// --app-dir runs in this process (embedded PostgreSQL in a temporary DATA_DIR) so its table can be
// counted directly; a checkout without counted attempts writes a row per request as it answers.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseCommandLine, wholeNumber } from '../../src/cli/commandLine.ts';

const command = 'attack:audit';
const help = `Làm đầy nhật ký kiểm toán / Filling the audit log from outside

Usage: npx tsx scripts/attacks/audit.ts [options]

Starts the IOC of --app-dir (NODE_ENV=production, embedded PostgreSQL in a temporary DATA_DIR, free
ports), then sends, 20 at a time:
  1. --requests requests with garbage credentials (a made-up bearer token on GET and DELETE
     /api/v1/devices, a made-up x-api-key);
  2. --requests failed logins (half for admin, half for an unknown user).
After each phase it writes what is counted (flush) and prints the answers, the rows added to
audit_log and the time taken.

Options
  --app-dir <path>      checkout whose src/app.ts is started (default: this repository)
  --requests <n>        requests of each phase (default 2000)
  -h, --help            this text

Example
  npx tsx scripts/attacks/audit.ts --app-dir /tmp/before
`;

const { values } = parseCommandLine(command, help, {
  options: { 'app-dir': { type: 'string' }, requests: { type: 'string', default: '2000' } },
});
const appDir = resolve(values['app-dir'] ?? new URL('../../', import.meta.url).pathname);
const requests = wholeNumber(command, 'requests', values.requests, 1);

const { startApp } = await import(`${appDir}/src/app.ts`);
const { loadConfig } = await import(`${appDir}/src/config.ts`);
const { createLogger } = await import(`${appDir}/src/log.ts`);
const dataDir = await mkdtemp(join(tmpdir(), 'attack-audit-'));
const app = await startApp(
  loadConfig({
    NODE_ENV: 'production',
    JWT_SECRET: randomBytes(48).toString('base64'),
    MQTT_ALLOW_PLAINTEXT: 'true',
    DATA_DIR: dataDir,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: '0',
    METRICS_LISTEN: 'off',
    ADMIN_PASSWORD: 'attack-measure-password-2026',
    LOG_LEVEL: 'silent',
  }),
  createLogger('silent'),
);
const base = `http://127.0.0.1:${app.httpPort}`;
const rows = async (): Promise<number> =>
  (await app.pool.query('SELECT count(*)::int AS n FROM audit_log')).rows[0].n;
/** Rows once everything is written: counted attempts flushed, and the count no longer moving. */
async function settled(): Promise<number> {
  await app.audit?.flush?.();
  for (let last = -1; ; ) {
    const n = await rows();
    if (n === last) return n;
    last = n;
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function phase(name: string, one: (i: number) => Promise<Response>) {
  const before = await settled();
  const started = performance.now();
  const statuses: Record<number, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (next < requests) {
        const res = await one(next++);
        await res.arrayBuffer();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      }
    }),
  );
  const answeredS = (performance.now() - started) / 1000;
  const added = (await settled()) - before;
  console.log(
    JSON.stringify({ phase: name, requests, answeredS: +answeredS.toFixed(2), statuses, rowsAdded: added }),
  );
}

try {
  await phase('garbage credentials', (i) => {
    const url = `${base}/api/v1/devices`;
    if (i % 2 === 1) return fetch(url, { headers: { 'x-api-key': `garbage-key-${i}` } });
    return i % 4 === 0
      ? fetch(url, { headers: { authorization: `Bearer garbage-${i}` } })
      : fetch(`${url}/tn-p1-env-${i}`, {
          method: 'DELETE',
          headers: { authorization: `Bearer garbage-${i}` },
        });
  });
  await phase('failed logins', (i) =>
    fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: i % 2 ? 'admin' : 'ke-la', password: `wrong-${i}` }),
    }),
  );
} finally {
  await app.stop();
  await rm(dataDir, { recursive: true, force: true });
}
