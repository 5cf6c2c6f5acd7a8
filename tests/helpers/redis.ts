// A dedicated Redis on a free port (a Redis already running on the machine is never used), for the
// tests of several instances. It keeps nothing on disk: its folder is temporary and removed after.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { servicePaths, spawnOnFreePort } from './services.ts';

export interface TestRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const paths = await servicePaths();
  const dir = await mkdtemp(join(tmpdir(), 'ioc-redis-'));
  try {
    const server = await spawnOnFreePort('redis-server', paths.redisServer, (port) => [
      ...['--port', String(port), '--bind', '127.0.0.1'],
      ...['--dir', dir, '--save', '', '--appendonly', 'no'],
      ...['--daemonize', 'no', '--loglevel', 'warning'],
    ]);
    return {
      url: `redis://127.0.0.1:${server.port}`,
      port: server.port,
      async stop() {
        await server.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
