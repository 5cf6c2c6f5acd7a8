// A dedicated Mosquitto on a free port (a broker already running on the machine is never used), with
// the dynamic-security plugin initialised in a temporary folder, for the external-broker tests. The
// binaries are the ones globalSetup found (tests/helpers/services.ts).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { servicePaths, spawnOnFreePort } from './services.ts';

const run = promisify(execFile);

export interface TestMosquitto {
  url: string;
  port: number;
  admin: { username: string; password: string };
  ingest: { username: string; password: string };
  /** The environment that points an IOC instance at this broker. */
  env(instanceId: string): Record<string, string>;
  stop(): Promise<void>;
}

export async function startMosquitto(): Promise<TestMosquitto> {
  const paths = await servicePaths();
  const dir = await mkdtemp(join(tmpdir(), 'ioc-mosquitto-'));
  const admin = { username: 'dynsec-admin', password: randomBytes(12).toString('hex') };
  const ingest = { username: 'ioc-ingest', password: randomBytes(12).toString('hex') };
  const dynsecFile = join(dir, 'dynamic-security.json');
  await run(paths.mosquittoCtrl, ['dynsec', 'init', dynsecFile, admin.username, admin.password]);
  const config = join(dir, 'mosquitto.conf');
  const broker = await spawnOnFreePort('mosquitto', paths.mosquitto, async (port) => {
    await writeFile(
      config,
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
        `plugin ${paths.dynsecPlugin}`,
        `plugin_opt_config_file ${dynsecFile}`,
        '',
      ].join('\n'),
    );
    return ['-c', config];
  }).catch(async (error) => {
    await rm(dir, { recursive: true, force: true });
    throw error;
  });
  const { port } = broker;
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
      await broker.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
