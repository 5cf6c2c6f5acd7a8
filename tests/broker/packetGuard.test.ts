// The packet-size guard reads fixed headers as the broker reads a connection: packets split across
// reads in any place are followed, and one announcing too much cuts the connection before its body.
// The end-to-end case (a real client announcing 200 MB) is in transports.test.ts.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { remainingLength } from '../../bench/load/mqttWire.ts';
import { guardPacketSize, PacketHeaderScanner } from '../../src/broker/packetGuard.ts';

/** A PUBLISH fixed header announcing `length` bytes. */
const header = (length: number): number[] => [0x30, ...remainingLength(length)];

const packet = (bodyBytes: number) => Buffer.from([...header(bodyBytes), ...Buffer.alloc(bodyBytes, 0x41)]);

describe('packet header scanner', () => {
  it('follows packets whose headers and bodies are split across reads at every byte', () => {
    const stream = Buffer.concat([packet(3), packet(200), packet(0), packet(20_000)]);
    for (let cut = 1; cut < stream.length; cut += 7) {
      const scanner = new PacketHeaderScanner(20_000);
      expect(scanner.oversize(stream.subarray(0, cut))).toBeUndefined();
      expect(scanner.oversize(stream.subarray(cut))).toBeUndefined();
    }
  });

  it('names the length of the first packet over the limit, even behind others in the same read', () => {
    const scanner = new PacketHeaderScanner(1_000);
    expect(scanner.oversize(Buffer.concat([packet(10), packet(999), Buffer.from(header(200_000_000))]))).toBe(
      200_000_000,
    );
  });

  it('reads a length whose varint is split between two reads', () => {
    const scanner = new PacketHeaderScanner(1_000);
    const announced = header(5_000);
    expect(scanner.oversize(Buffer.from(announced.slice(0, 2)))).toBeUndefined();
    expect(scanner.oversize(Buffer.from(announced.slice(2)))).toBe(5_000);
  });
});

describe('guardPacketSize', () => {
  it('hands a paused-mode reader what was written, unchanged', () => {
    const stream = guardPacketSize(new PassThrough(), 1_000, () => {
      throw new Error('nothing here is oversize');
    });
    const sent = Buffer.concat([packet(10), packet(500)]);
    stream.write(sent);
    expect(stream.read()).toEqual(sent);
  });

  it('destroys the stream and reads nothing once a packet announces more than the limit', () => {
    const announced: number[] = [];
    const stream = guardPacketSize(new PassThrough(), 1_000, (n) => announced.push(n));
    stream.write(Buffer.concat([packet(10), Buffer.from(header(5_000)), Buffer.alloc(100)]));
    expect(stream.read()).toBeNull();
    expect(announced).toEqual([5_000]);
    expect(stream.destroyed).toBe(true);
  });
});
