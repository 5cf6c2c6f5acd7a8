// npm run bench -- [options] (--help lists them)
// --profile: a CPU profile of this process (the system) from the first step on, not the set-up, the
// first ceilings or the first connection of the fleet (the broker alone runs in a process of its
// own), and one of the MQTT broker's thread beside it (file.broker-thread.cpuprofile); read it with `npx tsx bench/profile-top.ts <file>` or in Chrome DevTools.
// --heap-profile: where the system allocates over the same stretch (sampled), read the same ways.
// Without options: the full run, written to bench/results/<date>.json and .md. With --smoke or any
// narrowing option, the report goes to the temporary folder unless --out says where.
// The end-to-end benchmark. The system runs in this process as `npm start` would run it
// (embedded broker; DATABASE_URL's PostgreSQL in a fresh database, else the embedded one); the
// field runs in other processes: a generator with one MQTT connection per device and its own
// credentials, fire sensors, and socket.io consoles. Ceilings are measured in the same run (the
// broker alone just before and just after each maximum step, PostgreSQL's bulk insert alone at the
// start) and every step is reported as a ratio to them.
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { startMeasuredApp } from '../scripts/measured-app.ts';
import { loadDefaultRules } from '../src/alerts/rules.ts';
import { brokerThreadName } from '../src/broker/index.ts';
import { parseCommandLine } from '../src/cli/commandLine.ts';
import { measureInsertCeiling } from './ceilings.ts';
import {
  type Generator,
  registerFleet,
  startConsoles,
  startGenerator,
  startNullBrokerProcess,
  stationMarker,
} from './fleet.ts';
import { watchTelemetryInserts } from './probe.ts';
import { startHeapSampler, startProfiler, startThreadProfiler } from './profiler.ts';
import {
  type BenchReport,
  type BrokerCeiling,
  brokerAloneFor,
  judgeTargets,
  type Knee,
  markdown,
  targets,
} from './report.ts';
import {
  emptyMessageTables,
  flowControl,
  quietCpuPct,
  round,
  runStep,
  type StepResult,
  type StepSpec,
  systemAndDatabaseCpu,
  waitForQuiet,
} from './step.ts';

const help = `Đo hiệu năng đầu-cuối / End-to-end benchmark of the whole system

Usage: npm run bench -- [options]

The system runs in this process as npm start would run it (embedded broker; a fresh database on
DATABASE_URL's server, else the embedded PostgreSQL in a temporary DATA_DIR); the field runs in
other processes: one MQTT connection per device with its own credentials, fire sensors, socket.io
consoles. Each step is reported beside the ceilings measured in the same run (the broker alone,
PostgreSQL's bulk insert alone). Without options: the full run, written to bench/results/<date>.json
and .md; with --smoke or any narrowing option the report goes to the temporary folder unless --out.
npm run measure:ingest is this with --steps max --consoles 0 --devices 200 --seconds 10.

Options
  --smoke                  a run of a few seconds with 40 devices, to check the bench works
                           (default: off)
  --seconds <s>            length of each sustained step (default: 60; smoke 2)
  --ramp-seconds <s>       length of each ramp step (default: 10; smoke 1)
  --ceiling-seconds <s>    length of each ceiling measurement (default: 15 or --seconds if
                           shorter; smoke 1)
  --devices <n,n>          fleet sizes, comma-separated (default: 1000,10000; smoke 40)
  --qos <0,1>              QoS levels, comma-separated (default: 0,1)
  --steps <list>           max: as many messages as the system accepts; half: half the target
                           rate; ramp: a fifth of the target more each step until it breaks
                           (default: max,half,ramp; half and ramp on the largest fleet only)
  --rate <msg/s>           the max steps offer this rate instead; 0 is as much as accepted
                           (default: 0)
  --consoles <n>           socket.io consoles watching live telemetry (default: 100; smoke 3)
  --out <dir>              where the report goes (default: bench/results for the full run, else
                           the temporary folder)
  --profile <file>         CPU profile of the system from the first step on, and of the broker's
                           thread beside it; read with npx tsx bench/profile-top.ts <file>
                           (default: none)
  --heap-profile <file>    sampled allocations over the same stretch (default: none)
  --env <KEY=VALUE>        a configuration setting for the system, repeatable, to measure a
                           setting side by side (default: none)
  -h, --help               this text

Examples
  npm run bench -- --smoke
  npm run bench -- --devices 1000 --qos 1 --steps max --seconds 20 --env INGEST_BATCH_ROWS=2000
`;

