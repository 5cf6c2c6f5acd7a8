// VN_AQI per Decision 1459/QĐ-TCMT (12 Nov 2019, Vietnam Environment Administration), which replaced
// Decision 878/QĐ-TCMT (2011) and its 101–200 "Kém" band. Pure functions: concentrations in, indices out;
// callers choose the averaging (NowCast, 1h, 8h, 24h) and the clock. Numbers as in the Decision's tables.
import { localParts } from './time.ts';

/** The pollutants of VN_AQI, named as the metrics of our environment sensors. */
export type Pollutant = 'pm25' | 'pm10' | 'o3' | 'no2' | 'so2' | 'co';

// Decision 1459/QĐ-TCMT, breakpoint table: index breakpoints I_i and concentration breakpoints BP_i,
// all in µg/m³ (CO too), one table for the hourly and the daily index.
const indexBreakpoints = [0, 50, 100, 150, 200, 300, 400, 500] as const;
const concentrationBreakpoints: Record<Pollutant | 'o3_8h', readonly number[]> = {
  o3: [0, 160, 200, 300, 400, 800, 1000, 1200],
  o3_8h: [0, 100, 120, 170, 210, 400], // the 8h column has no rows 7–8: above 400 only the 1h one applies
  co: [0, 10_000, 30_000, 45_000, 60_000, 90_000, 120_000, 150_000],
  so2: [0, 125, 350, 550, 800, 1600, 2100, 2630],
  no2: [0, 100, 200, 700, 1200, 2350, 3100, 3850],
  pm10: [0, 50, 150, 250, 350, 420, 500, 600],
  pm25: [0, 25, 50, 80, 150, 250, 350, 500],
};

/**
 * The unrounded sub-index of one pollutant, or undefined for a missing, non-finite or negative value.
 * Decision 1459/QĐ-TCMT, sub-index formula: AQI_x = (I_{i+1} − I_i)/(BP_{i+1} − BP_i)·(C_x − BP_i) + I_i for
 * BP_i ≤ C_x ≤ BP_{i+1}. Above the last row the decision gives no rule; we cap at 500, the top of the scale.
 * O3 on the 8h column above 400 µg/m³ is undefined: the decision switches to the 1h column there.
 */
export function subIndex(
  pollutant: Pollutant,
  concentration: number | undefined,
  column: '1h' | '8h' = '1h',
): number | undefined {
  if (concentration === undefined || !Number.isFinite(concentration) || concentration < 0) return undefined;
  const eightHourO3 = pollutant === 'o3' && column === '8h';
  const bp = concentrationBreakpoints[eightHourO3 ? 'o3_8h' : pollutant];
  for (let i = 0; i < bp.length - 1; i++) {
    const low = bp[i]!;
    const high = bp[i + 1]!;
    if (concentration <= high) {
      const iLow = indexBreakpoints[i]!;
      const iHigh = indexBreakpoints[i + 1]!;
      return ((iHigh - iLow) / (high - low)) * (concentration - low) + iLow;
    }
  }
  return eightHourO3 ? undefined : 500;
}

/**
 * NowCast of PM2.5 or PM10 from hourly means, newest first: hourlyMeans[0] is c1, the latest complete
 * hour; at most 12 hours are used. Decision 1459/QĐ-TCMT, hourly AQI of PM2.5/PM10: w* = min/max of the hours present,
 * w = w* if w* > 1/2 else 1/2, NowCast = Σ w^(i−1)·c_i / Σ w^(i−1), a missing c_i dropping out of both
 * sums; undefined unless at least two of c1, c2, c3 are present. Negative or non-finite means count as
 * missing (a faulty hour must not drag w* to zero). The formula as written, w* over all 12 hours,
 * reproduces the decision's example (w* = 16.5/26.9 ≈ 0.61, NowCast 20.27 → 20.3).
 */
export function nowCast(hourlyMeans: ReadonlyArray<number | undefined>): number | undefined {
  const hours = hourlyMeans
    .slice(0, 12)
    .map((c) => (c !== undefined && Number.isFinite(c) && c >= 0 ? c : undefined));
  if (hours.slice(0, 3).filter((c) => c !== undefined).length < 2) return undefined;
  const present = hours.filter((c): c is number => c !== undefined);
  const max = Math.max(...present);
  const wStar = max === 0 ? 1 : Math.min(...present) / max; // all zero: any weight gives 0
  const w = wStar > 0.5 ? wStar : 0.5;
  let numerator = 0;
  let denominator = 0;
  hours.forEach((c, i) => {
    if (c === undefined) return;
    numerator += w ** i * c;
    denominator += w ** i;
  });
  return numerator / denominator;
}

