// `npm test` is the one command CI runs, so the static checks ride along with it. A tool that cannot
// be run at all (not installed, not executable) fails the check by name: a missing checker must not
// read as a clean result.
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;

interface ToolRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** Runs a tool of node_modules/.bin; rejects, naming the tool, when it could not be started. */
function runTool(tool: string, args: string[]): Promise<ToolRun> {
  return new Promise((done, fail) => {
    execFile(
      `node_modules/.bin/${tool}`,
      args,
      { cwd: root, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const output = `${stdout}${stderr}`;
        if (!error) return done({ exitCode: 0, signal: null, output });
        // A string code (ENOENT, EACCES, ERR_CHILD_PROCESS_STDIO_MAXBUFFER) means it never ran to the end.
        if (typeof error.code === 'string') {
          return fail(new Error(`${tool} could not be run (${error.code}): ${error.message}`));
        }
        done({ exitCode: error.code ?? null, signal: error.signal ?? null, output });
      },
    );
  });
}

describe('static checks', () => {
  it('type-checks in strict mode (npm run typecheck)', async () => {
    const result = await runTool('tsc', ['--noEmit', '-p', 'tsconfig.json']);
    expect(result, `tsc: ${result.output}`).toMatchObject({ exitCode: 0, signal: null });
    expect(result.output).toBe('');
  });

  it('passes the linter and formatter (npm run lint)', async () => {
    const result = await runTool('biome', ['check', '.']);
    expect(result, `biome: ${result.output}`).toMatchObject({ exitCode: 0, signal: null });
  });

  it('names a checker that cannot be run instead of passing', async () => {
    await expect(runTool('no-such-checker', [])).rejects.toThrow(
      /no-such-checker could not be run \(ENOENT\)/,
    );
  });
});
