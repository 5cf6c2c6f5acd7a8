// npm run admin -- <command> (--help lists them): accounts from the server's shell, whether the IOC
// runs or not, so nobody is ever locked out of it. Exit codes: 0 done, 1 failed, 2 wrong usage.
import { ConfigError, loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { withIocDatabase } from '../storage/iocDatabase.ts';
import { migrate } from '../storage/migrate.ts';
import { createPool } from '../storage/pool.ts';
import { mainHelp, parseAdminArgs, UsageError } from './adminArgs.ts';
import { CommandFailed, runAdmin } from './adminCommands.ts';

const sources = {
  DATABASE_URL: 'DATABASE_URL',
  running: 'PostgreSQL nhúng của IOC đang chạy / the running IOC’s embedded PostgreSQL',
  started:
    'IOC không chạy: đã khởi động PostgreSQL nhúng cho lệnh này / the IOC is not running: started its embedded PostgreSQL for this command',
} as const;

async function main(): Promise<number> {
  let request: ReturnType<typeof parseAdminArgs>;
  try {
    request = parseAdminArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const help = error.helpCommand ? ` ${error.helpCommand}` : '';
    process.stderr.write(`admin: ${error.message}\n(xem / see: npm run admin --${help} --help)\n`);
    // No command, or one that does not exist: the list of commands is the answer.
    if (!error.helpCommand) process.stderr.write(`\n${mainHelp}`);
    return 2;
  }
  if (request.command === 'help') {
    process.stdout.write(request.text);
    return 0;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 2;
  }
  // Progress and migrations go to stderr at warn: stdout holds only the answer (a table to pipe).
  const log = createLogger('warn', process.stderr);
  const work = request;
  try {
    const output = await withIocDatabase({ ...config, LOG_LEVEL: 'warn' }, async ({ url, source }) => {
      if (source !== 'DATABASE_URL') process.stderr.write(`${sources[source]}\n`);
      const pool = createPool(url, { max: 2, application: 'city-ioc-admin' });
      try {
        // The command may be the first thing to touch a new database, or one older than the IOC code.
        await migrate(pool, log);
        return await runAdmin(work, { pool, dataDir: config.DATA_DIR, source });
      } finally {
        await pool.end();
      }
    });
    process.stdout.write(`${output}\n`);
    return 0;
  } catch (error) {
    if (error instanceof CommandFailed) {
      process.stderr.write(`admin: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(
      `admin: thất bại / failed: ${error instanceof Error ? error.message : String(error)}\n` +
        'Kiểm tra DATABASE_URL hoặc DATA_DIR / check DATABASE_URL or DATA_DIR (the IOC’s own values).\n',
    );
    return 1;
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(
      `admin: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
