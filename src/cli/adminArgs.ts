// What `npm run admin -- ...` was asked to do, read from the command line before anything is started:
// a mistyped command, a bad role or a weak password is answered at once (exit 2), without waiting for
// a database. Help texts live here, beside the options they describe.
import { parseArgs } from 'node:util';
import { passwordMaxLength, passwordMinLength, usernamePattern, usernameRule } from '../auth/accountRules.ts';
import { type DeviceScopeLists, maxDeviceScopeIds } from '../auth/deviceScope.ts';
import { maxScopeIds } from '../auth/scope.ts';
import { type Role, roles } from '../storage/users.ts';

export type AdminRequest =
  | { command: 'list-users' }
  | {
      command: 'create-user';
      username: string;
      role: Role;
      password: string | undefined;
      /** The area and unit ids the account reaches; null: every area. */
      scope: string[] | null;
      /** An installer's profiles and devices (required for one, refused for other roles). */
      devices?: DeviceScopeLists;
    }
  | { command: 'reset-password'; username: string; password: string | undefined }
  | { command: 'unlock'; username: string }
  | { command: 'help'; text: string };

/** A wrong command line: what is wrong, and which help to read. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    readonly helpCommand: string,
  ) {
    super(message);
  }
}

const where = `Cơ sở dữ liệu: DATABASE_URL nếu có; nếu không, PostgreSQL nhúng trong DATA_DIR (mặc định ./data),
dùng chung khi IOC đang chạy, hoặc được khởi động riêng cho lệnh khi IOC đã dừng.
The database: DATABASE_URL when set; else the embedded PostgreSQL of DATA_DIR (default ./data),
joined while the IOC runs or started for the command while it is stopped.`;

export const mainHelp = `Quản lý tài khoản IOC / Manage the IOC's accounts

Usage: npm run admin -- <command> [options]

Lệnh / Commands
  list-users                       liệt kê tài khoản / list the accounts
  create-user <user> --role <r>    tạo tài khoản / create an account (viewer, operator, admin, installer),
    [--scope <ids>]                chỉ trong các địa bàn, phường/xã này / limited to these areas, units
    [--devices <ids>]              installer: các thiết bị này / these devices
    [--profiles <ids>]             installer: mọi thiết bị của các hồ sơ này / every device of these profiles
  reset-password <user>            đặt mật khẩu mới, kết thúc phiên, mở khoá /
                                   set a new password, end its sessions, lift a lockout
  unlock <user>                    mở khoá sau nhiều lần đăng nhập sai /
                                   lift the lockout after repeated failed logins

  -h, --help                       trợ giúp này; <command> --help: trợ giúp của lệnh /
                                   this text; <command> --help: that command's

${where}

Mã thoát / Exit codes: 0 xong / done, 1 thất bại / failed, 2 sai cú pháp / wrong usage.

Ví dụ / Examples
  npm run admin -- list-users
  npm run admin -- reset-password admin
  npm run admin -- create-user nguyen.van.a --role operator
  npm run admin -- create-user tran.thi.b --role operator --scope hoi-an
  npm run admin -- create-user vendor.abc --role installer --profiles streetlight --devices ha-aq-0001
`;

const passwordOption = `  --password <p>     ít nhất ${passwordMinLength} ký tự / at least ${passwordMinLength} characters; bỏ trống để
                     tạo ngẫu nhiên và in ra một lần / leave it out to have one generated and
                     printed once (a password on the command line stays in the shell's history)`;

const helps = {
  'list-users': `Liệt kê tài khoản / List the accounts

Usage: npm run admin -- list-users

Người dùng, vai trò, vô hiệu hoá, khoá đến, ngày tạo (giờ Việt Nam) /
user, role, disabled, locked until, created (Vietnam time).

${where}
`,
  'create-user': `Tạo tài khoản / Create an account

Usage: npm run admin -- create-user <user> --role viewer|operator|admin|installer [--scope <ids>]
         [--devices <ids>] [--profiles <ids>] [--password <p>]

  <user>             ${usernameRule} / 3–64 chữ thường, số, dấu chấm, gạch
  --role <r>         viewer (xem / reads), operator (vận hành / acts on alerts and devices),
                     admin (quản trị / manages accounts), installer (nhà cung cấp / lắp đặt:
                     chỉ xem thiết bị của mình / an installer or vendor: sees its own devices only)
  --scope <ids>      mã địa bàn hoặc phường/xã, cách nhau bằng dấu phẩy (hoi-an, tay-ninh,...):
                     tài khoản chỉ thấy và xử lý những nơi này; bỏ trống hoặc "all": mọi địa bàn;
                     quản trị viên luôn thấy mọi địa bàn /
                     area or unit ids, comma-separated: the account sees and acts on these only;
                     left out or "all": every area; admins always reach every area
  --devices <ids>    installer: mã thiết bị, cách nhau bằng dấu phẩy / device ids, comma-separated
  --profiles <ids>   installer: mã hồ sơ thiết bị (GET /api/v1/profiles), mọi thiết bị của hồ sơ /
                     device profile ids, every device of those profiles; an installer needs
                     --devices or --profiles (or both), and no --scope
${passwordOption}

${where}
`,
  'reset-password': `Đặt lại mật khẩu / Reset a password

Usage: npm run admin -- reset-password <user> [--password <p>]

Kết thúc mọi phiên đăng nhập của người dùng (trong vài giây với IOC đang chạy) và mở khoá tài khoản /
Ends every session of the user (within seconds on a running IOC) and lifts a lockout.

${passwordOption}

${where}
`,
  unlock: `Mở khoá tài khoản / Unlock an account

Usage: npm run admin -- unlock <user>

Mở khoá tài khoản bị khoá sau nhiều lần đăng nhập sai; mật khẩu đúng được nhận ngay, kể cả khi
IOC đang chạy / Lifts the lockout after repeated failed logins; the right password is accepted at
once, on a running IOC too.

${where}
`,
} as const;

type Command = keyof typeof helps;
const commands = Object.keys(helps) as Command[];

function checkUsername(username: string | undefined, command: Command): string {
  if (!username) throw new UsageError(`thiếu tên người dùng / missing the <user>`, command);
  if (!usernamePattern.test(username))
    throw new UsageError(
      `tên người dùng không hợp lệ / invalid username "${username}": ${usernameRule}`,
      command,
    );
  return username;
}

function checkPassword(password: string | undefined, command: Command): string | undefined {
  if (password === undefined) return undefined;
  if (password.length < passwordMinLength || password.length > passwordMaxLength)
    throw new UsageError(
      `mật khẩu quá yếu / weak password: cần ít nhất ${passwordMinLength} ký tự / it needs at least ${passwordMinLength} characters (at most ${passwordMaxLength}); hoặc bỏ --password để tạo ngẫu nhiên / or leave out --password to have one generated`,
      command,
    );
  return password;
}

function checkRole(role: string | undefined): Role {
  if (role === undefined)
    throw new UsageError(`thiếu vai trò / missing --role (${roles.join(', ')})`, 'create-user');
  if (!(roles as readonly string[]).includes(role))
    throw new UsageError(
      `vai trò không hợp lệ / unknown role "${role}": chọn một trong / choose one of ${roles.join(', ')}`,
      'create-user',
    );
  return role as Role;
}

const placeIdPattern = /^[a-z0-9][a-z0-9-]{1,62}$/;

const deviceIdPattern = /^[a-z0-9][a-z0-9-]{2,62}$/;
const profileIdPattern = /^[a-z][a-z0-9-]{1,62}$/;

function idList(text: string | undefined, option: string, pattern: RegExp): string[] {
  if (text === undefined) return [];
  const ids = [...new Set(text.split(',').map((id) => id.trim()))].filter(Boolean).sort();
  const bad = ids.find((id) => !pattern.test(id));
  if (ids.length === 0 || bad !== undefined)
    throw new UsageError(
      `--${option} không hợp lệ / invalid --${option} "${bad ?? text}": mã cách nhau bằng dấu phẩy / ids, comma-separated`,
      'create-user',
    );
  if (ids.length > maxDeviceScopeIds)
    throw new UsageError(`--${option}: tối đa / at most ${maxDeviceScopeIds} ids`, 'create-user');
  return ids;
}

function checkDevices(
  values: Record<string, string | boolean | undefined>,
  role: Role,
): DeviceScopeLists | undefined {
  const devices = idList(values.devices as string | undefined, 'devices', deviceIdPattern);
  const profiles = idList(values.profiles as string | undefined, 'profiles', profileIdPattern);
  if (role !== 'installer') {
    if (devices.length + profiles.length > 0)
      throw new UsageError(
        '--devices, --profiles: chỉ cho vai trò installer / for the installer role only',
        'create-user',
      );
    return undefined;
  }
  if (devices.length + profiles.length === 0)
    throw new UsageError(
      'installer cần --devices hoặc --profiles / an installer needs --devices or --profiles',
      'create-user',
    );
  if (values.scope !== undefined && values.scope !== 'all')
    throw new UsageError(
      'installer thấy thiết bị, không theo địa bàn / installers reach devices, not areas: bỏ / leave out --scope',
      'create-user',
    );
  return { profiles, devices };
}

function checkScope(scope: string | undefined, role: Role): string[] | null {
  if (scope === undefined || scope === 'all') return null;
  const ids = [...new Set(scope.split(',').map((id) => id.trim()))].filter(Boolean).sort();
  const bad = ids.find((id) => !placeIdPattern.test(id));
  if (ids.length === 0 || bad !== undefined)
    throw new UsageError(
      `phạm vi không hợp lệ / invalid --scope "${bad ?? scope}": mã địa bàn hoặc phường/xã, cách nhau bằng dấu phẩy / area or unit ids, comma-separated (hoi-an,tay-ninh)`,
      'create-user',
    );
  if (ids.length > maxScopeIds)
    throw new UsageError(`--scope: tối đa / at most ${maxScopeIds} ids`, 'create-user');
  if (role === 'admin')
    throw new UsageError(
      'quản trị viên luôn thấy mọi địa bàn / admins reach every area: bỏ --scope hoặc chọn vai trò khác / leave out --scope or choose another role',
      'create-user',
    );
  return ids;
}

export function parseAdminArgs(argv: string[]): AdminRequest {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError('thiếu lệnh / missing the <command>', '');
  if (first === '-h' || first === '--help') return { command: 'help', text: mainHelp };
  if (!(commands as string[]).includes(first))
    throw new UsageError(`không có lệnh / unknown command "${first}" (${commands.join(', ')})`, '');
  const command = first as Command;
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        ...(command === 'create-user'
          ? {
              role: { type: 'string' },
              scope: { type: 'string' },
              devices: { type: 'string' },
              profiles: { type: 'string' },
            }
          : {}),
        ...(command === 'create-user' || command === 'reset-password'
          ? { password: { type: 'string' } }
          : {}),
      },
    });
  } catch (error) {
    if (!String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_')) throw error;
    // Node's first sentence names the option; the rest is advice about '--' that rarely applies here.
    const reason = (error as Error).message.split('. ')[0]!.replace(/\.$/, '');
    throw new UsageError(`tuỳ chọn sai / wrong option: ${reason}`, command);
  }
  if (parsed.values.help) return { command: 'help', text: helps[command] };
  const expected = command === 'list-users' ? 0 : 1;
  if (parsed.positionals.length > expected)
    throw new UsageError(`thừa đối số / unexpected argument "${parsed.positionals[expected]}"`, command);
  const [username] = parsed.positionals;
  const password = parsed.values.password as string | undefined;
  switch (command) {
    case 'list-users':
      return { command };
    case 'create-user': {
      const role = checkRole(parsed.values.role as string | undefined);
      const devices = checkDevices(parsed.values, role);
      return {
        command,
        username: checkUsername(username, command),
        role,
        password: checkPassword(password, command),
        scope: devices ? null : checkScope(parsed.values.scope as string | undefined, role),
        ...(devices ? { devices } : {}),
      };
    }
    case 'reset-password':
      return {
        command,
        username: checkUsername(username, command),
        password: checkPassword(password, command),
      };
    case 'unlock':
      return { command, username: checkUsername(username, command) };
  }
}
