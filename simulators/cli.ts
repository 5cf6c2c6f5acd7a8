// npm run simulate -- [options] (--help lists them): a simulated fleet, or a scenario, publishing into
// a running IOC over real MQTT.
import { join } from 'node:path';
import { loadCatalog } from '../src/catalog/index.ts';
import { parseCommandLine, usageError } from '../src/cli/commandLine.ts';
import { createProgress, formatBytes, formatCount, formatDuration } from '../src/cli/units.ts';
import { loadConfig } from '../src/config.ts';
import { readCredentialsFile, writeCredentialsFile } from '../src/registry/credentialsFile.ts';
import { createClock, replayStart } from './clock.ts';
import { type RunningFleet, runFleet } from './fleet.ts';
import { catalogWithProfiles, fetchProfiles } from './profiles.ts';
import { startProgress } from './progress.ts';
import { registerGenerated } from './register.ts';
import { listScenarios, loadScenario, replayScenario } from './scenario.ts';

const help = `Mô phỏng thiết bị hiện trường / Simulated field devices publishing into a running IOC

Usage: npm run simulate -- [options]

Every device connects to the IOC's broker with its own credentials (from npm run fleet:load), a
last will and a retained status, publishes realistic telemetry at its kind's reporting interval
(with jitter), obeys cmd messages and answers cmd_result. Ctrl-C stops cleanly: each device says
it is offline, waits for its acknowledgements and disconnects; a summary follows.

Which devices
  --credentials <file>  credentials file (default: $DATA_DIR/fleet-credentials.json)
  --mqtt-url <url>      broker (default: the url in the credentials file)
  --city <id>           only this city's devices: tay-ninh or hoi-an (default: both)
  --kind <kind>         only this kind; repeat for several (default: every kind)
  --devices <n>         only the first n devices of the file (default: all of them)
  --generate <n>        first register n generated devices spread over the wards of both cities
                        (ids gen-{city}-{ward}-{kind}-{nnnnnn}) through the IOC's API, add their
                        secrets to the credentials file, and simulate them (default: none, the
                        devices already in the file)
  --url <url>           the IOC's HTTP address for --generate, and for the device profiles of kinds
                        an admin added (default: http://localhost:$HTTP_PORT)
  --user <name>         account for --generate (admin) or for reading profiles (default: admin)
  --password <pw>       its password (default: $ADMIN_PASSWORD)

How they behave
  --rate <msg/s>        total telemetry messages per second across the fleet
                        (default: each kind's own interval from devices/kinds)
  --qos <0|1>           QoS of telemetry (default: 1)
  --seed <n>            the same seed replays the same values (default: 1)
  --speed <x>           simulated time runs x times faster than real time (default: 1); an
                        accelerated run needs --duration and is stamped in the past so that it
                        ends now (the IOC refuses readings from the future)
  --drop <p>            probability that a reading is lost on the radio (default: 0.001)
  --link-drops <p>      probability per reading that the link drops and reconnects (default: 0.0005)
  --connect-rate <n>    connections opened per second at start (default: 200)
  --duration <s>        stop after this many real seconds (default: run until Ctrl-C)

Scenarios (simulators/scenarios/*.json)
  --scenario <name>     replay one scenario with its own devices, then stop; prints what the IOC
                        should show. Scenarios with a time of day (e.g. 20:00) are stamped on the
                        latest past such day: run the IOC with INGEST_LATE_AFTER_S above their age
                        (e.g. 172800) to have them judged as live, or add --end-now
                        (default: none, the fleet runs)
  --end-now             ignore the scenario's time of day: it ends at the present (default: off)
  --list-scenarios      list the scenarios and what each shows, and stop
  -h, --help            this text

Examples
  npm run simulate -- --city hoi-an --duration 60
  npm run simulate -- --generate 5000 --password "$ADMIN_PASSWORD"
  npm run simulate -- --scenario <name> --end-now      (names: --list-scenarios)
`;

