// The embedded MQTT broker's own thread: aedes, its listeners and the MQTT protocol work (reading
// sockets, parsing packets, acknowledging) run here, beside the app's thread instead of on it. Who may
// connect and subscribe, and what becomes of each publish, is still decided on the app's thread
// (index.ts) through the bridge (bridge.ts); this thread holds no registry and no database.
// Every device publish waits here, unacknowledged, until the app's thread says it is stored or kept
// as a dead letter (a QoS 0 one: until it says it took it).
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { parentPort, workerData } from 'node:worker_threads';
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { isUrgentTopic } from '../ingest/topics.ts';
import { listen } from '../net.ts';
import { type AuthOutcome, identityOf, rememberIdentity } from './auth.ts';
import {
  type BrokerThreadOptions,
  type FromBroker,
  type LogLevel,
  PublishPacker,
  type ToBroker,
} from './bridge.ts';
import { guardPacketSize } from './packetGuard.ts';
import { PreAuthGate, type RefusedReason } from './preAuth.ts';
import { certificateOf, mqttTlsOptions, plaintextMqtt, rememberCertificate } from './tls.ts';
import { WaitingTable } from './waiting.ts';

const port = parentPort!;
const options = workerData as BrokerThreadOptions;
const send = (message: FromBroker, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer);
const logs = new Set(options.logLevels);
const log = (level: LogLevel, fields: Record<string, unknown>, message: string) => {
  if (logs.has(level)) send({ type: 'log', level, fields, message });
};

const refusedTopicPrefix = '$IOC/refused/';
// Beyond this a packet is not even read: the connection is cut (see packetGuard.ts).
const hardPacketLimit = Math.max(1_048_576, 4 * options.MQTT_MAX_PAYLOAD_BYTES);
// A batch goes out at the end of the event loop's turn, or sooner once its payloads reach this size.
const batchBytes = 1_048_576;

// Questions to the app's thread (authenticate, subscribe), by id.
let nextId = 1;
const asked = new Map<number, (answer: ToBroker) => void>();
function ask(question: (id: number) => FromBroker): Promise<ToBroker> {
  const id = nextId++;
  return new Promise((answer) => {
    asked.set(id, answer);
    send(question(id));
  });
}

// Publishes waiting for their verdict, by sequence number.
interface Waiting {
  packet: PublishPacket;
  clientId: string;
  done: (error?: Error | null) => void;
}
const waiting = new WaitingTable<Waiting>();
const packer = new PublishPacker();
const urgentPacker = new PublishPacker();
let flushScheduled = false;

function flushPublishes() {
  flushScheduled = false;
  if (packer.size === 0) return;
  const batch = packer.take();
  send({ type: 'publishes', batch, urgent: false }, [batch.payloads]);
}

function settle(seqs: Float64Array, stored: Uint8Array) {
  for (let i = 0; i < seqs.length; i++) {
    const entry = waiting.take(seqs[i]!);
    if (!entry) continue;
    // The app owns the verdict. What it refused reaches no other client and is not retained.
    if (!stored[i]) {
      entry.packet.topic = `${refusedTopicPrefix}${entry.clientId}`;
      entry.packet.retain = false;
    }
    entry.done(null);
  }
}

function refuse(
  topic: string,
  payload: Buffer,
  senderId: string | null,
  reason: 'PAYLOAD_TOO_LARGE' | 'TOPIC_NOT_ALLOWED',
  text: string,
) {
  send({ type: 'refuse', topic, payload: new Uint8Array(payload), senderId, reason, text });
}

// Connections refused before authentication, counted by reason and sent over once per turn of the
// event loop: a thousand sockets cut at once are one message.
const refusals = new Map<RefusedReason, number>();
let refusalsScheduled = false;
const sendRefusals = () => {
  refusalsScheduled = false;
  send({ type: 'refused', counts: Object.fromEntries(refusals) });
  refusals.clear();
};
const gate = new PreAuthGate(
  {
    connectTimeoutMs: options.MQTT_CONNECT_TIMEOUT_MS,
    connectMaxBytes: options.MQTT_CONNECT_MAX_BYTES,
    preAuthPerAddress: options.MQTT_PREAUTH_PER_ADDRESS,
    preAuthTotal: options.MQTT_PREAUTH_MAX,
    perAddress: options.MQTT_CONNECTIONS_PER_ADDRESS,
    total: options.MQTT_MAX_CONNECTIONS,
  },
  (reason) => {
    refusals.set(reason, (refusals.get(reason) ?? 0) + 1);
    if (refusalsScheduled) return;
    refusalsScheduled = true;
    setImmediate(sendRefusals);
  },
);

