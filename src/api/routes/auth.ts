// Sessions and accounts: login (budgeted, throttled, locked out after repeated failures), logout, own password;
// admins manage users, their roles and their scopes (the areas and units they reach). Login and logout
// write their own audit entries; the rest go through the hook.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Audit } from '../../audit/index.ts';
import {
  passwordMaxLength,
  passwordMinLength,
  usernamePattern,
  usernameRule,
} from '../../auth/accountRules.ts';
import type { Auth } from '../../auth/index.ts';
import { scopeFrom, scopeWire } from '../../auth/scope.ts';
import { AppError } from '../../errors.ts';
import { roles, type UserQueries } from '../../storage/users.ts';
import { checkedDevices, DeviceScopeBody, DeviceScopeInput } from '../deviceScope.ts';
import { ErrorBody } from '../schemas.ts';
import { checkedScope, ScopeBody, ScopeInput } from '../scope.ts';

const Password = z
  .string()
  .min(passwordMinLength, `at least ${passwordMinLength} characters`)
  .max(passwordMaxLength);
const Username = z.string().max(64).regex(usernamePattern, usernameRule);
const UserBody = z.object({
  id: z.number(),
  username: z.string(),
  role: z.enum(roles),
  disabled: z.boolean(),
  /** Set while the account is locked after repeated failed logins. */
  lockedUntil: z.string().nullable(),
  createdAt: z.string(),
  lastLoginAt: z.string().nullable().describe('the last successful login; null: never'),
  scope: ScopeBody,
  devices: DeviceScopeBody,
});

const adminsEverywhere = () =>
  new AppError(
    'VALIDATION_FAILED',
    'scope: quản trị viên luôn thấy mọi địa bàn / admins reach every area; give scope "all" or another role',
  );

