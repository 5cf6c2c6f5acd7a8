// A minimal MQTT 3.1.1 client for load generation: CONNECT with credentials, PUBLISH at QoS 0 or 1,
// PUBACK read back. Real MQTT on a real TCP socket, without a general client's per-message
// bookkeeping, so one generator process can offer tens of thousands of messages a second on a
// machine whose other core runs the system under test.
import { connect as connectTcp, type Socket } from 'node:net';

/** MQTT's remaining-length varint [MQTT-2.2.3]. */
export function remainingLength(length: number): Buffer {
  const bytes: number[] = [];
  let x = length;
  do {
    let byte = x % 128;
    x = Math.floor(x / 128);
    if (x > 0) byte |= 0x80;
    bytes.push(byte);
  } while (x > 0);
  return Buffer.from(bytes);
}

const utf8Field = (text: string) => {
  const bytes = Buffer.from(text, 'utf8');
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
};

export function connectPacket(clientId: string, username: string, password: string): Buffer {
  // Protocol "MQTT", level 4, flags: username + password + clean session, keep-alive off [MQTT-3.1.2].
  const variable = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0xc2, 0, 0]);
  const payload = Buffer.concat([utf8Field(clientId), utf8Field(username), utf8Field(password)]);
  const body = Buffer.concat([variable, payload]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

/** A PUBLISH packet; `packetId` only for QoS 1 [MQTT-3.3.2.2]. */
export function publishPacket(topic: Buffer, payload: string, qos: 0 | 1, packetId: number): Buffer {
  const payloadLength = Buffer.byteLength(payload);
  const bodyLength = 2 + topic.length + (qos === 1 ? 2 : 0) + payloadLength;
  const header = remainingLength(bodyLength);
  const packet = Buffer.allocUnsafe(1 + header.length + bodyLength);
  let at = 0;
  packet[at++] = 0x30 | (qos << 1);
  header.copy(packet, at);
  at += header.length;
  packet.writeUInt16BE(topic.length, at);
  at += 2;
  topic.copy(packet, at);
  at += topic.length;
  if (qos === 1) {
    packet.writeUInt16BE(packetId, at);
    at += 2;
  }
  packet.write(payload, at, 'utf8');
  return packet;
}

export interface WireHandlers {
  onConnack(returnCode: number): void;
  onPuback(packetId: number): void;
  onClose(): void;
}

/** Opens a connection and feeds the server's packets to the handlers. */
export function openConnection(host: string, port: number, connect: Buffer, handlers: WireHandlers): Socket {
  const socket = connectTcp({ host, port, noDelay: true });
  let pending: Buffer | undefined;
  socket.on('connect', () => socket.write(connect));
  socket.on('data', (chunk: Buffer) => {
    let buffer = pending ? Buffer.concat([pending, chunk]) : chunk;
    pending = undefined;
    while (buffer.length >= 2) {
      let length = 0;
      let multiplier = 1;
      let at = 1;
      let complete = false;
      while (at < buffer.length && at <= 4) {
        const byte = buffer[at++]!;
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || buffer.length < at + length) break;
      const type = buffer[0]! >> 4;
      if (type === 2) handlers.onConnack(buffer[at + 1]!);
      else if (type === 4) handlers.onPuback(buffer.readUInt16BE(at));
      buffer = buffer.subarray(at + length);
    }
    if (buffer.length > 0) pending = Buffer.from(buffer);
  });
  socket.on('error', () => {});
  socket.on('close', () => handlers.onClose());
  return socket;
}
