// `npm test` is the one command CI runs, so the static checks ride along with it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

describe('static checks', () => {
  it('type-checks in strict mode (npm run typecheck)', async () => {
    const result = await run('node_modules/.bin/tsc', ['--noEmit', '-p', 'tsconfig.json'], {
      cwd: root,
    }).catch((e) => e);
    expect(result.stdout ?? '').toBe('');
  });

  it('passes the linter and formatter (npm run lint)', async () => {
    const result = await run('node_modules/.bin/biome', ['check', '.'], { cwd: root }).catch((e) => e);
    expect(result.code ?? 0, `${result.stdout}${result.stderr}`).toBe(0);
  });
});
