// The report's CPU budget: per-message costs from CPU shares, and what they leave the pipeline; and
// which broker-alone ceilings a step is compared with.
import { describe, expect, it } from 'vitest';
import { type BenchReport, type BrokerCeiling, brokerAloneFor, cpuBudgets } from '../../bench/report.ts';

type Step = BenchReport['steps'][number];

const step = (overrides: Partial<Step>): Step =>
  ({
    name: 'sustained, max',
    kind: 'max',
    qos: 0,
    devices: 10_000,
    messagesPerSecond: 20_000,
    systemCpuPct: 90,
    databaseCpuPct: 40,
    generatorCpuPct: 30,
    consolesCpuPct: 20,
    machineCpuPct: 100,
    stealPct: 4,
    ...overrides,
  }) as Step;

const report = (steps: Step[]): Omit<BenchReport, 'targets'> => ({
  date: '2026-11-30T00:00:00.000Z',
  mode: 'partial',
  machine: { cpus: 2 },
  setup: {},
  ceilings: {
    broker: [
      {
        qos: 0,
        devices: 10_000,
        messagesPerSecond: 50_000,
        seconds: 3,
        brokerCpuUsPerMessage: 15,
        generatorCpuUsPerMessage: 17,
      },
    ],
    insert: { rowsPerSecond: 1, batchRows: 1, concurrency: 1, seconds: 1 },
    plainInsert: { rowsPerSecond: 1, batchRows: 1, concurrency: 1, seconds: 1 },
    insertMessagesPerSecond: 1,
  },
  steps,
  knees: [],
});

describe('cpuBudgets', () => {
  it('turns each maximum step CPU shares into µs per message and the pipeline budget they leave', () => {
    const [budget] = cpuBudgets(report([step({})]));
    // 90 % of a core over 20,000 msg/s is 45 µs a message; the machine's 2 cores at 100 % are 100 µs.
    expect(budget).toMatchObject({ system: 45, brokerAlone: 15, database: 20, generator: 15, consoles: 10 });
    expect(budget!.rest).toBe(10);
    // 4 % of 2 cores taken by the hypervisor: 4 µs of the 100 a message.
    expect(budget!.steal).toBe(4);
    // Fixed costs 15 + 20 + 15 + 10 = 60 µs: at most 33,333 msg/s on 2 cores, 67 % of the broker alone.
    expect(budget!.boundMessagesPerSecond).toBe(33_333);
    expect(budget!.boundRatio).toBe(0.67);
    // Half the broker alone is 25,000 msg/s: 80 µs a message, 20 of them left for the pipeline.
    expect(budget!.pipelineBudgetAtHalf).toBe(20);
    expect(budget!.pipeline).toBe(30);
  });

  it('leaves out the steps that are not maximum steps or have no ceiling with its CPU', () => {
    expect(cpuBudgets(report([step({ kind: 'half' }), step({ devices: 1_000 })]))).toEqual([]);
  });
});

describe('brokerAloneFor', () => {
  const ceiling = (overrides: Partial<BrokerCeiling>): BrokerCeiling => ({
    qos: 0,
    devices: 10_000,
    messagesPerSecond: 50_000,
    seconds: 15,
    brokerCpuUsPerMessage: 15,
    ...overrides,
  });
  const maxStep = { name: 'sustained, max', qos: 0 as const, devices: 10_000 };
  const ceilings = [
    ceiling({ step: 'sustained, max', when: 'before', messagesPerSecond: 48_000, brokerCpuUsPerMessage: 20 }),
    ceiling({ step: 'sustained, max', when: 'after', messagesPerSecond: 64_000, brokerCpuUsPerMessage: 15 }),
    ceiling({ step: 'sustained, max', qos: 1, when: 'before', messagesPerSecond: 40_000 }),
    ceiling({ step: 'sustained, max', devices: 1_000, when: 'before', messagesPerSecond: 140_000 }),
  ];

  it('compares a step with the mean of the ceilings measured just before and just after it', () => {
    expect(brokerAloneFor(ceilings, maxStep)).toEqual({
      messagesPerSecond: 56_000,
      brokerCpuUsPerMessage: 17.5,
    });
  });

  it('compares a step without ceilings of its own with every ceiling of its QoS and fleet size', () => {
    const withHalf = [
      ...ceilings,
      ceiling({ step: 'sustained, half target', when: 'before', messagesPerSecond: 41_000 }),
    ];
    expect(brokerAloneFor(withHalf, { name: 'ramp 3', qos: 0, devices: 10_000 })?.messagesPerSecond).toBe(
      51_000,
    );
    expect(brokerAloneFor(ceilings, { name: 'ramp 3', qos: 0, devices: 5_000 })).toBeUndefined();
  });

  it('gives the CPU budget the mean broker alone of the step', () => {
    const [budget] = cpuBudgets({
      ...report([step({})]),
      ceilings: { ...report([]).ceilings, broker: ceilings },
    });
    expect(budget!.brokerAlone).toBe(17.5);
    // Half of 56,000 msg/s on 2 cores is 71.4 µs a message, less 17.5 + 20 + 15 + 10 fixed.
    expect(budget!.pipelineBudgetAtHalf).toBe(8.9);
  });
});
