// npm run demo: the system on embedded defaults with the simulated fleets of devices/ publishing into
// it, for a first look and for training. Everything of `npm start`, plus the simulators in-process.

import { runFleet } from '../simulators/fleet.ts';
import { startApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { deviceTopic } from './ingest/topics.ts';
import { createLogger } from './log.ts';

async function main() {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL);
  const app = await startApp(config, log);
  if (app.generatedAdminPassword) {
    process.stdout.write(
      `\n  First start: user "admin", password ${app.generatedAdminPassword} (shown once)\n\n`,
    );
  }
  // Register the fleets; every device gets a fresh secret for this run (the simulators hold them).
  const devices = [];
  for (const fleet of app.catalog.fleets.values()) {
    const fields = fleet.devices.map((d) => ({
      ...d,
      city: fleet.city,
      pole: d.pole ?? null,
      zone: d.zone ?? null,
    }));
    const created = new Map((await app.registry.createMany(fields)).map((c) => [c.id, c.secret]));
    for (const d of fields) {
      const secret = created.get(d.id) ?? (await app.registry.rotateCredentials(d.id));
      devices.push({
        id: d.id,
        kind: d.kind,
        city: d.city,
        topicPrefix: deviceTopic(d, 'telemetry').replace(/telemetry$/, ''),
        secret,
      });
    }
  }
  const fleet = runFleet({
    mqttUrl: `mqtt://127.0.0.1:${app.mqttPort}`,
    devices,
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
