// The embedded MQTT broker (aedes) on a thread of its own (thread.ts): plain TCP on MQTT_PORT when
// allowed, TLS on MQTT_TLS_PORT when a certificate is configured (device certificates optional, see
// tls.ts), websockets on MQTT_WS_PORT (WSS once TLS is configured). The protocol work runs there; the
// decisions are taken here, on the app's thread, where the registry and ingest live: who may connect
// and subscribe, and every device publish, which goes to ingest. The publish's callback over there
// (hence the QoS 1 PUBACK) waits for ingest's verdict from here: acknowledged means in the database or
// kept as a dead letter. A QoS 0 publish, which nothing acknowledges, is let go once ingest has taken
// it. If the thread dies, it is started again and devices reconnect to it.
import type { Worker } from 'node:worker_threads';
import type { Config } from '../config.ts';
import { Fifo } from '../ingest/fifo.ts';
import type { Ingest } from '../ingest/index.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics/index.ts';
import type { DeviceRegistry } from '../registry/index.ts';
import { startWorker } from '../threads.ts';
import { allowedSubscription, authenticateDevice } from './auth.ts';
import {
  type BrokerThreadOptions,
  type FromBroker,
  type LogLevel,
  PublishReader,
  type ToBroker,
  VerdictPacker,
} from './bridge.ts';

export interface Broker {
  /** port: plain MQTT (undefined when off); tlsPort: MQTT over TLS (undefined when not configured). */
  start(): Promise<{ port: number | undefined; tlsPort: number | undefined; wsPort: number | undefined }>;
  stop(): Promise<void>;
  /** Publishes from the IOC itself (commands to devices). */
  publish(topic: string, payload: string, qos?: 0 | 1): Promise<void>;
  connectedClients(): number;
  ready(): boolean;
  /**
   * Ends a device's open connections: it was disabled, deleted or given a new secret, so the
   * connection it opened before may not go on (it connects again only if it still may).
   */
  disconnect(deviceId: string): void;
}

/** The broker thread's name, as inspectors and profiles show it (the benchmark profiles it by name). */
export const brokerThreadName = 'ioc-mqtt-broker';

const levels: LogLevel[] = ['debug', 'info', 'warn', 'error'];
// A thread that died is started again after this long, so a crash loop does not spin a core.
const restartDelayMs = 1_000;
// How long the app's thread takes publishes before it lets other work run.
const intakeSliceMs = 10;

