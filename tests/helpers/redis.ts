// A dedicated Redis on a free port (a Redis already running on the machine is never used), for the
// tests of several instances. It keeps nothing on disk: its folder is temporary and removed after.
// `outage()` stops it and `restart()` brings it back on the same port, empty, as an operator
// restarting a Redis without persistence would.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ListeningProcess, servicePaths, spawnOnFreePort } from './services.ts';

export interface TestRedis {
  url: string;
  port: number;
  /** Stops the server; the port stays this Redis's (restart() takes it again). */
  outage(): Promise<void>;
  /** Starts the server again on its port, resolving once it accepts connections. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const args = (port: number, dir: string) => [
  ...['--port', String(port), '--bind', '127.0.0.1'],
  ...['--dir', dir, '--save', '', '--appendonly', 'no'],
  ...['--daemonize', 'no', '--loglevel', 'warning'],
];

const accepting = (port: number) =>
  new Promise<boolean>((ok) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      ok(true);
    });
    socket.once('error', () => {
      socket.destroy();
      ok(false);
    });
  });

export async function startRedis(): Promise<TestRedis> {
  const paths = await servicePaths();
  const dir = await mkdtemp(join(tmpdir(), 'ioc-redis-'));
  try {
    const first = await spawnOnFreePort('redis-server', paths.redisServer, (port) => args(port, dir));
    const port = first.port;
    let server: Pick<ListeningProcess, 'stop'> | undefined = first;
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      async outage() {
        await server?.stop();
        server = undefined;
      },
      async restart() {
        if (server) return;
        const child = spawn(paths.redisServer, args(port, dir), { stdio: 'ignore' });
        const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
        server = {
          async stop() {
            if (child.exitCode !== null || child.signalCode !== null) return;
            child.kill('SIGTERM');
            await exited;
          },
        };
        const deadline = Date.now() + 10_000;
        while (!(await accepting(port))) {
          if (child.exitCode !== null || Date.now() > deadline)
            throw new Error(`redis-server did not start again on port ${port}`);
          await new Promise((ok) => setTimeout(ok, 25));
        }
      },
      async stop() {
        await server?.stop();
        server = undefined;
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
