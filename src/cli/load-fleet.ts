// npm run fleet:load -- [options] (--help lists them)
// Registers the fleets of devices/ in a running IOC through its API and writes the credentials file
// the simulators read (DATA_DIR/fleet-credentials.json, mode 0600, kept out of git).
import { join } from 'node:path';
import { loadConfig } from '../config.ts';
import { readCredentialsFile, writeCredentialsFile } from '../registry/credentialsFile.ts';
import type { DeviceCredentials } from '../registry/fleets.ts';
import { parseCommandLine } from './commandLine.ts';
import { createProgress, formatCount, formatDuration } from './units.ts';

const help = `Nạp đội thiết bị vào IOC / Load the device fleets into a running IOC

Usage: npm run fleet:load -- [options]

Registers the device fleets of devices/fleets in a running IOC through its API (an admin login) and
writes their MQTT credentials to the file the simulators read. Devices already registered keep
their secret unless --rotate-existing.

Options
  --city <id>          tay-ninh or hoi-an; repeat for several (default: every city)
  --rotate-existing    also give devices already registered a new secret (default: off), so the
                       credentials file covers the whole fleet; their old secrets stop working
  --url <url>          the IOC's HTTP address (default: http://localhost:$HTTP_PORT)
  --mqtt-url <url>     the broker address written into the file (default: the one already in the
                       file, else mqtt://localhost:$MQTT_PORT)
  --user <name>        an admin account (default: admin)
  --password <pw>      its password (default: $ADMIN_PASSWORD)
  --out <file>         credentials file (default: $DATA_DIR/fleet-credentials.json)
  -h, --help           this text

Example
  npm run fleet:load -- --city hoi-an --password "$ADMIN_PASSWORD"
`;

async function main() {
  const { values } = parseCommandLine('fleet:load', help, {
    options: {
      city: { type: 'string', multiple: true },
      'rotate-existing': { type: 'boolean', default: false },
      url: { type: 'string' },
      'mqtt-url': { type: 'string' },
      user: { type: 'string', default: 'admin' },
      password: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const config = loadConfig();
  const url = values.url ?? `http://localhost:${config.HTTP_PORT}`;
  const password = values.password ?? config.ADMIN_PASSWORD;
  if (!password) throw new Error('give the admin password with --password or ADMIN_PASSWORD');
  const out = values.out ?? join(config.DATA_DIR, 'fleet-credentials.json');

  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: values.user, password }),
  }).catch((error) => {
    throw new Error(`cannot reach the IOC at ${url} (${(error as Error).message}); start it with npm start`);
  });
  if (!login.ok) throw new Error(`login refused (${login.status}): ${await login.text()}`);
  const { token } = (await login.json()) as { token: string };
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

  const catalog = (await (await fetch(`${url}/api/v1/catalog`, { headers })).json()) as {
    cities: Array<{ city: string; devices: number }>;
  };
  const cities = values.city ?? catalog.cities.map((c) => c.city);
  const total = cities.reduce(
    (n, city) => n + (catalog.cities.find((c) => c.city === city)?.devices ?? 0),
    0,
  );

  const mqttUrl =
    values['mqtt-url'] ?? (await readCredentialsFile(out))?.mqttUrl ?? `mqtt://localhost:${config.MQTT_PORT}`;
  const issued: DeviceCredentials[] = [];
  const summaries: string[] = [];
  // The IOC registers a city in one request, so the count moves city by city; the line keeps
  // ticking meanwhile so a large city does not look like a hang.
  const progress = createProgress('fleet:load');
  const started = Date.now();
  let done = 0;
  const show = (city: string) => {
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    progress.update(
      `${formatCount(done)}/${formatCount(total)} thiết bị / devices, ${formatCount(rate)}/s, ` +
        `${formatDuration(Date.now() - started)} (${city} …)`,
    );
  };
  for (const city of cities) {
    show(city);
    const ticker = setInterval(() => show(city), 1_000);
    const res = await fetch(`${url}/api/v1/fleets/${city}/load`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ rotateExisting: values['rotate-existing'] }),
    }).finally(() => clearInterval(ticker));
    if (!res.ok) throw new Error(`loading ${city} failed (${res.status}): ${await res.text()}`);
    const result = (await res.json()) as {
      created: number;
      rotated: number;
      credentials: DeviceCredentials[];
    };
    issued.push(...result.credentials);
    done += catalog.cities.find((c) => c.city === city)?.devices ?? result.created;
    summaries.push(`${city}: ${result.created} devices registered, ${result.rotated} secrets rotated\n`);
  }
  progress.done(
    `${formatCount(done)} thiết bị / devices (${cities.join(', ')}) in ${formatDuration(Date.now() - started)}`,
  );
  // After the progress line is finished: on a terminal it would otherwise be cut into by these lines.
  process.stdout.write(summaries.join(''));
  const file = await writeCredentialsFile(out, mqttUrl, issued);
  process.stdout.write(
    `${file.devices.length} device credentials in ${out} (keep it private; it is git-ignored)\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`fleet:load: ${(error as Error).message}\n`);
  process.exit(1);
});