export async function authRoutes(
  app: FastifyInstance,
  opts: { auth: Auth; users: UserQueries; audit: Audit },
) {
  const { auth, users, audit } = opts;
  const r = app.withTypeProvider<ZodTypeProvider>();
  const errors = {
    400: ErrorBody,
    401: ErrorBody,
    403: ErrorBody,
    404: ErrorBody,
    409: ErrorBody,
    429: ErrorBody,
  };

  r.post(
    '/auth/login',
    {
      config: { role: 'public', audit: 'explicit' },
      // A login is a few dozen bytes; anything bigger is not one.
      bodyLimit: 4_096,
      schema: {
        operationId: 'login',
        summary: 'Đăng nhập / Log in',
        description:
          'Mã nhận được gửi trong `Authorization: Bearer <token>`. Quá LOGIN_ADDRESS_RATE_PER_MIN từ một địa chỉ, ' +
          'LOGIN_GLOBAL_RATE_PER_S trên toàn hệ thống, hoặc hàng đợi băm đầy: 429 kèm Retry-After. 10 lần sai trong ' +
          '15 phút khoá cặp (người dùng, địa chỉ); LOGIN_LOCKOUT_FAILURES lần từ mọi nơi khoá tài khoản ' +
          '(ACCOUNT_LOCKED) trong LOGIN_LOCKOUT_S. / ' +
          'The token goes in `Authorization: Bearer <token>`. Over LOGIN_ADDRESS_RATE_PER_MIN from one address, ' +
          'LOGIN_GLOBAL_RATE_PER_S in all, or a full hash queue: 429 with Retry-After before any work. 10 failures ' +
          'in 15 min lock the pair (user, address); LOGIN_LOCKOUT_FAILURES from anywhere lock the account ' +
          '(ACCOUNT_LOCKED) for LOGIN_LOCKOUT_S against the addresses that failed.',
        tags: ['auth'],
        body: z
          .object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) })
          .strict(),
        response: {
          200: z.object({
            token: z.string(),
            expiresAt: z.string(),
            role: z.enum(roles),
            scope: ScopeBody.describe('the areas and units this account reaches'),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { username, password } = request.body;
      const entry = { actor: username, action: 'auth.login', target: username, ip: request.ip };
      try {
        const { token, expiresAt, role, scope } = await auth.login(username, password, request.ip);
        await audit.record({ ...entry, actorRole: role, outcome: 'success', status: 200, details: {} });
        return { token, expiresAt: expiresAt.toISOString(), role, scope: scopeWire(scope) };
      } catch (error) {
        const refused = error instanceof AppError ? error : undefined;
        await audit.record({
          ...entry,
          actorRole: null,
          outcome: refused?.statusCode === 429 ? 'denied' : 'failure',
          status: refused?.statusCode ?? 500,
          details: { error: refused?.code ?? 'INTERNAL' },
        });
        throw error;
      }
    },
  );

  r.post(
    '/auth/renew',
    {
      config: { role: 'viewer', installer: true },
      schema: {
        operationId: 'renewSession',
        summary: 'Gia hạn phiên đăng nhập / Renew the session',
        description:
          'Một mã mới (JWT_TTL_S) cho phiên còn hiệu lực, không cần mật khẩu: màn hình treo tường không bị ' +
          'đăng xuất. Phiên đã kết thúc (đăng xuất, đổi mật khẩu hay vai trò, tài khoản bị khoá) không gia hạn ' +
          'được. / A new token (JWT_TTL_S) for a session still valid, without the password, so a wall display ' +
          'stays up. A session that has ended (logout, password or role change, account disabled) is not renewed.',
        tags: ['auth'],
        response: {
          200: z.object({
            token: z.string(),
            expiresAt: z.string(),
            role: z.enum(roles),
            scope: ScopeBody.describe('the areas and units this account reaches'),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const bearer = request.headers.authorization?.replace(/^Bearer\s+/i, '') ?? '';
      const { token, expiresAt, role, scope } = await auth.renew(bearer);
      return { token, expiresAt: expiresAt.toISOString(), role, scope: scopeWire(scope) };
    },
  );

  r.post(
    '/auth/logout',
    {
      config: { role: 'viewer', installer: true, audit: 'explicit' },
      schema: {
        operationId: 'logout',
        summary: 'Đăng xuất mọi phiên của mình / End every session of the calling user',
        tags: ['auth'],
        response: { 204: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      const { username, role } = request.principal!;
      await auth.logout(username);
      await audit.record({
        actor: username,
        actorRole: role,
        action: 'auth.logout',
        target: username,
        ip: request.ip,
        outcome: 'success',
        status: 204,
        details: {},
      });
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/auth/password',
    {
      config: { role: 'viewer', installer: true },
      schema: {
        operationId: 'changeOwnPassword',
        summary: 'Đổi mật khẩu của mình / Change your own password',
        description:
          'Các phiên khác của bạn kết thúc; sai mật khẩu hiện tại nhiều lần bị giới hạn như đăng nhập (429). / ' +
          'Ends your other sessions; repeated wrong current passwords are throttled like logins (429).',
        tags: ['auth'],
        body: z.object({ currentPassword: z.string().min(1).max(256), newPassword: Password }).strict(),
        response: { 204: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      const username = request.principal!.username;
      await auth.login(username, request.body.currentPassword, request.ip); // proves the current password
      await users.update(username, { passwordHash: await auth.hashPassword(request.body.newPassword) });
      await auth.passwordChanged(username);
      return reply.code(204).send(null);
    },
  );

  r.get(
    '/users',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'listUsers',
        summary: 'Danh sách người dùng / List users',
        tags: ['users'],
        response: { 200: z.object({ items: z.array(UserBody) }), ...errors },
      },
    },
    async () => ({
      items: (await users.list()).map((u) => ({
        ...u,
        lockedUntil: u.lockedUntil?.toISOString() ?? null,
        createdAt: u.createdAt.toISOString(),
        lastLoginAt: u.lastLoginAt?.toISOString() ?? null,
        scope: scopeWire(scopeFrom(u.scope)),
        devices:
          u.role === 'installer' ? { profiles: u.deviceProfiles ?? [], devices: u.deviceIds ?? [] } : null,
      })),
    }),
  );

  r.post(
    '/users',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'createUser',
        summary: 'Tạo người dùng / Create a user',
        description:
          'Không ghi `scope`: mọi địa bàn. Người xem và người vận hành có thể bị giới hạn trong một số địa bàn ' +
          'hoặc phường/xã; quản trị viên luôn thấy mọi địa bàn. Nhà cung cấp / lắp đặt (`installer`) không có ' +
          '`scope` mà có `devices` (hồ sơ và/hoặc mã thiết bị): chỉ thấy các thiết bị đó. / Without `scope`: every ' +
          'area. Viewers and operators may be limited to some areas or units; admins always reach every area. ' +
          'Installers / vendors (`installer`) have `devices` (profiles and/or device ids) instead of `scope`: they ' +
          'see those devices only.',
        tags: ['users'],
        body: z
          .object({
            username: Username,
            password: Password,
            role: z.enum(roles),
            scope: ScopeInput.optional(),
            devices: DeviceScopeInput.optional(),
          })
          .strict(),
        response: {
          201: z.object({
            username: z.string(),
            role: z.enum(roles),
            scope: ScopeBody,
            devices: DeviceScopeBody,
          }),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const { username, password, role } = request.body;
      const wanted = request.body.scope ?? 'all';
      if (role === 'admin' && wanted !== 'all') throw adminsEverywhere();
      const devices = await checkedDevices(
        role,
        request.body.devices,
        request.body.scope,
        users.unknownDevices,
      );
      const scope = await checkedScope(wanted, users.unknownPlaces);
      if (!(await users.create(username, await auth.hashPassword(password), role, scope, devices))) {
        throw new AppError('CONFLICT', `user ${username} already exists`);
      }
      return reply.code(201).send({ username, role, scope: scope ?? 'all', devices: devices ?? null });
    },
  );

  r.patch(
    '/users/:username',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'updateUser',
        summary:
          'Sửa vai trò, phạm vi, đặt lại mật khẩu hoặc khoá tài khoản / Change a role or a scope, reset a password or disable an account',
        description:
          'Phạm vi mới, mật khẩu mới hoặc khoá tài khoản kết thúc các phiên của tài khoản; mật khẩu mới hoặc mở lại ' +
          'tài khoản gỡ khoá đăng nhập; lên quản trị viên thì phạm vi thành mọi địa bàn. `devices` chỉ cho vai ' +
          'trò installer (bắt buộc khi chuyển sang vai trò này; rời vai trò thì bỏ). / A new scope, a new ' +
          'password or disabling ends its sessions; a new password or re-enabling lifts a lockout; becoming an ' +
          'admin widens the scope to every area. `devices` is for the installer role only (required when ' +
          'becoming one; dropped when leaving it); new lists end its sessions too.',
        tags: ['users'],
        params: z.object({ username: Username }),
        body: z
          .object({
            role: z.enum(roles).optional(),
            password: Password.optional(),
            disabled: z.boolean().optional(),
            scope: ScopeInput.optional(),
            devices: DeviceScopeInput.optional(),
          })
          .strict(),
        response: { 204: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      const { username } = request.params;
      if (
        username === request.principal!.username &&
        (request.body.disabled || (request.body.role && request.body.role !== 'admin'))
      ) {
        throw new AppError('CONFLICT', 'an admin cannot disable or demote themselves; ask another admin');
      }
      let scope: string[] | null | undefined;
      const current = await users.byUsername(username);
      const role = request.body.role ?? current?.role;
      if (request.body.scope !== undefined) {
        if (role === 'admin' && request.body.scope !== 'all') throw adminsEverywhere();
        if (role === 'installer' && request.body.scope !== 'all')
          throw new AppError(
            'VALIDATION_FAILED',
            'scope: tài khoản nhà cung cấp / lắp đặt thấy thiết bị, không theo địa bàn / installers reach devices, not areas; change devices instead',
          );
        scope = await checkedScope(request.body.scope, users.unknownPlaces);
      }
      // An installer has no areas: becoming a viewer or operator without a scope would reach them all.
      if (current?.role === 'installer' && (role === 'viewer' || role === 'operator') && scope === undefined)
        throw new AppError(
          'VALIDATION_FAILED',
          'scope: cho biết tài khoản này được thấy địa bàn nào (`all`: mọi địa bàn) / say which areas this account reaches now (`all`: every area)',
          {
            vi: 'Cần chọn phạm vi địa bàn khi đổi vai trò nhà cung cấp / lắp đặt.',
            en: 'Choose an area scope when changing an installer’s role.',
            fields: [
              {
                field: 'scope',
                vi: 'Chọn địa bàn (hoặc mọi địa bàn).',
                en: 'Choose the areas (or every area).',
              },
            ],
          },
        );
      // An installer keeps its lists unless new ones are given; one becoming an installer needs them.
      const keepsLists = current?.role === 'installer' && role === 'installer';
      const devices =
        role && (request.body.devices !== undefined || !keepsLists)
          ? await checkedDevices(role, request.body.devices, request.body.scope, users.unknownDevices)
          : undefined;
      const passwordHash = request.body.password ? await auth.hashPassword(request.body.password) : undefined;
      if (
        !(await users.update(username, {
          role: request.body.role,
          passwordHash,
          disabled: request.body.disabled,
          scope,
          devices,
        }))
      ) {
        throw new AppError('NOT_FOUND', `user ${username} does not exist`);
      }
      if (passwordHash) await auth.passwordChanged(username);
      else auth.forget(username);
      return reply.code(204).send(null);
    },
  );
}