const { values } = parseCommandLine('bench', help, {
  options: {
    smoke: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    'ramp-seconds': { type: 'string' },
    'ceiling-seconds': { type: 'string' },
    devices: { type: 'string' },
    qos: { type: 'string', default: '0,1' },
    steps: { type: 'string', default: 'max,half,ramp' },
    consoles: { type: 'string' },
    /** The max steps offer this rate instead of as many messages as the system accepts. */
    rate: { type: 'string', default: '0' },
    out: { type: 'string' },
    profile: { type: 'string' },
    'heap-profile': { type: 'string' },
    /** KEY=VALUE configuration for the system, repeatable (to measure a setting side by side). */
    env: { type: 'string', multiple: true },
  },
});
const smoke = values.smoke;
const narrowed =
  ['seconds', 'ramp-seconds', 'ceiling-seconds', 'devices', 'consoles', 'env'].some(
    (name) => values[name as keyof typeof values] !== undefined,
  ) ||
  values.qos !== '0,1' ||
  values.steps !== 'max,half,ramp' ||
  values.rate !== '0';
const mode = smoke ? 'smoke' : narrowed ? 'partial' : 'full';
const list = (text: string) => text.split(',').map(Number);
const stepSeconds = Number(values.seconds ?? (smoke ? 2 : 60));
const rampSeconds = Number(values['ramp-seconds'] ?? (smoke ? 1 : 10));
const ceilingSeconds = Number(values['ceiling-seconds'] ?? (smoke ? 1 : Math.min(15, stepSeconds)));
const deviceCounts = list(values.devices ?? (smoke ? '40' : '1000,10000')).sort((a, b) => a - b);
const qosList = list(values.qos) as Array<0 | 1>;
const kinds = new Set(values.steps.split(','));
const consoleCount = Number(values.consoles ?? (smoke ? 3 : 100));
const outDir = values.out ?? (mode === 'full' ? 'bench/results' : join(tmpdir(), `ioc-bench-${mode}`));
const fleetSize = deviceCounts[deviceCounts.length - 1]!;
const goal = (qos: 0 | 1) => (smoke ? 1_000 : qos === 0 ? targets.qos0 : targets.qos1);

// The plan, so the fleet has one fresh fire sensor per alarm trial.
const plan: Array<StepSpec | { ramp: true; qos: 0 | 1; devices: number }> = [];
for (const devices of deviceCounts) {
  for (const qos of qosList) {
    const full = devices === fleetSize;
    if (kinds.has('max'))
      plan.push({
        name: 'sustained, max',
        kind: 'max',
        qos,
        devices,
        rate: Number(values.rate),
        seconds: stepSeconds,
        alarmTrials: Math.min(20, Math.floor(stepSeconds / 2)),
      });
    if (full && kinds.has('half'))
      plan.push({
        name: 'sustained, half target',
        kind: 'half',
        qos,
        devices,
        rate: goal(qos) / 2,
        seconds: stepSeconds,
        alarmTrials: Math.max(2, Math.min(30, stepSeconds)),
      });
    if (full && kinds.has('ramp')) plan.push({ ramp: true, qos, devices });
  }
}
const fireSensors = plan.reduce((n, s) => n + ('ramp' in s ? 0 : s.alarmTrials), 0);

// A profiled run stopped early still writes its profile (--cpu-prof writes on exit).
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

const runStarted = Date.now();
const loadAtStart = loadavg()[0]!.toFixed(2);
// The generator concentrates a city's load on fewer, far busier connections than real stations
// (a few messages a minute each): the per-device flood limit would refuse most of it, so it is off here.
const settings = Object.fromEntries((values.env ?? []).map((kv) => kv.split(/=(.*)/s).slice(0, 2)));
const measured = await startMeasuredApp('bench', { INGEST_DEVICE_RATE_PER_S: '0', ...settings });
const { app } = measured;
const probe = watchTelemetryInserts(app.ingestPool, stationMarker, [app.pool]);
const alertOpenedAt = new Map<string, number>();
// The shipped fire alarm rule, by its key: its name is a text people read and may change.
const fireAlarmRule = loadDefaultRules().find((r) => r.key === 'fire-alarm')!.name;
app.bus.on('alert', ({ action, alert }) => {
  if (action === 'opened' && alert.ruleName === fireAlarmRule) alertOpenedAt.set(alert.deviceId, Date.now());
});
const log = (text: string) =>
  console.error(`[bench ${((Date.now() - runStarted) / 1000).toFixed(0)}s] ${text}`);

