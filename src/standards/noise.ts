// Noise limits as versioned data: each version of QCVN 26 with the instant it takes effect, its
// zones' LAeq limits and its day window, and the one in force at a reading's instant (Vietnam time).
// Also the energy average LAeq is judged by. Pure: the instant is always passed in.
import { isWithinLocalWindow, localDateStart } from './time.ts';

export type NoiseZone = 'special' | 'normal';
export type NoisePeriod = 'day' | 'night';
export type NoiseLimits = Readonly<Record<NoiseZone, Readonly<Record<NoisePeriod, number>>>>;

export interface NoiseStandard {
  /** As the regulation is cited, and as alerts and feeds name it. */
  name: string;
  /** The circular it was issued with. */
  issuedWith: string;
  /** When it takes effect (local midnight); null: before any reading the system holds. */
  effectiveFrom: Date | null;
  /** Maximum LAeq, dBA, per zone and period. */
  limits: NoiseLimits;
  /** Day is startMinute ≤ local time < endMinute (Asia/Ho_Chi_Minh), night the rest. */
  day: { startMinute: number; endMinute: number };
  /** False while the limits and the day window are not confirmed from the regulation's own text. */
  confirmed: boolean;
}

/**
 * QCVN 26:2010/BTNMT (Circular 39/2010/TT-BTNMT), 2.1, Table 1: maximum LAeq in dBA, 06:00–21:00 and
 * 21:00–06:00. "special" (1.3.1): inside hospitals, libraries, kindergartens, schools, churches, communal
 * houses, pagodas; "normal" (1.3.2): housing, hotels, guest houses, administrative offices.
 */
export const qcvn26of2010: NoiseStandard = {
  name: 'QCVN 26:2010/BTNMT',
  issuedWith: 'Thông tư 39/2010/TT-BTNMT',
  effectiveFrom: null,
  limits: { special: { day: 55, night: 45 }, normal: { day: 70, night: 55 } },
  day: { startMinute: 6 * 60, endMinute: 21 * 60 },
  confirmed: true,
};

/**
 * QCVN 26:2025/BNNMT, issued with Circular 01/2025/TT-BNNMT of 15 May 2025 (Ministry of Agriculture
 * and Environment), replaces QCVN 26:2010/BTNMT from 14 November 2025. Its zones, limits and time
 * windows could not be confirmed from a source (docs/standards.md): until they are, the 2010 values
 * stand in, marked unconfirmed, and whoever confirms them edits them here.
 */
export const qcvn26of2025: NoiseStandard = {
  name: 'QCVN 26:2025/BNNMT',
  issuedWith: 'Thông tư 01/2025/TT-BNNMT',
  effectiveFrom: localDateStart('2025-11-14'),
  limits: qcvn26of2010.limits,
  day: qcvn26of2010.day,
  confirmed: false,
};

/** Every version, oldest first; each applies from its effectiveFrom until the next one's. */
export const noiseStandards: readonly NoiseStandard[] = [qcvn26of2010, qcvn26of2025];

/** The version in force at instant `at`. */
export function noiseStandardAt(
  at: Date,
  standards: readonly NoiseStandard[] = noiseStandards,
): NoiseStandard {
  let inForce = standards[0]!;
  for (const standard of standards) {
    if (standard.effectiveFrom === null || standard.effectiveFrom.getTime() <= at.getTime())
      inForce = standard;
  }
  return inForce;
}

/** The versions in force at some instant of [from, to): a period that spans a changeover has two. */
export function noiseStandardsDuring(
  from: Date,
  to: Date,
  standards: readonly NoiseStandard[] = noiseStandards,
): NoiseStandard[] {
  return standards.filter((standard, i) => {
    const next = standards[i + 1]?.effectiveFrom;
    const starts = standard.effectiveFrom?.getTime() ?? Number.NEGATIVE_INFINITY;
    const ends = next?.getTime() ?? Number.POSITIVE_INFINITY;
    return starts < to.getTime() && ends > from.getTime();
  });
}

export function noisePeriod(at: Date, standard: NoiseStandard = noiseStandardAt(at)): NoisePeriod {
  return isWithinLocalWindow(at, standard.day.startMinute, standard.day.endMinute) ? 'day' : 'night';
}

export interface NoiseLimit {
  limitDb: number;
  period: NoisePeriod;
  /** The name of the version in force, e.g. "QCVN 26:2025/BNNMT". */
  standard: string;
  confirmed: boolean;
}

/** The LAeq limit that applies in `zone` at instant `at`: of the version in force then, day or night. */
export function noiseLimit(
  zone: NoiseZone,
  at: Date,
  standards: readonly NoiseStandard[] = noiseStandards,
): NoiseLimit {
  const standard = noiseStandardAt(at, standards);
  const period = noisePeriod(at, standard);
  return {
    limitDb: standard.limits[zone][period],
    period,
    standard: standard.name,
    confirmed: standard.confirmed,
  };
}

/**
 * An hour bin's noise limits, for judging its readings together: of the version in force at the hour's
 * start, and its day or night. Exact because versions change at local midnight and the day windows
 * start and end on the hour (a test keeps every version so).
 */
export function noiseHourLimits(
  hourStart: Date,
  standards: readonly NoiseStandard[] = noiseStandards,
): { standard: string; day: boolean; special: number; normal: number } {
  const standard = noiseStandardAt(hourStart, standards);
  const period = noisePeriod(hourStart, standard);
  return {
    standard: standard.name,
    day: period === 'day',
    special: standard.limits.special[period],
    normal: standard.limits.normal[period],
  };
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
