// npm run backup -- [--out file.dump] [--pg-bin folder]
// A consistent pg_dump (custom format, compressed, restorable table by table) of the IOC's database:
// DATABASE_URL, or the embedded PostgreSQL in DATA_DIR (started for the dump; stop the IOC first, it
// holds that cluster). Written to DATA_DIR/backups/ioc-<UTC time>.dump unless --out says otherwise.
// Restore with npm run restore -- <file> (scripts/restore.ts).
import { execFileSync } from 'node:child_process';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { findPgTool, serverMajor, withIocDatabase } from './pgTools.ts';

const { values } = parseArgs({ options: { out: { type: 'string' }, 'pg-bin': { type: 'string' } } });
const config = loadConfig();
await withIocDatabase(config, async (url) => {
  const pgDump = findPgTool('pg_dump', await serverMajor(url), values['pg-bin']);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const out = values.out ?? join(config.DATA_DIR, 'backups', `ioc-${stamp}.dump`);
  await mkdir(dirname(out), { recursive: true });
  const started = Date.now();
  execFileSync(pgDump, ['--format=custom', '--no-owner', '--file', out, '--dbname', url], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const { size } = await stat(out);
  process.stdout.write(`backup written: ${out} (${size} bytes, ${Date.now() - started} ms, ${pgDump})\n`);
});
