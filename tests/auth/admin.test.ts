// No lockout, ever: the first admin password is printed and kept in DATA_DIR the moment it exists
// (a start that fails afterwards does not lose it), and `npm run admin` manages accounts from the
// server's shell with the IOC running or stopped, on DATABASE_URL or the embedded PostgreSQL.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from '../../src/app.ts';
import { bootstrapAdmin } from '../../src/auth/bootstrap.ts';
import { initialPasswordPath, keepInitialPassword } from '../../src/auth/initialPassword.ts';
import { createLogger } from '../../src/log.ts';
import type { Pool } from '../../src/storage/pool.ts';
import { createUserQueries } from '../../src/storage/users.ts';
import { runAdminCommand } from '../helpers/adminCommand.ts';
import { embeddedConfig, startTestApp, type TestApp, testAdminPassword } from '../helpers/app.ts';
import { startAppProcess } from '../helpers/appProcess.ts';
import { createTestDatabase, type TestDatabase, useMigratedDatabase } from '../helpers/database.ts';
import { eventually } from '../helpers/mqtt.ts';

const root = new URL('../../', import.meta.url).pathname;
const cliActor = `cli:${userInfo().username}`;
const dirs: string[] = [];

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

const admin = runAdminCommand;

async function login(baseUrl: string, username: string, password: string) {
  const res = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const body = (await res.json()) as { token?: string; error?: { code: string } };
  return { status: res.status, token: body.token, code: body.error?.code };
}

/** The password a command printed once. */
function printedPassword(stdout: string): string {
  const match = stdout.match(/Mật khẩu \/ Password: (\S+)/);
  if (!match) throw new Error(`no password in:\n${stdout}`);
  return match[1]!;
}

