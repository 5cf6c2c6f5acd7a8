// VN_AQI per Decision 1459/QĐ-TCMT (12 Nov 2019, Vietnam Environment Administration), which replaced
// Decision 878/QĐ-TCMT (2011). Breakpoints in µg/m³ (CO too); see ../shared/standards.md.
export type Pollutant = 'pm25' | 'pm10' | 'o3' | 'no2' | 'so2' | 'co';

const indexBreakpoints = [0, 50, 100, 150, 200, 300, 400, 500];
// Decision 1459, Table 1 (breakpoints BP_i for I_i above). O3 8h has no rows beyond I = 300.
const concentrationBreakpoints: Record<Pollutant | 'o3_8h', number[]> = {
  o3: [0, 160, 200, 300, 400, 800, 1000, 1200],
  o3_8h: [0, 100, 120, 170, 210, 400],
  co: [0, 10_000, 30_000, 45_000, 60_000, 90_000, 120_000, 150_000],
  so2: [0, 125, 350, 550, 800, 1600, 2100, 2630],
  no2: [0, 100, 200, 700, 1200, 2350, 3100, 3850],
  pm10: [0, 50, 150, 250, 350, 420, 500, 600],
  pm25: [0, 25, 50, 80, 150, 250, 350, 500],
};

/** AQI_x = (I_{i+1} − I_i)/(BP_{i+1} − BP_i)·(C_x − BP_i) + I_i; above the table: 500 (the decision gives no rule). */
export function subIndex(
  pollutant: Pollutant,
  concentration: number | undefined,
  column: '1h' | '8h' = '1h',
): number | undefined {
  if (concentration === undefined || !Number.isFinite(concentration) || concentration < 0) return undefined;
  const bp = concentrationBreakpoints[pollutant === 'o3' && column === '8h' ? 'o3_8h' : pollutant];
  for (let i = 0; i < bp.length - 1; i++) {
    const low = bp[i]!;
    const high = bp[i + 1]!;
    if (concentration <= high) {
      const iLow = indexBreakpoints[i]!;
      const iHigh = indexBreakpoints[i + 1]!;
      return ((iHigh - iLow) / (high - low)) * (concentration - low) + iLow;
    }
  }
  return 500;
}

/**
 * NowCast of PM2.5/PM10 (Decision 1459, section 2.2): c[0] = c1 is the latest complete hour, up to 12
 * hours; w* = min/max of the present values; w = w* if w* > 1/2, else 1/2; missing hours drop out.
 * Valid only when at least two of c1, c2, c3 are present.
 */
export function nowCast(c: ReadonlyArray<number | undefined>): number | undefined {
  const hours = c.slice(0, 12);
  if (hours.slice(0, 3).filter((v) => v !== undefined).length < 2) return undefined;
  const present = hours.filter((v): v is number => v !== undefined);
  const max = Math.max(...present);
  const min = Math.min(...present);
  const wStar = max === 0 ? 1 : min / max;
  const w = wStar > 0.5 ? wStar : 0.5;
  let numerator = 0;
  let denominator = 0;
  hours.forEach((value, i) => {
    if (value === undefined) return;
    numerator += w ** i * value;
    denominator += w ** i;
  });
  return numerator / denominator;
}

export interface AqiCategory {
  band: 1 | 2 | 3 | 4 | 5 | 6;
  min: number;
  max: number;
  vi: string;
  en: string;
  colour: string;
  rgb: [number, number, number];
  adviceVi: string;
  adviceEn: string;
}

