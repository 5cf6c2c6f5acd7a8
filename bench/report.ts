// The benchmark's report: the machine, the ceilings, every step with its ratios, the knees, and the
// targets judged from the same run. JSON for tools, a markdown table for people.
import type { InsertCeiling } from './ceilings.ts';
import { round, type StepResult } from './step.ts';

export interface BrokerCeiling {
  qos: 0 | 1;
  devices: number;
  messagesPerSecond: number;
  seconds: number;
  /** CPU of the null broker's process per delivered message. */
  brokerCpuUsPerMessage?: number;
  /** CPU of the load generator per published message. */
  generatorCpuUsPerMessage?: number;
  /** The step it was measured beside (its name), just before or just after it. */
  step?: string;
  when?: 'before' | 'after';
  /** The system's and database's CPU (% of one core) in the second before it began: near idle. */
  quietCpuPct?: number;
  /** The same while it ran: what of the machine the idle system took from it. */
  systemCpuPct?: number;
}

/**
 * The ceilings a step is compared with: those measured just before and just after it, else (a step
 * with none of its own, such as a ramp) every one measured with its QoS and devices.
 */
function ceilingsOf(
  ceilings: readonly BrokerCeiling[],
  step: Pick<StepResult, 'name' | 'qos' | 'devices'>,
): BrokerCeiling[] {
  const same = ceilings.filter((c) => c.qos === step.qos && c.devices === step.devices);
  const own = same.filter((c) => c.step === step.name);
  return own.length > 0 ? own : same;
}

/**
 * The broker alone beside a step: the mean of its ceilings' rates and CPU per message, or undefined.
 * The machine is shared and its speed drifts by a fifth within minutes; a ceiling measured on both
 * sides of the step stands for the machine the step ran on better than one measured minutes away.
 */
export function brokerAloneFor(
  ceilings: readonly BrokerCeiling[],
  step: Pick<StepResult, 'name' | 'qos' | 'devices'>,
): { messagesPerSecond: number; brokerCpuUsPerMessage: number | undefined } | undefined {
  const list = ceilingsOf(ceilings, step);
  if (list.length === 0) return undefined;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const cpu = list.map((c) => c.brokerCpuUsPerMessage).filter((x): x is number => x !== undefined);
  return {
    messagesPerSecond: Math.round(mean(list.map((c) => c.messagesPerSecond))),
    brokerCpuUsPerMessage: cpu.length > 0 ? round(mean(cpu)) : undefined,
  };
}

export interface Knee {
  qos: 0 | 1;
  devices: number;
  /** The highest offered rate the system still took in full with p99 publish → stored under 1 s. */
  kneeMessagesPerSecond: number | null;
  brokeAt: number | null;
  reason: string | null;
}

export interface Target {
  name: string;
  goal: string;
  measured: string;
  met: boolean;
}

export interface BenchReport {
  date: string;
  mode: 'full' | 'partial' | 'smoke';
  machine: Record<string, string | number>;
  setup: Record<string, number>;
  ceilings: {
    broker: BrokerCeiling[];
    insert: InsertCeiling;
    /** The message rows alone, without the rollup's append. */
    plainInsert: InsertCeiling;
    /** The narrow layout before migration 009 (one row per metric), for comparison. */
    narrowInsert?: InsertCeiling;
    insertMessagesPerSecond: number;
  };
  steps: Array<
    StepResult & {
      /** The broker alone beside this step (brokerAloneFor), msg/s: what brokerRatio divides by. */
      brokerAlone: number | null;
      brokerRatio: number | null;
      insertRatio: number;
    }
  >;
  knees: Knee[];
  targets: Target[];
}

export const targets = { qos0: 20_000, qos1: 10_000 };

export function judgeTargets(report: Omit<BenchReport, 'targets'>, fleetSize: number): Target[] {
  const at = (kind: string, qos: 0 | 1) =>
    report.steps.find((s) => s.kind === kind && s.qos === qos && s.devices === fleetSize);
  const list: Target[] = [];
  for (const qos of [0, 1] as const) {
    const max = at('max', qos);
    const goal = qos === 0 ? targets.qos0 : targets.qos1;
    if (max) {
      list.push({
        name: `QoS ${qos} sustained, ${fleetSize} devices, no loss`,
        goal: `≥ ${goal} msg/s, 0 lost`,
        measured: `${max.messagesPerSecond} msg/s, ${max.lost} lost`,
        met: max.messagesPerSecond >= goal && max.lost === 0,
      });
      list.push({
        name: `QoS ${qos} end-to-end vs broker alone`,
        goal: '≥ 50 %',
        measured: max.brokerRatio === null ? 'n/a' : `${Math.round(max.brokerRatio * 100)} %`,
        met: max.brokerRatio !== null && max.brokerRatio >= 0.5,
      });
    }
    const half = at('half', qos);
    if (half) {
      list.push({
        name: `QoS ${qos} at ${half.rate} msg/s: publish → stored p99`,
        goal: '< 1000 ms',
        measured: `${half.storeLatencyMs.p99} ms`,
        met: half.storeLatencyMs.p99 < 1000,
      });
      if (half.consoleLatencyMs) {
        list.push({
          name: `QoS ${qos} at ${half.rate} msg/s: publish → console p99`,
          goal: '< 500 ms',
          measured: `${half.consoleLatencyMs.p99} ms`,
          met: half.consoleLatencyMs.p99 < 500,
        });
      }
      if (half.alarmLatencyMs) {
        list.push({
          name: `QoS ${qos} at ${half.rate} msg/s: fire alarm → alert stored p99`,
          goal: '< 200 ms',
          measured: `${half.alarmLatencyMs.p99} ms`,
          met: half.alarmLatencyMs.p99 < 200,
        });
      }
    }
  }
  const big = report.steps.filter((s) => s.devices === fleetSize);
  if (big.length > 0) {
    const rss = Math.max(...big.map((s) => s.rssMaxMiB));
    list.push({
      name: `RSS with ${fleetSize} devices and ${report.setup.consoles} consoles`,
      goal: '< 1536 MiB',
      measured: `${rss} MiB`,
      met: rss < 1536,
    });
  }
  return list;
}

