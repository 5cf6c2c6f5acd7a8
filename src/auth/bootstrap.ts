// The first start's admin account. A generated password is written to DATA_DIR before the account
// exists and printed the moment it does, before anything else in start-up (a taken port, say) can
// fail; later starts say where it still is, or remove the file once the password was changed.
import { randomBytes } from 'node:crypto';
import type { Logger } from '../log.ts';
import type { UserQueries } from '../storage/users.ts';
import {
  initialAdminUsername,
  initialPasswordPath,
  keepInitialPassword,
  settleInitialPassword,
} from './initialPassword.ts';
import { hashSecret, passwordCost } from './secrets.ts';

export interface Printer {
  write(text: string): unknown;
}

export function createdText(password: string, path: string): string {
  return (
    `\n  Lần khởi động đầu: đã tạo tài khoản "${initialAdminUsername}" / First start: created the account "${initialAdminUsername}"\n` +
    `  Mật khẩu quản trị ban đầu / Initial admin password: ${password}\n` +
    `  Cũng lưu tại / also kept in: ${path}\n` +
    '  (tệp bị xoá khi đổi mật khẩu này / the file is removed once this password is changed)\n\n'
  );
}

export function stillKeptText(path: string): string {
  return (
    `  Mật khẩu quản trị ban đầu vẫn lưu tại / The initial admin password is still in: ${path}\n` +
    '  Hãy đăng nhập và đổi mật khẩu; tệp sẽ bị xoá / Log in and change it; the file is then removed.\n'
  );
}

/**
 * Creates `admin` when there is no account yet, with `password` or a generated one; returns the
 * generated password when one was made.
 */
export async function bootstrapAdmin(deps: {
  users: UserQueries;
  dataDir: string;
  password: string | undefined;
  log: Logger;
  out: Printer;
}): Promise<string | undefined> {
  const { users, dataDir, password, log, out } = deps;
  const empty = (await users.count()) === 0;
  if (empty && !password) {
    const generated = randomBytes(12).toString('base64url');
    const hash = await hashSecret(generated, passwordCost);
    // The file first: should the insert's answer be lost, the password is still on disk, and the
    // next start settles whether it works.
    const path = await keepInitialPassword(dataDir, generated);
    if (await users.create(initialAdminUsername, hash, 'admin')) {
      out.write(createdText(generated, path));
      log.info({ username: initialAdminUsername, file: path }, 'created the first admin account');
      return generated;
    }
    // Another instance created the first account at the same moment: its password, not this one.
  } else if (empty && password) {
    await users.create(initialAdminUsername, await hashSecret(password, passwordCost), 'admin');
    log.info({ username: initialAdminUsername }, 'created the first admin account with ADMIN_PASSWORD');
  }
  const state = await settleInitialPassword(dataDir, users);
  if (state === 'kept') out.write(stillKeptText(initialPasswordPath(dataDir)));
  if (state === 'removed')
    log.info(
      { file: initialPasswordPath(dataDir) },
      'the initial admin password was changed; removed its file',
    );
  return undefined;
}