const fleet = await registerFleet(app, fleetSize, fireSensors);
log(`registered ${fleet.stations.length} stations and ${fleet.fire.length} fire sensors in ${fleet.ms} ms`);
const generator = startGenerator();
const alarms = startGenerator();
const consoles = consoleCount > 0 ? startConsoles() : undefined;

/** Connects the fleet's stations `from` up to `to` (the first `to` in all) through `target` to `url`. */
const connectStations = (target: Generator, url: string, from: number, to: number) =>
  target.request({ type: 'connect', url, devices: fleet.stations.slice(from, to) }, 'connected');

// Ceiling 1: the broker alone, measured beside each step (below): its own process, and its own
// generator connected to it as the fleet's first stations, as many as the system has at that point.
const nullBroker = startNullBrokerProcess();
const ceilingGenerator = startGenerator();
const { port: nullBrokerPort } = await nullBroker.request({ type: 'listen' }, 'listening');
nullBroker.listen('delivered', ({ delivered }) =>
  ceilingGenerator.tell({ type: 'stored', messages: delivered }),
);
const brokerCeilings: BrokerCeiling[] = [];
let ceilingStations = 0;

async function measureBrokerAlone(qos: 0 | 1, devices: number, step: string, when: 'before' | 'after') {
  if (devices > ceilingStations) {
    await connectStations(ceilingGenerator, `mqtt://127.0.0.1:${nullBrokerPort}`, ceilingStations, devices);
    ceilingStations = devices;
  }
  // The system's periodic writes done first (latest values now; last-seen times within the quiet
  // seconds), so that they do not run beside the ceiling.
  await app.writer.drain();
  const quiet = await waitForQuiet();
  const during = systemAndDatabaseCpu();
  await nullBroker.request({ type: 'start' }, 'started');
  const { stats } = await ceilingGenerator.request(
    { type: 'run', qos, rate: 0, seconds: ceilingSeconds, ...flowControl({ qos, devices }) },
    'ran',
  );
  await new Promise((r) => setTimeout(r, 200));
  const done = await nullBroker.request({ type: 'stop' }, 'stopped');
  const systemCpuPct = during();
  const seconds = (done.lastDeliveredAt - stats.startedAt) / 1000;
  const delivered = Math.max(1, done.delivered);
  // CPU of the null broker's process and of the generator, per message: what the broker and the
  // field cost alone, for the steps' CPU budget in the report.
  const ceiling: BrokerCeiling = {
    qos,
    devices,
    messagesPerSecond: Math.round(delivered / seconds),
    seconds,
    brokerCpuUsPerMessage: round((done.cpuMs * 1000) / delivered),
    generatorCpuUsPerMessage: round((stats.cpuMs * 1000) / Math.max(1, stats.published)),
    step,
    when,
    quietCpuPct: quiet.cpuPct,
    systemCpuPct,
  };
  brokerCeilings.push(ceiling);
  log(
    `broker alone ${when} ${step}: ${JSON.stringify(ceiling)}${systemCpuPct >= quietCpuPct ? ' (the system was not quiet beside it)' : ''}`,
  );
}

// Ceiling 2: PostgreSQL's bulk insert alone: the writer's statement with its batch size and
// concurrency, and the raw rows alone (what the statement's rollup and latest values cost).
const insertOptions = { seconds: ceilingSeconds, batchRows: app.config.INGEST_BATCH_ROWS, concurrency: 2 };
const stationIds = fleet.stations.map((s) => s.id);
const insert = await measureInsertCeiling(app.pool, stationIds, { ...insertOptions, statement: 'writer' });
await emptyMessageTables(app.pool);
const plainInsert = await measureInsertCeiling(app.pool, stationIds, {
  ...insertOptions,
  statement: 'messages',
});
await app.pool.query('TRUNCATE telemetry_messages');
const narrowInsert = await measureInsertCeiling(app.pool, stationIds, {
  ...insertOptions,
  statement: 'narrow',
});
const insertMessagesPerSecond = Math.round(insert.rowsPerSecond / 4);
log(
  `insert alone: writer's statement ${JSON.stringify(insert)}; message rows ${JSON.stringify(plainInsert)}; narrow rows ${JSON.stringify(narrowInsert)}`,
);

