// The local durable journal: where accepted writes go while PostgreSQL is down or slow, so devices are
// acknowledged without the database (docs/decisions/0008-journal.md). Append-only segment files in
// DATA_DIR/journal, each record framed as [length u32][crc32 u32][bytes]; appends are group-committed
// (one write and one fdatasync for everything that arrived during the previous sync) and an append
// resolves only once its record is on disk. Segments are deleted only after the caller says their
// records are stored. Bounded by maxBytes: beyond it, appends wait (back-pressure).
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { Fifo } from './fifo.ts';

const headerBytes = 8;
/** Larger than any record can be: a length beyond it is garbage (a torn write), not a record. */
const maxRecordBytes = 64 * 1_048_576;
const readChunkBytes = 1_048_576;

interface Segment {
  id: number;
  path: string;
  /** Bytes on disk that are whole, checked records (synced for the active segment). */
  size: number;
}

/** A position in the journal: records before it have been read. */
export interface JournalCursor {
  segment: number;
  offset: number;
}

export interface JournalStats {
  bytes: number;
  segments: number;
  full: boolean;
}

export interface Journal {
  /** Finds the segments left by an earlier run; a torn tail (a crash mid-write) is cut off. */
  open(): Promise<{ records: number; bytes: number; discardedBytes: number }>;
  /** Resolves once the record is synced to disk; waits while the journal is full. */
  append(record: Buffer): Promise<void>;
  /** Whether an append would wait now (the journal is at its size limit). */
  full(): boolean;
  /** No record on disk or waiting to be written. */
  empty(): boolean;
  stats(): JournalStats;
  /** The next synced records after the cursor, in append order (none when caught up). */
  read(cursor: JournalCursor, maxRecords: number): Promise<{ records: Buffer[]; next: JournalCursor }>;
  /** The start of the journal. */
  head(): JournalCursor;
  /** Records before the cursor are stored: deletes the segments that hold nothing else. */
  release(cursor: JournalCursor): Promise<void>;
  /** Resolves at the next sync (or at once if nothing is waiting to be written). */
  synced(): Promise<void>;
  close(): Promise<void>;
}

export function frame(record: Buffer): Buffer {
  const out = Buffer.allocUnsafe(headerBytes + record.length);
  out.writeUInt32LE(record.length, 0);
  out.writeUInt32LE(crc32(record), 4);
  record.copy(out, headerBytes);
  return out;
}

/** Whole, checked records at the start of buf: their payloads and how many bytes they took. */
export function unframe(buf: Buffer, maxRecords = Number.POSITIVE_INFINITY) {
  const records: Buffer[] = [];
  let offset = 0;
  let corrupt = false;
  while (records.length < maxRecords && buf.length - offset >= headerBytes) {
    const length = buf.readUInt32LE(offset);
    if (length > maxRecordBytes) {
      corrupt = true;
      break;
    }
    if (buf.length - offset - headerBytes < length) break;
    const record = buf.subarray(offset + headerBytes, offset + headerBytes + length);
    if (crc32(record) !== buf.readUInt32LE(offset + 4)) {
      corrupt = true;
      break;
    }
    records.push(record);
    offset += headerBytes + length;
  }
  /** needs: bytes of the first incomplete record, when its header is readable. */
  const needs =
    !corrupt && buf.length - offset >= headerBytes ? headerBytes + buf.readUInt32LE(offset) : undefined;
  return { records, bytes: offset, corrupt, needs };
}

const segmentName = (id: number) => `${String(id).padStart(12, '0')}.seg`;