// Each command is a process of its own (a second or two to start on two cores): room for several.
describe('npm run admin, with the IOC running on DATABASE_URL', { timeout: 90_000 }, () => {
  let app: TestApp;
  let env: Record<string, string>;
  /** The operator create-user makes, and the password it printed. */
  let operatorPassword = '';

  beforeAll(async () => {
    app = await startTestApp({ LOGIN_LOCKOUT_FAILURES: '3', LOGIN_LOCKOUT_S: '600' });
    env = { DATABASE_URL: app.databaseUrl, DATA_DIR: app.config.DATA_DIR };
  });
  afterAll(async () => app?.close());

  async function auditOf(target: string) {
    const { rows } = await app.pool.query(
      "SELECT actor, action, outcome, details FROM audit_log WHERE target = $1 AND action LIKE 'admin.%' ORDER BY id",
      [target],
    );
    return rows;
  }

  it('answers --help on the command and on each subcommand, and wrong usage with exit 2', async () => {
    const helps = await Promise.all([
      admin({}, '--help'),
      admin({}, 'list-users', '--help'),
      admin({}, 'create-user', '-h'),
      admin({}, 'reset-password', '--help'),
      admin({}, 'unlock', '--help'),
    ]);
    for (const help of helps)
      expect(help).toMatchObject({ code: 0, stdout: expect.stringMatching(/Usage:/) });
    expect(helps[0]!.stdout).toMatch(/reset-password <user>/);
    expect(helps[2]!.stdout).toMatch(/--role viewer\|operator\|admin/);

    const usage = await Promise.all([
      admin({}),
      admin({}, 'delete-everything'),
      admin({}, 'unlock'),
      admin({}, 'unlock', 'someone', '--force'),
    ]);
    for (const wrong of usage) expect(wrong.code).toBe(2);
    expect(usage[1]!.stderr).toMatch(/unknown command "delete-everything"/);
    expect(usage[2]!.stderr).toMatch(/missing the <user>[\s\S]*npm run admin -- unlock --help/);
    expect(usage[3]!.stderr).toMatch(/Unknown option '--force'/);
  });

  it('list-users: a table of the accounts', async () => {
    const listed = await admin(env, 'list-users');
    expect(listed.code, listed.stderr).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^Người dùng \/ User\s+Vai trò \/ Role\s+Vô hiệu \/ Disabled\s+Phạm vi \/ Scope\s+Khoá đến \/ Locked until\s+Tạo lúc \/ Created$/,
    );
    expect(lines[1]).toMatch(/^-+ +-+/);
    expect(lines[2]).toMatch(/^admin\s+admin\s+không \/ no\s+all\s+-\s+\d\d\/\d\d\/\d{4} \d\d:\d\d$/);
  });

  it('create-user: prints a generated password once, refuses a taken name, a bad role, a weak password', async () => {
    const created = await admin(env, 'create-user', 'pham.thi.d', '--role', 'operator');
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/Created "pham.thi.d" \(operator\)/);
    operatorPassword = printedPassword(created.stdout);
    expect(operatorPassword.length).toBeGreaterThanOrEqual(12);
    expect((await login(app.baseUrl, 'pham.thi.d', operatorPassword)).status).toBe(200);

    const chosen = await admin(
      env,
      'create-user',
      'vo.van.e',
      '--role',
      'viewer',
      '--password',
      'mat-khau-chon-2026',
    );
    expect(chosen.code, chosen.stderr).toBe(0);
    expect(chosen.stdout).not.toMatch(/Password:/);
    expect((await login(app.baseUrl, 'vo.van.e', 'mat-khau-chon-2026')).status).toBe(200);

    const taken = await admin(env, 'create-user', 'pham.thi.d', '--role', 'viewer');
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/already exists.*npm run admin -- reset-password pham.thi.d/);
    const badRole = await admin(env, 'create-user', 'x.user', '--role', 'boss');
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toMatch(/unknown role "boss".*viewer, operator, admin/);
    const weak = await admin(env, 'create-user', 'x.user', '--role', 'viewer', '--password', 'short');
    expect(weak.code).toBe(2);
    expect(weak.stderr).toMatch(/at least 12 characters/);

    expect(await auditOf('pham.thi.d')).toEqual([
      expect.objectContaining({ actor: cliActor, action: 'admin.create-user', outcome: 'success' }),
      expect.objectContaining({ actor: cliActor, action: 'admin.create-user', outcome: 'failure' }),
    ]);
    expect(JSON.stringify(await auditOf('vo.van.e'))).not.toMatch(/mat-khau-chon-2026/);
  });

  it('unlock: a locked account takes the right password at once on the running IOC', async () => {
    await app.request('POST', '/api/v1/users', await app.login(), {
      username: 'le.thi.f',
      password: 'dung-mat-khau-2026',
      role: 'viewer',
    });
    for (let i = 0; i < 3; i++) expect((await login(app.baseUrl, 'le.thi.f', `guess-${i}`)).status).toBe(401);
    expect(await login(app.baseUrl, 'le.thi.f', 'dung-mat-khau-2026')).toMatchObject({
      status: 429,
      code: 'ACCOUNT_LOCKED',
    });
    const listed = await admin(env, 'list-users');
    expect(listed.stdout).toMatch(/^le\.thi\.f\s+viewer\s+không \/ no\s+all\s+\d\d\/\d\d\/\d{4} \d\d:\d\d/m);

    const unlocked = await admin(env, 'unlock', 'le.thi.f');
    expect(unlocked.code, unlocked.stderr).toBe(0);
    expect(unlocked.stdout).toMatch(/Unlocked "le.thi.f"/);
    expect((await login(app.baseUrl, 'le.thi.f', 'dung-mat-khau-2026')).status).toBe(200);
    expect(await auditOf('le.thi.f')).toContainEqual(
      expect.objectContaining({ actor: cliActor, action: 'admin.unlock', outcome: 'success' }),
    );

    const unknown = await admin(env, 'unlock', 'nobody.here');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no user "nobody.here".*npm run admin -- list-users/);
  });

  it('reset-password: ends the sessions on the running IOC, lifts a lockout, and the new password works', async () => {
    const before = await login(app.baseUrl, 'pham.thi.d', operatorPassword);
    expect(before.status).toBe(200);
    const session = { authorization: `Bearer ${before.token}` };
    expect((await app.request('GET', '/api/v1/devices', session)).status).toBe(200);
    for (let i = 0; i < 3; i++) await login(app.baseUrl, 'pham.thi.d', `guess-${i}`);
    expect((await login(app.baseUrl, 'pham.thi.d', 'anything-at-all')).code).toBe('ACCOUNT_LOCKED');

    const reset = await admin(env, 'reset-password', 'pham.thi.d');
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout).toMatch(/The account is unlocked/);
    const password = printedPassword(reset.stdout);
    // The running IOC caches an account for a few seconds: the session ends within them.
    const ended = await eventually(
      async () => (await app.request('GET', '/api/v1/devices', session)).status,
      (status) => status === 401,
      10_000,
    );
    expect(ended).toBe(401);
    expect((await login(app.baseUrl, 'pham.thi.d', password)).status).toBe(200);
    expect(await auditOf('pham.thi.d')).toContainEqual(
      expect.objectContaining({
        actor: cliActor,
        action: 'admin.reset-password',
        outcome: 'success',
        details: expect.objectContaining({ lifted: true }),
      }),
    );

    const unknown = await admin(env, 'reset-password', 'nobody.here', '--password', 'mot-mat-khau-dai-2026');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no user "nobody.here"/);
  });
});