// The field connects to the system.
const fireConnect = await alarms.request(
  { type: 'connect', url: `mqtt://127.0.0.1:${app.mqttPort}`, devices: fleet.fire },
  'connected',
);
let consoleConnectMs = 0;
if (consoles) {
  const login = await fetch(`http://127.0.0.1:${app.httpPort}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'measurement-password' }),
  });
  const { token } = (await login.json()) as { token: string };
  // One console in ten watches the whole of Tây Ninh, the others a ward each, as ward operators would.
  const wards = (['tay-ninh', 'hoi-an'] as const).flatMap((city) =>
    app.catalog.fleets.get(city)!.wards.map((w) => ({ city, wards: [w.id] })),
  );
  const subscriptions = Array.from({ length: consoleCount }, (_, i) =>
    i % 10 === 0 ? { city: 'tay-ninh' } : wards[i % wards.length]!,
  );
  const connected = await consoles.request(
    { type: 'connect', url: `http://127.0.0.1:${app.httpPort}`, token, subscriptions },
    'connected',
  );
  consoleConnectMs = connected.ms;
  log(`${connected.connected} consoles connected in ${connected.ms} ms`);
}

const steps: StepResult[] = [];
const knees: Knee[] = [];
const connectMs: Record<string, number> = {};
let connectedStations = 0;
const measuredCombos = new Set<string>();
const context = { app, generator, alarms, consoles, probe, alertOpenedAt };
let profiler: Awaited<ReturnType<typeof startProfiler>> | undefined;
let brokerProfiler: Awaited<ReturnType<typeof startThreadProfiler>> | undefined;
let heapSampler: Awaited<ReturnType<typeof startHeapSampler>> | undefined;
for (const entry of plan) {
  if (entry.devices > connectedStations) {
    const result = await connectStations(
      generator,
      `mqtt://127.0.0.1:${app.mqttPort}`,
      connectedStations,
      entry.devices,
    );
    connectMs[`connect${entry.devices}Ms`] = result.ms;
    log(`${result.connected} stations connected in ${result.ms} ms (${result.refused} refused)`);
    connectedStations = entry.devices;
  }
  // The broker alone just before each maximum step and just after it; a QoS and fleet size with no
  // maximum step in the plan, once before its first step.
  const combo = `${entry.qos}/${entry.devices}`;
  const stepName = 'ramp' in entry ? 'ramp' : entry.name;
  const bracketed = !('ramp' in entry) && entry.kind === 'max';
  if (bracketed || !measuredCombos.has(combo)) {
    await measureBrokerAlone(entry.qos, entry.devices, stepName, 'before');
    measuredCombos.add(combo);
  }
  // From the first step on (connecting the fleet is not what the profile is for).
  if (values.profile && !profiler) {
    profiler = await startProfiler();
    brokerProfiler = app.config.MQTT_URL ? undefined : await startThreadProfiler(brokerThreadName);
  }
  if (values['heap-profile'] && !heapSampler) heapSampler = await startHeapSampler();
  if (!('ramp' in entry)) {
    const result = await runStep(context, entry);
    steps.push(result);
    log(
      `${entry.name} QoS ${entry.qos} ${entry.devices}: ${result.messagesPerSecond} msg/s, lost ${result.lost}${result.journalUsed ? ', went to the journal' : ''}; event loop delay p99 ${result.loopDelayMs.p99} ms, max ${result.loopDelayMs.max} ms`,
    );
    log(
      `  slowest stores by second: ${result.worstSeconds.map((w) => `${w.second} s: ${w.maxMs} ms`).join(', ')}; statements over 250 ms: ${result.slowStatements.map((q) => `${(q.startedAt / 1000).toFixed(1)} s +${q.ms} ms ${q.text}`).join(' | ') || 'none'}`,
    );
    if (bracketed) await measureBrokerAlone(entry.qos, entry.devices, stepName, 'after');
    continue;
  }
  // The ramp: offered load in steps of a fifth of the target, until publish → stored breaks.
  const knee: Knee = {
    qos: entry.qos,
    devices: entry.devices,
    kneeMessagesPerSecond: null,
    brokeAt: null,
    reason: null,
  };
  for (let i = 1; i <= (smoke ? 2 : 10); i++) {
    const rate = Math.round((goal(entry.qos) / 5) * i);
    const result = await runStep(context, {
      name: `ramp ${i}`,
      kind: 'ramp',
      qos: entry.qos,
      devices: entry.devices,
      rate,
      seconds: rampSeconds,
      alarmTrials: 0,
    });
    steps.push(result);
    log(
      `ramp QoS ${entry.qos} at ${rate}: ${result.messagesPerSecond} msg/s, p99 ${result.storeLatencyMs.p99} ms`,
    );
    const reasons = [
      result.lost > 0 ? `${result.lost} lost` : '',
      result.storeLatencyMs.p99 >= 1000 ? `publish → stored p99 ${result.storeLatencyMs.p99} ms` : '',
      result.messagesPerSecond < 0.9 * rate
        ? `stored ${result.messagesPerSecond} msg/s of ${rate} offered`
        : '',
    ].filter(Boolean);
    if (reasons.length > 0) {
      knee.brokeAt = rate;
      knee.reason = reasons.join(', ');
      break;
    }
    knee.kneeMessagesPerSecond = rate;
  }
  knees.push(knee);
}
if (heapSampler && values['heap-profile']) {
  await heapSampler.stop(values['heap-profile']);
  log(`allocation profile of the steps: ${values['heap-profile']}`);
}
if (profiler && values.profile) {
  await profiler.stop(values.profile);
  log(`profile of the steps: ${values.profile}`);
  if (brokerProfiler) {
    const file = values.profile.replace(/(\.cpuprofile)?$/, '.broker-thread.cpuprofile');
    await brokerProfiler.stop(file);
    log(`profile of the broker's thread: ${file}`);
  }
}

