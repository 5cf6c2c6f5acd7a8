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

export function createBackgroundLane(options: { restFactor?: number } = {}): BackgroundLane {
  const restFactor = options.restFactor ?? 2;
  let tail: Promise<void> = Promise.resolve();
  let hurried = false;
  let resting: { timer: NodeJS.Timeout; done: () => void } | undefined;

  const rest = (ms: number) =>
    new Promise<void>((done) => {
      if (hurried || ms <= 0) return done();
      const timer = setTimeout(() => {
        resting = undefined;
        done();
      }, ms);
      timer.unref();
      resting = { timer, done };
    });

  return {
    run<T>(work: () => Promise<T>): Promise<T> {
      let started = 0;
      const result = tail.then(() => {
        started = performance.now();
        return work();
      });
      tail = result.then(
        () => rest(restFactor * (performance.now() - started)),
        () => rest(restFactor * (performance.now() - started)),
      );
      return result;
    },
    hurry() {
      hurried = true;
      if (resting) {
        clearTimeout(resting.timer);
        resting.done();
        resting = undefined;
      }
    },
  };
}
