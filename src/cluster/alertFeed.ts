// Every instance's accepted readings, status and device events, and operator resolutions, go to the
// alert leader through one Redis stream (XADD, trimmed to about `maxEntries` batches), so stateful rules
// (for_s, hysteresis, rate of rise, offline) see a device's whole stream even when the broker hands its
// messages to different instances. Events are batched for a few milliseconds into one entry (fire
// alarms at once). Only the leader reads (XREAD), feeding the engine's input bus; it records how far it
// got, so the next leader continues from there.
// While Redis is away the leader evaluates its own instance's events directly, and the others hold
// theirs (up to `maxBacklog` events, the oldest dropped beyond) and send them when Redis is back, late
// but in order, so no instance's alerts stop and no stateful rule loses a device's stream for a blip.
import type { RedisClientType } from 'redis';
import type { AlertEvent, DeviceEventEvent, EventBus, ReadingEvent, StatusEvent } from '../events/bus.ts';
import type { Logger } from '../log.ts';
import type { RedisLink } from './redisLink.ts';

type Redis = RedisClientType;

const batchMs = 5;
const maxBatch = 500;
/** How long the leader waits before reading again after a failed read (sooner when Redis is back). */
const retryMs = 1_000;
/** How long stopping waits for a read in progress or the last send, Redis answering or not. */
const stopBoundMs = 1_500;

/** `promise`, or nothing after `ms`: what stopping waits for, at most. */
async function within(promise: Promise<unknown>, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((ok) => (timer = setTimeout(ok, ms)))]);
  clearTimeout(timer);
}

type Wire =
  | { k: 'r'; e: Omit<ReadingEvent, 'ts' | 'receivedAt'> & { ts: number; receivedAt: number } }
  | { k: 's'; e: Omit<StatusEvent, 'ts'> & { ts: number } }
  | { k: 'd'; e: Omit<DeviceEventEvent, 'ts'> & { ts: number } }
  | { k: 'a'; ruleId: number; deviceId: string };

