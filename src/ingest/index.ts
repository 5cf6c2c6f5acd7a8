// Ingest: MQTT message in → topic and device checked → payload parsed and validated against the
// catalog → readings published on the bus (the fast path for live state and alerts) → batch writer.
// Depends on the catalog, the registry and the writer; knows nothing of aedes. Guarantees: every
// message ends either stored or in dead_letters with a reason that names whose fault it is (the
// device's, or ours: refusals.ts); one bad message never costs another.
import type { Catalog } from '../catalog/index.ts';
import type { Config } from '../config.ts';
import type { DeadLetterReason } from '../errors.ts';
import type { EventBus } from '../events/bus.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics/index.ts';
import type { DeviceRegistry } from '../registry/index.ts';
import { type BackgroundLane, createBackgroundLane } from '../storage/backgroundLane.ts';
import type { DeviceRow } from '../storage/devices.ts';
import type { Pool } from '../storage/pool.ts';
import type { DeadLetterSink } from './deadLetters.ts';
import { createLastSeen } from './lastSeen.ts';
import {
  type ParsedTelemetry,
  parseEvent,
  parseJson,
  parseStatus,
  parseTelemetry,
  type TimeRules,
} from './payloads.ts';
import type { IngestLimiter } from './rateLimit.ts';
import { createRefusals } from './refusals.ts';
import { type InboundChannel, parseTopic } from './topics.ts';
import type { TelemetryWriter } from './writer.ts';

export interface InboundMessage {
  topic: string;
  payload: Buffer;
  receivedAt: Date;
  /** The authenticated device that sent it; null for an anonymous client (development switch only). */
  senderId: string | null;
  /** The sender's registry handle (registry.handleOf), when the broker knows it: spares the lookups. */
  senderHandle?: number;
  /** The broker published the sender's last will (its connection dropped). */
  lastWill?: boolean;
  /** MQTT QoS when known: a QoS 0 message may be dropped (and counted) under overload. */
  qos?: number;
}

export interface Ingest {
  /**
   * Resolves once the message is stored (true) or, when nothing of it could be kept as data, kept as
   * a dead letter (false). Never rejects. `taken`, when given, is called as soon as the message has
   * passed every check and its writes are queued, before they are stored: the broker lets a QoS 0
   * publish go then, as no acknowledgement waits on it. Never for writes a full queue or journal
   * holds back, so their device's connection stays unread until they are stored. Called before
   * accept returns, except for a message a rate limit delays (the broker relies on this).
   */
  accept(message: InboundMessage, taken?: () => void): Promise<boolean>;
  /** Keeps a refusal decided before ingest (by the broker's ACL, say) as a dead letter. */
  refuse(message: InboundMessage, reason: DeadLetterReason, text: string): void;
  start(): void;
  stop(): Promise<void>;
}

type IngestConfig = Pick<
  Config,
  'MQTT_MAX_PAYLOAD_BYTES' | 'INGEST_MAX_FUTURE_S' | 'INGEST_MAX_AGE_DAYS' | 'INGEST_LATE_AFTER_S'
>;

