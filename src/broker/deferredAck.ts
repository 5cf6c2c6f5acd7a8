// Acknowledging a QoS 1 message once it is stored, on an mqtt.js client, without reading one message
// per database round-trip. mqtt.js's documented hook, handleMessage, sends the PUBACK when its
// callback is called and reads the next packet only then: waiting there for the store would let one
// message through per batch (~20/s). mqtt.js has no public way to acknowledge later, so this module
// rests on two internals of the pinned version (package.json; docs/decisions/0019-library-internals.md),
// both checked against a real broker by tests/broker/deferredAck.test.ts:
// - handleMessage's callback given an error moves on to the next packet without a PUBACK
//   (build/lib/handlers/publish.js);
// - the client's _sendPacket writes a packet on its current connection.
import type { IPublishPacket, MqttClient } from 'mqtt';

const ackLater = new Error('PUBACK sent by the IOC after the message is stored');

interface PacketWriter {
  _sendPacket(packet: { cmd: 'puback'; messageId: number; reasonCode?: number }): void;
}

/**
 * Hands each message to `take` and lets mqtt.js read on at once. A QoS 1 message is acknowledged
 * when `take` answers true, and only on the connection it came on (a PUBACK on a later one would
 * acknowledge whatever the broker resent under that id); on false, undefined or a failure it is not,
 * and the broker's session keeps it. What `take` answers for a QoS 0 message is not waited for.
 */
export function acknowledgeWhenTaken(
  client: MqttClient,
  take: (packet: IPublishPacket) => Promise<boolean> | undefined,
): void {
  const writer = client as unknown as Partial<PacketWriter>;
  // Refuse to start rather than never acknowledge: the broker would redeliver the same messages forever.
  if (typeof writer._sendPacket !== 'function') {
    throw new Error(
      'this mqtt.js has no _sendPacket: check the deferred PUBACK against it (tests/broker/deferredAck.test.ts)',
    );
  }
  const send = writer._sendPacket.bind(client);
  client.handleMessage = (packet, callback) => {
    const taken = take(packet);
    if (packet.qos === 0) {
      taken?.catch(() => {});
      return callback();
    }
    const messageId = packet.messageId;
    const stream = client.stream;
    taken?.then(
      (acknowledge) => {
        if (!acknowledge || messageId === undefined || client.stream !== stream || !client.connected) return;
        send({ cmd: 'puback', messageId, reasonCode: 0 });
      },
      () => {}, // not acknowledged: redelivered
    );
    callback(ackLater);
  };
}
