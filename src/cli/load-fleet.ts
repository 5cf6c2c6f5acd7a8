// npm run fleet:load -- [--city tay-ninh] [--rotate-existing] [--url http://localhost:8080]
// Registers the fleets of devices/ in a running IOC through its API and writes the credentials file
// the simulators read (DATA_DIR/fleet-credentials.json, mode 0600, kept out of git).
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { readCredentialsFile, writeCredentialsFile } from '../registry/credentialsFile.ts';
import type { DeviceCredentials } from '../registry/fleets.ts';

const help = `Usage: npm run fleet:load -- [options]

Registers the device fleets of devices/fleets in a running IOC and writes their MQTT credentials.

  --city <id>          tay-ninh or hoi-an; repeat for several (default: every city)
  --rotate-existing    give devices that are already registered a new secret too, so the
                       credentials file covers the whole fleet (their old secrets stop working)
  --url <url>          the IOC's HTTP address (default: http://localhost:$HTTP_PORT)
  --mqtt-url <url>     the broker address written into the file (default: mqtt://localhost:$MQTT_PORT)
  --user <name>        an admin account (default: admin)
  --password <pw>      its password (default: $ADMIN_PASSWORD)
  --out <file>         credentials file (default: $DATA_DIR/fleet-credentials.json)
  -h, --help           this text
`;

async function main() {
  const { values } = parseArgs({
    options: {
      city: { type: 'string', multiple: true },
      'rotate-existing': { type: 'boolean', default: false },
      url: { type: 'string' },
      'mqtt-url': { type: 'string' },
      user: { type: 'string', default: 'admin' },
      password: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(help);
    return;
  }
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
    cities: Array<{ city: string }>;
  };
  const cities = values.city ?? catalog.cities.map((c) => c.city);

  const mqttUrl =
    values['mqtt-url'] ?? (await readCredentialsFile(out))?.mqttUrl ?? `mqtt://localhost:${config.MQTT_PORT}`;
  const issued: DeviceCredentials[] = [];
  for (const city of cities) {
    const res = await fetch(`${url}/api/v1/fleets/${city}/load`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ rotateExisting: values['rotate-existing'] }),
    });
    if (!res.ok) throw new Error(`loading ${city} failed (${res.status}): ${await res.text()}`);
    const result = (await res.json()) as {
      created: number;
      rotated: number;
      credentials: DeviceCredentials[];
    };
    issued.push(...result.credentials);
    process.stdout.write(
      `${city}: ${result.created} devices registered, ${result.rotated} secrets rotated\n`,
    );
  }
  const file = await writeCredentialsFile(out, mqttUrl, issued);
  process.stdout.write(
    `${file.devices.length} device credentials in ${out} (keep it private; it is git-ignored)\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`fleet:load: ${(error as Error).message}\n`);
  process.exit(1);
});