export function createAlertFeed(deps: {
  redis: Redis;
  /** A connection of its own: XREAD blocks it. */
  reader: Redis;
  prefix: string;
  instanceId: string;
  /** This instance's bus, where ingest publishes. */
  bus: EventBus;
  /** The engine's input on this instance (fed only while it is the leader). */
  input: EventBus;
  /** Whether Redis is up, where failures are counted, and when it is back. */
  link: Pick<RedisLink, 'connected' | 'failed' | 'whenBack'>;
  log: Logger;
  maxEntries?: number;
  /** Events an instance holds for the leader while Redis is away (default 50,000). */
  maxBacklog?: number;
}) {
  const { redis, reader, bus, input, link, log } = deps;
  const streamKey = `${deps.prefix}:alerts:events`;
  const cursorKey = `${deps.prefix}:alerts:cursor`;
  const maxEntries = deps.maxEntries ?? 100_000;
  const maxBacklog = deps.maxBacklog ?? 50_000;
  let queue: Wire[] = [];
  let timer: NodeJS.Timeout | undefined;
  let immediate = false;
  let sending = Promise.resolve();
  let consuming = false;
  // Each start of consuming is a new generation: a read still in progress from an earlier one ends
  // its loop instead of feeding the engine twice.
  let generation = 0;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let backlog: Wire[] = [];
  let dropped = 0;

  /** Events Redis could not take: the leader evaluates its own now, another instance keeps them. */
  function unsent(batch: Wire[]) {
    if (consuming) {
      for (const wire of batch) deliver(wire);
      return;
    }
    backlog.push(...batch);
    if (backlog.length <= maxBacklog) return;
    // A tenth more room each time, so a long outage does not copy the backlog for every batch.
    const over = backlog.length - Math.floor(maxBacklog * 0.9);
    if (dropped === 0)
      log.warn(
        { maxBacklog },
        'Redis away too long: the oldest events held for the alert leader are dropped',
      );
    dropped += over;
    backlog = backlog.slice(over);
  }

  function send(batch: Wire[]) {
    if (!link.connected()) return unsent(batch);
    sending = redis
      .xAdd(
        streamKey,
        '*',
        { from: deps.instanceId, events: JSON.stringify(batch) },
        { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: maxEntries } },
      )
      .then(
        () => undefined,
        (error) => {
          link.failed('alert feed', error);
          unsent(batch);
        },
      );
  }

  function flush() {
    if (timer) clearTimeout(timer);
    timer = undefined;
    immediate = false;
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    send(batch);
  }

  // Back: what was held goes first, in the order it came, then the leader reads again at once.
  link.whenBack(() => {
    const held = backlog;
    backlog = [];
    if (held.length > 0)
      log.info(
        { events: held.length, dropped },
        'events held for the alert leader sent now that Redis is back',
      );
    dropped = 0;
    for (let i = 0; i < held.length; i += maxBatch) send(held.slice(i, i + maxBatch));
    wake?.();
  });

  function push(wire: Wire, urgent = false) {
    queue.push(wire);
    if (queue.length >= maxBatch) return flush();
    if (urgent && !immediate) {
      immediate = true;
      setImmediate(flush);
    } else if (!timer && !immediate) {
      timer = setTimeout(flush, batchMs);
    }
  }

  const local = {
    reading: (e: ReadingEvent) =>
      push(
        { k: 'r', e: { ...e, ts: e.ts.getTime(), receivedAt: e.receivedAt.getTime() } },
        e.kind === 'fire' && (e.metrics.alarm === 1 || e.metrics.flame === 1),
      ),
    status: (e: StatusEvent) => push({ k: 's', e: { ...e, ts: e.ts.getTime() } }),
    deviceEvent: (e: DeviceEventEvent) =>
      push({ k: 'd', e: { ...e, ts: e.ts.getTime() } }, e.kind === 'fire' || e.type === 'alarm_button'),
    alert: ({ action, alert }: AlertEvent) => {
      // The engine needs operator resolutions only (a condition still holding opens a new alert).
      if (action === 'resolved') push({ k: 'a', ruleId: alert.ruleId, deviceId: alert.deviceId });
    },
    // Registry and rule changes (local, or replayed from NOTIFY) reach this instance's engine directly.
    rulesChanged: () => input.emit('rulesChanged'),
    deviceChanged: (change: {
      deviceId: string;
      change: 'created' | 'updated' | 'deleted' | 'credentials';
    }) => input.emit('deviceChanged', change),
  };

  function deliver(wire: Wire) {
    switch (wire.k) {
      case 'r':
        input.emit('reading', {
          ...wire.e,
          ts: new Date(wire.e.ts),
          receivedAt: new Date(wire.e.receivedAt),
        });
        break;
      case 's':
        input.emit('status', { ...wire.e, ts: new Date(wire.e.ts) });
        break;
      case 'd':
        input.emit('deviceEvent', { ...wire.e, ts: new Date(wire.e.ts) });
        break;
      case 'a':
        input.emit('alert', {
          action: 'resolved',
          alert: { ruleId: wire.ruleId, deviceId: wire.deviceId } as AlertEvent['alert'],
        });
        break;
    }
  }

  /** Where the last leader stopped; on a first start, the stream's newest entry ('$' would skip
   * whatever arrives between two blocking reads). */
  async function startingPoint() {
    const saved = await redis.get(cursorKey);
    if (saved) return saved;
    const newest = await redis.xRevRange(streamKey, '+', '-', { COUNT: 1 });
    return newest?.[0]?.id ?? '0-0';
  }

  function pause(ms: number) {
    return new Promise<void>((ok) => {
      let waiting: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(waiting);
        wake = undefined;
        ok();
      };
      waiting = setTimeout(done, ms);
      wake = done;
    });
  }

  async function consume(mine: number) {
    let cursor: string | undefined;
    while (mine === generation) {
      try {
        if (cursor === undefined) {
          cursor = await startingPoint();
          log.info({ from: cursor }, 'evaluating alerts for every instance');
        }
        const reply = (await reader.xRead(
          { key: streamKey, id: cursor },
          { BLOCK: 500, COUNT: 200 },
        )) as Array<{ messages: Array<{ id: string; message: Record<string, string> }> }> | null;
        if (!reply || mine !== generation) continue;
        for (const stream of reply) {
          for (const { id, message } of stream.messages) {
            try {
              for (const wire of JSON.parse(message.events ?? '[]') as Wire[]) deliver(wire);
            } catch (error) {
              log.error({ err: error, id }, 'an alert feed entry could not be evaluated');
            }
            cursor = id;
          }
        }
        await redis.set(cursorKey, cursor).catch((error) => link.failed('alert feed', error));
      } catch (error) {
        if (mine !== generation) break;
        link.failed('alert feed', error);
        await pause(retryMs);
      }
    }
  }

  return {
    start() {
      for (const [event, listener] of Object.entries(local)) bus.on(event as 'reading', listener as never);
    },
    /** This instance is the leader: read every instance's events, from where the last leader stopped. */
    async startConsuming() {
      if (consuming) return;
      consuming = true;
      loop = consume(++generation);
    },
    async stopConsuming() {
      if (!consuming) return;
      consuming = false;
      generation++;
      wake?.();
      // A read in progress ends within its BLOCK time, or fails when its connection is closed.
      if (loop) await within(loop, stopBoundMs);
      loop = undefined;
    },
    /** Resolves once what was queued so far is in Redis (or given up on). */
    async flushed() {
      flush();
      await sending;
    },
    async stop() {
      for (const [event, listener] of Object.entries(local)) bus.off(event as 'reading', listener as never);
      await this.stopConsuming();
      await within(this.flushed(), stopBoundMs);
      if (backlog.length > 0 || dropped > 0)
        log.warn(
          { events: backlog.length, dropped },
          'stopping with events the alert leader never got (Redis away)',
        );
    },
  };
}
