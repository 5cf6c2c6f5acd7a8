// An installer's reach in the API: `{ profiles, devices }`, the device profiles (every device of that
// kind) and device ids it sees (src/auth/deviceScope.ts), as admins set them on the account and as the
// users list shows them. Ids are checked against the profiles and devices the IOC knows before
// anything is stored, so a typo never becomes a list that silently reaches nothing.
import { z } from 'zod';
import { type DeviceScopeLists, maxDeviceScopeIds } from '../auth/deviceScope.ts';
import { DeviceId, KindName } from '../catalog/schema.ts';
import { AppError } from '../errors.ts';
import type { Role } from '../storage/users.ts';

const sortedSet = (ids: string[]) => [...new Set(ids)].sort();

export const DeviceScopeInput = z
  .object({
    profiles: z.array(KindName).max(maxDeviceScopeIds).default([]).transform(sortedSet),
    devices: z.array(DeviceId.max(63)).max(maxDeviceScopeIds).default([]).transform(sortedSet),
  })
  .strict()
  .refine((lists) => lists.profiles.length + lists.devices.length > 0, {
    message: 'name at least one profile or device / ghi ít nhất một hồ sơ hoặc một thiết bị',
  })
  .describe(
    'Chỉ cho vai trò installer: hồ sơ thiết bị (GET /api/v1/profiles; mọi thiết bị thuộc hồ sơ đó) và/hoặc mã thiết bị / ' +
      'Installers only: device profiles (GET /api/v1/profiles; every device of that profile) and/or device ids',
  );

export const DeviceScopeBody = z
  .object({ profiles: z.array(z.string()), devices: z.array(z.string()) })
  .nullable()
  .describe(
    'Hồ sơ và thiết bị tài khoản nhà cung cấp / lắp đặt thấy; null với vai trò khác / ' +
      'The profiles and devices an installer account sees; null for other roles',
  );

// "field: vi / en" (the Vietnamese may hold a " / " of its own, the English none); details.fields lets the
// admin forms show the refusal beside its field, in the reader's language.
const invalid = (message: string) => {
  const colon = message.indexOf(': ');
  const split = message.lastIndexOf(' / ');
  const field = message.slice(0, colon);
  const fields = [{ field, vi: message.slice(colon + 2, split), en: message.slice(split + 3) }];
  return new AppError('VALIDATION_FAILED', message, { fields });
};

/**
 * The lists to store for an account of `role`: required for an installer (with no area scope),
 * refused for any other role; undefined when none apply. Unknown profiles or devices are refused.
 */
export async function checkedDevices(
  role: Role,
  devices: DeviceScopeLists | undefined,
  areaScope: 'all' | string[] | undefined,
  unknownDevices: (lists: DeviceScopeLists) => Promise<DeviceScopeLists>,
): Promise<DeviceScopeLists | undefined> {
  if (role !== 'installer') {
    if (devices)
      throw invalid(
        'devices: chỉ tài khoản nhà cung cấp / lắp đặt có danh sách thiết bị / only installer accounts have device lists; give role "installer" or leave out devices',
      );
    return undefined;
  }
  if (!devices)
    throw invalid(
      'devices: tài khoản nhà cung cấp / lắp đặt cần ít nhất một hồ sơ hoặc thiết bị / an installer account needs devices: { profiles, devices } naming at least one',
    );
  if (areaScope !== undefined && areaScope !== 'all')
    throw invalid(
      'scope: tài khoản nhà cung cấp / lắp đặt thấy thiết bị, không theo địa bàn / installers reach devices, not areas; leave out scope',
    );
  const unknown = await unknownDevices(devices);
  const named = [
    ...unknown.profiles.map((id) => `profile ${id}`),
    ...unknown.devices.map((id) => `device ${id}`),
  ];
  if (named.length > 0)
    throw invalid(
      `devices: không có ${named.join(', ')} / no ${named.join(', ')}; see GET /api/v1/profiles and GET /api/v1/devices`,
    );
  return devices;
}
