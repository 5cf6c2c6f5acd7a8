// One measured step: the generator offers a load for a fixed time while fire sensors raise alarms
// and the consoles listen; then the system drains, and what it stored is counted against what was
// published (and, QoS 1, acknowledged). The table is emptied afterwards so every step starts alike.
import { readdirSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import type { RunningApp } from '../src/app.ts';
import type { Consoles, Generator } from './fleet.ts';
import { stationMarker } from './fleet.ts';
import { Histogram, type LatencySummary } from './histogram.ts';
import type { SlowStatement, StoreProbe } from './probe.ts';

export interface StepSpec {
  name: string;
  kind: 'max' | 'half' | 'ramp' | 'smoke';
  qos: 0 | 1;
  devices: number;
  /** Offered messages/s; 0 = as many as the system accepts. */
  rate: number;
  seconds: number;
  alarmTrials: number;
}

export interface StepResult extends StepSpec {
  published: number;
  acknowledged: number | null;
  storedMessages: number;
  storedRows: number;
  /** Published (QoS 0) or acknowledged (QoS 1) but not stored. Must be 0. */
  lost: number;
  messagesPerSecond: number;
  rowsPerSecond: number;
  storeLatencyMs: LatencySummary;
  ackLatencyMs: LatencySummary | null;
  consoleLatencyMs: LatencySummary | null;
  consoleBatches: number;
  alarmLatencyMs: LatencySummary | null;
  rssMaxMiB: number;
  /** The main thread's heap when RSS peaked; the rest of RSS is the broker's thread, code and native. */
  memoryAtRssMaxMiB: MainThreadMemory;
  /** Of one core. */
  systemCpuPct: number;
  generatorCpuPct: number;
  consolesCpuPct: number;
  /** PostgreSQL's processes on this machine, % of one core. */
  databaseCpuPct: number;
  /** Of all cores of the machine. */
  machineCpuPct: number;
  /** Of all cores: taken by the hypervisor for other machines (part of machineCpuPct). */
  stealPct: number;
  deadLetters: number;
  disconnected: number;
  /** The writer went to its local journal during the step (it took a batch as a database outage). */
  journalUsed: boolean;
  /** The live layer's batching window over the step: its widest, and the share of the step it was wider than usual (the server saturated). */
  liveWindowMs: { max: number; widenedPct: number };
  /** How late the system's event loop ran (it also runs the broker): p99 and max, ms. */
  loopDelayMs: { p99: number; max: number };
  /** Where the tail came from: the seconds (from the step's start) with the slowest stores, and the statements over 250 ms. */
  worstSeconds: Array<{ second: number; maxMs: number }>;
  slowStatements: SlowStatement[];
}

export interface StepContext {
  app: RunningApp;
  generator: Generator;
  alarms: Generator;
  consoles: Consoles | undefined;
  probe: StoreProbe;
  alertOpenedAt: Map<string, number>;
}

export interface MainThreadMemory {
  heapTotal: number;
  heapUsed: number;
  /** Young generation (new space) committed: what --max-semi-space-size lets grow. */
  newSpace: number;
  external: number;
  arrayBuffers: number;
}

function memoryOfMainThread(): MainThreadMemory {
  const m = process.memoryUsage();
  const newSpace = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  const mib = (bytes: number) => Math.round(bytes / 1_048_576);
  return {
    heapTotal: mib(m.heapTotal),
    heapUsed: mib(m.heapUsed),
    newSpace: mib(newSpace?.space_size ?? 0),
    external: mib(m.external),
    arrayBuffers: mib(m.arrayBuffers),
  };
}

function machineTicks(): { busy: number; total: number; steal: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  // Steal: time the hypervisor gave this machine's cores to other machines while they had work.
  return { busy: total - idle, total, steal: fields[7] ?? 0 };
}

/**
 * CPU ticks spent so far by each of the PostgreSQL server's processes on this machine (backends and
 * background workers), by pid; none when the server runs elsewhere. Read from /proc, so it costs the
 * server nothing.
 */
function databaseTicks(): Map<string, number> {
  const ticks = new Map<string, number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      if (!stat.slice(stat.indexOf('(') + 1, close).startsWith('postgres')) continue;
      const fields = stat.slice(close + 2).split(' ');
      ticks.set(pid, Number(fields[11]) + Number(fields[12])); // utime, stime
    } catch {
      // the process ended meanwhile
    }
  }
  return ticks;
}

/**
 * Ticks spent between two readings: by processes alive at the end (a backend started meanwhile counts
 * whole). A backend that exited in between is missing, so this can only undercount.
 */