const { rows } = await app.pool.query<{ version: string }>('SELECT version()');
const cpuList = cpus();
const partial: Omit<BenchReport, 'targets'> = {
  date: new Date(runStarted).toISOString(),
  mode,
  machine: {
    cpu: cpuList[0]?.model.trim() ?? 'unknown',
    cpus: cpuList.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `Linux ${release()}`,
    // The machine is shared: other work running beside the bench shows here.
    loadAverageAtStart: loadAtStart,
    loadAverageAtEnd: loadavg()[0]!.toFixed(2),
    node: process.versions.node,
    database: `${rows[0]!.version.split(' on ')[0]} (${measured.database})`,
  },
  setup: {
    stations: fleetSize,
    fireSensors,
    consoles: consoleCount,
    registerMs: fleet.ms,
    fireConnectMs: fireConnect.ms,
    consoleConnectMs,
    ...connectMs,
    stepSeconds,
    rampSeconds,
    ceilingSeconds,
    batchRows: app.config.INGEST_BATCH_ROWS,
    flushMs: app.config.INGEST_FLUSH_MS,
    liveCoalesceMs: app.config.LIVE_COALESCE_MS,
    liveCoalesceMaxMs: app.config.LIVE_COALESCE_MAX_MS,
    durationS: 0,
  },
  ceilings: { broker: brokerCeilings, insert, plainInsert, narrowInsert, insertMessagesPerSecond },
  steps: steps.map((s) => {
    const alone = brokerAloneFor(brokerCeilings, s);
    return {
      ...s,
      brokerAlone: alone?.messagesPerSecond ?? null,
      brokerRatio: alone ? Math.round((s.messagesPerSecond / alone.messagesPerSecond) * 100) / 100 : null,
      insertRatio: Math.round((s.rowsPerSecond / insert.rowsPerSecond) * 100) / 100,
    };
  }),
  knees,
};
partial.setup.durationS = Math.round((Date.now() - runStarted) / 1000);
const report: BenchReport = { ...partial, targets: mode === 'smoke' ? [] : judgeTargets(partial, fleetSize) };
await mkdir(outDir, { recursive: true });
const stem = join(outDir, report.date.slice(0, 10));
await writeFile(`${stem}.json`, `${JSON.stringify(report, null, 2)}\n`);
await writeFile(`${stem}.md`, markdown(report));
console.log(markdown(report));
log(`report: ${stem}.json and ${stem}.md`);

generator.close();
ceilingGenerator.close();
nullBroker.close();
alarms.close();
consoles?.close();
await measured.close();
const lost = steps.reduce((n, s) => n + s.lost, 0);
process.exit(lost > 0 || probe.inserts() === 0 ? 1 : 0);