function brokerCeilingsText(ceilings: readonly BrokerCeiling[]): string {
  const groups = new Map<string, BrokerCeiling[]>();
  for (const c of ceilings) {
    const key = `QoS ${c.qos}, ${c.devices} devices${c.step ? ` (${c.step})` : ''}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return [...groups]
    .map(
      ([key, list]) =>
        `${key}: ${list
          .map(
            (c) =>
              `${c.messagesPerSecond} msg/s${c.when ? ` ${c.when}` : ''}` +
              (c.systemCpuPct === undefined
                ? ''
                : ` (system and database beside it: ${c.systemCpuPct} % of a core)`),
          )
          .join(', ')}`,
    )
    .join('; ');
}

const ms = (l: { p50: number; p99: number; max: number } | null) =>
  l && !Number.isNaN(l.p50) ? `${l.p50} / ${l.p99} / ${l.max}` : '–';
const pct = (x: number | null) => (x === null ? '–' : `${Math.round(x * 100)} %`);

export function markdown(report: BenchReport): string {
  const m = report.machine;
  const lines = [
    `Benchmark of ${report.date} (${report.mode}) on ${m.cpus} × ${m.cpu}, ${m.memoryGiB} GiB, ${m.os}; ` +
      `Node ${m.node}; ${m.database} on the same machine; load average ${m.loadAverageAtStart} at the start, ` +
      `${m.loadAverageAtEnd} at the end (the machine is shared).`,
    '',
    `Ceilings in the same run: broker alone (aedes → null consumer, in its own process with its own ` +
      `connections, measured just before and just after each maximum step once the system was near idle; ` +
      `"÷ broker" divides by the mean of a step's two) ${brokerCeilingsText(report.ceilings.broker)}. ` +
      `PostgreSQL bulk insert alone (the writer's statement, ` +
      `${report.ceilings.insert.batchRows}-reading batches × ${report.ceilings.insert.concurrency}): ` +
      `${report.ceilings.insert.rowsPerSecond} readings/s ≈ ${report.ceilings.insertMessagesPerSecond} msg/s at 4 metrics; ` +
      `message rows alone (no rollup) ${report.ceilings.plainInsert.rowsPerSecond} readings/s` +
      (report.ceilings.narrowInsert
        ? `; the narrow layout before migration 009 (a row per metric) ${report.ceilings.narrowInsert.rowsPerSecond} readings/s.`
        : '.'),
    '',
    'CPU: system = the IOC process (broker and pipeline), database = PostgreSQL, both in % of one core; machine = all cores, in % of the whole (the load generator and consoles run there too).',
    '',
    '| step | QoS | devices | offered msg/s | stored msg/s | rows/s | broker alone msg/s | ÷ broker | ÷ insert | publish → stored p50/p99/max ms | QoS 1 ack p99 ms | → console p50/p99/max ms | alarm → alert p50/p99/max ms | lost | RSS MiB | system CPU % | database CPU % | machine CPU % | dead letters |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of report.steps) {
    lines.push(
      `| ${s.name} | ${s.qos} | ${s.devices} | ${s.rate || 'max'} | ${s.messagesPerSecond} | ${s.rowsPerSecond} | ${s.brokerAlone ?? '–'} | ${pct(s.brokerRatio)} | ${pct(s.insertRatio)} | ${ms(s.storeLatencyMs)} | ${s.ackLatencyMs ? s.ackLatencyMs.p99 : '–'} | ${ms(s.consoleLatencyMs)} | ${ms(s.alarmLatencyMs)} | ${s.lost} | ${s.rssMaxMiB} | ${s.systemCpuPct} | ${s.databaseCpuPct ?? '–'} | ${s.machineCpuPct} | ${s.deadLetters} |`,
    );
  }
  const widened = report.steps.filter((s) => s.liveWindowMs && s.liveWindowMs.widenedPct > 0);
  if (widened.length > 0) {
    lines.push(
      '',
      `The server was saturated, and live telemetry to the consoles batched over a wider window than ${report.setup.liveCoalesceMs} ms (up to ${report.setup.liveCoalesceMaxMs ?? '?'} ms), in: ` +
        widened
          .map(
            (s) =>
              `${s.name} QoS ${s.qos} ${s.devices} (${s.liveWindowMs.widenedPct} % of the step, widest ${s.liveWindowMs.max} ms)`,
          )
          .join('; ') +
        '.',
    );
  }
  const journaled = report.steps.filter((s) => s.journalUsed);
  if (journaled.length > 0) {
    lines.push(
      '',
      `The writer took a slow batch for a database outage and went to its journal (stored later, by the replay) in: ${journaled.map((s) => `${s.name} QoS ${s.qos} ${s.devices}`).join('; ')}.`,
    );
  }
  if (report.knees.length > 0) {
    lines.push('', 'Knee (ramp: the highest offered rate taken in full with publish → stored p99 < 1 s):');
    for (const k of report.knees) {
      lines.push(
        `- QoS ${k.qos}, ${k.devices} devices: ${k.kneeMessagesPerSecond ?? 'below the first step'} msg/s` +
          (k.brokeAt ? `; broke at ${k.brokeAt} msg/s (${k.reason})` : '; did not break within the ramp'),
      );
    }
  }
  const budgets = cpuBudgets(report);
  if (budgets.length > 0) {
    lines.push(
      '',
      "CPU per stored message at the maximum steps, in µs (each process's CPU over the step ÷ messages stored; the broker alone from its ceiling). " +
        '"Bound": the most these cores could carry if the pipeline cost nothing beyond the broker alone, with the database, generator and consoles as measured; ' +
        '"budget at 50 %": what the pipeline may cost per message for the step to reach half the broker alone; ' +
        '"of it, steal": time the hypervisor gave these cores to other machines while they had work (the machine is shared).',
      '',
      '| step | QoS | devices | system | broker alone | database | generator | consoles | rest of the machine | of it, steal | bound msg/s | bound ÷ broker | pipeline budget at 50 % | pipeline (system − broker alone) |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const b of budgets) {
      lines.push(
        `| ${b.step} | ${b.qos} | ${b.devices} | ${b.system} | ${b.brokerAlone} | ${b.database} | ${b.generator} | ${b.consoles} | ${b.rest} | ${b.steal ?? '–'} | ${b.boundMessagesPerSecond} | ${pct(b.boundRatio)} | ${b.pipelineBudgetAtHalf} | ${b.pipeline} |`,
      );
    }
  }
  if (report.targets.length > 0) {
    lines.push('', '| target | goal | measured | met |', '|---|---|---|---|');
    for (const t of report.targets)
      lines.push(`| ${t.name} | ${t.goal} | ${t.measured} | ${t.met ? 'yes' : 'no'} |`);
  }
  return `${lines.join('\n')}\n`;
}

export interface CpuBudget {
  step: string;
  qos: 0 | 1;
  devices: number;
  system: number;
  brokerAlone: number;
  database: number;
  generator: number;
  consoles: number;
  rest: number;
  /** Of `rest`: the hypervisor running other machines on these cores (the machine is shared). */
  steal: number | undefined;
  boundMessagesPerSecond: number;
  boundRatio: number;
  pipelineBudgetAtHalf: number;
  pipeline: number;
}

/**
 * Where each maximum step's CPU went per stored message, and what that leaves the pipeline: the
 * broker ceiling's ratio target is reachable only if the pipeline fits in what the broker alone, the
 * database, the load generator and the consoles leave of these cores.
 */
export function cpuBudgets(report: Omit<BenchReport, 'targets'>): CpuBudget[] {
  const cores = Number(report.machine.cpus);
  const budgets: CpuBudget[] = [];
  for (const s of report.steps) {
    const ceiling = brokerAloneFor(report.ceilings.broker, s);
    if (s.kind !== 'max' || !ceiling?.brokerCpuUsPerMessage || s.messagesPerSecond === 0) continue;
    const us = (pctOfCore: number) => (pctOfCore / 100) * (1e6 / s.messagesPerSecond);
    const system = us(s.systemCpuPct);
    const database = us(s.databaseCpuPct);
    const generator = us(s.generatorCpuPct);
    const consoles = us(s.consolesCpuPct);
    const machine = us(s.machineCpuPct * cores);
    const brokerAlone = ceiling.brokerCpuUsPerMessage;
    const fixed = brokerAlone + database + generator + consoles;
    const bound = (cores * 1e6) / fixed;
    budgets.push({
      step: s.name,
      qos: s.qos,
      devices: s.devices,
      system: round(system),
      brokerAlone: round(brokerAlone),
      database: round(database),
      generator: round(generator),
      consoles: round(consoles),
      rest: round(Math.max(0, machine - system - database - generator - consoles)),
      steal: s.stealPct === undefined ? undefined : round(us(s.stealPct * cores)),
      boundMessagesPerSecond: Math.round(bound),
      boundRatio: Math.round((bound / ceiling.messagesPerSecond) * 100) / 100,
      pipelineBudgetAtHalf: round((cores * 1e6) / (ceiling.messagesPerSecond / 2) - fixed),
      pipeline: round(system - brokerAlone),
    });
  }
  return budgets;
}
