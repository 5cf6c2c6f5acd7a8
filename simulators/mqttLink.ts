// A lean MQTT 3.1.1 client for one simulated device: just what a field controller speaks (CONNECT with
// credentials and a last will, PUBLISH QoS 0/1, SUBSCRIBE to its cmd topic, PINGREQ, DISCONNECT).
// mqtt.js costs about 35 KiB per connection; this costs a socket and a few fields, which is what lets
// one process hold tens of thousands of devices. Reconnects and keep-alive are driven by the fleet.
import { connect, type Socket } from 'node:net';

export interface LinkOptions {
  host: string;
  port: number;
  clientId: string;
  username: string;
  password: string;
  will: { topic: string; payload: string; qos: 0 | 1; retain: boolean };
  keepaliveS: number;
}

export interface LinkHandlers {
  connected(): void;
  /** The link went down (refused, reset or closed); `refused` carries the CONNACK return code. */
  closed(refused: number | undefined): void;
  message(topic: string, payload: Buffer): void;
}

type Ack = (error?: Error) => void;

const str = (text: string | Buffer) => {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const out = Buffer.allocUnsafe(2 + bytes.length);
  out.writeUInt16BE(bytes.length, 0);
  bytes.copy(out, 2);
  return out;
};

function frame(header: number, parts: Buffer[]): Buffer {
  let length = 0;
  for (const p of parts) length += p.length;
  const varint: number[] = [];
  let rest = length;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    varint.push(byte);
  } while (rest > 0);
  return Buffer.concat([Buffer.from([header, ...varint]), ...parts], 1 + varint.length + length);
}

const u16 = (n: number) => {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(n, 0);
  return b;
};

export class MqttLink {
  private socket: Socket | undefined;
  private pending: Buffer | undefined;
  private nextId = 1;
  /** QoS 1 publishes waiting for PUBACK (created on first use: most devices never need it at once). */
  private inflight: Map<number, { packet: Buffer; ack: Ack | undefined }> | undefined;
  connected = false;
  lastSentAt = 0;

  constructor(
    private readonly options: LinkOptions,
    private readonly handlers: LinkHandlers,
  ) {}

  open(): void {
    if (this.socket) return;
    const o = this.options;
    const socket = connect({ host: o.host, port: o.port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('connect', () => {
      const flags = 0x80 | 0x40 | (o.will.retain ? 0x20 : 0) | (o.will.qos << 3) | 0x04 | 0x02; // clean session
      this.write(
        frame(0x10, [
          str('MQTT'),
          Buffer.from([4, flags]),
          u16(o.keepaliveS),
          str(o.clientId),
          str(o.will.topic),
          str(o.will.payload),
          str(o.username),
          str(o.password),
        ]),
      );
    });
    socket.on('data', (chunk) => this.receive(chunk));
    socket.on('error', () => {}); // 'close' follows and reports it
    socket.on('close', () => {
      const wasRefused = this.refusedCode;
      this.refusedCode = undefined;
      this.socket = undefined;
      this.pending = undefined;
      this.connected = false;
      this.handlers.closed(wasRefused);
    });
  }

  private refusedCode: number | undefined;

  /** Drops the connection without DISCONNECT, as a power cut or a lost radio link does: the broker sends the will. */
  drop(): void {
    this.socket?.destroy();
  }

  /** A clean goodbye: DISCONNECT, then close (the broker discards the will). */
  close(): Promise<void> {
    const socket = this.socket;
    if (!socket) return Promise.resolve();
    return new Promise((ok) => {
      socket.once('close', () => ok());
      if (this.connected) socket.end(Buffer.from([0xe0, 0]));
      else socket.destroy();
    });
  }

  /** Any topic, any bytes: a broken device uses the same call to misbehave. */
  publish(topic: string, payload: string | Buffer, qos: 0 | 1, retain = false, ack?: Ack): boolean {
    if (!this.connected) {
      ack?.(new Error('not connected'));
      return false;
    }
    const header = 0x30 | (qos << 1) | (retain ? 1 : 0);
    const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
    if (qos === 0) {
      this.write(frame(header, [str(topic), body]));
      ack?.();
      return true;
    }
    const id = this.packetId();
    const packet = frame(header, [str(topic), u16(id), body]);
    this.inflight ??= new Map();
    this.inflight.set(id, { packet, ack });
    this.write(packet);
    return true;
  }

  subscribe(topic: string): void {
    if (this.connected) this.write(frame(0x82, [u16(this.packetId()), str(topic), Buffer.from([1])]));
  }

  ping(): void {
    if (this.connected) this.write(Buffer.from([0xc0, 0]));
  }

  /** QoS 1 messages not yet acknowledged, resent with DUP after a reconnect (at least once). */
  get unacknowledged(): number {
    return this.inflight?.size ?? 0;
  }

  private packetId(): number {
    const id = this.nextId;
    this.nextId = id >= 65535 ? 1 : id + 1;
    return id;
  }

  private write(packet: Buffer) {
    this.lastSentAt = Date.now();
    this.socket?.write(packet);
  }

  private receive(chunk: Buffer) {
    let data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    while (data.length >= 2) {
      let length = 0;
      let multiplier = 1;
      let i = 1;
      let complete = false;
      while (i < data.length && i <= 4) {
        const byte = data[i]!;
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        i++;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || data.length < i + length) break;
      this.handle(data[0]!, data.subarray(i, i + length));
      data = data.subarray(i + length);
    }
    if (data.length > 0) this.pending = Buffer.from(data);
  }

  private handle(header: number, body: Buffer) {
    switch (header >> 4) {
      case 2: {
        // CONNACK [MQTT-3.2.2-3]: return code 0 accepts, anything else refuses and closes.
        const code = body[1] ?? 255;
        if (code !== 0) {
          this.refusedCode = code;
          this.socket?.destroy();
          return;
        }
        this.connected = true;
        // Resend what the broker never acknowledged, flagged DUP [MQTT-3.3.1-1].
        if (this.inflight) for (const { packet } of this.inflight.values()) this.write(dup(packet));
        this.handlers.connected();
        return;
      }
      case 3: {
        const qos = (header >> 1) & 3;
        const topicLength = body.readUInt16BE(0);
        const topic = body.toString('utf8', 2, 2 + topicLength);
        let offset = 2 + topicLength;
        if (qos > 0) {
          const id = body.readUInt16BE(offset);
          offset += 2;
          this.write(frame(0x40, [u16(id)]));
        }
        this.handlers.message(topic, body.subarray(offset));
        return;
      }
      case 4: {
        const id = body.readUInt16BE(0);
        const entry = this.inflight?.get(id);
        if (!entry) return;
        this.inflight!.delete(id);
        if (this.inflight!.size === 0) this.inflight = undefined;
        entry.ack?.();
        return;
      }
      default:
        return; // SUBACK, PINGRESP: nothing to do
    }
  }
}

function dup(packet: Buffer): Buffer {
  const copy = Buffer.from(packet);
  copy[0] = copy[0]! | 0x08;
  return copy;
}

/** host and port of an mqtt:// url. */
export function brokerAddress(url: string): { host: string; port: number } {
  const u = new URL(url);
  if (u.protocol !== 'mqtt:') throw new Error(`the simulator speaks plain mqtt:// only, got ${url}`);
  return { host: u.hostname, port: Number(u.port || 1883) };
}