function ticksBetween(before: Map<string, number>, after: Map<string, number>): number {
  let total = 0;
  for (const [pid, ticks] of after) total += ticks - (before.get(pid) ?? 0);
  return total;
}
const ticksPerSecond = 100; // USER_HZ on Linux

async function deadLetterCount(app: RunningApp): Promise<number> {
  const { values } = await app.metrics.deadLetters.get();
  return values.reduce((sum, v) => sum + v.value, 0);
}

/** To one decimal, as the reports give CPU shares and µs. */
export const round = (x: number) => Math.round(x * 10) / 10;

/**
 * How much the generator may have outstanding: QoS 1 devices wait for their PUBACKs (a window per
 * device, fewer the more devices); QoS 0 devices are held within 20,000 messages of what the system
 * has stored, or the kernel's socket buffers would swallow minutes of messages.
 */
export function flowControl(spec: Pick<StepSpec, 'qos' | 'devices'>): { window: number; cap: number } {
  return {
    window: Math.max(2, Math.min(16, Math.ceil(40_000 / spec.devices))),
    cap: spec.qos === 0 ? 20_000 : Number.MAX_SAFE_INTEGER,
  };
}

/**
 * Empties the raw message tables between measurements. One table at a time, pending first: the
 * refresher locks telemetry_pending, then reads telemetry_messages, and both at once deadlocked with it.
 */
export async function emptyMessageTables(pool: RunningApp['pool']): Promise<void> {
  await pool.query('TRUNCATE telemetry_pending');
  await pool.query('TRUNCATE telemetry_messages');
}