describe('the initial admin password', () => {
  let database: TestDatabase | undefined;
  let taken: Server | undefined;
  afterAll(async () => {
    taken?.close();
    await database?.drop();
  });

  it('is printed and kept (0600) at once, survives a start that fails, logs in, and goes once changed', {
    timeout: 90_000,
  }, async () => {
    database = await createTestDatabase();
    const dataDir = await tempDir('ioc-initial-');
    taken = createServer();
    await new Promise<void>((ok) => taken!.listen(0, '127.0.0.1', ok));
    const takenPort = (taken.address() as { port: number }).port;
    const env = { DATABASE_URL: database.url, DATA_DIR: dataDir, ADMIN_PASSWORD: '' };

    // First start: the HTTP port is taken, so start-up fails after the account was created.
    const failed = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        ...env,
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(takenPort),
        MQTT_HOST: '127.0.0.1',
        MQTT_PORT: '0',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    failed.stdout.on('data', (d) => (output += d));
    failed.stderr.on('data', (d) => (output += d));
    const code = await new Promise<number | null>((ok) => failed.once('exit', ok));
    expect(code, output).not.toBe(0);
    expect(output).toMatch(/HTTP_PORT/);
    const printed = output.match(/Mật khẩu quản trị ban đầu \/ Initial admin password: (\S+)/)?.[1];
    expect(printed, output).toBeDefined();
    const file = initialPasswordPath(dataDir);
    expect(output).toContain(`Cũng lưu tại / also kept in: ${file}`);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readFile(file, 'utf8')).trim()).toBe(printed);

    // Second start: the account exists; the file is pointed at, not printed again, and it logs in.
    const second = await startAppProcess(env);
    try {
      expect(second.output()).toContain(`The initial admin password is still in: ${file}`);
      expect(second.output()).not.toContain(printed!);
      const base = `http://127.0.0.1:${second.http}`;
      const session = await login(base, 'admin', printed!);
      expect(session.status).toBe(200);

      // Changing it through the API retires the file.
      const changed = await fetch(`${base}/api/v1/auth/password`, {
        method: 'POST',
        headers: { authorization: `Bearer ${session.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ currentPassword: printed, newPassword: 'mat-khau-rieng-cua-toi-2026' }),
      });
      expect(changed.status).toBe(204);
      await expect(stat(file)).rejects.toThrow(/ENOENT/);
      expect((await login(base, 'admin', 'mat-khau-rieng-cua-toi-2026')).status).toBe(200);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });

  describe('on later starts and through the admin command', () => {
    let pool: Pool;
    let url = '';
    useMigratedDatabase((p, u) => {
      pool = p;
      url = u;
    });
    const log = createLogger('silent');

    it('is pointed at while it still works, removed at start once changed, and by reset-password', async () => {
      const users = createUserQueries(pool);
      const dataDir = await tempDir('ioc-initial-later-');
      const printed: string[] = [];
      const out = { write: (text: string) => printed.push(text) };
      const generated = await bootstrapAdmin({ users, dataDir, password: undefined, log, out });
      expect(generated).toMatch(/^[A-Za-z0-9_-]{16}$/);
      expect(printed.join('')).toContain(generated!);

      printed.length = 0;
      expect(await bootstrapAdmin({ users, dataDir, password: undefined, log, out })).toBeUndefined();
      expect(printed.join('')).toContain(initialPasswordPath(dataDir));
      expect(printed.join('')).not.toContain(generated!);

      // reset-password from the command line retires it.
      const reset = await admin({ DATABASE_URL: url, DATA_DIR: dataDir }, 'reset-password', 'admin');
      expect(reset.code, reset.stderr).toBe(0);
      expect(reset.stdout).toMatch(/The initial admin password file was removed/);
      await expect(stat(initialPasswordPath(dataDir))).rejects.toThrow(/ENOENT/);

      // A file whose password no longer opens the account (changed elsewhere) is removed at start.
      const otherDir = await tempDir('ioc-initial-stale-');
      await keepInitialPassword(otherDir, generated!);
      printed.length = 0;
      await bootstrapAdmin({ users, dataDir: otherDir, password: undefined, log, out });
      expect(printed).toEqual([]);
      await expect(stat(initialPasswordPath(otherDir))).rejects.toThrow(/ENOENT/);
    });
  });
});

describe('npm run admin on the embedded PostgreSQL (no DATABASE_URL)', () => {
  it('starts it for the command while the IOC is stopped, and joins it while the IOC runs', {
    timeout: 240_000,
  }, async () => {
    const dataDir = await tempDir('ioc-admin-embedded-');
    const env = { DATA_DIR: dataDir };
    const created = await admin(
      env,
      'create-user',
      'tran.van.g',
      '--role',
      'admin',
      '--password',
      testAdminPassword,
    );
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toMatch(/the IOC is not running: started its embedded PostgreSQL/);

    const config = embeddedConfig(dataDir);
    const app = await startApp(config, createLogger('silent'));
    try {
      const listed = await admin(env, 'list-users');
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stderr).toMatch(/the running IOC’s embedded PostgreSQL/);
      expect(listed.stdout).toMatch(/^tran\.van\.g\s+admin\s/m);
      expect((await login(`http://127.0.0.1:${app.httpPort}`, 'tran.van.g', testAdminPassword)).status).toBe(
        200,
      );
    } finally {
      await app.stop();
    }
  });
});
