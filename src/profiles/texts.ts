// What the profiles area tells a person, in Vietnamese and English. An error's message carries both
// (Vietnamese first) and its details repeat them apart, so a console can show the reader's language.
import { AppError, type ErrorCode } from '../errors.ts';
import type { Bilingual } from './schema.ts';

export function profileError(
  code: ErrorCode,
  text: Bilingual,
  details: Record<string, unknown> = {},
): AppError {
  return new AppError(code, `${text.vi} / ${text.en}`, { ...details, vi: text.vi, en: text.en });
}

export const texts = {
  unknownProfile: (id: string, known: readonly string[]): Bilingual => ({
    vi: `Không có hồ sơ thiết bị (loại) "${id}"; các hồ sơ: ${known.join(', ')}.`,
    en: `There is no device profile (kind) "${id}"; the profiles are: ${known.join(', ')}.`,
  }),
  idTaken: (id: string): Bilingual => ({
    vi: `Đã có hồ sơ thiết bị "${id}": sửa hồ sơ đó (PUT) hoặc chọn mã khác.`,
    en: `The device profile "${id}" already exists: edit it (PUT) or choose another id.`,
  }),
  noSuchMetric: (id: string, metric: string, known: readonly string[]): Bilingual => ({
    vi: `Hồ sơ "${id}" không có chỉ số "${metric}"; các chỉ số: ${known.join(', ')}.`,
    en: `The profile "${id}" has no metric "${metric}"; its metrics: ${known.join(', ')}.`,
  }),
  inUse: (id: string, devices: number): Bilingual => ({
    vi: `Không xóa được hồ sơ "${id}": còn ${devices} thiết bị thuộc loại này. Xóa hoặc đăng ký lại các thiết bị đó trước.`,
    en: `The profile "${id}" cannot be deleted: ${devices} device(s) are still of this kind. Delete or re-register them first.`,
  }),
} as const;
