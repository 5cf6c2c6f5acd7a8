// What the places area tells a person, in Vietnamese and English. An error's message carries both
// (Vietnamese first) and its details repeat them apart, so a console can show the reader's language.
import { AppError, type ErrorCode } from '../errors.ts';
import type { Bilingual } from './schema.ts';

export function placeError(
  code: ErrorCode,
  text: Bilingual,
  details: Record<string, unknown> = {},
): AppError {
  return new AppError(code, `${text.vi} / ${text.en}`, { ...details, vi: text.vi, en: text.en });
}

export const texts = {
  unknownArea: (area: string, known: readonly string[]): Bilingual => ({
    vi: `Không có địa bàn "${area}"; các địa bàn: ${known.join(', ')}.`,
    en: `There is no area "${area}"; the areas are: ${known.join(', ')}.`,
  }),
  unknownUnit: (unit: string): Bilingual => ({
    vi: `Không có đơn vị hành chính "${unit}".`,
    en: `There is no administrative unit "${unit}".`,
  }),
  unitNotInArea: (unit: string, area: string, known: readonly string[]): Bilingual => ({
    vi: `"${unit}" không phải đơn vị hành chính của địa bàn ${area}; các đơn vị hiện hành: ${known.join(', ')}.`,
    en: `"${unit}" is not an administrative unit of ${area}; the units in force: ${known.join(', ')}.`,
  }),
  formerUnitRetired: (former: string, current: string, until: string): Bilingual => ({
    vi: `"${former}" là đơn vị cũ (trước 1/7/2025), chỉ được chấp nhận đến hết ${until}: dùng đơn vị hiện hành "${current}".`,
    en: `"${former}" is a former unit (before 1 July 2025), accepted only until ${until}: use the current unit "${current}".`,
  }),
  formerUnitDeprecated: (former: string, current: string, until: string): Bilingual => ({
    vi: `"${former}" là đơn vị cũ (trước 1/7/2025), đã được đổi thành "${current}"; mã cũ chỉ được chấp nhận đến hết ${until}.`,
    en: `"${former}" is a former unit (before 1 July 2025) and was taken as "${current}"; former ids are accepted until ${until}.`,
  }),
  idTaken: (id: string): Bilingual => ({
    vi: `Mã "${id}" đã được dùng cho một địa bàn hoặc đơn vị hành chính khác.`,
    en: `The id "${id}" is already used by an area or an administrative unit.`,
  }),
  codeTaken: (code: string, unit: string): Bilingual => ({
    vi: `Mã thống kê ${code} đã thuộc về đơn vị hiện hành "${unit}".`,
    en: `The statistics code ${code} already belongs to the current unit "${unit}".`,
  }),
  boundariesRefused: (count: number): Bilingual => ({
    vi: `${count} đối tượng (feature) không hợp lệ; không ranh giới nào được nhập. Sửa các lỗi trong details.features rồi gửi lại.`,
    en: `${count} feature(s) are invalid; no boundary was imported. Fix the errors in details.features and send again.`,
  }),
  featureUnmatched: (key: string): Bilingual => ({
    vi: `Không có đơn vị hiện hành nào có mã ${key}.`,
    en: `No current unit has ${key}.`,
  }),
  featureNoKey: {
    vi: 'Thiếu properties.id hoặc properties.code để biết ranh giới thuộc đơn vị nào.',
    en: 'properties.id or properties.code is needed to tell which unit the boundary belongs to.',
  },
  featureTwice: (unit: string): Bilingual => ({
    vi: `Đơn vị "${unit}" có hơn một ranh giới trong tệp.`,
    en: `The unit "${unit}" has more than one boundary in the file.`,
  }),
  featureGeometry: (problems: string): Bilingual => ({
    vi: `Hình học không hợp lệ (chỉ nhận Polygon hoặc MultiPolygon, vòng khép kín, kinh độ rồi vĩ độ): ${problems}`,
    en: `Invalid geometry (Polygon or MultiPolygon only, closed rings, longitude then latitude): ${problems}`,
  }),
  noBoundary: (unit: string): Bilingual => ({
    vi: `Chưa nhập ranh giới cho đơn vị "${unit}".`,
    en: `No boundary has been imported for the unit "${unit}".`,
  }),
} as const;
