// QCVN 26:2010/BTNMT maximum LAeq (dBA): day 06:00–21:00, night 21:00–06:00, Asia/Ho_Chi_Minh.
// QCVN 26:2025/BNNMT replaced it; its limits are unverified here, so these ship as the editable defaults.
import { localParts } from './time.ts';

export const qcvn26Limits = {
  special: { day: 55, night: 45 },
  normal: { day: 70, night: 55 },
} as const;

export function noisePeriod(at: Date): 'day' | 'night' {
  const { hour } = localParts(at);
  return hour >= 6 && hour < 21 ? 'day' : 'night';
}

export function noiseLimit(
  zone: 'special' | 'normal',
  at: Date,
): { limitDb: number; period: 'day' | 'night' } {
  const period = noisePeriod(at);
  return { limitDb: qcvn26Limits[zone][period], period };
}

/** LAeq over several intervals is an energy average, never the arithmetic mean of decibels. */
export function energyAverage(levelsDb: number[]): number {
  const mean = levelsDb.reduce((sum, l) => sum + 10 ** (l / 10), 0) / levelsDb.length;
  return 10 * Math.log10(mean);
}
