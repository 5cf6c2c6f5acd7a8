// What a client may make the broker spend before it is authenticated. Anyone who can reach an MQTT
// port can open connections and announce packets; until CONNACK nothing says who they are, so every
// such connection is held to a few kilobytes and a few seconds, and their number is capped per
// address and in all. The gate works on the raw TCP connection and on the first packet's fixed
// header, before aedes reads anything: a CONNECT announcing more than MQTT_CONNECT_MAX_BYTES (a real
// one with client id, username, password and will is a few hundred bytes) is cut at its header
// instead of being buffered by the packet parser, whatever the hard limit for authenticated devices.
//
// Nothing here runs per message once a client is authenticated: the gate hears of each connection
// once when it opens, once at CONNACK and once when it closes.
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface PreAuthLimits {
  /** From the TCP connection to CONNACK, TLS handshake and websocket upgrade included. */
  connectTimeoutMs: number;
  /** The largest CONNECT packet (its remaining length). */
  connectMaxBytes: number;
  /** Connections not yet authenticated, from one address and in all. */
  preAuthPerAddress: number;
  preAuthTotal: number;
  /** All connections, from one address (devices behind one NAT) and in all. */
  perAddress: number;
  total: number;
}

export type RefusedReason =
  | 'connections_total'
  | 'connections_per_address'
  | 'preauth_total'
  | 'preauth_per_address'
  | 'not_connect'
  | 'connect_too_large'
  | 'connect_timeout'
  | 'preauth_bytes';

interface Connection {
  socket: Socket;
  address: string;
  authenticated: boolean;
  closed: boolean;
  timer: NodeJS.Timeout | undefined;
  /** Websockets: raw bytes counted until CONNACK (the frames are buffered before the gate sees them). */
  counter: ((chunk: Buffer) => void) | undefined;
}

interface AddressCount {
  all: number;
  pending: number;
}

// A websocket's frame headers and masks around a CONNECT split into a few frames.
const websocketOverheadBytes = 1_024;

const connectionKey = (socket: Socket) => `${socket.localPort}|${socket.remoteAddress}|${socket.remotePort}`;

export class PreAuthGate {
  // TLS and websocket streams sit on top of the TCP connection the gate admitted; the key (both ends'
  // addresses and ports) finds that connection from any of them.
  private readonly open = new Map<string, Connection>();
  private readonly handed = new WeakMap<object, Connection>();
  private readonly addresses = new Map<string, AddressCount>();
  private all = 0;
  private pending = 0;

  constructor(
    private readonly limits: PreAuthLimits,
    private readonly refused: (reason: RefusedReason) => void,
  ) {}

  /** Connections open, and of them not yet authenticated. */
  counts(): { open: number; pending: number } {
    return { open: this.all, pending: this.pending };
  }

  /**
   * A new TCP connection on any of the broker's listeners, before TLS or HTTP: counted, or destroyed
   * at once when a cap is reached. The connect timeout starts here.
   */
  admit(socket: Socket): void {
    const address = socket.remoteAddress;
    if (address === undefined) return void socket.destroy(); // already gone
    const count = this.addresses.get(address) ?? { all: 0, pending: 0 };
    const { limits } = this;
    const over: RefusedReason | undefined =
      this.all >= limits.total
        ? 'connections_total'
        : count.all >= limits.perAddress
          ? 'connections_per_address'
          : this.pending >= limits.preAuthTotal
            ? 'preauth_total'
            : count.pending >= limits.preAuthPerAddress
              ? 'preauth_per_address'
              : undefined;
    if (over) {
      this.refused(over);
      socket.destroy();
      return;
    }
    count.all++;
    count.pending++;
    this.addresses.set(address, count);
    this.all++;
    this.pending++;
    const connection: Connection = {
      socket,
      address,
      authenticated: false,
      closed: false,
      timer: undefined,
      counter: undefined,
    };
    connection.timer = setTimeout(() => this.cut(connection, 'connect_timeout'), limits.connectTimeoutMs);
    connection.timer.unref();
    const key = connectionKey(socket);
    this.open.set(key, connection);
    // Until aedes has the connection, nothing else listens: a reset must not throw on the thread.
    socket.on('error', ignore);
    socket.once('close', () => {
      connection.closed = true;
      this.open.delete(key);
      clearTimeout(connection.timer);
      if (!connection.authenticated) {
        count.pending--;
        this.pending--;
      }
      count.all--;
      this.all--;
      if (count.all === 0) this.addresses.delete(address);
    });
  }