function guarded<T extends Duplex>(socket: T): T {
  return guardPacketSize(socket, hardPacketLimit, (declared) => {
    // A client still waiting for its CONNACK (a CONNECT, then a huge packet) is nobody yet: counted,
    // but it writes no dead letter.
    if (!gate.isAuthenticated(socket)) {
      send({ type: 'refused', counts: { preauth_bytes: 1 } });
      return;
    }
    send({ type: 'authFailure', reason: 'packet_too_large' });
    refuse(
      '(unread)',
      Buffer.alloc(0),
      null,
      'PAYLOAD_TOO_LARGE',
      `a packet of ${declared} bytes was announced; connections sending more than ${hardPacketLimit} bytes in one packet are cut`,
    );
  });
}

function refuseAuth(
  client: Client,
  reason: string,
  returnCode: number,
  done: (e: AuthenticateError | null, ok: boolean | null) => void,
) {
  send({ type: 'authFailure', reason });
  log('debug', { clientId: client.id, reason }, 'MQTT connection refused');
  const error = new Error(`connection refused: ${reason}`) as AuthenticateError;
  error.returnCode = returnCode;
  done(error, false);
}

const aedes = await Aedes.createBroker({
  heartbeatInterval: 60_000,
  // The gate (preAuth.ts) cuts a client without CONNACK after the same time, TLS and upgrade included.
  connectTimeout: options.MQTT_CONNECT_TIMEOUT_MS,
  authenticate(client, username, password, done) {
    const certificate = certificateOf(client.conn);
    ask((id) => ({
      type: 'authenticate',
      id,
      clientId: client.id,
      username,
      password: password === undefined ? undefined : new Uint8Array(password),
      certificate,
    })).then((answer) => {
      const outcome = (answer as { outcome: AuthOutcome }).outcome;
      if (!outcome.ok) return refuseAuth(client, outcome.reason, outcome.returnCode, done);
      rememberIdentity(
        client,
        outcome.deviceId === null ? null : { deviceId: outcome.deviceId, handle: outcome.handle },
      );
      done(null, true);
    });
  },

  authorizePublish(client, packet, done) {
    if (!client) return done(null); // a will restored from persistence: nothing of ours
    const sender = identityOf(client) ?? null;
    const senderId = sender?.deviceId ?? null;
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    if (packet.topic.startsWith('$')) {
      // $SYS and our own $IOC topics belong to the broker: a device writing there is misbehaving.
      refuse(packet.topic, payload, senderId, 'TOPIC_NOT_ALLOWED', 'devices may not publish to $ topics');
      return done(new Error('publishing to $ topics is not allowed'));
    }
    if (packet.topic.includes('\u0000')) {
      // MQTT forbids NUL in topic names [MQTT-4.7.3-2], and the bridge separates topics with it.
      // PostgreSQL's text cannot hold NUL either: the dead letter shows it escaped.
      const shown = packet.topic.replaceAll('\u0000', '\\u0000');
      refuse(shown, payload, senderId, 'TOPIC_NOT_ALLOWED', 'a topic name may not contain U+0000');
      return done(new Error('a topic name may not contain U+0000'));
    }
    const isWill = (client as unknown as { will?: unknown }).will === packet;
    const seq = waiting.add({ packet, clientId: client.id, done });
    if (isUrgentTopic(packet.topic)) {
      // Fire sensors and device events (alarm buttons) go over at once, on their own, and the app
      // takes them ahead of the batches waiting there: life safety does not queue behind telemetry.
      urgentPacker.add(seq, packet.topic, payload, sender, packet.qos, isWill);
      const batch = urgentPacker.take();
      return send({ type: 'publishes', batch, urgent: true }, [batch.payloads]);
    }
    packer.add(seq, packet.topic, payload, sender, packet.qos, isWill);
    if (packer.payloadBytes >= batchBytes) flushPublishes();
    else if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushPublishes);
    }
  },

  authorizeSubscribe(client, subscription, done) {
    const identity = identityOf(client);
    if (identity === null) {
      // Anonymous development client: anything but the IOC's internal topics.
      return done(null, subscription.topic.startsWith('$IOC') ? null : subscription);
    }
    const granted = (allowed: string | null) => {
      if (allowed !== null && subscription.topic === allowed) {
        return done(null, { ...subscription, qos: Math.min(subscription.qos, 1) as 0 | 1 });
      }
      send({ type: 'authFailure', reason: 'subscribe_denied' });
      done(null, null); // SUBACK 0x80 for this topic; the connection stays
    };
    if (identity === undefined) return granted(null);
    ask((id) => ({ type: 'subscribe', id, deviceId: identity.deviceId })).then((answer) =>
      granted((answer as { allowed: string | null }).allowed),
    );
  },
});

