// The crossing between the broker's thread and the app's: a batch of publishes comes out as it went
// in, whatever its topics, senders and payloads hold, and each verdict finds its publish.
import { describe, expect, it } from 'vitest';
import {
  type BridgedPublish,
  type PublishBatch,
  PublishPacker,
  PublishReader,
  VerdictPacker,
} from '../../src/broker/bridge.ts';

// Device handles as the registry hands them out, and the names the app's side reads them back as.
const names = ['ha-mh-fire-0001', 'tn-p1-env-0001'];
const fire = { deviceId: names[0]!, handle: 0 };
const env = { deviceId: names[1]!, handle: 1 };

const readAll = (batch: PublishBatch) => {
  const out: BridgedPublish[] = [];
  const reader = new PublishReader(batch, (handle) => names[handle]!);
  for (let p = reader.next(); p; p = reader.next()) out.push(p);
  return out;
};

const unpacked = (packer: PublishPacker) => readAll(packer.take());

describe('the broker thread bridge', () => {
  it('hands over every publish of a batch with its topic, sender and its handle, flags, time and payload', () => {
    const packer = new PublishPacker();
    const before = Date.now();
    packer.add(7, 'ioc/hoi-an/fire/ha-mh-fire-0001/event', Buffer.from('{"type":"alarm"}'), fire, 1, false);
    packer.add(8, 'ioc/tay-ninh/env/tn-p1-env-0001/status', Buffer.from('{"online":false}'), env, 0, true);
    packer.add(9, 'ioc/tây-ninh/phường/ủy-ban/telemetry', Buffer.from([0, 255, 10, 0]), null, 2, false);
    packer.add(10, 'empty/payload', Buffer.alloc(0), fire, 0, false);
    const after = Date.now();
    expect(packer.size).toBe(4);

    const out = unpacked(packer);
    expect(out.map((p) => [p.seq, p.topic, p.senderId, p.senderHandle, p.qos, p.lastWill])).toEqual([
      [7, 'ioc/hoi-an/fire/ha-mh-fire-0001/event', 'ha-mh-fire-0001', 0, 1, false],
      [8, 'ioc/tay-ninh/env/tn-p1-env-0001/status', 'tn-p1-env-0001', 1, 0, true],
      [9, 'ioc/tây-ninh/phường/ủy-ban/telemetry', null, undefined, 2, false],
      [10, 'empty/payload', 'ha-mh-fire-0001', 0, 0, false],
    ]);
    expect(out.map((p) => p.payload.toString('hex'))).toEqual([
      Buffer.from('{"type":"alarm"}').toString('hex'),
      Buffer.from('{"online":false}').toString('hex'),
      '00ff0a00',
      '',
    ]);
    for (const p of out) {
      expect(p.receivedAt.getTime()).toBeGreaterThanOrEqual(before);
      expect(p.receivedAt.getTime()).toBeLessThanOrEqual(after);
    }
  });

  it('starts afresh after each batch, and an empty batch unpacks to nothing', () => {
    const packer = new PublishPacker();
    packer.add(1, 'a', Buffer.from('x'), env, 0, false);
    expect(unpacked(packer)).toHaveLength(1);
    expect(packer.size).toBe(0);
    expect(packer.payloadBytes).toBe(0);
    expect(unpacked(packer)).toEqual([]);
  });

  it('copies the payloads out of the socket buffers they were read into, so the batch can be transferred', () => {
    const socketChunk = Buffer.from('....{"a":1}....');
    const packer = new PublishPacker();
    packer.add(1, 't', socketChunk.subarray(4, 11), env, 0, false);
    const batch = packer.take();
    expect(batch.payloads.byteLength).toBe(7);
    socketChunk.fill(0); // the socket's buffer is reused for the next read
    expect(readAll(batch)[0]!.payload.toString()).toBe('{"a":1}');
  });

  it('returns each verdict with its sequence number', () => {
    const verdicts = new VerdictPacker();
    verdicts.add(3, true);
    verdicts.add(1, false);
    verdicts.add(2 ** 40, true);
    const { seqs, stored } = verdicts.take();
    expect([...seqs]).toEqual([3, 1, 2 ** 40]);
    expect([...stored]).toEqual([1, 0, 1]);
    expect(verdicts.size).toBe(0);
  });
});
