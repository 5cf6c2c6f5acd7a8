// The embedded MQTT broker (aedes): plain TCP on MQTT_PORT when allowed, TLS on MQTT_TLS_PORT when a
// certificate is configured (device certificates optional, see tls.ts), websockets on MQTT_WS_PORT
// (WSS once TLS is configured).
// Every device publish goes to ingest from authorizePublish, and the callback (hence the QoS 1 PUBACK)
// waits until ingest has stored it or kept it as a dead letter: acknowledged means in the database.
// Refused publishes are re-addressed to a topic nobody may subscribe to, so they reach no one.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { Config } from '../config.ts';
import type { Ingest } from '../ingest/index.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics/index.ts';
import { listen } from '../net.ts';
import type { DeviceRegistry } from '../registry/index.ts';
import { allowedSubscription, authenticateDevice, identityOf, rememberIdentity } from './auth.ts';
import { PacketSizeGuard } from './packetGuard.ts';
import { certificateOf, mqttTlsOptions, plaintextMqtt, rememberCertificate, type TlsConfig } from './tls.ts';

export interface Broker {
  /** port: plain MQTT (undefined when off); tlsPort: MQTT over TLS (undefined when not configured). */
  start(): Promise<{ port: number | undefined; tlsPort: number | undefined; wsPort: number | undefined }>;
  stop(): Promise<void>;
  /** Publishes from the IOC itself (commands to devices). */
  publish(topic: string, payload: string, qos?: 0 | 1): Promise<void>;
  connectedClients(): number;
  ready(): boolean;
}

const refusedTopicPrefix = '$IOC/refused/';

