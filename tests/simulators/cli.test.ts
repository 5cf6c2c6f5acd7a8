// The two command-line tools a newcomer runs, as processes: fleet:load writes the credentials file
// from a running IOC, and simulate publishes with it.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listScenarios } from '../../simulators/scenario.ts';
import { startTestApp, type TestApp, testAdminPassword } from '../helpers/app.ts';
import { eventually } from '../helpers/mqtt.ts';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
let app: TestApp;
let dir: string;
const tsx = (script: string, args: string[]) =>
  run(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '' },
    timeout: 60_000,
  });

beforeAll(async () => {
  app = await startTestApp();
  dir = await mkdtemp(join(tmpdir(), 'ioc-cli-'));
});
afterAll(async () => {
  await app.close();
  await rm(dir, { recursive: true, force: true });
});

describe('npm run fleet:load and npm run simulate', () => {
  const file = () => join(dir, 'fleet-credentials.json');

  it('fleet:load registers a city and writes a private credentials file', { timeout: 60_000 }, async () => {
    const { stdout } = await tsx('src/cli/load-fleet.ts', [
      '--url',
      app.baseUrl,
      '--mqtt-url',
      app.mqttUrl,
      '--password',
      testAdminPassword,
      '--city',
      'tay-ninh',
      '--out',
      file(),
    ]);
    const expected = app.catalog.fleets.get('tay-ninh')!.devices.length;
    expect(stdout).toContain(`tay-ninh: ${expected} devices registered, 0 secrets rotated`);
    const credentials = JSON.parse(await readFile(file(), 'utf8'));
    expect(credentials.mqttUrl).toBe(app.mqttUrl);
    expect(credentials.devices).toHaveLength(expected);
    expect((await stat(file())).mode & 0o777).toBe(0o600);
  });

  it('fleet:load says what to do when the password is wrong', async () => {
    const failure = await tsx('src/cli/load-fleet.ts', [
      '--url',
      app.baseUrl,
      '--password',
      'wrong',
      '--out',
      file(),
    ]).catch((e) => e);
    expect(failure.code).toBe(1);
    expect(failure.stderr).toMatch(/login refused \(401\)/);
  });

  it('simulate publishes with those credentials and stops cleanly after --duration', {
    timeout: 60_000,
  }, async () => {
    const { stdout } = await tsx('simulators/cli.ts', [
      '--credentials',
      file(),
      '--kind',
      'noise',
      '--devices',
      '5',
      '--duration',
      '2',
    ]);
    expect(stdout).toMatch(/simulating 5 devices/);
    expect(stdout).toMatch(/stopped after \d+ s: \d+ published, \d+ acknowledged, 0 errors/);
    const stored = await eventually(
      async () =>
        (
          await app.pool.query(
            "SELECT count(DISTINCT device_id)::int AS n FROM telemetry WHERE metric = 'laeq_db'",
          )
        ).rows[0].n,
      (n) => n === 5,
    );
    expect(stored).toBe(5);
  });

  it('simulate --help explains its options', async () => {
    const { stdout } = await tsx('simulators/cli.ts', ['--help']);
    for (const option of [
      '--credentials',
      '--rate',
      '--qos',
      '--duration',
      '--seed',
      '--speed',
      '--generate',
      '--scenario',
      '--drop',
    ])
      expect(stdout).toContain(option);
  });

  it('simulate --list-scenarios names every scenario with what the IOC should show', async () => {
    const { stdout } = await tsx('simulators/cli.ts', ['--list-scenarios']);
    for (const name of listScenarios()) expect(stdout).toContain(name);
    expect(stdout).toContain('Cháy nhà cổ trên phố Nguyễn Thái Học');
  });
});
