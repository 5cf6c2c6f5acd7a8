// The lane for periodic whole-fleet statements: the fold into hourly rollups, the latest values,
// the last-seen stamps and the indicator pass take turns on it, one statement (or one short
// transaction) at a time, each turn followed by a rest in proportion to its length. Ingest's own
// batch inserts never wait here. Like autovacuum's cost delay, it bounds what background work can
// take from the machine (1 / (1 + restFactor) of a core at most) and keeps two such statements from
// running side by side: each one paced alone, they still met, and the slowest seconds of the
// publish → stored tail fell where two or three overlapped (bench, 10,000 devices at 10,000 msg/s).
// When there is more background work than the share allows, it waits: folds and flushes grow
// larger and later, and readings keep being stored at once.

export interface BackgroundLane {
  /** Runs `work` when its turn comes; resolves with its result as soon as it is done (the rest follows). */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** No more rests: the process is stopping and what is queued should finish at once. */
  hurry(): void;
}

/** What the lane measures turns and rests with; tests move it instead of waiting. */
export interface LaneClock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  /** Calls `done` once `ms` have passed; the answer cancels it. */
  after(ms: number, done: () => void): () => void;
}

const realClock: LaneClock = {
  now: () => performance.now(),
  after(ms, done) {
    const timer = setTimeout(done, ms);
    // A rest never keeps the process alive on its own.
    timer.unref();
    return () => clearTimeout(timer);
  },
};

export function createBackgroundLane(
  options: { restFactor?: number; clock?: LaneClock } = {},
): BackgroundLane {
  const restFactor = options.restFactor ?? 2;
  const clock = options.clock ?? realClock;
  let tail: Promise<void> = Promise.resolve();
  let hurried = false;
  let resting: { cancel: () => void; done: () => void } | undefined;

  const rest = (ms: number) =>
    new Promise<void>((done) => {
      if (hurried || ms <= 0) return done();
      const cancel = clock.after(ms, () => {
        resting = undefined;
        done();
      });
      resting = { cancel, done };
    });

  return {
    run<T>(work: () => Promise<T>): Promise<T> {
      let started = 0;
      const result = tail.then(() => {
        started = clock.now();
        return work();
      });
      tail = result.then(
        () => rest(restFactor * (clock.now() - started)),
        () => rest(restFactor * (clock.now() - started)),
      );
      return result;
    },
    hurry() {
      hurried = true;
      if (resting) {
        resting.cancel();
        resting.done();
        resting = undefined;
      }
    },
  };
}
