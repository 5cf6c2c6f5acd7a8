// `npm run admin -- ...` as the real child process, as an operator runs it from the server's shell:
// only PATH and the environment given, its exit code and both outputs.
import { execFile } from 'node:child_process';
import type { TestApp } from './app.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const root = new URL('../../', import.meta.url).pathname;

export function runAdminCommand(env: Record<string, string>, ...args: string[]): Promise<CliResult> {
  return new Promise((ok) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/admin.ts', ...args],
      { cwd: root, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        ok({ code, stdout, stderr });
      },
    );
  });
}

/** The command on a test app's database and data folder. */
export const adminCommandOn = (app: TestApp, ...args: string[]): Promise<CliResult> =>
  runAdminCommand({ DATABASE_URL: app.databaseUrl, DATA_DIR: app.config.DATA_DIR }, ...args);