export interface AqiCategory {
  band: 1 | 2 | 3 | 4 | 5 | 6;
  min: number;
  max: number;
  vi: 'Tốt' | 'Trung bình' | 'Kém' | 'Xấu' | 'Rất xấu' | 'Nguy hại';
  en: 'Good' | 'Moderate' | 'Poor' | 'Bad' | 'Very bad' | 'Hazardous';
  colour: string;
  rgb: readonly [number, number, number];
  adviceVi: string;
  adviceEn: string;
}

// Decision 1459/QĐ-TCMT, section 1.4, Table 1: bands, official Vietnamese names, RGB colours, health effects.
// The English names are our working translation.
export const aqiCategories: readonly AqiCategory[] = [
  {
    band: 1,
    min: 0,
    max: 50,
    vi: 'Tốt',
    en: 'Good',
    colour: '#00e400',
    rgb: [0, 228, 0],
    adviceVi: 'Chất lượng không khí tốt, không ảnh hưởng tới sức khỏe.',
    adviceEn: 'Air quality is good and has no effect on health.',
  },
  {
    band: 2,
    min: 51,
    max: 100,
    vi: 'Trung bình',
    en: 'Moderate',
    colour: '#ffff00',
    rgb: [255, 255, 0],
    adviceVi:
      'Chất lượng không khí ở mức chấp nhận được; nhóm nhạy cảm (người già, trẻ em, người mắc bệnh hô hấp, tim mạch) có thể bị ảnh hưởng sức khỏe.',
    adviceEn:
      'Air quality is acceptable; sensitive groups (elderly people, children, people with respiratory or heart disease) may be affected.',
  },
  {
    band: 3,
    min: 101,
    max: 150,
    vi: 'Kém',
    en: 'Poor',
    colour: '#ff7e00',
    rgb: [255, 126, 0],
    adviceVi:
      'Nhóm nhạy cảm (người già, trẻ em, người mắc bệnh hô hấp, tim mạch) bị ảnh hưởng sức khỏe, nên hạn chế thời gian ở bên ngoài.',
    adviceEn:
      'Sensitive groups (elderly people, children, people with respiratory or heart disease) are affected and should limit their time outdoors.',
  },
  {
    band: 4,
    min: 151,
    max: 200,
    vi: 'Xấu',
    en: 'Bad',
    colour: '#ff0000',
    rgb: [255, 0, 0],
    adviceVi:
      'Mọi người bắt đầu bị ảnh hưởng tới sức khỏe; nhóm nhạy cảm có thể bị ảnh hưởng nghiêm trọng hơn.',
    adviceEn: 'Everyone begins to be affected; sensitive groups may be affected more seriously.',
  },
  {
    band: 5,
    min: 201,
    max: 300,
    vi: 'Rất xấu',
    en: 'Very bad',
    colour: '#8f3f97',
    rgb: [143, 63, 151],
    adviceVi: 'Cảnh báo sức khỏe: mọi người bị ảnh hưởng tới sức khỏe nghiêm trọng hơn.',
    adviceEn: 'Health warning: everyone is affected more seriously.',
  },
  {
    band: 6,
    min: 301,
    max: 500,
    vi: 'Nguy hại',
    en: 'Hazardous',
    colour: '#7e0023',
    rgb: [126, 0, 35],
    adviceVi: 'Cảnh báo khẩn cấp về sức khỏe: toàn bộ dân số có thể bị ảnh hưởng nghiêm trọng tới sức khỏe.',
    adviceEn: 'Health emergency: the whole population may be seriously affected.',
  },
];

/** The band of an (integer) AQI; anything above 500 stays in the last band. */
export function aqiCategory(aqi: number): AqiCategory {
  return aqiCategories.find((c) => aqi <= c.max) ?? aqiCategories[aqiCategories.length - 1]!;
}

/**
 * Rounding. Decision 1459/QĐ-TCMT, 2.2.1 c and 2.2.2 c: "Giá trị AQI giờ / ngày được làm tròn thành số
 * nguyên" (rounded to an integer), i.e. to the nearest integer, halves up. Its worked examples print
 * O3 42.53 → 43, PM2.5 40.6 → 41, O3 44.65 → 45, O3 35.81 → 36, NO2 65.4 → 65, PM2.5 109.5 → 110, all
 * as this rule gives, but NO2 59.35 → 60 (hourly AQI 60), which no rounding to nearest gives; rounding
 * up would give 60 there and 66 for 65.4 instead. One example is a slip either way, so the text
 * decides: the hourly example is 59 here. Rounding up would also move every band's lower edge (50.01
 * would read 51, Trung bình). Sub-indices are rounded before the maximum; rounding is monotone, so the
 * AQI is the rounded maximum. The epsilon keeps halves that floating point computes as 109.49999… at
 * .5 (109.5 → 110).
 */
