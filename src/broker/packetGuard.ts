// MQTT lets a packet announce up to 256 MiB, and the packet parser buffers a whole packet before
// anyone sees it. This guard reads only the fixed headers (type byte + remaining-length varint
// [MQTT-2.2.3]) of what the broker reads from a connection, and cuts the connection as soon as a
// packet announces more than the hard limit, before its body is buffered. Payloads between the
// configured payload limit and this hard limit still reach ingest and become PAYLOAD_TOO_LARGE dead
// letters.
//
// It watches the connection's own read() (aedes reads in paused mode: 'readable', then read()) instead
// of standing between the socket and the broker as a stream of its own: that extra stream cost the
// broker's thread about a tenth of its time under load, every chunk pushed, buffered and read twice
// (bench profile, docs/decisions/0016-broker-fast-path.md). Reading through read() is how the pinned
// aedes consumes a connection, not a promise of its API: tests/broker/packetGuard.test.ts fails on a
// version that reads otherwise (docs/decisions/0019-library-internals.md).
import type { Duplex } from 'node:stream';

/** Follows the fixed headers across chunks; says when a packet announces more than `limit` bytes. */
export class PacketHeaderScanner {
  private phase: 'header' | 'length' | 'body' | 'off' = 'header';
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;

  constructor(private readonly limit: number) {}

  /** The length a packet in this chunk announced over the limit, or undefined when all is well. */
  oversize(chunk: Uint8Array): number | undefined {
    let i = 0;
    while (i < chunk.length && this.phase !== 'off') {
      if (this.phase === 'header') {
        i++;
        this.phase = 'length';
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
      } else if (this.phase === 'length') {
        const byte = chunk[i++]!;
        this.length += (byte & 0x7f) * this.multiplier;
        this.multiplier *= 128;
        this.lengthBytes++;
        if ((byte & 0x80) === 0) {
          if (this.length > this.limit) {
            this.phase = 'off';
            return this.length;
          }
          this.remaining = this.length;
          this.phase = this.remaining > 0 ? 'body' : 'header';
        } else if (this.lengthBytes >= 4) {
          this.phase = 'off'; // malformed: the MQTT parser will refuse it
        }
      } else {
        const take = Math.min(this.remaining, chunk.length - i);
        i += take;
        this.remaining -= take;
        if (this.remaining === 0) this.phase = 'header';
      }
    }
    return undefined;
  }
}

/**
 * Watches what is read from `stream` and destroys it when a packet announces more than `limit`
 * bytes (`onOversize` hears the announced length). Returns the same stream, for a paused-mode reader
 * such as aedes: a 'data' listener would see chunks before the guard does.
 */
export function guardPacketSize<T extends Duplex>(
  stream: T,
  limit: number,
  onOversize: (declaredBytes: number) => void,
): T {
  const scanner = new PacketHeaderScanner(limit);
  const read = stream.read;
  stream.read = function guardedRead(this: T, size?: number) {
    const chunk = read.call(this, size) as Buffer | string | null;
    if (chunk === null || typeof chunk === 'string') return chunk;
    const declared = scanner.oversize(chunk);
    if (declared === undefined) return chunk;
    onOversize(declared);
    stream.destroy();
    return null;
  };
  return stream;
}
