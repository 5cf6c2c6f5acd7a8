// The IOC an attack script measures: `npm start` of a checkout (this repository, or a worktree of an
// earlier commit for the "before" figure) as a production instance in a process of its own, so its
// memory and answers are the server's alone.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { heapFlags } from '../heapFlags.ts';

export const attackAdminPassword = 'attack-measure-password-2026';

export interface Target {
  child: ChildProcess;
  /** http://127.0.0.1:<port> */
  http: string;
  /** mqtt://127.0.0.1:<port> */
  mqtt: string;
  httpPort: number;
}

/** Starts src/main.ts of `appDir` in production mode on free loopback ports; `env` adds to it. */
export function startProductionIoc(
  appDir: string,
  dataDir: string,
  env: Record<string, string> = {},
): Promise<Target> {
  // The heap flags npm start runs with, so memory is measured as in production.
  const child = spawn(process.execPath, [...heapFlags, '--import', 'tsx', 'src/main.ts'], {
    cwd: appDir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      NODE_ENV: 'production',
      JWT_SECRET: randomBytes(48).toString('base64'),
      MQTT_ALLOW_PLAINTEXT: 'true',
      // Production serves /metrics on a port of its own, which another instance may hold: off here.
      METRICS_LISTEN: 'off',
      DATA_DIR: dataDir,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: '0',
      ADMIN_PASSWORD: attackAdminPassword,
      LOG_LEVEL: 'error',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((ok, fail) => {
    const read = (d: Buffer) => {
      output += d;
      const match = output.match(/IOC: http:\/\/localhost:(\d+)\/.*MQTT: mqtt:\/\/localhost:(\d+)/);
      if (match)
        ok({
          child,
          http: `http://127.0.0.1:${match[1]}`,
          mqtt: `mqtt://127.0.0.1:${match[2]}`,
          httpPort: Number(match[1]),
        });
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code) => fail(new Error(`the IOC exited (${code}) before it was ready:\n${output}`)));
  });
}

/** A process's resident memory in bytes, from /proc. */
export const rssOf = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
export const mib = (bytes: number) => Math.round(bytes / 1_048_576);
export const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