export async function runStep(context: StepContext, spec: StepSpec): Promise<StepResult> {
  const { app, generator, alarms, consoles, probe, alertOpenedAt } = context;
  probe.reset();
  if (consoles) await consoles.request({ type: 'reset' }, 'reset');
  const deadBefore = await deadLetterCount(app);
  const machineBefore = machineTicks();
  const databaseBefore = databaseTicks();
  const cpuBefore = process.cpuUsage();
  const wallBefore = Date.now();
  let rssMax = process.memoryUsage.rss();
  let memoryAtMax = memoryOfMainThread();
  let journalUsed = app.writer.degraded();
  let windowSamples = 0;
  let widenedSamples = 0;
  let windowMax = app.live.coalesceMs();
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const sampler = setInterval(() => {
    const rss = process.memoryUsage.rss();
    if (rss > rssMax) {
      rssMax = rss;
      memoryAtMax = memoryOfMainThread();
    }
    journalUsed ||= app.writer.degraded();
    const windowMs = app.live.coalesceMs();
    windowSamples++;
    if (windowMs > app.config.LIVE_COALESCE_MS) widenedSamples++;
    windowMax = Math.max(windowMax, windowMs);
  }, 250);

  const running = generator.request(
    { type: 'run', qos: spec.qos, rate: spec.rate, seconds: spec.seconds, ...flowControl(spec) },
    'ran',
  );
  const credit = setInterval(() => generator.tell({ type: 'stored', messages: probe.messages() }), 50);
  // Alarms spread over the step, after a second of load.
  const alarmSent =
    spec.alarmTrials > 0
      ? new Promise((r) => setTimeout(r, 1_000)).then(() =>
          alarms.request(
            {
              type: 'alarms',
              count: spec.alarmTrials,
              intervalMs: Math.floor(((spec.seconds - 1.5) * 1000) / spec.alarmTrials),
            },
            'alarmed',
          ),
        )
      : Promise.resolve({ sentAt: {} as Record<string, number> });
  const { stats } = await running;
  clearInterval(credit);
  const { sentAt } = await alarmSent;

  // Drain: the writer's queue empty, its journal replayed, and no telemetry insert for half a second.
  const drainDeadline = Date.now() + 120_000;
  while (Date.now() < drainDeadline) {
    if (app.writer.pending() === 0 && !app.writer.degraded() && Date.now() - probe.lastStoredAt() > 500)
      break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const wall = Date.now() - wallBefore;
  // Before the step's own count and TRUNCATE below, which run on the same pool.
  const slowStatements = [...probe.slowStatements()];
  const cpu = process.cpuUsage(cpuBefore);
  const machineAfter = machineTicks();
  const databaseAfter = databaseTicks();
  clearInterval(sampler);
  loopDelay.disable();
  const consoleReport = consoles ? await consoles.request({ type: 'report' }, 'report') : undefined;

  const { rows } = await app.pool.query<{ rows: string; messages: string }>(
    `SELECT sum((SELECT count(*) FROM jsonb_object_keys(metrics))) AS rows,
            count(*) FILTER (WHERE metrics ? 'pm25') AS messages
     FROM telemetry_messages WHERE device_id LIKE $1`,
    [`%${stationMarker}%`],
  );
  const storedRows = Number(rows[0]!.rows ?? 0);
  const storedMessages = Number(rows[0]!.messages);
  await emptyMessageTables(app.pool);

  const alarmLatency = new Histogram();
  for (const [deviceId, at] of Object.entries(sentAt)) {
    const opened = alertOpenedAt.get(deviceId);
    alarmLatency.add(opened === undefined ? 60_000 : opened - at); // never opened counts as a minute
  }
  const ackLatency = new Histogram();
  ackLatency.merge(stats.ackLatency);
  const consoleLatency = new Histogram();
  if (consoleReport) consoleLatency.merge(consoleReport.latency);

  const acknowledged = spec.qos === 1 ? stats.acked : null;
  const lost = Math.max(0, (acknowledged ?? stats.published) - storedMessages);
  const elapsed = Math.max(1, probe.lastStoredAt() - stats.startedAt) / 1000;
  return {
    ...spec,
    published: stats.published,
    acknowledged,
    storedMessages,
    storedRows,
    lost,
    messagesPerSecond: Math.round(storedMessages / elapsed),
    rowsPerSecond: Math.round(storedRows / elapsed),
    worstSeconds: probe.worstSeconds(stats.startedAt, 5),
    slowStatements,
    storeLatencyMs: probe.latency().summary(),
    ackLatencyMs: spec.qos === 1 ? ackLatency.summary() : null,
    consoleLatencyMs: consoleReport ? consoleLatency.summary() : null,
    consoleBatches: consoleReport?.batches ?? 0,
    alarmLatencyMs: spec.alarmTrials > 0 ? alarmLatency.summary() : null,
    rssMaxMiB: Math.round(rssMax / 1_048_576),
    memoryAtRssMaxMiB: memoryAtMax,
    systemCpuPct: round(((cpu.user + cpu.system) / 1000 / wall) * 100),
    generatorCpuPct: round((stats.cpuMs / (stats.flushedAt - stats.startedAt)) * 100),
    consolesCpuPct: consoleReport ? round((consoleReport.cpuMs / wall) * 100) : 0,
    databaseCpuPct: round(
      (ticksBetween(databaseBefore, databaseAfter) / ticksPerSecond / (wall / 1000)) * 100,
    ),
    machineCpuPct: round(
      ((machineAfter.busy - machineBefore.busy) / Math.max(1, machineAfter.total - machineBefore.total)) *
        100,
    ),
    stealPct: round(
      ((machineAfter.steal - machineBefore.steal) / Math.max(1, machineAfter.total - machineBefore.total)) *
        100,
    ),
    deadLetters: (await deadLetterCount(app)) - deadBefore,
    disconnected: stats.disconnected,
    journalUsed,
    loopDelayMs: { p99: round(loopDelay.percentile(99) / 1e6), max: round(loopDelay.max / 1e6) },
    liveWindowMs: {
      max: windowMax,
      widenedPct: Math.round((widenedSamples / Math.max(1, windowSamples)) * 100),
    },
  };
}

/** The system's (this process's) and its database's CPU together, in % of one core, since the call. */
export function systemAndDatabaseCpu(): () => number {
  const cpuBefore = process.cpuUsage();
  const databaseBefore = databaseTicks();
  const wallBefore = performance.now();
  return () => {
    const cpu = process.cpuUsage(cpuBefore);
    const seconds = Math.max(0.001, (performance.now() - wallBefore) / 1000);
    return round(
      ((cpu.user + cpu.system) / 1e6 / seconds +
        ticksBetween(databaseBefore, databaseTicks()) / ticksPerSecond / seconds) *
        100,
    );
  };
}

/** Near idle: the system and its database together under this share of one core (%). */
export const quietCpuPct = 15;

/**
 * Waits until the system and its database have been near idle (under `quietPct` of one core
 * together) for `seconds` seconds in a row, at most `timeoutMs`: a ceiling measured while the last
 * step's tail or a periodic write (last-seen times every 5 s, latest values, the rollup's fold) still
 * runs would be low, and flatter the system's ratio to it. Returns how long it waited and the last
 * second's CPU.
 */
export async function waitForQuiet(
  quietPct = quietCpuPct,
  seconds = 6,
  timeoutMs = 60_000,
): Promise<{ waitedMs: number; cpuPct: number }> {
  const started = Date.now();
  let quietFor = 0;
  for (;;) {
    const meter = systemAndDatabaseCpu();
    await new Promise((r) => setTimeout(r, 1_000));
    const cpuPct = meter();
    quietFor = cpuPct < quietPct ? quietFor + 1 : 0;
    const waitedMs = Date.now() - started;
    if (quietFor >= seconds || waitedMs >= timeoutMs) return { waitedMs, cpuPct };
  }
}
