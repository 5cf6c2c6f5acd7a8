// What the broker thread (thread.ts) and the app's thread (index.ts) say to each other. Publishes
// cross in batches packed into one transferable buffer, and their verdicts come back in batches too:
// one postMessage per turn of the event loop, not one per message, so the crossing costs little per
// message.
import type { Config } from '../config.ts';
import type { DeadLetterReason } from '../errors.ts';
import type { AuthOutcome, Identity } from './auth.ts';
import type { ClientCertificate, TlsConfig } from './tls.ts';

/** One device publish as the app's side sees it. */
export interface BridgedPublish {
  seq: number;
  topic: string;
  payload: Buffer;
  receivedAt: Date;
  senderId: string | null;
  /** The registry's handle for the sender (registry.handleOf); undefined for an anonymous client. */
  senderHandle: number | undefined;
  lastWill: boolean;
  qos: number;
}

/** Publishes packed for postMessage: `payloads` is transferred, the rest is cheap to clone. */
export interface PublishBatch {
  count: number;
  /** The topics joined by NUL (a character MQTT topics cannot hold). */
  topics: string;
  /** Per message: the sender's device handle, -1 for an anonymous client. */
  senders: Float64Array;
  payloads: ArrayBuffer;
  /** Per message: seq, payload end offset; receivedAt in ms; qos | lastWill << 2. */
  seqs: Float64Array;
  ends: Uint32Array;
  times: Float64Array;
  flags: Uint8Array;
}

const separator = '\u0000';

/** Collects publishes on the broker's thread until the next flush. */
export class PublishPacker {
  private seqs: number[] = [];
  private topics: string[] = [];
  private senders: number[] = [];
  private payloads: Buffer[] = [];
  private times: number[] = [];
  private flags: number[] = [];
  private bytes = 0;

  get size(): number {
    return this.seqs.length;
  }
  get payloadBytes(): number {
    return this.bytes;
  }

  add(seq: number, topic: string, payload: Buffer, sender: Identity, qos: number, lastWill: boolean) {
    this.seqs.push(seq);
    this.topics.push(topic);
    this.senders.push(sender === null ? -1 : sender.handle);
    this.payloads.push(payload);
    this.times.push(Date.now());
    this.flags.push((qos & 3) | (lastWill ? 4 : 0));
    this.bytes += payload.length;
  }

  /** The batch so far, and a fresh start; the payloads are copied into one buffer of their own. */
  take(): PublishBatch {
    const count = this.seqs.length;
    const payloads = new Uint8Array(this.bytes);
    const ends = new Uint32Array(count);
    let offset = 0;
    for (let i = 0; i < count; i++) {
      const payload = this.payloads[i]!;
      payloads.set(payload, offset);
      offset += payload.length;
      ends[i] = offset;
    }
    const batch: PublishBatch = {
      count,
      topics: this.topics.join(separator),
      senders: Float64Array.from(this.senders),
      payloads: payloads.buffer,
      seqs: Float64Array.from(this.seqs),
      ends,
      times: Float64Array.from(this.times),
      flags: Uint8Array.from(this.flags),
    };
    this.seqs = [];
    this.topics = [];
    this.senders = [];
    this.payloads = [];
    this.times = [];
    this.flags = [];
    this.bytes = 0;
    return batch;
  }
}

/**
 * The app's side: reads a batch's publishes one at a time (a batch can hold thousands, and the app
 * takes them in slices between its other work), each payload a view into the batch's buffer.
 * `senderName` gives the device id of a sender's handle.
 */
export class PublishReader {
  private readonly topics: string[];
  private index = 0;
  private start = 0;

  constructor(
    private readonly batch: PublishBatch,
    private readonly senderName: (handle: number) => string,
  ) {
    this.topics = batch.topics.split(separator);
  }

  /** The next publish, or undefined once the batch is read. */
  next(): BridgedPublish | undefined {
    const { batch } = this;
    const i = this.index;
    if (i >= batch.count) return undefined;
    this.index = i + 1;
    const end = batch.ends[i]!;
    const flags = batch.flags[i]!;
    const payload = Buffer.from(batch.payloads, this.start, end - this.start);
    this.start = end;
    const handle = batch.senders[i]!;
    return {
      seq: batch.seqs[i]!,
      topic: this.topics[i]!,
      payload,
      receivedAt: new Date(batch.times[i]!),
      senderId: handle < 0 ? null : this.senderName(handle),
      senderHandle: handle < 0 ? undefined : handle,
      lastWill: (flags & 4) !== 0,
      qos: flags & 3,
    };
  }
}

/** Verdicts for publishes, collected on the app's side until the next flush. */
export class VerdictPacker {
  private seqs: number[] = [];
  private stored: number[] = [];

  get size(): number {
    return this.seqs.length;
  }

  add(seq: number, stored: boolean) {
    this.seqs.push(seq);
    this.stored.push(stored ? 1 : 0);
  }

  take(): { seqs: Float64Array; stored: Uint8Array } {
    const taken = { seqs: Float64Array.from(this.seqs), stored: Uint8Array.from(this.stored) };
    this.seqs = [];
    this.stored = [];
    return taken;
  }
}

/** What the broker thread is started with (workerData): plain values only. */
export type BrokerThreadOptions = Pick<
  Config,
  | 'MQTT_HOST'
  | 'MQTT_PORT'
  | 'MQTT_WS_PORT'
  | 'MQTT_MAX_PAYLOAD_BYTES'
  | 'MQTT_TLS_PORT'
  | 'MQTT_CONNECT_TIMEOUT_MS'
  | 'MQTT_CONNECT_MAX_BYTES'
  | 'MQTT_PREAUTH_PER_ADDRESS'
  | 'MQTT_PREAUTH_MAX'
  | 'MQTT_CONNECTIONS_PER_ADDRESS'
  | 'MQTT_MAX_CONNECTIONS'
> &
  TlsConfig & {
    /** The levels the app's logger writes; the thread sends only those. */
    logLevels: LogLevel[];
  };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Broker thread → app. */
export type FromBroker =
  | { type: 'started'; port: number | undefined; tlsPort: number | undefined; wsPort: number | undefined }
  | { type: 'startFailed'; message: string }
  | { type: 'stopped' }
  | {
      type: 'authenticate';
      id: number;
      clientId: string;
      username: string | undefined;
      password: Uint8Array | undefined;
      certificate: ClientCertificate;
    }
  | { type: 'subscribe'; id: number; deviceId: string }
  /** urgent: fire sensors and device events, taken ahead of the batches waiting. */
  | { type: 'publishes'; batch: PublishBatch; urgent: boolean }
  | {
      type: 'refuse';
      topic: string;
      payload: Uint8Array;
      senderId: string | null;
      reason: DeadLetterReason;
      text: string;
    }
  | { type: 'clients'; connected: number }
  | { type: 'authFailure'; reason: string }
  /** Connections cut before authentication (preAuth.ts), by reason. */
  | { type: 'refused'; counts: Record<string, number> }
  | { type: 'published'; id: number; error?: string }
  | { type: 'log'; level: LogLevel; fields: Record<string, unknown>; message: string };

/** App → broker thread. */
export type ToBroker =
  | { type: 'authenticated'; id: number; outcome: AuthOutcome }
  | { type: 'subscription'; id: number; allowed: string | null }
  | { type: 'verdicts'; seqs: Float64Array; stored: Uint8Array }
  | { type: 'publish'; id: number; topic: string; payload: string; qos: 0 | 1 }
  /** Close the connections of a device that may no longer be connected. */
  | { type: 'disconnect'; deviceId: string }
  | { type: 'stop' };
