// The direct queue: accepted writes gathered into batches (by size, or after flushMs), at most
// `concurrency` batches delivered at a time. Bounded: past queueLimit rows new writes wait for room
// (back-pressure to the publishers, not memory growth), and a QoS 0 write that finds a line of them
// waiting is dropped and counted. While a detour is active (the journal), writes go there instead.
import type { Metrics } from '../metrics/index.ts';
import { addToBatch, answerOf, type Batch, emptyBatch, type WriteRequest } from './batch.ts';
import { Fifo } from './fifo.ts';

/** Where writes go instead of the queue while the database is out. */
export interface Detour {
  active(): boolean;
  full(): boolean;
  /** Resolves once the write is kept there. */
  take(request: WriteRequest): Promise<void>;
}

export interface Batcher {
  write(request: WriteRequest, urgent: boolean, droppable: boolean): Promise<void>;
  /** Rows accepted but not yet answered. */
  pending(): number;
  /** Writes made now are queued at once, not held waiting for room. */
  accepting(): boolean;
  /** Seals the batch being filled and hands every batch waiting in memory to `spill`, in order. */
  spillQueued(spill: (batch: Batch) => Promise<void>): void;
  /** Room may have opened (the detour ended): wakes writers waiting for it. */
  wakeRoom(): void;
  /** Seals the batch being filled; resolves once nothing accepted waits in memory. */
  drain(): Promise<void>;
}

const resolved = Promise.resolve();

export function createBatcher(deps: {
  options: { batchRows: number; flushMs: number; queueLimit: number; concurrency: number };
  metrics: Metrics;
  /** Stores a sealed batch (or moves it to the detour); resolves once its writers are answered. */
  deliver: (batch: Batch) => Promise<void>;
  detour?: Detour;
}): Batcher {
  const { options, metrics, deliver, detour } = deps;
  let current = emptyBatch();
  const sealed: Batch[] = [];
  let inFlight = 0;
  let queued = 0;
  let timer: NodeJS.Timeout | undefined;
  const roomWaiters = new Fifo<() => void>();
  // Writers released from roomWaiters run on a later tick: until they have added their rows the
  // queue is not really empty, and drain() must not say so.
  let waitingForRoom = 0;
  // Writers woken for room that have not added their rows yet.
  let released = 0;
  // Messages (not rows) that may wait for room before a QoS 0 one is dropped instead.
  const qos0LineLimit = Math.max(1, Math.floor(options.queueLimit / 4));
  const idle = () => queued === 0 && current.size === 0 && waitingForRoom === 0;
  const drainWaiters = new Fifo<() => void>();
  const wakeDrainersIfIdle = () => {
    if (idle()) for (const wake of drainWaiters.takeAll()) wake();
  };
  const detoured = () => detour?.active() === true;
  /** The queue is at its limit: writes wait for room (QoS 0 past its line is dropped). */
  const queueFull = () => !detoured() && queued >= options.queueLimit;

  function seal() {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (current.size === 0) return;
    sealed.push(current);
    current = emptyBatch();
  }

  function batchDone(batch: Batch) {
    queued -= batch.size;
    wakeRoom();
    wakeDrainersIfIdle();
  }

  /**
   * Wakes as many writers waiting for room as there is room for (each adds at least a row), not all
   * of them: with tens of thousands of QoS 1 publishes waiting, waking every one on each stored
   * batch only to put most of them back to sleep cost more CPU than storing them.
   */
  function wakeRoom() {
    let room = detoured() ? roomWaiters.length : options.queueLimit - queued - released;
    while (roomWaiters.length > 0 && room-- > 0) {
      released++;
      roomWaiters.shift()!();
    }
  }

  function pump() {
    while (inFlight < options.concurrency && sealed.length > 0) {
      const batch = sealed.shift()!;
      inFlight++;
      void deliver(batch).finally(() => {
        inFlight--;
        batchDone(batch);
        pump();
      });
    }
  }

  /** Not async: the common case, room in the queue, costs no promise of its own. */
  function writeNow(request: WriteRequest, urgent: boolean, droppable: boolean): Promise<void> {
    if (detour?.active()) {
      if (droppable && detour.full()) return dropped();
      const taken = detour.take(request);
      wakeDrainersIfIdle();
      return taken;
    }
    const done = answerOf(current);
    queued += addToBatch(current, request);
    if (urgent || current.size >= options.batchRows) {
      seal();
      pump();
    } else if (!timer) {
      timer = setTimeout(() => {
        timer = undefined;
        seal();
        pump();
      }, options.flushMs);
    }
    return done;
  }

  async function writeWhenRoom(request: WriteRequest, urgent: boolean): Promise<void> {
    while (queueFull()) {
      waitingForRoom++;
      await new Promise<void>((r) => roomWaiters.push(r));
      released--;
      waitingForRoom--;
    }
    return writeNow(request, urgent, false);
  }

  function dropped(): Promise<void> {
    metrics.messagesDropped.inc();
    return resolved;
  }

  return {
    write(request, urgent, droppable) {
      if (queueFull()) {
        // QoS 0 waits for room too while the line is short: its device's connection is not read
        // while it waits, which slows a flood at its source. Past that line it is dropped (counted),
        // so what waits in memory stays bounded.
        return droppable && waitingForRoom >= qos0LineLimit ? dropped() : writeWhenRoom(request, urgent);
      }
      return writeNow(request, urgent, droppable);
    },
    pending: () => queued,
    accepting: () => (detoured() ? !detour!.full() : !queueFull()),
    spillQueued(spill) {
      seal();
      for (const batch of sealed.splice(0)) void spill(batch).finally(() => batchDone(batch));
      wakeRoom();
    },
    wakeRoom,
    async drain() {
      seal();
      pump();
      if (!idle()) await new Promise<void>((r) => drainWaiters.push(r));
    },
  };
}
