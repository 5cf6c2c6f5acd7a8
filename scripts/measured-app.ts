// The system as the measurement scripts run it: a fresh database on DATABASE_URL's server (a table
// grown by earlier runs would measure its indexes, not the code) or the embedded PostgreSQL, a
// temporary DATA_DIR, any free ports, quiet logs. `close()` removes all of it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { createFreshDatabase } from './fresh-database.ts';

export async function startMeasuredApp(
  name: string,
  env: Record<string, string> = {},
): Promise<{ app: RunningApp; database: string; close(): Promise<void> }> {
  // Loaded when a run starts, not when a script imports this, so that a script's --help does not
  // wait for the whole IOC to load.
  const { startApp } = await import('../src/app.ts');
  const base = loadConfig();
  const fresh = base.DATABASE_URL
    ? await createFreshDatabase(base.DATABASE_URL, `ioc_${name}_${Date.now().toString(36)}`)
    : undefined;
  const dataDir = await mkdtemp(join(tmpdir(), `ioc-${name}-`));
  const app = await startApp(
    loadConfig({
      DATABASE_URL: fresh?.url,
      DATA_DIR: dataDir,
      HTTP_PORT: '0',
      MQTT_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      MQTT_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ADMIN_PASSWORD: 'measurement-password',
      // A bench device sends far above a field device's rate: no per-device limit unless asked.
      INGEST_DEVICE_RATE_PER_S: '0',
      ...env,
    }),
    createLogger('warn'),
  );
  return {
    app,
    database: base.DATABASE_URL ? 'DATABASE_URL' : 'embedded',
    async close() {
      await app.stop();
      await rm(dataDir, { recursive: true, force: true });
      await fresh?.drop();
    },
  };
}
