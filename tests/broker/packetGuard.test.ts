// The packet-size guard reads fixed headers as the broker reads a connection: packets split across
// reads in any place are followed, and one announcing too much cuts the connection before its body.
// The guard watches the connection's read(), which is how the pinned aedes consumes it; the tests on
// a real aedes below fail when a new version reads it another way (docs/decisions/0019-library-internals.md).
// The end-to-end case (a real client announcing 200 MB to the IOC) is in transports.test.ts.
import { readFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remainingLength } from '../../bench/load/mqttWire.ts';
import { guardPacketSize, PacketHeaderScanner } from '../../src/broker/packetGuard.ts';
import { listen } from '../../src/net.ts';
import { eventually } from '../helpers/mqtt.ts';

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

describe('guardPacketSize on a real aedes', () => {
  const limit = 100_000;
  let broker: Aedes;
  let server: Server;
  let port: number;
  // Per connection: the socket, the bytes its read() handed out, and what the guard cut for.
  const connections: Array<{ socket: Socket; readBytes: number; announced: number[] }> = [];

  beforeAll(async () => {
    broker = await Aedes.createBroker();
    server = createServer((socket) => {
      const connection = { socket, readBytes: 0, announced: [] as number[] };
      connections.push(connection);
      // Counts what read() hands out, beneath the guard: whatever reaches aedes without it is missed.
      const read = socket.read;
      socket.read = function countedRead(this: Socket, size?: number) {
        const chunk = read.call(this, size) as Buffer | null;
        if (chunk) connection.readBytes += chunk.length;
        return chunk;
      };
      broker.handle(guardPacketSize(socket, limit, (n) => connection.announced.push(n)));
    });
    port = await listen(server, 0, '127.0.0.1', 'test');
  });
  afterAll(async () => {
    await new Promise<void>((ok) => broker.close(() => ok()));
    await new Promise<void>((ok) => server.close(() => ok()));
  });

  it('runs on the exact aedes version whose reading it watches', async () => {
    const root = new URL('../../', import.meta.url);
    const ours = JSON.parse(await readFile(new URL('package.json', root), 'utf8'));
    const installed = JSON.parse(await readFile(new URL('node_modules/aedes/package.json', root), 'utf8'));
    expect(ours.dependencies.aedes).toMatch(/^\d+\.\d+\.\d+$/);
    expect(installed.version).toBe(ours.dependencies.aedes);
  });

  it('sees every byte aedes takes from a connection, and cuts one announcing too much before its body', async () => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
      clientId: 'guarded',
      reconnectPeriod: 0,
    });
    const connection = connections.at(-1)!;
    try {
      for (let i = 0; i < 20; i++) {
        await client.publishAsync('guarded/readings', Buffer.alloc(1_000 + i * 3_000, 0x41), { qos: 1 });
      }
      // Every publish was acknowledged, so aedes parsed all of it: all of it passed through read().
      expect(
        await eventually(
          async () => connection.readBytes,
          (n) => n === connection.socket.bytesRead,
        ),
      ).toBe(connection.socket.bytesRead);
      const closed = new Promise<void>((ok) => client.once('close', () => ok()));
      client.stream.write(Buffer.from([0x30, ...remainingLength(limit + 1)]));
      await closed;
      expect(connection.announced).toEqual([limit + 1]);
      expect(connection.socket.destroyed).toBe(true);
    } finally {
      client.end(true);
    }
  });
});
