// External broker mode (MQTT_URL): the embedded aedes is not started; this instance connects to the
// city's broker (Mosquitto, EMQX) as the IOC's own client and takes its share of the devices' topics
// through shared subscriptions ($share/<group>/ioc/+/+/+/telemetry|status|event), so the broker spreads
// the load over every instance. Device authentication and ACL belong to that broker (dynsec.ts, or the
// EMQX hooks of api/routes/brokerHooks.ts), which is why the device id is taken from the topic.
// Acknowledged means stored (decision 0002): the PUBACK of a QoS 1 message is sent only once ingest has
// stored it or kept it as a dead letter. The session is persistent (client id ioc-ingest-<INSTANCE_ID>,
// clean start off, MQTT 5 session expiry), so what was in flight when an instance died is redelivered to
// it when it comes back; a resent reading is stored once.
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { Config } from '../config.ts';
import type { InboundMessage, Ingest } from '../ingest/index.ts';
import { inboundChannels, parseTopic } from '../ingest/topics.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics/index.ts';
import { acknowledgeWhenTaken } from './deferredAck.ts';
import type { Broker } from './index.ts';

/** Most QoS 1 messages the broker may have in flight to one instance (MQTT 5 Receive Maximum). */
export const receiveMaximum = 1_000;
/** How long the broker keeps this instance's session (and its queued readings) while it is away. */
export const sessionExpirySeconds = 86_400;

type ExternalConfig = Pick<
  Config,
  'MQTT_URL' | 'MQTT_SHARED_GROUP' | 'MQTT_INGEST_USERNAME' | 'MQTT_INGEST_PASSWORD' | 'INSTANCE_ID'
>;

export const ingestClientId = (instanceId: string) => `ioc-ingest-${instanceId}`;
export const sharedTopics = (group: string) =>
  inboundChannels.map((channel) => `$share/${group}/ioc/+/+/+/${channel}`);

/** A device's last will comes from the broker as an ordinary status: `{"online": false}` without a ts. */
function looksLikeLastWill(topic: string, payload: Buffer): boolean {
  if (!topic.endsWith('/status') || payload.length > 64) return false;
  try {
    const value = JSON.parse(payload.toString('utf8')) as unknown;
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as { online?: unknown }).online === false &&
      !('ts' in value)
    );
  } catch {
    return false;
  }
}

export function createExternalBroker(deps: {
  config: ExternalConfig;
  ingest: Ingest;
  metrics: Metrics;
  log: Logger;
}): Broker & { inflight(): number; client(): MqttClient | undefined } {
  const { config, ingest, metrics, log } = deps;
  const url = config.MQTT_URL;
  if (!url) throw new Error('the external broker needs MQTT_URL');
  let client: MqttClient | undefined;
  let subscribed = false;
  let closing = false;
  let inflight = 0;
  let drained: (() => void) | undefined;

  function settle() {
    inflight--;
    if (inflight === 0 && drained) drained();
  }

  function take(packet: IPublishPacket): Promise<boolean> | undefined {
    if (closing) return undefined; // not ingested, not acknowledged: the session keeps it
    const topic = packet.topic;
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const message: InboundMessage = {
      topic,
      payload,
      receivedAt: new Date(),
      // The broker's ACL lets a device publish under its own id only.
      senderId: parseTopic(topic)?.deviceId ?? null,
      lastWill: looksLikeLastWill(topic, payload),
    };
    inflight++;
    // Stored or kept as a dead letter: acknowledged either way.
    return ingest.accept(message).then(
      () => {
        settle();
        return true;
      },
      (error: unknown) => {
        settle();
        throw error;
      },
    );
  }

  async function subscribe(c: MqttClient) {
    const topics = sharedTopics(config.MQTT_SHARED_GROUP);
    const granted = await c.subscribeAsync(topics, { qos: 1 });
    const refused = granted.filter((g) => g.qos > 2);
    if (refused.length > 0) {
      throw new Error(
        `the broker refused the IOC's subscriptions ${refused.map((g) => g.topic).join(', ')}: give ${config.MQTT_INGEST_USERNAME ?? 'the ingest account'} subscribe rights on them`,
      );
    }
    subscribed = true;
  }

  return {
    async start() {
      const options: IClientOptions = {
        clientId: ingestClientId(config.INSTANCE_ID),
        username: config.MQTT_INGEST_USERNAME,
        password: config.MQTT_INGEST_PASSWORD,
        protocolVersion: 5,
        clean: false,
        properties: { sessionExpiryInterval: sessionExpirySeconds, receiveMaximum },
        reconnectPeriod: 1_000,
        connectTimeout: 10_000,
        resubscribe: false,
        keepalive: 30,
      };
      const c = mqtt.connect(url, options);
      client = c;
      // Acknowledged means stored: the PUBACK waits for ingest, while the next messages are read.
      acknowledgeWhenTaken(c, take);
      c.on('connect', (connack) => {
        metrics.mqttClients.set(1);
        log.info(
          { clientId: options.clientId, sessionPresent: connack.sessionPresent },
          'connected to the external MQTT broker',
        );
        // Subscribing again is harmless and covers a session the broker dropped while we were away.
        subscribe(c).catch((error) => log.error({ err: error }, 'subscribing to the devices failed'));
      });
      c.on('close', () => {
        subscribed = false;
        metrics.mqttClients.set(0);
      });
      c.on('error', (error) => log.warn({ err: error }, 'external MQTT broker connection error'));
      await new Promise<void>((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(`no answer from the MQTT broker at MQTT_URL`)), 15_000);
        const onError = (error: Error) => {
          clearTimeout(timer);
          c.end(true);
          fail(new Error(`could not connect to the MQTT broker at MQTT_URL: ${error.message}`));
        };
        c.once('error', onError);
        c.once('connect', () => {
          c.off('error', onError);
          subscribe(c).then(
            () => {
              clearTimeout(timer);
              ok();
            },
            (error: Error) => {
              clearTimeout(timer);
              c.end(true);
              fail(error);
            },
          );
        });
      });
      log.info({ group: config.MQTT_SHARED_GROUP }, 'ingesting from the external MQTT broker');
      return { port: undefined, tlsPort: undefined, wsPort: undefined };
    },

    async stop() {
      const c = client;
      if (!c) return;
      // A planned stop hands its share back: no new messages are routed to this session, the ones
      // already here are stored and acknowledged, then the connection closes.
      if (c.connected) await c.unsubscribeAsync(sharedTopics(config.MQTT_SHARED_GROUP)).catch(() => {});
      if (inflight > 0) {
        await Promise.race([
          new Promise<void>((ok) => {
            drained = ok;
          }),
          new Promise((ok) => setTimeout(ok, 10_000)),
        ]);
      }
      closing = true;
      await c.endAsync(false).catch(() => c.end(true));
      client = undefined;
      subscribed = false;
    },

    publish(topic, payload, qos = 1) {
      const c = client;
      if (!c) return Promise.reject(new Error('broker not started'));
      return c.publishAsync(topic, payload, { qos }).then(() => undefined);
    },

    connectedClients: () => (client?.connected ? 1 : 0),
    ready: () => Boolean(client?.connected && subscribed),
    // The broker holds the devices' connections, not the IOC: Mosquitto's dynamic security ends a
    // disabled or deleted device's connection itself; with the HTTP auth hook it lasts until the
    // device reconnects, when the hook refuses it.
    disconnect: () => {},
    inflight: () => inflight,
    client: () => client,
  };
}