  /**
   * Reads the first packet's fixed header from `stream` (the TCP or TLS socket, or the websocket's
   * stream; `transport` is the socket under it) and hands the stream to `handle` with those bytes put
   * back, once it shows a CONNECT of at most connectMaxBytes. Anything else cuts the connection.
   */
  awaitConnect<T extends Duplex>(stream: T, transport: Socket, handle: (stream: T) => void): void {
    const connection = this.open.get(connectionKey(transport));
    if (!connection) return void stream.destroy(); // refused or closed meanwhile
    stream.on('error', ignore);
    let held: Buffer = Buffer.alloc(0);
    const onReadable = () => {
      for (
        let chunk = stream.read() as Buffer | null;
        chunk !== null;
        chunk = stream.read() as Buffer | null
      ) {
        held = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
        const header = fixedHeader(held);
        if (header === 'incomplete') continue;
        stream.removeListener('readable', onReadable);
        if (header === 'malformed' || held[0] !== 0x10) return this.cut(connection, 'not_connect');
        if (header.remaining > this.limits.connectMaxBytes) return this.cut(connection, 'connect_too_large');
        stream.unshift(held);
        this.handed.set(stream, connection);
        return handle(stream);
      }
    };
    stream.on('readable', onReadable);
  }

  /**
   * Websockets: the library buffers a whole frame before the stream gives it to the gate, so the raw
   * bytes received before CONNACK are counted and the connection cut past a CONNECT's worth.
   */
  limitWebsocketBytes(transport: Socket): void {
    const connection = this.open.get(connectionKey(transport));
    if (!connection || connection.authenticated) return;
    const budget = this.limits.connectMaxBytes + websocketOverheadBytes;
    let received = 0;
    connection.counter = (chunk) => {
      received += chunk.length;
      if (received > budget) this.cut(connection, 'preauth_bytes');
    };
    transport.on('data', connection.counter);
  }

  /** Whether the client on `stream` (as handed to aedes) got past authentication. */
  isAuthenticated(stream: object): boolean {
    return this.handed.get(stream)?.authenticated ?? false;
  }

  /** The client on `stream` (as handed to aedes) was accepted: its CONNACK is on the way. */
  authenticated(stream: object): void {
    const connection = this.handed.get(stream);
    if (!connection || connection.authenticated || connection.closed) return;
    connection.authenticated = true;
    clearTimeout(connection.timer);
    connection.timer = undefined;
    if (connection.counter) connection.socket.removeListener('data', connection.counter);
    connection.counter = undefined;
    this.pending--;
    const count = this.addresses.get(connection.address);
    if (count) count.pending--;
  }

  /** On stop: the connections aedes does not hold yet are the gate's to end. */
  closePending(): void {
    for (const connection of this.open.values()) if (!connection.authenticated) connection.socket.destroy();
  }

  private cut(connection: Connection, reason: RefusedReason) {
    if (connection.authenticated || connection.socket.destroyed) return;
    this.refused(reason);
    connection.socket.destroy();
  }
}

function ignore() {}

/** An MQTT fixed header [MQTT-2.2]: type byte, then a remaining length of 1–4 varint bytes. */
export function fixedHeader(bytes: Uint8Array): { remaining: number } | 'incomplete' | 'malformed' {
  let remaining = 0;
  let multiplier = 1;
  for (let i = 1; i < 5; i++) {
    if (i >= bytes.length) return 'incomplete';
    const byte = bytes[i]!;
    remaining += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return { remaining };
    multiplier *= 128;
  }
  return 'malformed';
}
