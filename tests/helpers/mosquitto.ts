// A dedicated Mosquitto (the machine's own listens on 1883: never touched) on a free port, with the
// dynamic-security plugin initialised in a temporary folder, for the external-broker tests.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const mosquittoBinary = '/usr/sbin/mosquitto';
export const dynsecPlugin = '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so';

export interface TestMosquitto {
  url: string;
  port: number;
  admin: { username: string; password: string };
  ingest: { username: string; password: string };
  /** The environment that points an IOC instance at this broker. */
  env(instanceId: string): Record<string, string>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  await new Promise((ok) => server.close(ok));
  return port;
}

export async function startMosquitto(): Promise<TestMosquitto> {
  const dir = await mkdtemp(join(tmpdir(), 'ioc-mosquitto-'));
  const admin = { username: 'dynsec-admin', password: randomBytes(12).toString('hex') };
  const ingest = { username: 'ioc-ingest', password: randomBytes(12).toString('hex') };
  const dynsecFile = join(dir, 'dynamic-security.json');
  await run('mosquitto_ctrl', ['dynsec', 'init', dynsecFile, admin.username, admin.password]);
  let child: ChildProcess | undefined;
  let port = 0;
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort();
    await writeFile(
      join(dir, 'mosquitto.conf'),
      [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous false',
        'user root',
        'persistence false',
        // Readings queued for an instance that is away (its persistent session) are kept, not dropped.
        'max_queued_messages 1000000',
        'max_inflight_messages 0',
        'log_dest stderr',
        'log_type error',
        'log_type warning',
        `plugin ${dynsecPlugin}`,
        `plugin_opt_config_file ${dynsecFile}`,
        '',
      ].join('\n'),
    );
    const candidate = spawn(mosquittoBinary, ['-c', join(dir, 'mosquitto.conf')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    candidate.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    const up = await new Promise<boolean>((ok) => {
      candidate.once('exit', () => ok(false));
      const poll = setInterval(async () => {
        const socket = await import('node:net').then((net) => net.connect(port, '127.0.0.1'));
        socket.once('connect', () => {
          socket.destroy();
          clearInterval(poll);
          ok(true);
        });
        socket.once('error', () => socket.destroy());
      }, 50);
      setTimeout(() => {
        clearInterval(poll);
        ok(false);
      }, 5_000);
    });
    if (up) child = candidate;
    else {
      candidate.kill('SIGKILL');
      if (attempt === 4) throw new Error(`mosquitto did not start: ${stderr}`);
    }
  }
  const url = `mqtt://127.0.0.1:${port}`;
  return {
    url,
    port,
    admin,
    ingest,
    env: (instanceId) => ({
      MQTT_URL: url,
      MQTT_INGEST_USERNAME: ingest.username,
      MQTT_INGEST_PASSWORD: ingest.password,
      MQTT_DYNSEC_ADMIN_USERNAME: admin.username,
      MQTT_DYNSEC_ADMIN_PASSWORD: admin.password,
      INSTANCE_ID: instanceId,
    }),
    async stop() {
      if (child && child.exitCode === null) {
        const exited = new Promise((ok) => child!.once('exit', ok));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