// Decision 1459, Table 2: bands, colours and health advice.
export const aqiCategories: AqiCategory[] = [
  {
    band: 1,
    min: 0,
    max: 50,
    vi: 'Tốt',
    en: 'Good',
    colour: '#00e400',
    rgb: [0, 228, 0],
    adviceVi: 'Chất lượng không khí tốt, không ảnh hưởng tới sức khỏe.',
    adviceEn: 'Air quality is good; no health effect.',
  },
  {
    band: 2,
    min: 51,
    max: 100,
    vi: 'Trung bình',
    en: 'Moderate',
    colour: '#ffff00',
    rgb: [255, 255, 0],
    adviceVi: 'Nhóm nhạy cảm (người già, trẻ em, người mắc bệnh hô hấp, tim mạch) có thể bị ảnh hưởng.',
    adviceEn:
      'Sensitive groups (elderly, children, people with respiratory or heart disease) may be affected.',
  },
  {
    band: 3,
    min: 101,
    max: 150,
    vi: 'Kém',
    en: 'Poor',
    colour: '#ff7e00',
    rgb: [255, 126, 0],
    adviceVi: 'Nhóm nhạy cảm bị ảnh hưởng sức khỏe, nên hạn chế thời gian ở bên ngoài.',
    adviceEn: 'Sensitive groups are affected and should limit time outdoors.',
  },
  {
    band: 4,
    min: 151,
    max: 200,
    vi: 'Xấu',
    en: 'Bad',
    colour: '#ff0000',
    rgb: [255, 0, 0],
    adviceVi: 'Mọi người bắt đầu bị ảnh hưởng sức khỏe, nhóm nhạy cảm bị ảnh hưởng nghiêm trọng hơn.',
    adviceEn: 'Everyone begins to be affected; sensitive groups more seriously.',
  },
  {
    band: 5,
    min: 201,
    max: 300,
    vi: 'Rất xấu',
    en: 'Very bad',
    colour: '#8f3f97',
    rgb: [143, 63, 151],
    adviceVi: 'Cảnh báo sức khỏe: mọi người bị ảnh hưởng sức khỏe nghiêm trọng hơn.',
    adviceEn: 'Health warning: everyone is more seriously affected.',
  },
  {
    band: 6,
    min: 301,
    max: 500,
    vi: 'Nguy hại',
    en: 'Hazardous',
    colour: '#7e0023',
    rgb: [126, 0, 35],
    adviceVi: 'Báo động khẩn cấp về sức khỏe: toàn bộ dân số bị ảnh hưởng.',
    adviceEn: 'Health emergency: the whole population is affected.',
  },
];

export function aqiCategory(aqi: number): AqiCategory {
  return aqiCategories.find((c) => aqi <= c.max) ?? aqiCategories[5]!;
}

export interface AqiResult {
  aqi: number;
  dominant: Pollutant;
  subIndices: Partial<Record<Pollutant, number>>;
  category: AqiCategory;
}

/**
 * The decision's worked examples print the hourly sub-indices rounded up (NO2 118.7 µg/m³ → 59.35 → 60,
 * O3 136.1 → 42.5 → 43, PM2.5 20.3 → 40.6 → 41), and only rounding up gives its hourly AQI of 60.
 * Its daily example prints NO2 130.8 → 65.4 as 65, which rounding up makes 66; no single rule gives
 * all nine printed numbers, both printed AQIs (60 and 110) come out right with rounding up, and it errs
 * on the side of health. Documented in tests/standards/aqi.test.ts.
 */
const roundIndex = (value: number) => Math.ceil(value - 1e-9);

function combine(subs: Partial<Record<Pollutant, number | undefined>>): AqiResult | undefined {
  if (subs.pm25 === undefined && subs.pm10 === undefined) return undefined; // at least one PM is required
  const rounded: Partial<Record<Pollutant, number>> = {};
  let dominant: Pollutant | undefined;
  for (const [p, v] of Object.entries(subs) as Array<[Pollutant, number | undefined]>) {
    if (v === undefined) continue;
    rounded[p] = roundIndex(v);
    if (dominant === undefined || rounded[p]! > rounded[dominant]!) dominant = p;
  }
  const aqi = rounded[dominant!]!;
  return { aqi, dominant: dominant!, subIndices: rounded, category: aqiCategory(aqi) };
}

export function hourlyAqi(input: {
  pm25NowCast?: number;
  pm10NowCast?: number;
  o3_1h?: number;
  no2_1h?: number;
  so2_1h?: number;
  co_1h?: number;
}): AqiResult | undefined {
  return combine({
    pm25: subIndex('pm25', input.pm25NowCast),
    pm10: subIndex('pm10', input.pm10NowCast),
    o3: subIndex('o3', input.o3_1h),
    no2: subIndex('no2', input.no2_1h),
    so2: subIndex('so2', input.so2_1h),
    co: subIndex('co', input.co_1h),
  });
}

export function dailyAqi(input: {
  pm25_24h?: number;
  pm10_24h?: number;
  o3_1hMax?: number;
  o3_8hMax?: number;
  no2_1hMax?: number;
  so2_1hMax?: number;
  co_1hMax?: number;
}): AqiResult | undefined {
  const o3of1h = subIndex('o3', input.o3_1hMax);
  // Above 400 µg/m³ the 8h column ends: only the 1h sub-index counts.
  const o3of8h =
    input.o3_8hMax !== undefined && input.o3_8hMax <= 400 ? subIndex('o3', input.o3_8hMax, '8h') : undefined;
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
