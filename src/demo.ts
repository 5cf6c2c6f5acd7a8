// npm run demo: the system on embedded defaults with the simulated fleets of devices/ publishing into
// it, for a first look and for training. Everything of `npm start`, plus the simulators in-process.
// Device secrets are issued once and kept in DATA_DIR/fleet-credentials.json (delete it to re-issue).
import { join } from 'node:path';
import { runFleet } from '../simulators/fleet.ts';
import { startApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './log.ts';
import { readCredentialsFile, writeCredentialsFile } from './registry/credentialsFile.ts';
import { registerFleet } from './registry/fleets.ts';

async function main() {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL);
  // A first start prints the generated admin password itself, the moment the account exists.
  const app = await startApp(config, log);
  const path = join(config.DATA_DIR, 'fleet-credentials.json');
  const known = new Set((await readCredentialsFile(path))?.devices.map((d) => d.id));
  const issued = [];
  for (const fleet of app.catalog.fleets.values()) {
    // Registered devices whose secret this file does not hold get a new one; the rest keep theirs.
    issued.push(...(await registerFleet(app.registry, fleet, (id) => !known.has(id))).credentials);
  }
  const mqttUrl = `mqtt://127.0.0.1:${app.mqttPort}`;
  const { devices } = await writeCredentialsFile(path, mqttUrl, issued);
  const fleet = runFleet({
    mqttUrl,
    devices: devices.filter((d) => app.registry.get(d.id)),
    catalog: app.catalog,
    qos: 1,
    seed: 1,
  });
  process.stdout.write(
    `  IOC: http://localhost:${app.httpPort}/  API docs: http://localhost:${app.httpPort}/docs  MQTT: mqtt://localhost:${app.mqttPort}\n` +
      `  Simulating ${devices.length} devices of ${[...app.catalog.fleets.keys()].join(' and ')}. Ctrl-C stops.\n`,
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) process.exit(1);
    stopping = true;
    await fleet.stop();
    await app.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((error) => {
  process.stderr.write(`${error instanceof ConfigError ? '' : 'demo failed: '}${(error as Error).message}\n`);
  process.exit(1);
});
