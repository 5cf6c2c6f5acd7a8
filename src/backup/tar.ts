// The archive format of a backup: POSIX ustar, gzip-compressed, so any `tar -xzf` can open it too.
// Written by hand rather than with a library because an online backup reads files PostgreSQL is still
// changing: a file that shrinks or disappears while it is read is normal here (replaying the WAL makes
// it right), and must be padded or skipped, never an error.
import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

const block = 512;

export interface TarEntry {
  /** Path inside the archive, with forward slashes; folders end without a slash. */
  name: string;
  type: 'file' | 'directory';
  mode: number;
  size: number;
  mtime: Date;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(entry: TarEntry): Buffer {
  const buffer = Buffer.alloc(block);
  let name = entry.name + (entry.type === 'directory' ? '/' : '');
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', name.length - 2);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
    if (cut < 0 || Buffer.byteLength(name) > 100 || Buffer.byteLength(prefix) > 155)
      throw new Error(`path too long for the archive: ${entry.name}`);
  }
  buffer.write(name, 0, 100, 'utf8');
  buffer.write(octal(entry.mode & 0o7777, 8), 100, 'ascii');
  buffer.write(octal(0, 8), 108, 'ascii');
  buffer.write(octal(0, 8), 116, 'ascii');
  buffer.write(octal(entry.type === 'file' ? entry.size : 0, 12), 124, 'ascii');
  buffer.write(octal(Math.floor(entry.mtime.getTime() / 1000), 12), 136, 'ascii');
  buffer.write('        ', 148, 'ascii');
  buffer.write(entry.type === 'file' ? '0' : '5', 156, 'ascii');
  buffer.write('ustar\0', 257, 'ascii');
  buffer.write('00', 263, 'ascii');
  buffer.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of buffer) sum += byte;
  buffer.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return buffer;
}

async function write(out: Writable, chunk: Buffer): Promise<void> {
  if (out.destroyed) throw new Error('the archive stream was closed before it was written (a full disk?)');
  if (!out.write(chunk)) await drained(out);
}

/** Resolves at 'drain'; rejects when the stream errs or closes first (never waits forever). */
function drained(out: Writable): Promise<void> {
  return new Promise((ok, fail) => {
    const done = (error?: Error) => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      out.off('error', done);
      if (error) fail(error);
      else ok();
    };
    const onDrain = () => done();
    const onClose = () => done(new Error('the archive stream closed before it was written (a full disk?)'));
    out.on('drain', onDrain);
    out.on('close', onClose);
    out.on('error', done);
  });
}

export function createTarWriter(out: Writable) {
  let written = 0;
  const padding = (size: number) => (block - (size % block)) % block;
  return {
    /** Bytes of archive written so far (before compression). */
    get bytes() {
      return written;
    },
    async directory(name: string, mode = 0o700, mtime = new Date()) {
      await write(out, header({ name, type: 'directory', mode, size: 0, mtime }));
      written += block;
    },
    async buffer(name: string, data: Buffer, mode = 0o600, mtime = new Date()) {
      await write(out, header({ name, type: 'file', mode, size: data.length, mtime }));
      await write(out, data);
      const pad = padding(data.length);
      if (pad) await write(out, Buffer.alloc(pad));
      written += block + data.length + pad;
    },
    /**
     * A file as it is now, up to the size it had when opened: a file that shrinks while it is read is
     * padded with zeros, one that grows is cut there. Returns false when the file is gone.
     */
    async file(name: string, path: string): Promise<boolean> {
      const handle = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      });
      if (!handle) return false;
      try {
        const stats = await handle.stat();
        await write(
          out,
          header({ name, type: 'file', mode: stats.mode, size: stats.size, mtime: stats.mtime }),
        );
        let left = stats.size;
        while (left > 0) {
          const chunk = Buffer.allocUnsafe(Math.min(left, 1 << 20));
          const { bytesRead } = await handle.read(chunk, 0, chunk.length, stats.size - left);
          if (bytesRead === 0) {
            await write(out, Buffer.alloc(left));
            break;
          }
          await write(out, bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead));
          left -= bytesRead;
        }
        const pad = padding(stats.size);
        if (pad) await write(out, Buffer.alloc(pad));
        written += block + stats.size + pad;
        return true;
      } finally {
        await handle.close();
      }
    },
    async end() {
      await write(out, Buffer.alloc(block * 2));
      out.end();
      // Rejects when the stream is destroyed before it finishes, where 'finish' would never come.
      await finished(out);
    },
  };
}

function field(buffer: Buffer, start: number, length: number): string {
  const raw = buffer.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? length : end).toString('utf8');
}

/**
 * Reads an archive from its (decompressed) stream: `onEntry` is called for each entry and, for a file,
 * gives a sink for its content, called with each piece in order.
 */
export async function readTar(
  input: AsyncIterable<Buffer>,
  onEntry: (entry: TarEntry) => Promise<((piece: Buffer) => Promise<void>) | undefined>,
): Promise<number> {
  let pending: Buffer = Buffer.alloc(0);
  let sink: ((piece: Buffer) => Promise<void>) | undefined;
  let dataLeft = 0;
  let padLeft = 0;
  let entries = 0;
  let ended = false;
  for await (const chunk of input) {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (!ended) {
      if (dataLeft > 0) {
        if (pending.length === 0) break;
        const piece = pending.subarray(0, Math.min(dataLeft, pending.length));
        if (sink) await sink(piece);
        dataLeft -= piece.length;
        pending = pending.subarray(piece.length);
        continue;
      }
      if (padLeft > 0) {
        const skip = Math.min(padLeft, pending.length);
        padLeft -= skip;
        pending = pending.subarray(skip);
        if (padLeft > 0) break;
        continue;
      }
      if (pending.length < block) break;
      const head = pending.subarray(0, block);
      pending = pending.subarray(block);
      if (head.every((byte) => byte === 0)) {
        ended = true;
        break;
      }
      const name = [field(head, 345, 155), field(head, 0, 100)].filter(Boolean).join('/').replace(/\/$/, '');
      const typeflag = String.fromCharCode(head[156] ?? 48);
      const size = Number.parseInt(field(head, 124, 12).trim() || '0', 8);
      const entry: TarEntry = {
        name,
        type: typeflag === '5' ? 'directory' : 'file',
        mode: Number.parseInt(field(head, 100, 8).trim() || '600', 8),
        size: typeflag === '5' ? 0 : size,
        mtime: new Date(Number.parseInt(field(head, 136, 12).trim() || '0', 8) * 1000),
      };
      if (typeflag !== '0' && typeflag !== '\0' && typeflag !== '5')
        throw new Error(`the archive holds an entry of a kind a backup never has: ${name} (${typeflag})`);
      if (name.split('/').includes('..') || name.startsWith('/'))
        throw new Error(`the archive holds a path outside its folder: ${name}`);
      entries++;
      sink = await onEntry(entry);
      dataLeft = entry.size;
      padLeft = (block - (entry.size % block)) % block;
    }
  }
  if (!ended || dataLeft > 0) throw new Error('the archive is cut short (an incomplete copy?)');
  return entries;
}
