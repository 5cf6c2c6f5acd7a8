// Every tool among the npm scripts explains itself: `--help` prints its usage (a Vietnamese title,
// each option with its default, an example) and exits 0 before doing any work, and a mistyped option
// is one line pointing at --help and exit 2. Each tool runs as `npm run <script>` would run it
// (the command line read from package.json), with a DATA_DIR that must stay empty and a DATABASE_URL
// that nothing listens on, so a tool that started working would show.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const packageScripts: Record<string, string> = JSON.parse(
  await readFile(join(root, 'package.json'), 'utf8'),
).scripts;

/** One row per tool: the npm script and the options its usage must describe, each with its default. */
const tools: Array<{ script: string; options: string[] }> = [
  {
    script: 'fleet:load',
    options: ['--city', '--rotate-existing', '--url', '--mqtt-url', '--user', '--password', '--out'],
  },
  {
    script: 'simulate',
    options: [
      ...['--credentials', '--mqtt-url', '--city', '--kind', '--devices', '--generate', '--url', '--user'],
      ...['--password', '--rate', '--qos', '--seed', '--speed', '--drop', '--link-drops', '--connect-rate'],
      ...['--duration', '--scenario', '--end-now'],
    ],
  },
  {
    script: 'bench',
    options: [
      ...['--smoke', '--seconds', '--ramp-seconds', '--ceiling-seconds', '--devices', '--qos', '--steps'],
      ...['--rate', '--consoles', '--out', '--profile', '--heap-profile', '--env'],
    ],
  },
  { script: 'measure:ingest', options: ['--steps', '--devices', '--seconds', '--consoles'] },
  { script: 'bench:feeds', options: ['--devices', '--days', '--runs', '--keep'] },
  { script: 'soak', options: ['--minutes', '--devices', '--rate', '--sample-s', '--out'] },
  { script: 'measure:cold-start', options: ['--help'] },
  { script: 'measure:alert-latency', options: ['--background', '--devices', '--trials'] },
  { script: 'measure:console', options: ['--devices', '--background', '--seconds'] },
  { script: 'measure:db-cost', options: ['--devices', '--per-fold', '--rounds'] },
  { script: 'measure:simulator', options: ['--devices', '--hold', '--connect-rate', '--against'] },
  { script: 'measure:scaleout', options: ['--devices', '--per-device', '--window'] },
  { script: 'backup', options: ['--out', '--pg-bin'] },
  { script: 'measure:backup', options: ['--city', '--days', '--keep'] },
  { script: 'restore', options: ['--clean', '--pg-bin'] },
  { script: 'measure:flood', options: ['--seconds', '--neighbours'] },
  { script: 'measure:chart', options: ['--days', '--runs'] },
  { script: 'contract', options: ['--help'] },
  { script: 'openapi', options: ['--help'] },
];
/** npm scripts that run the IOC itself rather than a tool around it. */
const servers = new Set(['start', 'demo']);
/** Tools whose help (one per subcommand) is checked beside their behaviour: tests/auth/admin.test.ts. */
const helpTestedElsewhere = new Set(['admin']);

/** `npm run <script>`'s TypeScript file and the arguments package.json gives it. */
function commandOf(script: string): { file: string; args: string[] } {
  const words = packageScripts[script]?.split(/\s+/) ?? [];
  const at = words.findIndex((w) => w.endsWith('.ts'));
  if (at < 0) throw new Error(`npm run ${script} runs no TypeScript file: ${packageScripts[script]}`);
  return { file: words[at]!, args: words.slice(at + 1) };
}

// Each tsx start costs about a second of CPU: a few at a time, not all at once on a shared machine.
const limit = (() => {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async <T>(work: () => Promise<T>): Promise<T> => {
    if (running >= 3) await new Promise<void>((ok) => waiting.push(ok));
    running++;
    try {
      return await work();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
})();

/** What the usage text says of `option`: its line and the deeper-indented lines under it. */
function description(usage: string, option: string): string | undefined {
  const lines = usage.split('\n');
  const at = lines.findIndex((line) => new RegExp(`^\\s+(-\\w, )?${option}(?=[\\s<]|$)`).test(line));
  if (at < 0) return undefined;
  let end = at + 1;
  while (end < lines.length && /^\s{4,}[^\s-]/.test(lines[end]!)) end++;
  return lines.slice(at, end).join('\n');
}

/** Runs the tool with a DATA_DIR of its own and reports what that folder holds afterwards. */
function run(script: string, extra: string[]) {
  const { file, args } = commandOf(script);
  return limit(async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ioc-help-'));
    const started = Date.now();
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((ok) =>
      execFile(
        process.execPath,
        ['--import', 'tsx', file, ...args, ...extra],
        {
          cwd: root,
          env: {
            PATH: process.env.PATH ?? '',
            DATA_DIR: dataDir,
            DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
          },
          timeout: 60_000,
        },
        (error, stdout, stderr) =>
          ok({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
      ),
    );
    const ms = Date.now() - started;
    const leftInDataDir = await readdir(dataDir);
    await rm(dataDir, { recursive: true, force: true });
    return { ...result, ms, leftInDataDir };
  });
}

describe('every tool answers --help and refuses unknown options', () => {
  it('the table covers every npm script that runs a tool', () => {
    const listed = new Set(tools.map((t) => t.script));
    const uncovered = Object.entries(packageScripts)
      .filter(([, command]) => /\.ts\b/.test(command))
      .map(([name]) => name)
      .filter((name) => !listed.has(name) && !servers.has(name) && !helpTestedElsewhere.has(name));
    expect(uncovered).toEqual([]);
  });

  it.concurrent.for(tools)(
    'npm run $script -- --help',
    { timeout: 120_000 },
    async ({ script, options }, { expect }) => {
      const result = await run(script, ['--help']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const [title] = result.stdout.split('\n');
      // Vietnamese first, English beside it.
      expect(title).toMatch(/[à-ỹđĐ].* \/ [A-Z]/);
      expect(result.stdout).toMatch(/^Usage: /m);
      expect(result.stdout).toMatch(/^Examples?$/m);
      expect(result.stdout).toContain('-h, --help');
      for (const option of options) {
        const said = description(result.stdout, option);
        expect(said, `${option} is described`).toBeDefined();
        if (option !== '--help') expect(said, `${option} says its default`).toContain('default');
      }
      // Nothing was started: the DATA_DIR a database or a credentials file would go to stays empty.
      expect(result.leftInDataDir).toEqual([]);
      expect(result.ms).toBeLessThan(30_000);
    },
  );

  it.concurrent.for(tools)(
    'npm run $script -- --no-such-option',
    { timeout: 120_000 },
    async ({ script }, { expect }) => {
      const result = await run(script, ['--no-such-option']);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain("'--no-such-option'");
      expect(lines[0]).toContain('--help');
    },
  );

  it.concurrent('-h is --help', { timeout: 120_000 }, async ({ expect }) => {
    const result = await run('fleet:load', ['-h']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: npm run fleet:load/m);
  });
});
