// Where a claimed device is told to connect. The embedded broker's ports are the ones it listens on,
// on the host the claim reached (a device that reached the API reaches the broker there too); behind
// an external broker (MQTT_URL), that broker's host and port.
import type { Config } from '../config.ts';

/** Where devices reach the MQTT broker; `host` unset: the host name the claim was sent to. */
export interface MqttEndpoints {
  host: string | undefined;
  mqtt: number | undefined;
  mqtts: number | undefined;
  ws: number | undefined;
  /** The WebSocket port speaks TLS (WSS). */
  wsTls: boolean;
}

export function mqttEndpoints(
  config: Pick<Config, 'MQTT_URL' | 'MQTT_TLS_CERT_FILE'>,
  ports: { mqttPort: number | undefined; mqttTlsPort: number | undefined; mqttWsPort: number | undefined },
): MqttEndpoints {
  if (config.MQTT_URL) {
    const url = new URL(config.MQTT_URL);
    const defaults: Record<string, number> = { 'mqtt:': 1883, 'mqtts:': 8883, 'ws:': 80, 'wss:': 443 };
    const port = url.port ? Number(url.port) : defaults[url.protocol];
    return {
      host: url.hostname,
      mqtt: url.protocol === 'mqtt:' ? port : undefined,
      mqtts: url.protocol === 'mqtts:' ? port : undefined,
      ws: url.protocol === 'ws:' || url.protocol === 'wss:' ? port : undefined,
      wsTls: url.protocol === 'wss:',
    };
  }
  return {
    host: undefined,
    mqtt: ports.mqttPort,
    mqtts: ports.mqttTlsPort,
    ws: ports.mqttWsPort,
    wsTls: Boolean(config.MQTT_TLS_CERT_FILE && ports.mqttWsPort !== undefined),
  };
}
