// Real MQTT clients (mqtt.js) for tests, plus a poll helper for "eventually" assertions.
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export async function connectDevice(
  url: string,
  id: string,
  secret: string | undefined,
  options: IClientOptions = {},
): Promise<MqttClient> {
  const client = mqtt.connect(url, {
    clientId: id,
    username: secret === undefined ? undefined : id,
    password: secret,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    ...options,
  });
  await new Promise<void>((ok, fail) => {
    client.once('connect', () => ok());
    client.once('error', (error) => {
      client.end(true);
      fail(error);
    });
  });
  return client;
}

export function publish(
  client: MqttClient,
  topic: string,
  payload: string | Buffer,
  qos: 0 | 1 = 1,
): Promise<void> {
  return new Promise((ok, fail) =>
    client.publish(topic, payload, { qos }, (error) => (error ? fail(error) : ok())),
  );
}

/**
 * Polls `read` until `accept` takes its value or `timeoutMs` has passed: a wait for a condition with
 * a deadline, not for a time. Answers the last value read either way, so the caller's assertion
 * shows what was seen when the condition never came.
 */
export async function eventually<T>(
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  do {
    last = await read();
    if (accept(last)) return last;
    await new Promise((r) => setTimeout(r, 25));
  } while (Date.now() < deadline);
  return last;
}