const roundIndex = (value: number) => Math.floor(value + 0.5 + 1e-9);

export interface AqiResult {
  /** The maximum rounded sub-index. */
  aqi: number;
  /** The pollutant giving it (first of PM2.5, PM10, O3, NO2, SO2, CO on a tie). */
  dominant: Pollutant;
  /** Every sub-index that could be computed, rounded. */
  subIndices: Partial<Record<Pollutant, number>>;
  category: AqiCategory;
}

function combine(subs: Record<Pollutant, number | undefined>): AqiResult | undefined {
  // Decision 1459/QĐ-TCMT: "at least one of PM2.5 and PM10" is required to compute VN_AQI.
  if (subs.pm25 === undefined && subs.pm10 === undefined) return undefined;
  const subIndices: Partial<Record<Pollutant, number>> = {};
  let dominant: Pollutant = subs.pm25 === undefined ? 'pm10' : 'pm25';
  for (const [pollutant, value] of Object.entries(subs) as Array<[Pollutant, number | undefined]>) {
    if (value === undefined) continue;
    subIndices[pollutant] = roundIndex(value);
    if (value > subs[dominant]!) dominant = pollutant;
  }
  const aqi = subIndices[dominant]!;
  return { aqi, dominant, subIndices, category: aqiCategory(aqi) };
}

export interface HourlyAqiInput {
  pm25NowCast?: number | undefined;
  pm10NowCast?: number | undefined;
  o3_1h?: number | undefined;
  no2_1h?: number | undefined;
  so2_1h?: number | undefined;
  co_1h?: number | undefined;
}

/** Hourly VN_AQI (Decision 1459/QĐ-TCMT, hourly AQI): dust from its NowCast, gases from the hour's mean (O3: 1h column). */
export function hourlyAqi(input: HourlyAqiInput): AqiResult | undefined {
  return combine({
    pm25: subIndex('pm25', input.pm25NowCast),
    pm10: subIndex('pm10', input.pm10NowCast),
    o3: subIndex('o3', input.o3_1h),
    no2: subIndex('no2', input.no2_1h),
    so2: subIndex('so2', input.so2_1h),
    co: subIndex('co', input.co_1h),
  });
}

export interface DailyAqiInput {
  pm25_24h?: number | undefined;
  pm10_24h?: number | undefined;
  o3_1hMax?: number | undefined;
  o3_8hMax?: number | undefined;
  no2_1hMax?: number | undefined;
  so2_1hMax?: number | undefined;
  co_1hMax?: number | undefined;
}

/**
 * Daily VN_AQI (Decision 1459/QĐ-TCMT, daily AQI): dust from the 24h mean, SO2/NO2/CO from the day's highest
 * 1h mean, O3 from the larger of its highest-1h (1h column) and highest-8h (8h column) sub-indices —
 * only the 1h one when the 8h maximum exceeds 400 µg/m³ (subIndex gives undefined there).
 */
export function dailyAqi(input: DailyAqiInput): AqiResult | undefined {
  const o3of1h = subIndex('o3', input.o3_1hMax);
  const o3of8h = subIndex('o3', input.o3_8hMax, '8h');
  const o3 = o3of1h === undefined ? o3of8h : o3of8h === undefined ? o3of1h : Math.max(o3of1h, o3of8h);
  return combine({
    pm25: subIndex('pm25', input.pm25_24h),
    pm10: subIndex('pm10', input.pm10_24h),
    o3,
    no2: subIndex('no2', input.no2_1hMax),
    so2: subIndex('so2', input.so2_1hMax),
    co: subIndex('co', input.co_1hMax),
  });
}

/**
 * The local days (YYYY-MM-DD) whose daily VN_AQI the data of one hour can change: its own day, and the
 * next one when the hour is one of the last 7 of its day. Decision 1459/QĐ-TCMT, 2.2.2 a: each day has
 * 24 running 8-hour O3 means, the first ending at 01:00 and reaching back to the previous day's 18:00
 * (the hour bins from 17:00, in our bins named by their start).
 */
export function dailyAqiDaysOf(hourStart: Date): string[] {
  const date = (at: Date) => {
    const p = localParts(at);
    return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
  };
  const own = date(hourStart);
  return localParts(hourStart).hour >= 17
    ? [own, date(new Date(hourStart.getTime() + 7 * 3_600_000))]
    : [own];
}
