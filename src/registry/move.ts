// A device moved to another unit by name while a unit boundary holds its position: the position decides
// the unit (src/places placeOf), so storing the move would quietly keep the old unit. The change is
// refused instead, saying which unit the position lies in and that the position has to change too.
import type { Places } from '../places/index.ts';
import type { Bilingual } from '../places/schema.ts';
import { placeError } from '../places/texts.ts';

export const moveTexts = {
  positionElsewhere: (position: Bilingual, named: Bilingual): Bilingual => ({
    vi:
      `Vị trí của thiết bị nằm trong ranh giới ${position.vi}, nên không chuyển sang ${named.vi} được: ` +
      'đơn vị hành chính theo vị trí. Hãy sửa cả vị trí (vĩ độ, kinh độ) cho đúng chỗ thiết bị đứng.',
    en:
      `The device's position lies within ${position.en}, so it cannot be moved to ${named.en}: ` +
      'the unit follows the position. Change the position too (latitude, longitude) to where the device stands.',
  }),
};

/**
 * Refuses a patch that names a unit (`ward`) other than the one whose boundary holds the device's
 * position (the patch's, else the stored one). Nothing to refuse where no boundary holds the position:
 * then the unit named is the device's unit.
 */
export function checkMove(
  places: Places,
  current: { city: string; lat: number; lon: number },
  patch: { city?: string; ward?: string; lat?: number; lon?: number },
): void {
  if (patch.ward === undefined) return;
  const city = patch.city ?? current.city;
  const lat = patch.lat ?? current.lat;
  const lon = patch.lon ?? current.lon;
  const there = places.unitAt(lat, lon, city);
  if (!there) return;
  // A former unit's id names the unit it went into.
  const named = places.placeOf({ city, ward: patch.ward }).ward;
  if (named === there.id) return;
  const fullName = (id: string): Bilingual => places.unit(id)?.fullName ?? { vi: id, en: id };
  const text = moveTexts.positionElsewhere(there.fullName, fullName(named));
  throw placeError('VALIDATION_FAILED', text, {
    ward: patch.ward,
    positionWard: there.id,
    fields: [{ field: 'ward', ...text }],
  });
}
