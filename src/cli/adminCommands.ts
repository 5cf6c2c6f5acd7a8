// The admin command's work on the database: each change goes through the same queries as the API
// (so it ends sessions, lifts a lockout and retires the first admin password file the same way) and is
// written to the audit log with the operating-system account that ran it. A running IOC reads the
// account from the database on every login and within seconds on every request, so it sees the
// change without being told.
import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { settleInitialPassword } from '../auth/initialPassword.ts';
import { hashSecret, passwordCost } from '../auth/secrets.ts';
import { localParts } from '../standards/time.ts';
import { type AuditOutcome, insertAudit } from '../storage/audit.ts';
import type { Pool } from '../storage/pool.ts';
import { createUserQueries } from '../storage/users.ts';
import type { AdminRequest } from './adminArgs.ts';
import { formatTable } from './table.ts';

/** A command that reached the database and could not be done (exit 1). */
export class CommandFailed extends Error {
  override name = 'CommandFailed';
}

export interface AdminContext {
  pool: Pool;
  dataDir: string;
  /** How the database was reached, kept in the audit entry. */
  source: string;
}

/** `cli:<os user>`: who ran the command, as far as the machine knows. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    // No passwd entry for this uid (a container started with --user 1234).
    return `cli:uid-${process.getuid?.() ?? 'unknown'}`;
  }
}

function localTime(at: Date): string {
  const p = localParts(at);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(p.day)}/${two(p.month)}/${p.year} ${two(p.hour)}:${two(p.minute)}`;
}

const generatePassword = () => randomBytes(12).toString('base64url');

/** An installer's reach in one cell: `profiles:a,b devices:c`. */
function installerReach(profiles: string[] | null, devices: string[] | null): string {
  return [
    profiles?.length ? `profiles:${profiles.join(',')}` : '',
    devices?.length ? `devices:${devices.join(',')}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

const listUsersHint = 'xem danh sách / see the list: npm run admin -- list-users';

/** Runs one request; returns what to print on stdout. */
export async function runAdmin(
  request: Exclude<AdminRequest, { command: 'help' }>,
  context: AdminContext,
): Promise<string> {
  const { pool, dataDir } = context;
  const users = createUserQueries(pool);

  async function audit(
    action: string,
    target: string,
    outcome: AuditOutcome,
    details: Record<string, unknown>,
  ): Promise<void> {
    await insertAudit(pool, {
      actor: cliActor(),
      actorRole: null,
      action: `admin.${action}`,
      target,
      ip: 'local',
      outcome,
      status: null,
      details: { ...details, host: hostname(), database: context.source },
    });
  }

  async function noSuchUser(action: string, username: string): Promise<never> {
    await audit(action, username, 'failure', { error: 'NOT_FOUND' });
    throw new CommandFailed(`không có người dùng / no user "${username}"; ${listUsersHint}`);
  }

  switch (request.command) {
    case 'list-users': {
      const rows = await users.list();
      if (rows.length === 0)
        return 'Chưa có tài khoản nào / No accounts yet: start the IOC once, or npm run admin -- create-user <user> --role admin';
      return formatTable(
        [
          'Người dùng / User',
          'Vai trò / Role',
          'Vô hiệu / Disabled',
          'Phạm vi / Scope',
          'Khoá đến / Locked until',
          'Tạo lúc / Created',
        ],
        rows.map((u) => [
          u.username,
          u.role,
          u.disabled ? 'có / yes' : 'không / no',
          u.role === 'installer'
            ? installerReach(u.deviceProfiles, u.deviceIds)
            : (u.scope?.join(',') ?? 'all'),
          u.lockedUntil ? localTime(u.lockedUntil) : '-',
          localTime(u.createdAt),
        ]),
      ).concat('\n(giờ Việt Nam / Vietnam time)');
    }

    case 'create-user': {
      const { username, role, scope, devices } = request;
      const unknownListed = devices ? await users.unknownDevices(devices) : { profiles: [], devices: [] };
      const named = [
        ...unknownListed.profiles.map((id) => `profile ${id}`),
        ...unknownListed.devices.map((id) => `device ${id}`),
      ];
      if (named.length > 0) {
        await audit('create-user', username, 'failure', { role, devices, error: 'VALIDATION_FAILED' });
        throw new CommandFailed(
          `không có / no ${named.join(', ')}; xem / see GET /api/v1/profiles, GET /api/v1/devices`,
        );
      }
      const unknown = scope ? await users.unknownPlaces(scope) : [];
      if (unknown.length > 0) {
        await audit('create-user', username, 'failure', { role, scope, error: 'VALIDATION_FAILED' });
        throw new CommandFailed(
          `không có địa bàn hay phường/xã / no area or unit: ${unknown.join(', ')}; xem / see GET /api/v1/places/areas`,
        );
      }
      const password = request.password ?? generatePassword();
      if (!(await users.create(username, await hashSecret(password, passwordCost), role, scope, devices))) {
        await audit('create-user', username, 'failure', { role, scope, devices, error: 'CONFLICT' });
        throw new CommandFailed(
          `người dùng "${username}" đã có / user "${username}" already exists; để đặt mật khẩu mới / for a new password: npm run admin -- reset-password ${username}`,
        );
      }
      await audit('create-user', username, 'success', {
        role,
        scope: scope ?? 'all',
        ...(devices ? { devices } : {}),
        generatedPassword: !request.password,
      });
      const lines = [`Đã tạo / Created "${username}" (${role}).`];
      if (scope) lines.push(`Chỉ trong / Limited to: ${scope.join(', ')}`);
      if (devices)
        lines.push(
          `Chỉ các thiết bị / Only the devices: ${installerReach(devices.profiles, devices.devices)}`,
        );
      if (!request.password) lines.push(...shownOnce(password));
      return lines.join('\n');
    }

    case 'reset-password': {
      const { username } = request;
      const password = request.password ?? generatePassword();
      const before = await users.byUsername(username);
      if (!before) return noSuchUser('reset-password', username);
      // A new password also ends every session (token_version) and lifts a lockout.
      if (!(await users.update(username, { passwordHash: await hashSecret(password, passwordCost) })))
        return noSuchUser('reset-password', username);
      const wasLocked = Boolean(before.lockedUntil && before.lockedUntil > new Date());
      const retired = (await settleInitialPassword(dataDir, users)) === 'removed';
      await audit('reset-password', username, 'success', {
        generatedPassword: !request.password,
        lifted: wasLocked,
      });
      const lines = [
        `Đã đặt lại mật khẩu của / Reset the password of "${username}".`,
        'Mọi phiên đăng nhập của người này kết thúc (trong vài giây với IOC đang chạy) / Every session of this user ends (within seconds on a running IOC).',
      ];
      if (wasLocked) lines.push('Tài khoản đã được mở khoá / The account is unlocked.');
      if (retired)
        lines.push(
          'Tệp mật khẩu quản trị ban đầu đã được xoá / The initial admin password file was removed.',
        );
      if (!request.password) lines.push(...shownOnce(password));
      return lines.join('\n');
    }

    case 'unlock': {
      const { username } = request;
      const result = await users.unlock(username);
      if (!result) return noSuchUser('unlock', username);
      await audit('unlock', username, 'success', { wasLocked: result.wasLocked });
      return result.wasLocked
        ? `Đã mở khoá / Unlocked "${username}": mật khẩu đúng được nhận ngay / the right password is accepted at once.`
        : `"${username}" không bị khoá / was not locked; các lần đăng nhập sai đã được xoá / its failed logins are cleared.`;
    }
  }
}

function shownOnce(password: string): string[] {
  return [
    `Mật khẩu / Password: ${password}`,
    '(chỉ hiện một lần; hãy đổi sau khi đăng nhập / shown only once; change it after logging in)',
  ];
}
