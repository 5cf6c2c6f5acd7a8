// MQTT lets a packet announce up to 256 MiB, and the packet parser buffers a whole packet before
// anyone sees it. This guard sits between the socket and the broker, reads only the fixed headers
// (type byte + remaining-length varint [MQTT-2.2.3]) and cuts the connection as soon as a packet
// announces more than the hard limit, before its body is buffered. Payloads between the configured
// payload limit and this hard limit still reach ingest and become PAYLOAD_TOO_LARGE dead letters.
import { Duplex } from 'node:stream';

export class PacketSizeGuard extends Duplex {
  private phase: 'header' | 'length' | 'body' | 'off' = 'header';
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;

  constructor(
    private readonly socket: Duplex,
    private readonly limit: number,
    private readonly onOversize: (declaredBytes: number) => void,
  ) {
    super({ allowHalfOpen: false });
    socket.on('data', (chunk: Buffer) => {
      if (!this.inspect(chunk)) return;
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (error) => this.destroy(error));
    // A device that publishes and hangs up closes the socket while its last packets still wait here
    // for the broker to read them: let the broker read to the end before this stream goes away.
    socket.on('close', () => {
      if (this.readableEnded || this.destroyed) this.destroy();
      else this.once('end', () => this.destroy());
    });
  }

  /** Returns false when the connection was cut. */
  private inspect(chunk: Buffer): boolean {
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
            this.onOversize(this.length);
            this.socket.destroy();
            this.destroy();
            return false;
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
    return true;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.socket.write(chunk, encoding, callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.socket.write(Buffer.concat(chunks.map((c) => c.chunk)), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }
}