export function createBroker(deps: {
  config: Pick<
    Config,
    | 'MQTT_HOST'
    | 'MQTT_PORT'
    | 'MQTT_WS_PORT'
    | 'MQTT_ALLOW_ANONYMOUS'
    | 'MQTT_MAX_PAYLOAD_BYTES'
    | 'MQTT_TLS_PORT'
  > &
    TlsConfig;
  registry: DeviceRegistry;
  ingest: Ingest;
  metrics: Metrics;
  log: Logger;
}): Broker {
  const { config, registry, ingest, metrics, log } = deps;
  let aedes: Aedes | undefined;
  let tcp: Server | undefined;
  let secure: Server | undefined;
  let http: HttpServer | undefined;
  let wss: WebSocketServer | undefined;
  let listening = false;
  // Beyond this a packet is not even read: the connection is cut (see packetGuard.ts).
  const hardPacketLimit = Math.max(1_048_576, 4 * config.MQTT_MAX_PAYLOAD_BYTES);

  function guarded(socket: Duplex): Duplex {
    return new PacketSizeGuard(socket, hardPacketLimit, (declared) => {
      metrics.mqttAuthFailures.inc({ reason: 'packet_too_large' });
      ingest.refuse(
        { topic: '(unread)', payload: Buffer.alloc(0), receivedAt: new Date(), senderId: null },
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
    metrics.mqttAuthFailures.inc({ reason });
    log.debug({ clientId: client.id, reason }, 'MQTT connection refused');
    const error = new Error(`connection refused: ${reason}`) as AuthenticateError;
    error.returnCode = returnCode;
    done(error, false);
  }

  async function createAedes(): Promise<Aedes> {
    return Aedes.createBroker({
      heartbeatInterval: 60_000,
      connectTimeout: 30_000,
      authenticate(client, username, password, done) {
        const certificate = certificateOf(client.conn);
        authenticateDevice(
          registry,
          client.id,
          username,
          password,
          config.MQTT_ALLOW_ANONYMOUS,
          certificate,
        ).then(
          (outcome) => {
            if (!outcome.ok) return refuseAuth(client, outcome.reason, outcome.returnCode, done);
            rememberIdentity(client, outcome.deviceId);
            done(null, true);
          },
          (error) => {
            log.error({ err: error }, 'MQTT authentication failed unexpectedly');
            refuseAuth(client, 'internal_error', 3, done);
          },
        );
      },

      authorizePublish(client, packet, done) {
        if (!client) return done(null); // a will restored from persistence: nothing of ours
        const senderId = identityOf(client) ?? null;
        const isWill = (client as unknown as { will?: unknown }).will === packet;
        const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
        const message = {
          topic: packet.topic,
          payload,
          receivedAt: new Date(),
          senderId,
          lastWill: isWill,
          qos: packet.qos,
        };
        if (packet.topic.startsWith('$')) {
          // $SYS and our own $IOC topics belong to the broker: a device writing there is misbehaving.
          ingest.refuse(message, 'TOPIC_NOT_ALLOWED', 'devices may not publish to $ topics');
          return done(new Error('publishing to $ topics is not allowed'));
        }
        ingest.accept(message).then((stored) => {
          // Ingest owns the verdict. What it refused reaches no other client and is not retained.
          if (!stored) {
            packet.topic = `${refusedTopicPrefix}${client.id}`;
            packet.retain = false;
          }
          done(null);
        });
      },

      authorizeSubscribe(client, subscription, done) {
        const deviceId = identityOf(client);
        if (deviceId === null) {
          // Anonymous development client: anything but the IOC's internal topics.
          return done(null, subscription.topic.startsWith('$IOC') ? null : subscription);
        }
        const allowed = deviceId ? allowedSubscription(registry, deviceId) : null;
        if (allowed !== null && subscription.topic === allowed) {
          return done(null, { ...subscription, qos: Math.min(subscription.qos, 1) as 0 | 1 });
        }
        metrics.mqttAuthFailures.inc({ reason: 'subscribe_denied' });
        done(null, null); // SUBACK 0x80 for this topic; the connection stays
      },
    });
  }

  return {
    async start() {
      aedes = await createAedes();
      aedes.on('client', () => metrics.mqttClients.inc());
      aedes.on('clientDisconnect', () => metrics.mqttClients.dec());
      aedes.on('clientError', (client, error) =>
        log.debug({ clientId: client.id, err: error }, 'MQTT client error'),
      );
      const tls = mqttTlsOptions(config);
      let port: number | undefined;
      if (plaintextMqtt(config)) {
        tcp = createServer((socket) => aedes!.handle(guarded(socket)));
        port = await listen(tcp, config.MQTT_PORT, config.MQTT_HOST, 'MQTT_PORT');
      }
      let tlsPort: number | undefined;
      if (tls) {
        secure = createTlsServer(tls, (socket) =>
          aedes!.handle(rememberCertificate(guarded(socket), socket)),
        );
        // No certificate where one is required, one from another CA, an old protocol: no CONNECT at all.
        secure.on('tlsClientError', () => metrics.mqttAuthFailures.inc({ reason: 'tls_handshake' }));
        tlsPort = await listen(secure, config.MQTT_TLS_PORT, config.MQTT_HOST, 'MQTT_TLS_PORT');
      }
      let wsPort: number | undefined;
      if (config.MQTT_WS_PORT !== undefined) {
        const upgradeOnly = (_req: unknown, res: import('node:http').ServerResponse) =>
          res.writeHead(426).end('MQTT over websockets only');
        http = tls ? createHttpsServer(tls, upgradeOnly) : createHttpServer(upgradeOnly);
        if (tls) http.on('tlsClientError', () => metrics.mqttAuthFailures.inc({ reason: 'tls_handshake' }));
        wss = new WebSocketServer({ server: http });
        wss.on('connection', (socket, req) => {
          const stream = guarded(createWebSocketStream(socket));
          aedes!.handle(tls ? rememberCertificate(stream, req.socket as TLSSocket) : stream, req);
        });
        wsPort = await listen(http, config.MQTT_WS_PORT, config.MQTT_HOST, 'MQTT_WS_PORT');
      }
      listening = true;
      log.info({ port, tlsPort, wsPort, wss: Boolean(tls && wsPort !== undefined) }, 'MQTT broker listening');
      return { port, tlsPort, wsPort };
    },

    async stop() {
      listening = false;
      // Stop taking connections, then close the clients (their wills go through ingest as usual).
      wss?.close();
      const closing = [http, tcp, secure].map((server) =>
        server ? new Promise<void>((ok) => server.close(() => ok())) : undefined,
      );
      if (aedes) await new Promise<void>((ok) => aedes!.close(() => ok()));
      await Promise.all(closing);
    },

    publish(topic, payload, qos = 1) {
      return new Promise((ok, fail) => {
        if (!aedes) return fail(new Error('broker not started'));
        aedes.publish(
          { cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain: false, dup: false },
          (error) => (error ? fail(error) : ok()),
        );
      });
    },

    connectedClients: () => aedes?.connectedClients ?? 0,
    ready: () => listening && aedes !== undefined && !aedes.closed,
  };
}
