// npm run simulate -- [options]: a simulated fleet publishing into a running IOC over real MQTT.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadCatalog } from '../src/catalog/index.ts';
import { loadConfig } from '../src/config.ts';
import { readCredentialsFile } from '../src/registry/credentialsFile.ts';
import { runFleet } from './fleet.ts';

const help = `Usage: npm run simulate -- [options]

Connects every device of the credentials file (written by npm run fleet:load) to the IOC's broker
and publishes realistic telemetry, each device with its own credentials, last will and status.

  --credentials <file>  default: $DATA_DIR/fleet-credentials.json
  --mqtt-url <url>      default: the url in the credentials file
  --city <id>           only this city's devices (tay-ninh, hoi-an)
  --kind <kind>         only this kind; repeat for several
  --devices <n>         only the first n devices
  --rate <msg/s>        total telemetry messages per second across the fleet
                        (default: each kind's own reporting interval from devices/kinds)
  --qos <0|1>           default: 1
  --duration <s>        stop after this many seconds (default: run until Ctrl-C)
  --seed <n>            default: 1; the same seed replays the same values
  -h, --help            this text
`;

async function main() {
  const { values } = parseArgs({
    options: {
      credentials: { type: 'string' },
      'mqtt-url': { type: 'string' },
      city: { type: 'string' },
      kind: { type: 'string', multiple: true },
      devices: { type: 'string' },
      rate: { type: 'string' },
      qos: { type: 'string', default: '1' },
      duration: { type: 'string' },
      seed: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(help);
    return;
  }
  const config = loadConfig();
  const path = values.credentials ?? join(config.DATA_DIR, 'fleet-credentials.json');
  const file = await readCredentialsFile(path);
  if (!file) throw new Error(`cannot read ${path}; run npm run fleet:load first`);
  let devices = file.devices;
  if (values.city) devices = devices.filter((d) => d.city === values.city);
  if (values.kind) devices = devices.filter((d) => values.kind!.includes(d.kind));
  if (values.devices) devices = devices.slice(0, Number(values.devices));
  if (devices.length === 0) throw new Error('no device matches the options');
  const qos = values.qos === '0' ? 0 : 1;
  const fleet = runFleet({
    mqttUrl: values['mqtt-url'] ?? file.mqttUrl,
    devices,
    catalog: loadCatalog(),
    rate: values.rate ? Number(values.rate) : undefined,
    qos,
    seed: Number(values.seed),
  });
  const started = Date.now();
  let last = { at: started, published: 0 };
  const report = setInterval(() => {
    const now = Date.now();
    const rate = ((fleet.stats.published - last.published) * 1000) / (now - last.at);
    last = { at: now, published: fleet.stats.published };
    process.stdout.write(
      `${new Date().toISOString().slice(11, 19)}  connected ${fleet.connected()}/${devices.length}  ` +
        `${rate.toFixed(1)} msg/s  published ${fleet.stats.published}  acked ${fleet.stats.acknowledged}  ` +
        `commands ${fleet.stats.commands}  errors ${fleet.stats.errors}\n`,
    );
  }, 5_000);
  const stop = async () => {
    clearInterval(report);
    await fleet.stop();
    const seconds = (Date.now() - started) / 1000;
    process.stdout.write(
      `stopped after ${seconds.toFixed(0)} s: ${fleet.stats.published} published, ${fleet.stats.acknowledged} acknowledged, ${fleet.stats.errors} errors\n`,
    );
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  if (values.duration) setTimeout(() => void stop(), Number(values.duration) * 1000);
  process.stdout.write(
    `simulating ${devices.length} devices against ${values['mqtt-url'] ?? file.mqttUrl} (QoS ${qos})\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`simulate: ${(error as Error).message}\n`);
  process.exit(1);
});
