// npm run restore -- <file.dump> [--clean] [--pg-bin folder]
// Restores a backup of scripts/backup.ts into DATABASE_URL (or the embedded PostgreSQL in DATA_DIR;
// stop the IOC first). Into an empty database by default; --clean drops what the backup holds first
// (the database being replaced). Stops at the first error.
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { findPgTool, serverMajor, withIocDatabase } from './pgTools.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { clean: { type: 'boolean', default: false }, 'pg-bin': { type: 'string' } },
});
const file = positionals[0];
if (!file) {
  process.stderr.write('usage: npm run restore -- <backup file> [--clean]\n');
  process.exit(2);
}
const config = loadConfig();
await withIocDatabase(config, async (url) => {
  const pgRestore = findPgTool('pg_restore', await serverMajor(url), values['pg-bin']);
  const started = Date.now();
  execFileSync(
    pgRestore,
    [
      '--no-owner',
      '--exit-on-error',
      '--single-transaction',
      ...(values.clean ? ['--clean', '--if-exists'] : []),
      '--dbname',
      url,
      file,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  process.stdout.write(`restored ${file} in ${Date.now() - started} ms\n`);
});
