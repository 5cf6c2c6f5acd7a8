// The programs the suite starts or drives itself: Mosquitto with its dynamic-security plugin and its
// command-line clients, redis-server, Chromium and openssl. They are looked up on PATH and in the
// usual system folders (a fixed path differs between machines and architectures); on a fresh Debian
// machine as root the missing ones are installed with apt-get, otherwise the run stops with one line
// naming the packages. Nothing here uses a service that is already listening: the helpers start their
// own on free ports (spawnOnFreePort).
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

export interface ServicePaths {
  mosquitto: string;
  mosquittoCtrl: string;
  mosquittoPub: string;
  mosquittoSub: string;
  dynsecPlugin: string;
  redisServer: string;
  chromium: string;
  openssl: string;
  /** A folder with Debian's PostgreSQL server and its pg_dump/pg_restore (the DATABASE_URL backup path). */
  postgresBin: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    services: ServicePaths;
  }
}

interface Wanted {
  /** The program's (or the plugin file's) name. */
  name: string;
  /** The Debian package that ships it. */
  package: string;
  kind: 'program' | 'plugin' | 'postgres';
}

const wanted: Record<keyof ServicePaths, Wanted> = {
  mosquitto: { name: 'mosquitto', package: 'mosquitto', kind: 'program' },
  // Debian ships mosquitto_ctrl and the plugin with the broker, mosquitto_pub and _sub in the clients package.
  mosquittoCtrl: { name: 'mosquitto_ctrl', package: 'mosquitto', kind: 'program' },
  dynsecPlugin: { name: 'mosquitto_dynamic_security.so', package: 'mosquitto', kind: 'plugin' },
  mosquittoPub: { name: 'mosquitto_pub', package: 'mosquitto-clients', kind: 'program' },
  mosquittoSub: { name: 'mosquitto_sub', package: 'mosquitto-clients', kind: 'program' },
  redisServer: { name: 'redis-server', package: 'redis-server', kind: 'program' },
  chromium: { name: 'chromium', package: 'chromium', kind: 'program' },
  openssl: { name: 'openssl', package: 'openssl', kind: 'program' },
  postgresBin: { name: 'pg_restore', package: 'postgresql', kind: 'postgres' },
};

/**
 * Names the finder treats as absent (comma-separated in IOC_TEST_MISSING): how the message for a
 * missing program is seen and tested without uninstalling anything.
 */
