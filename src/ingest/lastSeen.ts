// When each device was last heard from, noted per message in memory and written to devices.last_seen
// every few seconds in a few statements (src/storage/lastSeen.ts), never once per message. A stamp
// whose write fails is kept for the next round, unless a newer one replaced it.
import type { Logger } from '../log.ts';
import type { DeviceRegistry } from '../registry/index.ts';
import type { BackgroundLane } from '../storage/backgroundLane.ts';
import { touchLastSeen } from '../storage/lastSeen.ts';
import type { Pool } from '../storage/pool.ts';

export interface LastSeen {
  /** Writes the stamps every writeEveryMs from now on; notes are taken only while started. */
  start(): void;
  /** `handle`: the sender's registry handle when the broker gave it (spares the Map). */
  note(deviceId: string, handle: number | undefined, at: Date): void;
  /** Stops taking notes; resolves once what was noted is written (or failed to be). */
  stop(): Promise<void>;
}

const writeEveryMs = 5_000;

// In chunks, each a turn on the background lane: 10,000 devices in one statement took 160-870 ms
// of a core under load (bench).
const chunkRows = 2_500;

export function createLastSeen(deps: {
  registry: DeviceRegistry;
  pool: Pool;
  lane: BackgroundLane;
  log: Logger;
}): LastSeen {
  const { registry, pool, lane, log } = deps;
  let seen = new Map<string, Date>();
  // A sender the broker names by its handle is noted here instead, in ms by handle (0: not heard
  // from since the last write): a store per message where the Map's set was 3 % of the thread.
  let seenByHandle = new Float64Array(1024);
  let writing: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;

  // A write still under way when the next is due lets that one pass.
  function flush(): Promise<void> {
    writing ??= write().finally(() => {
      writing = undefined;
    });
    return writing;
  }

  async function write() {
    const byHandle = seenByHandle;
    seenByHandle = new Float64Array(byHandle.length);
    for (let handle = 0; handle < byHandle.length; handle++) {
      const at = byHandle[handle]!;
      const row = at > 0 ? registry.byHandle(handle)?.row : undefined;
      if (!row) continue;
      const known = seen.get(row.id); // a stamp kept from a failed write, older or newer
      if (!known || known.getTime() < at) seen.set(row.id, new Date(at));
    }
    if (seen.size === 0) return;
    const batch = [...seen];
    seen = new Map();
    for (let done = 0; done < batch.length; done += chunkRows) {
      const chunk = new Map(batch.slice(done, done + chunkRows));
      try {
        await lane.run(() => touchLastSeen(pool, chunk));
      } catch (error) {
        log.warn({ err: error }, 'could not record last-seen times; will retry');
        for (const [id, at] of batch.slice(done)) if (!seen.has(id)) seen.set(id, at);
        return;
      }
    }
  }

  return {
    start() {
      timer = setInterval(() => void flush(), writeEveryMs);
      timer.unref();
    },
    note(deviceId, handle, at) {
      if (!timer) return;
      if (handle === undefined) {
        seen.set(deviceId, at);
        return;
      }
      if (handle >= seenByHandle.length) {
        const grown = new Float64Array(Math.max(handle + 1, seenByHandle.length * 2));
        grown.set(seenByHandle);
        seenByHandle = grown;
      }
      seenByHandle[handle] = at.getTime();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await writing;
      await flush();
    },
  };
}
