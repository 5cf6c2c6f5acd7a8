// The IOC's database for a command-line job (admin, backup, restore), whether the IOC runs or not:
// DATABASE_URL when set; else the embedded PostgreSQL of DATA_DIR, joined while the IOC holds it
// running, or started for the job and stopped after it.
import type { Config } from '../config.ts';
import { createLogger } from '../log.ts';
import { runningEmbeddedUrl, startEmbeddedPostgres } from './embedded.ts';

export interface IocDatabase {
  url: string;
  /** How the job reached it: the configured server, the running IOC's cluster, or one started for it. */
  source: 'DATABASE_URL' | 'running' | 'started';
}

export async function withIocDatabase<T>(
  config: Pick<Config, 'DATABASE_URL' | 'DATA_DIR' | 'LOG_LEVEL'>,
  work: (database: IocDatabase) => Promise<T>,
): Promise<T> {
  if (config.DATABASE_URL) return work({ url: config.DATABASE_URL, source: 'DATABASE_URL' });
  const running = await runningEmbeddedUrl(config.DATA_DIR);
  if (running) return work({ url: running, source: 'running' });
  // Its start-up lines only when asked for (debug): a command's output is its answer.
  const verbose = config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'trace';
  const embedded = await startEmbeddedPostgres(
    config.DATA_DIR,
    createLogger(verbose ? config.LOG_LEVEL : 'warn'),
  );
  try {
    return await work({ url: embedded.url, source: 'started' });
  } finally {
    await embedded.stop();
  }
}
