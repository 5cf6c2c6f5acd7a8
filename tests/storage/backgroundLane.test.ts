// The background lane's pacing, on a clock the test moves: a turn's length and its rest are what the
// clock says, so a slow machine cannot stretch or shorten them.
import { describe, expect, it } from 'vitest';
import { createBackgroundLane, type LaneClock } from '../../src/storage/backgroundLane.ts';

/** A clock that moves only when told to, firing what falls due. */
function manualClock() {
  let now = 0;
  const timers = new Set<{ at: number; done: () => void }>();
  const clock: LaneClock & { advance(ms: number): void; pending(): number } = {
    now: () => now,
    after(ms, done) {
      const timer = { at: now + ms, done };
      timers.add(timer);
      return () => timers.delete(timer);
    },
    advance(ms) {
      now += ms;
      for (const timer of [...timers]) {
        if (timer.at > now) continue;
        timers.delete(timer);
        timer.done();
      }
    },
    pending: () => timers.size,
  };
  return clock;
}

/** Lets every promise reaction that is ready run (one turn of the event loop; no time passes). */
const settle = () => new Promise<void>((ok) => setImmediate(ok));

describe('the background lane', () => {
  it('runs one turn at a time, in order, each followed by a rest in proportion to it', async () => {
    const clock = manualClock();
    const lane = createBackgroundLane({ restFactor: 2, clock });
    const started: string[] = [];
    const turn = (name: string, ms: number) =>
      lane.run(async () => {
        started.push(name);
        clock.advance(ms); // the statement takes this long
        return name;
      });
    const answers = Promise.all([turn('fold', 60), turn('latest', 20), turn('seen', 20)]);
    await settle();
    expect(started).toEqual(['fold']);
    clock.advance(119); // the fold's rest is twice its 60 ms
    await settle();
    expect(started).toEqual(['fold']);
    clock.advance(1);
    await settle();
    expect(started).toEqual(['fold', 'latest']);
    clock.advance(39);
    await settle();
    expect(started).toEqual(['fold', 'latest']);
    clock.advance(1);
    await settle();
    expect(started).toEqual(['fold', 'latest', 'seen']);
    await expect(answers).resolves.toEqual(['fold', 'latest', 'seen']);
  });

  it('answers a turn when its work is done, not after its rest', async () => {
    const clock = manualClock();
    const lane = createBackgroundLane({ restFactor: 50, clock });
    let answered = false;
    void lane
      .run(async () => clock.advance(20))
      .then(() => {
        answered = true;
      });
    await settle();
    expect(answered).toBe(true);
    expect(clock.pending()).toBe(1); // the rest of a second runs on after the answer
  });

  it('gives a failed turn its error and goes on with the next', async () => {
    const lane = createBackgroundLane({ restFactor: 0, clock: manualClock() });
    const failed = lane.run(() => Promise.reject(new Error('connection lost')));
    const next = lane.run(async () => 'stored');
    await expect(failed).rejects.toThrow('connection lost');
    await expect(next).resolves.toBe('stored');
  });

  it('stops resting once hurried, for the turns queued at shutdown', async () => {
    const clock = manualClock();
    const lane = createBackgroundLane({ restFactor: 1_000, clock });
    await lane.run(async () => clock.advance(10)); // a rest of ten seconds begins
    expect(clock.pending()).toBe(1);
    const queued = lane.run(async () => 'flushed');
    lane.hurry();
    expect(clock.pending()).toBe(0);
    // The clock never moves again: only the hurry can let the queued turn run.
    await expect(queued).resolves.toBe('flushed');
  });
});
