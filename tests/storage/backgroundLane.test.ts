import { describe, expect, it } from 'vitest';
import { createBackgroundLane } from '../../src/storage/backgroundLane.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the background lane', () => {
  it('runs one turn at a time, in order, each followed by a rest in proportion to it', async () => {
    const lane = createBackgroundLane({ restFactor: 2 });
    const spans: Array<{ name: string; start: number; end: number }> = [];
    const turn = (name: string, ms: number) =>
      lane.run(async () => {
        const start = performance.now();
        await sleep(ms);
        spans.push({ name, start, end: performance.now() });
        return name;
      });
    const answers = await Promise.all([turn('fold', 60), turn('latest', 20), turn('seen', 20)]);
    expect(answers).toEqual(['fold', 'latest', 'seen']);
    expect(spans.map((s) => s.name)).toEqual(['fold', 'latest', 'seen']);
    const [fold, latest, seen] = spans as [(typeof spans)[0], (typeof spans)[0], (typeof spans)[0]];
    // Never side by side, and the rest after each is at least twice its length.
    expect(latest.start - fold.end).toBeGreaterThanOrEqual(2 * (fold.end - fold.start) - 5);
    expect(seen.start - latest.end).toBeGreaterThanOrEqual(2 * (latest.end - latest.start) - 5);
  });

  it('answers a turn when its work is done, not after its rest', async () => {
    const lane = createBackgroundLane({ restFactor: 50 });
    const started = performance.now();
    await lane.run(() => sleep(20));
    expect(performance.now() - started).toBeLessThan(500); // the rest would be about a second
  });

  it('gives a failed turn its error and goes on with the next', async () => {
    const lane = createBackgroundLane({ restFactor: 0 });
    const failed = lane.run(() => Promise.reject(new Error('connection lost')));
    const next = lane.run(async () => 'stored');
    await expect(failed).rejects.toThrow('connection lost');
    await expect(next).resolves.toBe('stored');
  });

  it('stops resting once hurried, for the turns queued at shutdown', async () => {
    const lane = createBackgroundLane({ restFactor: 1_000 });
    await lane.run(() => sleep(10)); // a rest of some ten seconds begins
    const queued = lane.run(async () => 'flushed');
    lane.hurry();
    const started = performance.now();
    await expect(queued).resolves.toBe('flushed');
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