export function createBroker(deps: {
  // What the thread is started with, and who may connect without credentials (decided here).
  config: Omit<BrokerThreadOptions, 'logLevels'> & Pick<Config, 'MQTT_ALLOW_ANONYMOUS'>;
  registry: DeviceRegistry;
  ingest: Ingest;
  metrics: Metrics;
  log: Logger;
}): Broker {
  const { config, registry, ingest, metrics, log } = deps;
  let worker: Worker | undefined;
  let listening = false;
  let stopping = false;
  let connected = 0;
  // Ports picked by the first start (port 0 asks for any), kept by a restarted thread.
  let ports:
    | { port: number | undefined; tlsPort: number | undefined; wsPort: number | undefined }
    | undefined;
  let takeRest: (() => void) | undefined;
  let nextId = 1;
  const replies = new Map<number, { ok: (value: unknown) => void; fail: (error: Error) => void }>();
  // Handles come from authenticate's answers, so each names a device the registry numbered.
  const senderName = (handle: number) => registry.byHandle(handle)!.id;

  function threadOptions(): BrokerThreadOptions {
    return {
      MQTT_HOST: config.MQTT_HOST,
      MQTT_PORT: ports?.port ?? config.MQTT_PORT,
      MQTT_TLS_PORT: ports?.tlsPort ?? config.MQTT_TLS_PORT,
      MQTT_WS_PORT: ports?.wsPort ?? config.MQTT_WS_PORT,
      MQTT_MAX_PAYLOAD_BYTES: config.MQTT_MAX_PAYLOAD_BYTES,
      MQTT_CONNECT_TIMEOUT_MS: config.MQTT_CONNECT_TIMEOUT_MS,
      MQTT_CONNECT_MAX_BYTES: config.MQTT_CONNECT_MAX_BYTES,
      MQTT_PREAUTH_PER_ADDRESS: config.MQTT_PREAUTH_PER_ADDRESS,
      MQTT_PREAUTH_MAX: config.MQTT_PREAUTH_MAX,
      MQTT_CONNECTIONS_PER_ADDRESS: config.MQTT_CONNECTIONS_PER_ADDRESS,
      MQTT_MAX_CONNECTIONS: config.MQTT_MAX_CONNECTIONS,
      NODE_ENV: config.NODE_ENV,
      MQTT_TLS_CERT_FILE: config.MQTT_TLS_CERT_FILE,
      MQTT_TLS_KEY_FILE: config.MQTT_TLS_KEY_FILE,
      MQTT_TLS_CA_FILE: config.MQTT_TLS_CA_FILE,
      MQTT_TLS_REQUIRE_CLIENT_CERT: config.MQTT_TLS_REQUIRE_CLIENT_CERT,
      MQTT_ALLOW_PLAINTEXT: config.MQTT_ALLOW_PLAINTEXT,
      logLevels: levels.filter((level) => log.isLevelEnabled(level)),
    };
  }

  /** Starts a thread; resolves with its ports once it listens. */
  function spawn(): Promise<NonNullable<typeof ports>> {
    const thread = startWorker(new URL('./thread.ts', import.meta.url), threadOptions(), brokerThreadName);
    worker = thread;
    const tell = (message: ToBroker) => thread.postMessage(message);
    // Verdicts go back once per turn of the event loop, like the publishes came.
    const verdicts = new VerdictPacker();
    let verdictsScheduled = false;
    const sendVerdicts = () => {
      verdictsScheduled = false;
      const { seqs, stored } = verdicts.take();
      tell({ type: 'verdicts', seqs, stored });
    };
    const verdict = (seq: number, stored: boolean) => {
      verdicts.add(seq, stored);
      if (!verdictsScheduled) {
        verdictsScheduled = true;
        setImmediate(sendVerdicts);
      }
    };

    // Publishes are taken in slices of a few milliseconds, each followed by a turn of the event
    // loop: a backlog of batches taken in one go held the thread for over half a second (bench),
    // and every database answer, timer and alarm waited behind it.
    const inbox = new Fifo<PublishReader>();
    let intakeScheduled = false;
    const scheduleIntake = () => {
      if (intakeScheduled) return;
      intakeScheduled = true;
      setImmediate(intake);
    };
    // Set while ingest.accept runs on a QoS 0 publish: whether ingest said it took it.
    let taking = false;
    let released = false;
    const release = () => {
      if (taking) released = true;
    };
    /** Hands publishes to ingest until the reader is done (true) or `count` were taken. */
    const take = (reader: PublishReader, count: number): boolean => {
      for (let n = 0; n < count; n++) {
        const publish = reader.next();
        if (!publish) return true;
        const seq = publish.seq;
        if (publish.qos === 0) {
          // No acknowledgement waits on a QoS 0 publish: the thread lets it go once ingest has taken
          // it (checked, writes queued), not once stored, instead of holding tens of thousands of
          // packets for the half second the database takes under load (bench, allocation profile).
          // Ingest says so within accept (a rate-limit delay says it later, and is not heard: that
          // publish goes once stored), so no closure or reaction is made per publish for it.
          taking = true;
          released = false;
          const result = ingest.accept(publish, release);
          taking = false;
          if (released) verdict(seq, true);
          else result.then((stored) => verdict(seq, stored));
        } else ingest.accept(publish).then((stored) => verdict(seq, stored));
      }
      return false;
    };
    const intake = () => {
      intakeScheduled = false;
      const until = performance.now() + intakeSliceMs;
      for (let reader = inbox.peek(); reader; reader = inbox.peek()) {
        if (take(reader, 64)) inbox.shift();
        if (performance.now() >= until) break;
      }
      if (inbox.length > 0) scheduleIntake();
    };
    // On stop, what the thread sent last (its clients' wills among it) goes to ingest before ingest stops.
    takeRest = () => {
      for (let reader = inbox.shift(); reader; reader = inbox.shift()) take(reader, Number.POSITIVE_INFINITY);
    };

    return new Promise((started, failed) => {
      thread.on('message', (message: FromBroker) => {
        switch (message.type) {
          case 'publishes': {
            const reader = new PublishReader(message.batch, senderName);
            if (message.urgent) return take(reader, Number.POSITIVE_INFINITY);
            inbox.push(reader);
            return scheduleIntake();
          }
          case 'authenticate':
            return void authenticateDevice(
              registry,
              message.clientId,
              message.username,
              message.password === undefined ? undefined : Buffer.from(message.password),
              config.MQTT_ALLOW_ANONYMOUS,
              message.certificate,
            ).then(
              (outcome) => tell({ type: 'authenticated', id: message.id, outcome }),
              (error) => {
                log.error({ err: error }, 'MQTT authentication failed unexpectedly');
                tell({
                  type: 'authenticated',
                  id: message.id,
                  outcome: { ok: false, returnCode: 3, reason: 'internal_error' },
                });
              },
            );
          case 'subscribe':
            return tell({
              type: 'subscription',
              id: message.id,
              allowed: allowedSubscription(registry, message.deviceId),
            });
          case 'refuse':
            return ingest.refuse(
              {
                topic: message.topic,
                payload: Buffer.from(message.payload),
                receivedAt: new Date(),
                senderId: message.senderId,
              },
              message.reason,
              message.text,
            );
          case 'clients':
            connected = message.connected;
            return metrics.mqttClients.set(connected);
          case 'authFailure':
            return metrics.mqttAuthFailures.inc({ reason: message.reason });
          case 'refused':
            for (const [reason, count] of Object.entries(message.counts))
              metrics.mqttRefused.inc({ reason }, count);
            return;
          case 'log':
            return log[message.level](message.fields, message.message);
          case 'published': {
            const reply = replies.get(message.id);
            replies.delete(message.id);
            if (message.error) return reply?.fail(new Error(message.error));
            return reply?.ok(undefined);
          }
          case 'started':
            return started({ port: message.port, tlsPort: message.tlsPort, wsPort: message.wsPort });
          case 'startFailed':
            return failed(new Error(message.message));
          case 'stopped':
            return;
        }
      });
      thread.on('error', (error) => {
        log.error({ err: error }, 'the MQTT broker thread failed');
        failed(error);
      });
      thread.on('exit', (code) => {
        if (worker !== thread) return;
        worker = undefined;
        connected = 0;
        metrics.mqttClients.set(0);
        for (const reply of replies.values()) reply.fail(new Error('the MQTT broker thread stopped'));
        replies.clear();
        if (stopping || !listening) return;
        // Its clients' unacknowledged publishes are lost with their connections, and resent by
        // QoS 1 devices when they reconnect; what ingest stored of them it stores once.
        log.error({ code }, 'the MQTT broker thread stopped unexpectedly; starting it again');
        listening = false;
        setTimeout(() => {
          if (stopping) return;
          spawn().then(
            () => {
              listening = true;
              log.info('MQTT broker thread started again');
            },
            (error) => log.error({ err: error }, 'the MQTT broker thread could not start again'),
          );
        }, restartDelayMs).unref();
      });
    });
  }

  function request(message: (id: number) => ToBroker): Promise<unknown> {
    return new Promise((ok, fail) => {
      if (!worker) return fail(new Error('broker not started'));
      const id = nextId++;
      replies.set(id, { ok, fail });
      worker.postMessage(message(id));
    });
  }

  return {
    async start() {
      stopping = false;
      try {
        ports = await spawn();
      } catch (error) {
        await worker?.terminate();
        worker = undefined;
        throw error;
      }
      listening = true;
      log.info(
        { ...ports, wss: Boolean(config.MQTT_TLS_CERT_FILE && ports.wsPort !== undefined) },
        'MQTT broker listening',
      );
      return ports;
    },

    async stop() {
      stopping = true;
      listening = false;
      const thread = worker;
      if (!thread) return;
      // The thread closes its listeners and clients (their wills still come here for a verdict),
      // then ends on its own.
      const ended = new Promise<void>((ok) => thread.once('exit', () => ok()));
      thread.postMessage({ type: 'stop' } satisfies ToBroker);
      const stuck = setTimeout(() => {
        log.warn('the MQTT broker thread did not end within 10 s of closing; stopping it');
        void thread.terminate();
      }, 10_000);
      await ended;
      clearTimeout(stuck);
      takeRest?.();
    },

    publish(topic, payload, qos = 1) {
      return request((id) => ({ type: 'publish', id, topic, payload, qos })).then(() => undefined);
    },

    connectedClients: () => connected,
    ready: () => listening && worker !== undefined,
    disconnect(deviceId) {
      worker?.postMessage({ type: 'disconnect', deviceId } satisfies ToBroker);
    },
  };
}