export function hiddenByEnv(): string[] {
  return (process.env.IOC_TEST_MISSING ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
}

function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** PATH, then the system folders: daemons such as mosquitto live in /usr/sbin, often not on PATH. */
function programDirs(): string[] {
  const fromPath = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  return [
    ...new Set([...fromPath, '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']),
  ];
}

/** The multiarch folders (/usr/lib/x86_64-linux-gnu, /usr/lib/aarch64-linux-gnu, …) and the plain ones. */
function libraryDirs(): string[] {
  const multiarch = (root: string) => {
    try {
      return readdirSync(root)
        .filter((entry) => entry.endsWith('-linux-gnu') || entry.endsWith('-linux-gnueabihf'))
        .map((entry) => join(root, entry));
    } catch {
      return [];
    }
  };
  return [
    ...multiarch('/usr/lib'),
    ...multiarch('/usr/local/lib'),
    '/usr/lib/mosquitto',
    '/usr/local/lib/mosquitto',
    '/usr/lib64',
    '/usr/local/lib',
    '/usr/lib',
  ];
}

function findProgram(name: string): string | undefined {
  return programDirs()
    .map((dir) => join(dir, name))
    .find(isExecutable);
}

function findPlugin(name: string, owner: string): string | undefined {
  const found = libraryDirs()
    .map((dir) => join(dir, name))
    .find(isFile);
  if (found) return found;
  // A layout not thought of above: ask the package manager where the package put it.
  try {
    return execFileSync('dpkg', ['-L', owner], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .split('\n')
      .find((line) => line.endsWith(`/${name}`) && isFile(line));
  } catch {
    return undefined;
  }
}

/** The newest /usr/lib/postgresql/<major>/bin with the server, initdb, pg_dump and pg_restore. */
function findPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  let majors: string[];
  try {
    majors = readdirSync(root).filter((v) => /^\d+$/.test(v));
  } catch {
    return undefined;
  }
  return majors
    .sort((a, b) => Number(b) - Number(a))
    .map((major) => join(root, major, 'bin'))
    .find((bin) => ['postgres', 'initdb', 'pg_dump', 'pg_restore'].every((p) => isExecutable(join(bin, p))));
}

export interface FoundServices {
  paths: Partial<ServicePaths>;
  /** What was not found, by name. */
  missing: string[];
  /** The Debian packages that ship what is missing. */
  packages: string[];
}

export function findServices(hidden: string[] = hiddenByEnv()): FoundServices {
  const paths: Partial<ServicePaths> = {};
  const missing: string[] = [];
  const packages = new Set<string>();
  for (const [key, want] of Object.entries(wanted) as Array<[keyof ServicePaths, Wanted]>) {
    const path = hidden.includes(want.name)
      ? undefined
      : want.kind === 'program'
        ? findProgram(want.name)
        : want.kind === 'postgres'
          ? findPostgresBin()
          : findPlugin(want.name, want.package);
    if (path) paths[key] = path;
    else {
      missing.push(want.name);
      packages.add(want.package);
    }
  }
  return { paths, missing, packages: [...packages] };
}

/** An Error whose report is its one line (no stack trace to scroll past). */
function oneLine(message: string): Error {
  const error = new Error(message);
  error.stack = message;
  return error;
}

function lastLine(error: unknown): string {
  const e = error as { stderr?: string; message?: string };
  const text = `${e.stderr ?? ''}`.trim() || `${e.message ?? error}`.trim();
  return text.split('\n').filter(Boolean).pop() ?? 'failed';
}

export interface EnsureOptions {
  hidden?: string[];
  /** Whether apt-get may install what is missing; by default when root and apt-get is there. */
  canInstall?: boolean;
  /** Where the one line about installing goes. */
  say?: (line: string) => void;
}

/**
 * Every program the suite needs, installing the missing ones with apt-get when allowed; otherwise an
 * Error of one line naming the Debian packages to install.
 */
export async function ensureServices(options: EnsureOptions = {}): Promise<ServicePaths> {
  const hidden = options.hidden ?? hiddenByEnv();
  const first = findServices(hidden);
  if (first.missing.length === 0) return first.paths as ServicePaths;
  const aptGet = findProgram('apt-get');
  const canInstall = options.canInstall ?? (process.getuid?.() === 0 && aptGet !== undefined);
  const packageList = first.packages.join(' ');
  if (!canInstall || !aptGet) {
    throw oneLine(
      `The tests need ${first.missing.join(', ')}, not found on PATH or in /usr/sbin, /usr/bin: ` +
        `install the Debian packages ${packageList} (apt-get install ${packageList}; npm test does it itself as root)`,
    );
  }
  (options.say ?? console.log)(
    `The tests need ${first.missing.join(', ')}: installing the Debian packages ${packageList} (apt-get update and install, a minute or so)`,
  );
  const run = promisify(execFile);
  const aptOptions = {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    maxBuffer: 64 * 1024 * 1024,
  };
  try {
    await run(aptGet, ['update', '-qq'], aptOptions);
    // Another apt run (a person, unattended upgrades) may hold the lock for a while: wait for it.
    await run(
      aptGet,
      ['install', '-y', '-qq', '--no-install-recommends', '-o', 'DPkg::Lock::Timeout=600', ...first.packages],
      aptOptions,
    );
  } catch (error) {
    throw oneLine(
      `The tests need the Debian packages ${packageList}, and apt-get could not install them: ${lastLine(error)}`,
    );
  }
  const second = findServices(hidden);
  if (second.missing.length > 0) {
    throw oneLine(
      `The tests need ${second.missing.join(', ')}, still not found after apt-get install ${packageList}`,
    );
  }
  return second.paths as ServicePaths;
}

/**
 * The paths for a test: inside a test run those globalSetup found (or installed) once, provided to
 * every worker; in a measurement script, looked up here (and never installed: a script does not
 * change the machine behind its user's back).
 */
export async function servicePaths(): Promise<ServicePaths> {
  if (process.env.VITEST) return (await import('vitest')).inject('services');
  return ensureServices({ canInstall: false });
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  await new Promise((ok) => server.close(ok));
  return port;
}

function accepting(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      ok(true);
    });
    socket.once('error', () => {
      socket.destroy();
      ok(false);
    });
  });
}

export interface ListeningProcess {
  child: ChildProcess;
  port: number;
  /** SIGTERM, and the exit waited for. */
  stop(): Promise<void>;
}

/**
 * Starts a server program on a free port on 127.0.0.1 and returns once it accepts connections. A free
 * port can be taken between choosing and binding it (other test files start servers too): the start is
 * retried on another port, and after the last attempt the program's own output is the error.
 */
export async function spawnOnFreePort(
  name: string,
  binary: string,
  argsFor: (port: number) => string[] | Promise<string[]>,
  attempts = 5,
): Promise<ListeningProcess> {
  let output = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const port = await freePort();
    const child = spawn(binary, await argsFor(port), { stdio: ['ignore', 'pipe', 'pipe'] });
    output = '';
    const collect = (chunk: Buffer) => {
      output += chunk;
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    let exited = child.exitCode !== null;
    child.once('exit', () => {
      exited = true;
    });
    child.once('error', (error) => {
      output += `${error.message}\n`;
      exited = true;
    });
    const deadline = Date.now() + 10_000;
    let up = false;
    while (!exited && Date.now() < deadline) {
      if (await accepting(port)) {
        up = !exited;
        break;
      }
      await new Promise((ok) => setTimeout(ok, 25));
    }
    if (up) {
      // Its output mattered only for a failed start; from here on it is drained and dropped.
      child.stdout?.off('data', collect);
      child.stderr?.off('data', collect);
      child.stdout?.resume();
      child.stderr?.resume();
      return {
        child,
        port,
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const gone = new Promise((ok) => child.once('exit', ok));
          child.kill('SIGTERM');
          await gone;
        },
      };
    }
    if (!exited) {
      const gone = new Promise((ok) => child.once('exit', ok));
      child.kill('SIGKILL');
      await gone;
    }
  }
  throw new Error(`${name} did not start on a free port (${attempts} attempts): ${output.trim()}`);
}
