// The QR code an installer scans into a device (or a phone app that configures one): the connection
// details as compact JSON, drawn as SVG on the server because the console has no build step to bundle
// a QR library. The secret is in it only when the answer issues one.
import QRCode from 'qrcode';

export interface QrConnection {
  host: string;
  port: number | null;
  tlsPort: number | null;
  clientId: string;
  username: string;
  secret?: string;
  topics: { telemetry: string; status: string; event: string; commands: string };
}

/** What the code holds: the fields a device's MQTT client needs, `password` named as MQTT names it. */
export function qrText(c: QrConnection): string {
  return JSON.stringify({
    host: c.host,
    port: c.port,
    tlsPort: c.tlsPort,
    clientId: c.clientId,
    username: c.username,
    ...(c.secret ? { password: c.secret } : {}),
    topics: c.topics,
  });
}

/** The code as an SVG document; error correction M survives a scuffed sticker on a pole. */
export function qrSvg(c: QrConnection): Promise<string> {
  return QRCode.toString(qrText(c), { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}