export function createIngest(deps: {
  catalog: Catalog;
  registry: DeviceRegistry;
  bus: EventBus;
  writer: TelemetryWriter;
  deadLetters: DeadLetterSink;
  metrics: Metrics;
  pool: Pool;
  log: Logger;
  config: IngestConfig;
  /** Per-device and global message-rate limits (rateLimit.ts); none: unlimited. */
  rateLimit?: IngestLimiter;
  /** Where last-seen stamps are written, in turn with the other periodic statements (none: at once). */
  lane?: BackgroundLane;
}): Ingest {
  const { catalog, registry, bus, writer, deadLetters, metrics, pool, log, config, rateLimit } = deps;
  const lane = deps.lane ?? createBackgroundLane({ restFactor: 0 });
  const lateAfterMs = config.INGEST_LATE_AFTER_S * 1000;
  const lastSeen = createLastSeen({ registry, pool, lane, log });
  const { refuse, refuseAll, storageFailed, internalError } = createRefusals({ deadLetters, log });
  // One TimeRules for every message: parsing is synchronous, so `now` is set just before each use.
  const rules: TimeRules = {
    now: new Date(0),
    maxFutureMs: config.INGEST_MAX_FUTURE_S * 1000,
    maxAgeMs: config.INGEST_MAX_AGE_DAYS * 86_400_000,
  };
  const timeRules = (receivedAt: Date) => {
    rules.now = receivedAt;
    return rules;
  };
  const refused = Promise.resolve(false);
  const stored = () => true;

  /**
   * Checks the message up to its device and rate; the rest (parse, publish, write) is `take`. Not
   * async: a message refused here, or taken without waiting, costs no extra promise.
   */
  function accept(message: InboundMessage, taken: (() => void) | undefined): Promise<boolean> {
    const { payload } = message;
    if (payload.length > config.MQTT_MAX_PAYLOAD_BYTES) {
      refuse(
        message,
        'PAYLOAD_TOO_LARGE',
        `payload is ${payload.length} bytes, the limit is ${config.MQTT_MAX_PAYLOAD_BYTES}; send a backlog in several messages`,
      );
      return refused;
    }
    // The common case: a device the broker authenticated publishes telemetry on its own topic. Its
    // handle names it, and the topic is the one the registry expects of it, so the checks below hold
    // and there is no topic to parse or device to look up by string (bench profile: those lookups
    // were a tenth of this thread's time, docs/decisions/0016-broker-fast-path.md).
    if (message.senderHandle !== undefined) {
      const sender = registry.byHandle(message.senderHandle);
      if (sender?.row !== undefined && message.topic === sender.telemetryTopic) {
        metrics.mqttMessagesTally.add('telemetry');
        return admit(message, 'telemetry', sender.row, taken);
      }
    }
    const topic = parseTopic(message.topic);
    if (!topic) {
      refuse(message, 'UNKNOWN_TOPIC', 'topic is not ioc/{city}/{kind}/{deviceId}/{telemetry|status|event}');
      return refused;
    }
    metrics.mqttMessagesTally.add(topic.channel);
    if (message.senderId !== null && topic.deviceId !== message.senderId) {
      refuse(
        message,
        'TOPIC_NOT_ALLOWED',
        `a device may publish only under its own id (${message.senderId})`,
      );
      return refused;
    }
    const device = registry.get(topic.deviceId);
    if (!device) {
      refuse(message, 'UNKNOWN_DEVICE', `device ${topic.deviceId} is not registered`);
      return refused;
    }
    if (device.city !== topic.city || device.kind !== topic.kind) {
      refuse(
        message,
        'TOPIC_NOT_ALLOWED',
        `device ${device.id} is registered as ${device.city}/${device.kind}; publish under ioc/${device.city}/${device.kind}/${device.id}/`,
        device.id,
      );
      return refused;
    }
    if (topic.channel === 'cmd') {
      refuse(message, 'TOPIC_NOT_ALLOWED', 'devices subscribe to cmd; they do not publish on it', device.id);
      return refused;
    }
    return admit(message, topic.channel, device, taken);
  }

  /** The device's and the global rate limits, then `take`. */
  function admit(
    message: InboundMessage,
    channel: InboundChannel,
    device: DeviceRow,
    taken: (() => void) | undefined,
  ): Promise<boolean> {
    if (rateLimit) {
      const admission = rateLimit.admit(device.id, message.qos === 0);
      if (!admission.ok) {
        if (admission.report !== undefined) {
          log.warn(
            { deviceId: device.id, refused: admission.report },
            'device over its message rate: throttled',
          );
          refuse(
            message,
            'RATE_LIMITED',
            `${admission.report} message(s) over this device's rate limit were refused since the last report; send at most the configured rate (INGEST_DEVICE_RATE_PER_S)`,
            device.id,
          );
        }
        return refused;
      }
      if (admission.delayMs > 0) {
        return new Promise((r) => setTimeout(r, admission.delayMs))
          .then(() => takeAndTell(message, channel, device, taken))
          .catch((error) => internalError(message, error));
      }
    }
    return takeAndTell(message, channel, device, taken);
  }

  /**
   * `take`, then says the message is taken when it was not refused and its writes were queued at
   * once. Writes held for room in a full queue or journal are not: their promise answers instead,
   * once stored, so the broker keeps not reading that device's connection meanwhile (back-pressure
   * at the source, not memory). The writer only fills up while `take` runs, so room after it means
   * there was room for each of its writes.
   */
  function takeAndTell(
    message: InboundMessage,
    channel: InboundChannel,
    device: DeviceRow,
    taken: (() => void) | undefined,
  ): Promise<boolean> {
    const result = take(message, channel, device);
    if (taken && result !== refused && writer.accepting()) taken();
    return result;
  }

  /** Parses the message and hands it to the bus and the writer; `refused` when nothing of it is kept. */
  function take(message: InboundMessage, channel: InboundChannel, device: DeviceRow): Promise<boolean> {
    const { payload, receivedAt } = message;
    const droppable = message.qos === 0;
    const json = parseJson(payload);
    if (!json.ok) {
      refuseAll(message, [json.refusal], device.id);
      return refused;
    }
    lastSeen.note(device.id, message.senderHandle, receivedAt);
    const rules = timeRules(receivedAt);

    if (channel === 'telemetry') {
      const { readings, refusals } = parseTelemetry(json.value, catalog.kind(device.kind), rules, json.text);
      if (refusals.length > 0) refuseAll(message, refusals, device.id);
      if (readings.length === 0) return refused;
      metrics.readingsAcceptedTally.add('', readings.length);
      if (readings.length === 1) {
        // The common case, one reading per message: one write promise, no array of them.
        return publishReading(device, readings[0]!, receivedAt, droppable).then(stored, (error) =>
          writeFailed(message, device.id, error),
        );
      }
      const writes: Array<Promise<void>> = [];
      for (const reading of readings) writes.push(publishReading(device, reading, receivedAt, droppable));
      return settle(message, device.id, writes);
    }
    if (channel === 'status') {
      const status = parseStatus(json.value, rules);
      if ('reason' in status) {
        refuseAll(message, [status], device.id);
        return refused;
      }
      const lastWill = message.lastWill === true;
      registry.noteStatus(device.id, status.online, status.ts);
      bus.emit('status', {
        deviceId: device.id,
        kind: device.kind,
        city: device.city,
        ward: device.ward,
        ts: status.ts,
        online: status.online,
        lastWill,
        details: status.details,
      });
      const write = writer.write({
        status: {
          deviceId: device.id,
          time: status.ts,
          online: status.online,
          lastWill,
          details: status.details,
        },
      });
      return settle(message, device.id, [write]);
    }
    const event = parseEvent(json.value, rules);
    if ('reason' in event) {
      refuseAll(message, [event], device.id);
      return refused;
    }
    bus.emit('deviceEvent', {
      deviceId: device.id,
      kind: device.kind,
      city: device.city,
      ward: device.ward,
      ts: event.ts,
      type: event.type,
      data: event.data,
    });
    const urgent = event.type === 'alarm_button' || device.kind === 'fire';
    const write = writer.write(
      { event: { deviceId: device.id, time: event.ts, type: event.type, data: event.data, receivedAt } },
      urgent,
    );
    return settle(message, device.id, [write]);
  }

  /** Puts one reading on the bus (live state, alerts) and in the writer's queue. */
  function publishReading(
    device: DeviceRow,
    reading: ParsedTelemetry,
    receivedAt: Date,
    droppable: boolean,
  ): Promise<void> {
    bus.emit('reading', {
      deviceId: device.id,
      kind: device.kind,
      city: device.city,
      ward: device.ward,
      ts: reading.ts,
      seq: reading.seq,
      metrics: reading.metrics,
      metricsJson: reading.json,
      late: receivedAt.getTime() - reading.ts.getTime() > lateAfterMs,
      receivedAt,
    });
    // Fire is life-safety: an alarm or a flame skips the batching delay.
    const urgent = device.kind === 'fire' && (reading.metrics.alarm === 1 || reading.metrics.flame === 1);
    return writer.write(
      { telemetry: { time: reading.ts, deviceId: device.id, metrics: reading.metrics, json: reading.json } },
      urgent,
      droppable && !urgent,
    );
  }

  function writeFailed(message: InboundMessage, deviceId: string, error: unknown): false {
    try {
      storageFailed(message, deviceId, error);
      return false;
    } catch (bug) {
      return internalError(message, bug);
    }
  }

  /** Stored when any write is; each failed one is kept as a dead letter. */
  function settle(message: InboundMessage, deviceId: string, writes: Array<Promise<void>>) {
    return Promise.allSettled(writes)
      .then((results) => {
        for (const result of results) {
          if (result.status === 'rejected') storageFailed(message, deviceId, result.reason);
        }
        return results.some((r) => r.status === 'fulfilled');
      })
      .catch((error) => internalError(message, error));
  }

  /** Never rejects: a throw on the way is an internal error, kept as a dead letter. The promise chains
   * after the checks catch their own, so the common path adds no catch of its own. */
  function guarded(message: InboundMessage, taken?: () => void): Promise<boolean> {
    try {
      return accept(message, taken);
    } catch (error) {
      return Promise.resolve(internalError(message, error));
    }
  }

  return {
    accept: guarded,
    refuse: (message, reason, text) => refuse(message, reason, text),
    start: lastSeen.start,
    async stop() {
      await writer.drain();
      await lastSeen.stop();
      await deadLetters.flush();
    },
  };
}