// The count goes over at most once per turn of the event loop: ten thousand devices reconnecting
// after a power cut are one message per turn, not one each.
let countScheduled = false;
const sendCount = () => {
  countScheduled = false;
  send({ type: 'clients', connected: aedes.connectedClients });
};
const countChanged = () => {
  if (countScheduled) return;
  countScheduled = true;
  setImmediate(sendCount);
};
// The connections of each device, so one revoked while connected can be closed (see revoked.ts).
const connectionsOf = new Map<string, Set<Client>>();
aedes.on('client', (client) => {
  gate.authenticated(client.conn);
  const deviceId = identityOf(client)?.deviceId;
  if (deviceId !== undefined) {
    const set = connectionsOf.get(deviceId) ?? new Set();
    connectionsOf.set(deviceId, set.add(client));
  }
  countChanged();
});
aedes.on('clientDisconnect', (client) => {
  const deviceId = identityOf(client)?.deviceId;
  const set = deviceId === undefined ? undefined : connectionsOf.get(deviceId);
  if (set?.delete(client) && set.size === 0) connectionsOf.delete(deviceId!);
  countChanged();
});
aedes.on('clientError', (client, error) =>
  log('debug', { clientId: client.id, err: { message: error.message } }, 'MQTT client error'),
);

let tcp: Server | undefined;
let secure: Server | undefined;
let http: HttpServer | undefined;
let wss: WebSocketServer | undefined;

async function start() {
  const tls = mqttTlsOptions(options);
  let mqttPort: number | undefined;
  if (plaintextMqtt(options)) {
    tcp = createServer((socket) => {
      gate.admit(socket);
      gate.awaitConnect(socket, socket, (stream) => aedes.handle(guarded(stream)));
    });
    mqttPort = await listen(tcp, options.MQTT_PORT, options.MQTT_HOST, 'MQTT_PORT');
  }
  let tlsPort: number | undefined;
  if (tls) {
    secure = createTlsServer({ ...tls, handshakeTimeout: options.MQTT_CONNECT_TIMEOUT_MS }, (socket) =>
      gate.awaitConnect(socket, socket, (stream) =>
        aedes.handle(rememberCertificate(guarded(stream), stream)),
      ),
    );
    // Counted and capped as TCP connections, before the handshake's work.
    secure.on('connection', (socket: Socket) => gate.admit(socket));
    // No certificate where one is required, one from another CA, an old protocol: no CONNECT at all.
    secure.on('tlsClientError', () => send({ type: 'authFailure', reason: 'tls_handshake' }));
    tlsPort = await listen(secure, options.MQTT_TLS_PORT, options.MQTT_HOST, 'MQTT_TLS_PORT');
  }
  let wsPort: number | undefined;
  if (options.MQTT_WS_PORT !== undefined) {
    const upgradeOnly = (_req: unknown, res: import('node:http').ServerResponse) =>
      res.writeHead(426).end('MQTT over websockets only');
    http = tls ? createHttpsServer(tls, upgradeOnly) : createHttpServer(upgradeOnly);
    if (tls) http.on('tlsClientError', () => send({ type: 'authFailure', reason: 'tls_handshake' }));
    http.on('connection', (socket: Socket) => gate.admit(socket));
    // A frame is buffered whole before anything reads it: none may be larger than a packet may be.
    wss = new WebSocketServer({ server: http, maxPayload: hardPacketLimit + 5 });
    wss.on('connection', (socket, req) => {
      gate.limitWebsocketBytes(req.socket);
      gate.awaitConnect(createWebSocketStream(socket), req.socket, (stream) => {
        const watched = guarded(stream);
        aedes.handle(tls ? rememberCertificate(watched, req.socket as TLSSocket) : watched, req);
      });
    });
    wsPort = await listen(http, options.MQTT_WS_PORT, options.MQTT_HOST, 'MQTT_WS_PORT');
  }
  return { port: mqttPort, tlsPort, wsPort };
}

async function stop() {
  // Stop taking connections, then close the clients (their wills go through the app as usual, so
  // verdicts keep coming until aedes has closed).
  wss?.close();
  const closing = [http, tcp, secure].map((server) =>
    server ? new Promise<void>((ok) => server.close(() => ok())) : undefined,
  );
  gate.closePending();
  await new Promise<void>((ok) => aedes.close(() => ok()));
  await Promise.all(closing);
  flushPublishes();
  send({ type: 'stopped' });
  port.close();
}

port.on('message', (message: ToBroker) => {
  switch (message.type) {
    case 'verdicts':
      return settle(message.seqs, message.stored);
    case 'authenticated':
    case 'subscription': {
      const answer = asked.get(message.id);
      asked.delete(message.id);
      return answer?.(message);
    }
    case 'publish':
      return aedes.publish(
        {
          cmd: 'publish',
          topic: message.topic,
          payload: Buffer.from(message.payload),
          qos: message.qos,
          retain: false,
          dup: false,
        },
        (error) => send({ type: 'published', id: message.id, error: error?.message }),
      );
    case 'disconnect':
      // Its will goes through the app as usual: the device shows offline.
      for (const client of connectionsOf.get(message.deviceId) ?? []) client.close();
      return;
    case 'stop':
      return void stop();
  }
});

start().then(
  (ports) => send({ type: 'started', ...ports }),
  (error: Error) => send({ type: 'startFailed', message: error.message }),
);
