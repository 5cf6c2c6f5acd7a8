// The benchmark in smoke mode (a few seconds per step, a small fleet): not a timed test, but proof
// that `npm run bench` still runs end to end, loses nothing, and writes its report.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

describe('npm run bench -- --smoke', () => {
  let out: string | undefined;
  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('runs every step end to end, loses no acknowledged or published message and writes its report', async () => {
    out = await mkdtemp(join(tmpdir(), 'ioc-bench-test-'));
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--smoke', '--out', out],
      {
        cwd: root,
        env: { ...process.env, DATABASE_URL: inject('adminDatabaseUrl') },
        timeout: 170_000,
      },
    );
    expect(stdout).toContain('| step | QoS |');
    const date = new Date().toISOString().slice(0, 10);
    const report = JSON.parse(await readFile(join(out, `${date}.json`), 'utf8'));
    expect(await readFile(join(out, `${date}.md`), 'utf8')).toContain('publish → stored');
    expect(report.mode).toBe('smoke');
    for (const ceiling of report.ceilings.broker) {
      expect(ceiling.brokerCpuUsPerMessage).toBeGreaterThan(0);
      expect(ceiling.systemCpuPct).toBeGreaterThanOrEqual(0); // what the idle system took beside it
    }
    // The broker alone is measured just before and just after each maximum step, and the step's
    // ratio is to the mean of the two.
    const maxSteps = report.steps.filter((s: { kind: string }) => s.kind === 'max');
    expect(maxSteps.length).toBe(2);
    for (const step of maxSteps) {
      const beside = report.ceilings.broker.filter(
        (c: { step: string; qos: number; devices: number }) =>
          c.step === step.name && c.qos === step.qos && c.devices === step.devices,
      );
      expect(beside.map((c: { when: string }) => c.when)).toEqual(['before', 'after']);
      const mean = (beside[0].messagesPerSecond + beside[1].messagesPerSecond) / 2;
      expect(Math.abs(step.brokerAlone - mean)).toBeLessThanOrEqual(0.5);
      expect(step.brokerRatio).toBe(Math.round((step.messagesPerSecond / step.brokerAlone) * 100) / 100);
    }
    expect(stdout).toContain('CPU per stored message at the maximum steps');
    expect(report.ceilings.insert.rowsPerSecond).toBeGreaterThan(0);
    const kinds = new Set(report.steps.map((s: { kind: string }) => s.kind));
    expect([...kinds].sort()).toEqual(['half', 'max', 'ramp']);
    for (const step of report.steps) {
      expect(step.lost, `${step.name} QoS ${step.qos}`).toBe(0);
      expect(step.storedMessages, `${step.name} QoS ${step.qos}`).toBeGreaterThan(0);
      expect(step.storeLatencyMs.samples).toBeGreaterThan(0);
      expect(step.liveWindowMs.max).toBeGreaterThanOrEqual(report.setup.liveCoalesceMs);
      if (step.qos === 1) expect(step.storedMessages).toBeGreaterThanOrEqual(step.acknowledged);
    }
    const half = report.steps.filter((s: { kind: string }) => s.kind === 'half');
    for (const step of half) {
      expect(step.alarmLatencyMs.samples).toBeGreaterThan(0);
      expect(step.alarmLatencyMs.max, 'every fire alarm opened an alert').toBeLessThan(60_000);
      expect(step.consoleBatches).toBeGreaterThan(0);
    }
  }, 180_000);
});
