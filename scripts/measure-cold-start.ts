// npm run measure:cold-start: how long `npm start` takes to be ready on embedded defaults, from an
// empty DATA_DIR (first start: initdb + migrations) and again on the same DATA_DIR (a restart).
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCommandLine } from '../src/cli/commandLine.ts';

const help = `Đo thời gian khởi động / Cold start: how long npm start takes to be ready

Usage: npm run measure:cold-start

Starts the IOC on embedded defaults twice: from an empty DATA_DIR (first start: initdb and
migrations), then again on the same DATA_DIR (a restart), on free ports. Prints both times as JSON
(firstStartMs, restartMs). The temporary DATA_DIR is removed at the end.

Options
  -h, --help   this text (the measurement has no options)

Example
  npm run measure:cold-start
`;

parseCommandLine('measure:cold-start', help, { options: {} });

const root = new URL('../', import.meta.url).pathname;

async function timeStart(dataDir: string): Promise<number> {
  const started = Date.now();
  const child = spawn('npm', ['start', '--silent'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      DATA_DIR: dataDir,
      HTTP_PORT: '0',
      MQTT_PORT: '0',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  await new Promise<void>((ok, fail) => {
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
      if (output.includes('IOC: http://')) ok();
    });
    child.once('exit', (code) => fail(new Error(`exited ${code} before ready`)));
  });
  const elapsed = Date.now() - started;
  process.kill(-child.pid!, 'SIGTERM');
  await new Promise((ok) => child.once('exit', ok));
  return elapsed;
}

const dataDir = await mkdtemp(join(tmpdir(), 'ioc-cold-'));
const first = await timeStart(dataDir);
const second = await timeStart(dataDir);
console.log(JSON.stringify({ firstStartMs: first, restartMs: second }, null, 2));
await rm(dataDir, { recursive: true, force: true });