async function main() {
  const { values } = parseCommandLine('simulate', help, {
    options: {
      credentials: { type: 'string' },
      'mqtt-url': { type: 'string' },
      city: { type: 'string' },
      kind: { type: 'string', multiple: true },
      devices: { type: 'string' },
      generate: { type: 'string' },
      url: { type: 'string' },
      user: { type: 'string', default: 'admin' },
      password: { type: 'string' },
      rate: { type: 'string' },
      qos: { type: 'string', default: '1' },
      seed: { type: 'string', default: '1' },
      speed: { type: 'string', default: '1' },
      drop: { type: 'string', default: '0.001' },
      'link-drops': { type: 'string', default: '0.0005' },
      'connect-rate': { type: 'string', default: '200' },
      duration: { type: 'string' },
      scenario: { type: 'string' },
      'end-now': { type: 'boolean', default: false },
      'list-scenarios': { type: 'boolean', default: false },
    },
  });
  let catalog = loadCatalog();
  if (values['list-scenarios']) {
    for (const name of listScenarios()) {
      const s = loadScenario(name);
      process.stdout.write(`${name}\n  ${s.title.vi} / ${s.title.en}\n  ${s.shows.en}\n\n`);
    }
    return;
  }
  const config = loadConfig();
  const path = values.credentials ?? join(config.DATA_DIR, 'fleet-credentials.json');
  const speed = Number(values.speed);
  const qos = values.qos === '0' ? 0 : 1;
  if (!(speed > 0)) throw new Error('--speed must be a positive number');

  if (values.generate) {
    const count = Number(values.generate);
    if (!Number.isInteger(count) || count <= 0)
      usageError('simulate', '--generate needs a whole number above 0');
    const url = values.url ?? `http://localhost:${config.HTTP_PORT}`;
    const password = values.password ?? config.ADMIN_PASSWORD;
    if (!password) throw new Error('--generate needs the admin password: --password or ADMIN_PASSWORD');
    process.stdout.write(`registering ${count} generated devices at ${url} …\n`);
    const progress = createProgress('simulate --generate');
    const registering = Date.now();
    const issued = await registerGenerated({
      url,
      user: values.user,
      password,
      catalog,
      count,
      seed: Number(values.seed),
      onProgress: (registered, total) => {
        const seconds = (Date.now() - registering) / 1000;
        progress.update(
          `${formatCount(registered)}/${formatCount(total)} thiết bị đã đăng ký / devices registered, ` +
            `${formatCount(seconds > 0 ? registered / seconds : 0)}/s`,
        );
      },
    });
    progress.done(
      `${formatCount(issued.length)} thiết bị / devices registered in ${formatDuration(Date.now() - registering)}`,
    );
    const mqttUrl =
      values['mqtt-url'] ??
      (await readCredentialsFile(path))?.mqttUrl ??
      `mqtt://localhost:${config.MQTT_PORT}`;
    await writeCredentialsFile(path, mqttUrl, issued);
    process.stdout.write(`${issued.length} generated devices registered; credentials in ${path}\n`);
  }

  const file = await readCredentialsFile(path);
  if (!file) throw new Error(`cannot read ${path}; run npm run fleet:load first`);
  // A kind an admin added lives in the IOC's profiles, not in devices/kinds: simulate it from those.
  if (file.devices.some((d) => !catalog.kinds.has(d.kind))) {
    const password = values.password ?? config.ADMIN_PASSWORD;
    if (!password)
      throw new Error(
        'devices of a kind added through the API need --password (or ADMIN_PASSWORD) to read it',
      );
    catalog = catalogWithProfiles(
      await fetchProfiles({
        url: values.url ?? `http://localhost:${config.HTTP_PORT}`,
        user: values.user,
        password,
      }),
    );
  }
  const mqttUrl = values['mqtt-url'] ?? file.mqttUrl;
  const started = Date.now();
  let fleet: RunningFleet;
  let total: number;
  let simNow: () => number;
  let finished: Promise<void> | undefined;

  if (values.scenario) {
    const scenario = loadScenario(values.scenario);
    const replay = replayScenario({
      scenario,
      catalog,
      mqttUrl,
      credentials: file.devices,
      speed,
      qos,
      seed: Number(values.seed),
      endNow: values['end-now'],
      onStep: (step, at) =>
        process.stdout.write(
          `\n${new Date(at).toISOString().slice(0, 19)}Z  ${step.group}: ${step.note ?? describeStep(step)}\n`,
        ),
    });
    fleet = replay.fleet;
    total = fleet.devices.size;
    simNow = () => Math.min(replay.clock.now(), replay.endMs);
    finished = replay.finished;
    process.stdout.write(
      `${scenario.title.vi}\n${scenario.title.en}\n` +
        `${new Date(replay.startMs).toISOString()} → ${new Date(replay.endMs).toISOString()} at ×${speed}, ${total} devices\n` +
        `IOC sẽ hiển thị / the IOC should show:\n  ${scenario.shows.vi}\n  ${scenario.shows.en}\n`,
    );
  } else {
    let devices = file.devices;
    if (values.generate) devices = devices.filter((d) => d.id.startsWith('gen-'));
    if (values.city) devices = devices.filter((d) => d.city === values.city);
    if (values.kind) devices = devices.filter((d) => values.kind!.includes(d.kind));
    if (values.devices) devices = devices.slice(0, Number(values.devices));
    if (values.generate) devices = devices.slice(0, Number(values.generate));
    if (devices.length === 0) throw new Error('no device matches the options');
    // Faster than real time, the run is stamped in the past so that it ends now (the IOC refuses future ts).
    if (speed > 1 && !values.duration) throw new Error('--speed above 1 needs --duration');
    const simulatedMs = Number(values.duration ?? 0) * 1000 * speed;
    const clock = createClock(speed > 1 ? replayStart(simulatedMs, speed, undefined) : Date.now(), speed);
    fleet = runFleet({
      mqttUrl,
      devices,
      catalog,
      rate: values.rate ? Number(values.rate) : undefined,
      qos,
      seed: Number(values.seed),
      clock,
      dropRate: Number(values.drop),
      linkDropRate: Number(values['link-drops']),
      connectRate: Number(values['connect-rate']),
    });
    total = devices.length;
    simNow = clock.now;
    process.stdout.write(`simulating ${devices.length} devices against ${mqttUrl} (QoS ${qos}, ×${speed})\n`);
  }

  const stopProgress = startProgress(fleet, total, simNow);
  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    stopProgress();
    process.stdout.write(`${why}: disconnecting ${fleet.connected()} devices …\n`);
    await fleet.stop();
    const s = fleet.stats;
    const seconds = (Date.now() - started) / 1000;
    const memory = process.memoryUsage();
    process.stdout.write(
      `stopped after ${seconds.toFixed(0)} s: ${s.published} published, ${s.acknowledged} acknowledged, ${s.errors} errors\n` +
        `  ${s.readings} readings, ${s.dropped} dropped on the radio, ${s.reconnects} link drops, ${s.commands} commands, ` +
        `${s.garbage} malformed; memory ${formatBytes(memory.rss)}\n`,
    );
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('Ctrl-C'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  if (values.duration) setTimeout(() => void stop('--duration reached'), Number(values.duration) * 1000);
  if (finished) void finished.then(() => stop('scenario finished'));
}

function describeStep(step: {
  set?: object;
  ramp?: object;
  clear?: unknown;
  event?: { type: string };
  network?: string;
  raw?: object;
}): string {
  if (step.network) return `network ${step.network}`;
  if (step.event) return `event ${step.event.type}`;
  if (step.raw) return 'malformed message';
  if (step.clear) return 'back to normal';
  return JSON.stringify(step.set ?? step.ramp ?? {});
}

main().catch((error) => {
  process.stderr.write(`simulate: ${(error as Error).message}\n`);
  process.exit(1);
});
