// Transport security of the embedded broker: which listeners run (plain TCP only when configured),
// the TLS options built from the configured PEM files, and the device a verified client certificate
// names (its CN, checked against MQTT_TLS_CA_FILE by the TLS handshake itself).
import type { Duplex } from 'node:stream';
import type { TLSSocket, TlsOptions } from 'node:tls';
import type { Config } from '../config.ts';
import { readPem } from '../net.ts';

export type TlsConfig = Pick<
  Config,
  | 'NODE_ENV'
  | 'MQTT_TLS_CERT_FILE'
  | 'MQTT_TLS_KEY_FILE'
  | 'MQTT_TLS_CA_FILE'
  | 'MQTT_TLS_REQUIRE_CLIENT_CERT'
  | 'MQTT_ALLOW_PLAINTEXT'
>;

/** Plain MQTT runs when asked for, or by default only while TLS is not configured (development). */
export function plaintextMqtt(config: TlsConfig): boolean {
  return config.MQTT_ALLOW_PLAINTEXT ?? !config.MQTT_TLS_CERT_FILE;
}

/** Server options for MQTT over TLS and WSS; undefined when TLS is not configured. */
export function mqttTlsOptions(config: TlsConfig): TlsOptions | undefined {
  if (!config.MQTT_TLS_CERT_FILE || !config.MQTT_TLS_KEY_FILE) return undefined;
  const options: TlsOptions = {
    cert: readPem(config.MQTT_TLS_CERT_FILE, 'MQTT_TLS_CERT_FILE'),
    key: readPem(config.MQTT_TLS_KEY_FILE, 'MQTT_TLS_KEY_FILE'),
    minVersion: 'TLSv1.2',
  };
  if (config.MQTT_TLS_CA_FILE) {
    options.ca = readPem(config.MQTT_TLS_CA_FILE, 'MQTT_TLS_CA_FILE');
    options.requestCert = true;
    // Optional mode lets certificate-less devices finish the handshake and log in with a password;
    // a certificate that fails verification is refused at CONNECT (see authenticateDevice).
    options.rejectUnauthorized = config.MQTT_TLS_REQUIRE_CLIENT_CERT;
  }
  return options;
}

/** What the TLS layer says about the client: no certificate, a verified device id, or a refusal. */
export type ClientCertificate = { deviceId: string } | { invalid: string } | null;

export function clientCertificate(socket: TLSSocket): ClientCertificate {
  const peer = socket.getPeerCertificate();
  if (!peer || Object.keys(peer).length === 0) return null; // none presented
  if (!socket.authorized) return { invalid: String(socket.authorizationError ?? 'not verified') };
  const cn = peer.subject?.CN;
  const deviceId = Array.isArray(cn) ? undefined : cn;
  return deviceId ? { deviceId } : { invalid: 'certificate without a CN' };
}

// The broker sees the stream it was handed (wrapped by the packet guard), not the TLS socket under it.
const certificates = new WeakMap<object, ClientCertificate>();
export function rememberCertificate<S extends Duplex>(stream: S, socket: TLSSocket): S {
  certificates.set(stream, clientCertificate(socket));
  return stream;
}
export const certificateOf = (stream: object): ClientCertificate => certificates.get(stream) ?? null;
