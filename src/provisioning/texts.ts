// What provisioning tells an installer or an admin, in Vietnamese and English. An error's message
// carries both (Vietnamese first); its details repeat them apart with a `reason` a device can act on.
import { AppError, type ErrorCode } from '../errors.ts';
import type { Bilingual } from '../places/schema.ts';

/** Why a claim may be refused: the stable words a device's firmware or an installer's app reads. */
export const claimRefusals = [
  'BAD_KEY',
  'KEY_REVOKED',
  'KEY_EXPIRED',
  'KEY_EXHAUSTED',
  'ALREADY_CLAIMED',
  'KIND_NOT_ALLOWED',
  'AREA_NOT_ALLOWED',
  'UNIT_NOT_ALLOWED',
  'UNIT_NEEDED',
  'RATE_LIMITED',
] as const;
export type ClaimRefusal = (typeof claimRefusals)[number];

export function provisionError(
  code: ErrorCode,
  text: Bilingual,
  details: Record<string, unknown> = {},
): AppError {
  return new AppError(code, `${text.vi} / ${text.en}`, { ...details, vi: text.vi, en: text.en });
}

export const texts = {
  badKey: {
    vi: 'Khóa cấp phát hoặc bí mật không đúng: kiểm tra lại khóa (iocp_…) và bí mật quản trị viên đã giao.',
    en: 'Wrong provisioning key or secret: check the key (iocp_…) and the secret the administrator gave you.',
  },
  revoked: (name: string): Bilingual => ({
    vi: `Khóa cấp phát "${name}" đã bị thu hồi: xin quản trị viên một khóa mới.`,
    en: `The provisioning key "${name}" was revoked: ask the administrator for a new one.`,
  }),
  expired: (name: string, at: Date): Bilingual => ({
    vi: `Khóa cấp phát "${name}" đã hết hạn lúc ${at.toISOString()}: xin quản trị viên một khóa mới.`,
    en: `The provisioning key "${name}" expired at ${at.toISOString()}: ask the administrator for a new one.`,
  }),
  exhausted: (name: string, max: number): Bilingual => ({
    vi: `Khóa cấp phát "${name}" đã dùng hết ${max} lượt: xin quản trị viên một khóa mới.`,
    en: `The provisioning key "${name}" has used all of its ${max} claims: ask the administrator for a new one.`,
  }),
  alreadyClaimed: (id: string, at: Date): Bilingual => ({
    vi: `Thiết bị "${id}" đã được cấp phát bằng khóa này lúc ${at.toISOString()}; bí mật chỉ hiện một lần. Nếu đã mất, quản trị viên cấp bí mật mới (POST /api/v1/devices/${id}/credentials).`,
    en: `The device "${id}" was already claimed with this key at ${at.toISOString()}; its secret is shown once. If it was lost, an administrator issues a new one (POST /api/v1/devices/${id}/credentials).`,
  }),
  kindNotAllowed: (kind: string, allowed: readonly string[]): Bilingual => ({
    vi: `Khóa này không cho đăng ký loại "${kind}"; chỉ: ${allowed.join(', ')}.`,
    en: `This key may not register the kind "${kind}"; only: ${allowed.join(', ')}.`,
  }),
  areaNotAllowed: (city: string, keyCity: string): Bilingual => ({
    vi: `Khóa này dành cho địa bàn ${keyCity}, không phải ${city}.`,
    en: `This key is for the area ${keyCity}, not ${city}.`,
  }),
  unitNotAllowed: (unit: string, keyUnit: string): Bilingual => ({
    vi: `Vị trí thuộc đơn vị "${unit}", còn khóa này chỉ dành cho đơn vị "${keyUnit}": kiểm tra tọa độ hoặc dùng khóa của đơn vị đó.`,
    en: `The position is in the unit "${unit}", and this key is only for the unit "${keyUnit}": check the coordinates or use that unit's key.`,
  }),
  unitNeeded: (city: string): Bilingual => ({
    vi: `Không xác định được đơn vị hành chính từ tọa độ (chưa có ranh giới ở đó trong ${city}): gửi kèm "ward".`,
    en: `No administrative unit could be told from the position (no boundary there in ${city}): send "ward" as well.`,
  }),
  rateLimited: (seconds: number): Bilingual => ({
    vi: `Quá nhiều lượt cấp phát với khóa này: thử lại sau ${seconds} giây.`,
    en: `Too many claims with this key: try again in ${seconds} s.`,
  }),
  nameTaken: (name: string): Bilingual => ({
    vi: `Đã có khóa cấp phát tên "${name}": chọn tên khác.`,
    en: `A provisioning key named "${name}" already exists: choose another name.`,
  }),
  notFound: (id: number): Bilingual => ({
    vi: `Không có khóa cấp phát ${id}.`,
    en: `There is no provisioning key ${id}.`,
  }),
  expiryPast: {
    vi: 'Thời hạn (expiresAt) phải ở tương lai.',
    en: 'The expiry (expiresAt) must be in the future.',
  },
  unknownKind: (kind: string, known: readonly string[]): Bilingual => ({
    vi: `Không có loại thiết bị "${kind}"; các loại: ${known.join(', ')}.`,
    en: `There is no device kind "${kind}"; the kinds are: ${known.join(', ')}.`,
  }),
} as const;
