// Noise limits of QCVN 26:2010/BTNMT (Circular 39/2010/TT-BTNMT) and the energy average they are
// judged against. QCVN 26:2025/BNNMT (Circular 01/2025/TT-BNNMT) replaced it, but its limits are
// unverified here: the 2010 values ship as the default rule set, and callers may pass their own.
import { isWithinLocalWindow } from './time.ts';

export type NoiseZone = 'special' | 'normal';
export type NoisePeriod = 'day' | 'night';
export type NoiseLimits = Readonly<Record<NoiseZone, Readonly<Record<NoisePeriod, number>>>>;

/**
 * QCVN 26:2010/BTNMT, section 2.1, Table 1: maximum LAeq in dBA. "special": inside hospitals, libraries,
 * kindergartens, schools, churches, communal houses, pagodas; "normal": housing, hotels, guest houses,
 * administrative offices. The 2010 values, defaults only (see the file header).
 */
export const qcvn26Limits: NoiseLimits = {
  special: { day: 55, night: 45 },
  normal: { day: 70, night: 55 },
};

/** QCVN 26:2010/BTNMT: day is 06:00 ≤ local time < 21:00 (Asia/Ho_Chi_Minh), night the rest. */
export const qcvn26Day = { startMinute: 6 * 60, endMinute: 21 * 60 } as const;

export function noisePeriod(at: Date): NoisePeriod {
  return isWithinLocalWindow(at, qcvn26Day.startMinute, qcvn26Day.endMinute) ? 'day' : 'night';
}

/** The LAeq limit that applies in `zone` at instant `at`, and whether that is the day or night limit. */
export function noiseLimit(
  zone: NoiseZone,
  at: Date,
  limits: NoiseLimits = qcvn26Limits,
): { limitDb: number; period: NoisePeriod } {
  const period = noisePeriod(at);
  return { limitDb: limits[zone][period], period };
}

/**
 * LAeq over several equal intervals: 10·log10(mean(10^(L/10))). Decibels are logarithmic, so the
 * arithmetic mean would understate loud intervals (60 and 70 dB average to 67.4 dB, not 65).
 * Undefined for no levels.
 */
export function energyAverage(levelsDb: readonly number[]): number | undefined {
  if (levelsDb.length === 0) return undefined;
  const meanEnergy = levelsDb.reduce((sum, level) => sum + 10 ** (level / 10), 0) / levelsDb.length;
  return 10 * Math.log10(meanEnergy);
}