function syncDirectory(dir: string) {
  // A new or deleted file is durable only once its directory entry is.
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function createJournal(options: {
  dir: string;
  maxBytes: number;
  /** A segment is closed and a new one started once it holds this much. */
  segmentBytes?: number;
  onFull?: (bytes: number) => void;
}): Journal {
  const { dir, maxBytes } = options;
  const segmentBytes = options.segmentBytes ?? Math.max(65_536, Math.min(64 * 1_048_576, maxBytes / 8));
  const segments: Segment[] = [];
  let active: { segment: Segment; handle: FileHandle } | undefined;
  let nextId = 1;
  let diskBytes = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let pendingWaiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  let committing = false;
  let closed = false;
  // Appends waiting for room, in order; they enter `pending` as released records make room.
  const roomWaiters = new Fifo<{ framed: Buffer; resolve: () => void; reject: (error: Error) => void }>();
  const syncWaiters = new Fifo<() => void>();

  // Bytes of the commit being written: still counted against maxBytes until they are on disk.
  let writingBytes = 0;
  const totalBytes = () => diskBytes + writingBytes + pendingBytes;

  async function openSegment(): Promise<void> {
    const segment: Segment = { id: nextId++, path: '', size: 0 };
    segment.path = join(dir, segmentName(segment.id));
    const handle = await open(segment.path, 'wx');
    syncDirectory(dir);
    segments.push(segment);
    active = { segment, handle };
  }

  async function commit(): Promise<void> {
    if (committing || closed) return;
    committing = true;
    try {
      while (pending.length > 0) {
        const buffers = pending;
        const waiters = pendingWaiters;
        writingBytes = pendingBytes;
        pending = [];
        pendingBytes = 0;
        pendingWaiters = [];
        try {
          // Runs of buffers, each into one segment: a segment ends once it holds segmentBytes.
          let start = 0;
          while (start < buffers.length) {
            if (active && active.segment.size >= segmentBytes) {
              const full = active;
              active = undefined;
              await full.handle.close();
            }
            if (!active) await openSegment();
            const { segment, handle } = active!;
            let end = start;
            let runBytes = 0;
            while (end < buffers.length && (end === start || segment.size + runBytes < segmentBytes)) {
              runBytes += buffers[end]!.length;
              end++;
            }
            await handle.writev(buffers.slice(start, end), segment.size);
            await handle.datasync();
            segment.size += runBytes;
            diskBytes += runBytes;
            writingBytes -= runBytes;
            start = end;
          }
          for (const waiter of waiters) waiter.resolve();
        } catch (error) {
          // The disk refused (full, gone): these records are not durable, so they are not acknowledged.
          // The segment may hold part of them; a new one starts, and open() cuts such a tail off.
          writingBytes = 0;
          const broken = active;
          active = undefined;
          await broken?.handle.close().catch(() => {});
          for (const waiter of waiters) waiter.reject(error as Error);
        }
      }
    } finally {
      committing = false;
      for (const wake of syncWaiters.takeAll()) wake();
    }
  }

  function schedule() {
    if (!committing) setImmediate(() => void commit());
  }

  function wakeRoom() {
    let moved = false;
    while (roomWaiters.length > 0 && totalBytes() + roomWaiters.peek()!.framed.length <= maxBytes) {
      const { framed, resolve, reject } = roomWaiters.shift()!;
      pending.push(framed);
      pendingBytes += framed.length;
      pendingWaiters.push({ resolve, reject });
      moved = true;
    }
    if (moved) schedule();
  }

  async function readSegmentRange(segment: Segment, offset: number, length: number): Promise<Buffer> {
    // A handle of its own: the writing one may be closed by a rotation meanwhile.
    const handle = await open(segment.path, 'r');
    try {
      const buf = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  return {
    async open() {
      await mkdir(dir, { recursive: true });
      const names = (await readdir(dir)).filter((n) => /^\d{12}\.seg$/.test(n)).sort();
      let records = 0;
      let discardedBytes = 0;
      for (const name of names) {
        const id = Number(name.slice(0, 12));
        const path = join(dir, name);
        const size = (await stat(path)).size;
        const segment: Segment = { id, path, size: 0 };
        // Walk the frames; the first bad one (torn write, garbage) ends the segment.
        let offset = 0;
        let bad = false;
        while (offset < size && !bad) {
          const buf = await readSegmentRange(segment, offset, Math.min(readChunkBytes, size - offset));
          const parsed = unframe(buf);
          records += parsed.records.length;
          offset += parsed.bytes;
          if (parsed.corrupt) bad = true;
          else if (parsed.bytes === 0) {
            // One record larger than the chunk: read it whole.
            if (parsed.needs !== undefined && offset + parsed.needs <= size) {
              const whole = unframe(await readSegmentRange(segment, offset, parsed.needs));
              if (whole.records.length === 1) {
                records++;
                offset += whole.bytes;
                continue;
              }
            }
            bad = true;
          }
        }
        if (offset < size) {
          discardedBytes += size - offset;
          const handle = await open(path, 'r+');
          await handle.truncate(offset);
          await handle.datasync();
          await handle.close();
        }
        if (offset === 0) {
          await rm(path, { force: true });
          continue;
        }
        segment.size = offset;
        segments.push(segment);
        diskBytes += offset;
        nextId = Math.max(nextId, id + 1);
      }
      // New records always go to a new segment, after everything an earlier run left.
      return { records, bytes: diskBytes, discardedBytes };
    },

    append(record) {
      if (closed) return Promise.reject(new Error('journal closed'));
      const framed = frame(record);
      return new Promise<void>((resolve, reject) => {
        // In order: nothing overtakes an append already waiting for room.
        if (roomWaiters.length === 0 && totalBytes() + framed.length <= maxBytes) {
          pending.push(framed);
          pendingBytes += framed.length;
          pendingWaiters.push({ resolve, reject });
          schedule();
          return;
        }
        options.onFull?.(totalBytes());
        roomWaiters.push({ framed, resolve, reject });
      });
    },

    full: () => totalBytes() >= maxBytes || roomWaiters.length > 0,
    empty: () => diskBytes === 0 && writingBytes === 0 && pendingBytes === 0 && !committing,
    stats: () => ({ bytes: totalBytes(), segments: segments.length, full: roomWaiters.length > 0 }),
    head: () => ({ segment: segments[0]?.id ?? nextId, offset: 0 }),

    async read(cursor, maxRecords) {
      const records: Buffer[] = [];
      let { segment: id, offset } = cursor;
      for (const segment of segments) {
        if (segment.id < id) continue;
        if (segment.id > id) {
          id = segment.id;
          offset = 0;
        }
        while (offset < segment.size && records.length < maxRecords) {
          let length = Math.min(readChunkBytes, segment.size - offset);
          let parsed = unframe(await readSegmentRange(segment, offset, length), maxRecords - records.length);
          if (parsed.records.length === 0 && parsed.needs !== undefined) {
            length = parsed.needs;
            parsed = unframe(await readSegmentRange(segment, offset, length), 1);
          }
          if (parsed.records.length === 0) {
            throw new Error(`journal segment ${segment.path} is unreadable at byte ${offset}`);
          }
          records.push(...parsed.records);
          offset += parsed.bytes;
        }
        if (records.length >= maxRecords) break;
      }
      return { records, next: { segment: id, offset } };
    },

    async release(cursor) {
      let freed = false;
      while (segments.length > 0) {
        const segment = segments[0]!;
        const consumed =
          segment.id < cursor.segment || (segment.id === cursor.segment && cursor.offset >= segment.size);
        if (!consumed) break;
        const isActive = active?.segment === segment;
        // The active segment goes only when nothing more is on its way into it.
        if (isActive && (committing || pending.length > 0)) break;
        if (isActive) {
          const closing = active!;
          active = undefined;
          await closing.handle.close();
        }
        segments.shift();
        diskBytes -= segment.size;
        await rm(segment.path, { force: true });
        freed = true;
      }
      if (freed) {
        syncDirectory(dir);
        wakeRoom();
      }
    },

    synced() {
      if (!committing && pending.length === 0) return Promise.resolve();
      return new Promise<void>((ok) => syncWaiters.push(ok));
    },

    async close() {
      while (committing || pending.length > 0) {
        if (!committing) await commit();
        else await new Promise<void>((ok) => syncWaiters.push(ok));
      }
      closed = true;
      for (const waiter of roomWaiters.takeAll()) waiter.reject(new Error('journal closed'));
      if (active) await active.handle.close();
      active = undefined;
    },
  };
}
