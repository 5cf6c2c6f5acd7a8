// Every instance's accepted readings, status and device events, and operator resolutions, go to the
// alert leader through one Redis stream (XADD, trimmed to about `maxEntries` batches), so stateful rules
// (for_s, hysteresis, rate of rise, offline) see a device's whole stream even when the broker hands its
// messages to different instances. Events are batched for a few milliseconds into one entry (fire
// alarms at once). Only the leader reads (XREAD), feeding the engine's input bus; it records how far it
// got, so the next leader continues from there.
import type { RedisClientType } from 'redis';
import type { AlertEvent, DeviceEventEvent, EventBus, ReadingEvent, StatusEvent } from '../events/bus.ts';
import type { Logger } from '../log.ts';

type Redis = RedisClientType;

const batchMs = 5;
const maxBatch = 500;

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
  log: Logger;
  maxEntries?: number;
}) {
  const { redis, reader, bus, input, log } = deps;
  const streamKey = `${deps.prefix}:alerts:events`;
  const cursorKey = `${deps.prefix}:alerts:cursor`;
  const maxEntries = deps.maxEntries ?? 100_000;
  let queue: Wire[] = [];
  let timer: NodeJS.Timeout | undefined;
  let immediate = false;
  let sending = Promise.resolve();
  let consuming = false;
  let loop: Promise<void> | undefined;

  function flush() {
    if (timer) clearTimeout(timer);
    timer = undefined;
    immediate = false;
    if (queue.length === 0) return;
    const events = JSON.stringify(queue);
    queue = [];
    sending = redis
      .xAdd(
        streamKey,
        '*',
        { from: deps.instanceId, events },
        { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: maxEntries } },
      )
      .then(() => undefined)
      .catch((error) => log.error({ err: error }, 'could not send events to the alert leader'));
  }

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

  async function consume(from: string) {
    let cursor = from;
    while (consuming) {
      let reply: Array<{ messages: Array<{ id: string; message: Record<string, string> }> }> | null;
      try {
        reply = (await reader.xRead(
          { key: streamKey, id: cursor },
          { BLOCK: 500, COUNT: 200 },
        )) as typeof reply;
      } catch (error) {
        if (!consuming) break;
        log.warn({ err: error }, 'reading the alert feed failed; retrying');
        await new Promise((ok) => setTimeout(ok, 1_000));
        continue;
      }
      if (!reply || !consuming) continue;
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
      await redis.set(cursorKey, cursor).catch(() => {});
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
      // Where the last leader stopped; on a first start, the stream's newest entry ('$' would skip
      // whatever arrives between two blocking reads).
      const saved = await redis.get(cursorKey).catch(() => null);
      const newest = saved ? [] : await redis.xRevRange(streamKey, '+', '-', { COUNT: 1 }).catch(() => []);
      const from = saved ?? newest?.[0]?.id ?? '0-0';
      log.info({ from }, 'evaluating alerts for every instance');
      loop = consume(from);
    },
    async stopConsuming() {
      consuming = false;
      await loop;
      loop = undefined;
    },
    /** Resolves once what was queued so far is in Redis. */
    async flushed() {
      flush();
      await sending;
    },
    async stop() {
      for (const [event, listener] of Object.entries(local)) bus.off(event as 'reading', listener as never);
      await this.stopConsuming();
      await this.flushed();
    },
  };
}
