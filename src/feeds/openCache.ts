// What keeps the anonymous open-data endpoints from costing the city more than they give: rendered
// pages cached under a key built from the validated query (so `limit=50000`, `limit=050000`,
// `limit=5e4` and reordered parameters are one entry), bounded by the bytes they hold rather than
// their number (one page can be megabytes), and a gate on the reads the cache cannot answer (each
// can hold a database connection for a second; anyone may send forty at once).

/** A stable key from a parsed query: keys sorted, dates as ISO strings, unset fields left out. */
export function normalisedKey(route: string, query: Record<string, unknown>): string {
  const sorted = Object.keys(query)
    .filter((k) => query[k] !== undefined)
    .sort()
    .map((k) => [k, query[k]]);
  return `${route}?${JSON.stringify(sorted)}`;
}

export interface ByteCache<T> {
  get(key: string): T | undefined;
  /** Keeps `value`, charged `bytes`; one larger than the whole budget is not kept. */
  set(key: string, value: T, bytes: number): void;
  readonly bytes: number;
  readonly size: number;
}

/** Least-recently-used cache with a byte budget and a time to live. */
export function createByteCache<T>(
  budget: number,
  ttlMs: number,
  now: () => number = Date.now,
): ByteCache<T> {
  // A Map iterates in insertion order: re-inserting on each hit keeps the least recent first.
  const entries = new Map<string, { value: T; bytes: number; until: number }>();
  let bytes = 0;
  const drop = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    bytes -= entry.bytes;
  };
  return {
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.until <= now()) {
        drop(key);
        return undefined;
      }
      entries.delete(key);
      entries.set(key, entry);
      return entry.value;
    },
    set(key, value, size) {
      drop(key);
      if (size > budget) return;
      for (const [oldest] of entries) {
        if (bytes + size <= budget) break;
        drop(oldest);
      }
      entries.set(key, { value, bytes: size, until: now() + ttlMs });
      bytes += size;
    },
    get bytes() {
      return bytes;
    },
    get size() {
      return entries.size;
    },
  };
}

/** Thrown when the gate's running and waiting places are all taken. */
export class GateFull extends Error {
  override name = 'GateFull';
}

export interface Gate {
  run<T>(work: () => Promise<T>): Promise<T>;
  readonly running: number;
  readonly waiting: number;
}

/** At most `concurrency` works at once, `queue` more waiting in order; beyond that GateFull at once. */
export function createGate(concurrency: number, queue: number): Gate {
  let running = 0;
  const waiters: Array<() => void> = [];
  const release = () => {
    const next = waiters.shift();
    if (next) next();
    else running--;
  };
  return {
    async run(work) {
      if (running >= concurrency) {
        if (waiters.length >= queue) throw new GateFull();
        // The place is handed over by release(): running stays counted for the waiter.
        await new Promise<void>((ok) => waiters.push(ok));
      } else running++;
      try {
        return await work();
      } finally {
        release();
      }
    },
    get running() {
      return running;
    },
    get waiting() {
      return waiters.length;
    },
  };
}
