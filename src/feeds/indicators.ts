// The indicators the city reports to the provincial IOC, in one table: what each means (Vietnamese
// and English), its unit, whether the province shows it as a key or a sector indicator, and how its
// stored components (sum, count, max) turn into a value for any period. docs/feeds.md is the data
// dictionary built from the same facts, and a test keeps the two in step.

export type IndicatorGroup = 'key' | 'sector';
export type Sector =
  | 'environment'
  | 'noise'
  | 'lighting'
  | 'waste'
  | 'flood'
  | 'camera'
  | 'devices'
  | 'alerts';
/** mean = sum/count, percent = 100·sum/count, total = sum, max = max. */
export type Aggregation = 'mean' | 'percent' | 'total' | 'max';
/** Where the components come from: the refresher's tables, or the alerts and events at query time. */
export type IndicatorSource = 'rollup' | 'alerts';

export interface IndicatorDefinition {
  id: string;
  name: { vi: string; en: string };
  description: { vi: string; en: string };
  unit: string;
  group: IndicatorGroup;
  sector: Sector;
  aggregation: Aggregation;
  source: IndicatorSource;
  /** What the dimension column holds, if the indicator has one. */
  dimension?: { vi: string; en: string; values?: readonly string[] };
  /** Daily and longer only (e.g. the daily VN_AQI has no hourly value). */
  dailyOnly?: boolean;
  /** Left out of the anonymous open-data endpoint (cameras and security details). */
  restricted?: boolean;
}

export const aqiCategoryKeys = ['good', 'moderate', 'poor', 'bad', 'very_bad', 'hazardous'] as const;

const pollutantNames = {
  pm25: { vi: 'Bụi PM2.5', en: 'PM2.5' },
  pm10: { vi: 'Bụi PM10', en: 'PM10' },
  no2: { vi: 'NO₂', en: 'NO₂' },
  so2: { vi: 'SO₂', en: 'SO₂' },
  o3: { vi: 'O₃', en: 'O₃' },
  co: { vi: 'CO', en: 'CO' },
} as const;
export type PollutantMetric = keyof typeof pollutantNames;
export const pollutantMetrics = Object.keys(pollutantNames) as PollutantMetric[];

const pollutantIndicators: IndicatorDefinition[] = pollutantMetrics.map((metric) => ({
  id: `${metric}_mean`,
  name: { vi: `${pollutantNames[metric].vi} trung bình`, en: `Mean ${pollutantNames[metric].en}` },
  description: {
    vi: `Nồng độ ${pollutantNames[metric].vi} trung bình của mọi lần đo tại các trạm quan trắc trong khu vực và kỳ báo cáo.`,
    en: `Mean ${pollutantNames[metric].en} concentration over every reading of the area's monitoring stations in the period.`,
  },
  unit: 'µg/m³',
  group: 'sector',
  sector: 'environment',
  aggregation: 'mean',
  source: 'rollup',
}));

export const indicators: readonly IndicatorDefinition[] = [
  {
    id: 'aqi_daily',
    name: { vi: 'Chỉ số VN_AQI ngày', en: 'Daily VN_AQI' },
    description: {
      vi: 'VN_AQI ngày (Quyết định 1459/QĐ-TCMT) của khu vực: mỗi ngày lấy giá trị cao nhất trong các trạm; với kỳ dài hơn một ngày là trung bình các ngày, kèm giá trị ngày cao nhất (max).',
      en: "The area's daily VN_AQI (Decision 1459/QĐ-TCMT): each day the highest of its stations; over a longer period the mean of the days, with the worst day as max.",
    },
    unit: '',
    group: 'key',
    sector: 'environment',
    aggregation: 'mean',
    source: 'rollup',
    dailyOnly: true,
  },
  {
    id: 'aqi_category_days',
    name: { vi: 'Số ngày theo mức VN_AQI', en: 'Days per VN_AQI category' },
    description: {
      vi: 'Số ngày mà VN_AQI ngày của khu vực thuộc từng mức (tốt, trung bình, kém, xấu, rất xấu, nguy hại).',
      en: "Number of days on which the area's daily VN_AQI fell in each category (good, moderate, poor, bad, very bad, hazardous).",
    },
    unit: 'ngày/days',
    group: 'key',
    sector: 'environment',
    aggregation: 'total',
    source: 'rollup',
    dimension: { vi: 'mức AQI', en: 'AQI category', values: aqiCategoryKeys },
    dailyOnly: true,
  },
  ...pollutantIndicators,
  {
    id: 'noise_exceedance_minutes',
    name: { vi: 'Số phút vượt ngưỡng tiếng ồn', en: 'Noise exceedance minutes' },
    description: {
      vi: 'Tổng số phút đo được LAeq vượt giới hạn của khu vực (đặc biệt hoặc thông thường) theo phiên bản QCVN 26 có hiệu lực lúc đo (QCVN 26:2010/BTNMT đến hết 13/11/2025, QCVN 26:2025/BNNMT từ 14/11/2025; trường standard ghi tên), tách theo ban ngày (06:00–21:00) và ban đêm (21:00–06:00); mỗi lần đo tính bằng chu kỳ báo cáo của thiết bị.',
      en: 'Minutes of measured LAeq above the limit of the zone (special or normal) in the QCVN 26 version in force when measured (QCVN 26:2010/BTNMT until 13 Nov 2025, QCVN 26:2025/BNNMT from 14 Nov 2025; the standard field names it), split into day (06:00–21:00) and night (21:00–06:00); each reading counts as its device’s reporting interval.',
    },
    unit: 'phút/min',
    group: 'key',
    sector: 'noise',
    aggregation: 'total',
    source: 'rollup',
    dimension: { vi: 'ngày/đêm', en: 'day/night', values: ['day', 'night'] },
  },
  {
    id: 'streetlight_availability_pct',
    name: { vi: 'Tỷ lệ chiếu sáng ban đêm', en: 'Streetlight availability' },
    description: {
      vi: 'Phần trăm số giờ tối (mặt trời dưới đường chân trời tại thành phố) mà đèn báo đang bật, trên số giờ tối có báo cáo.',
      en: 'Percentage of dark hours (sun below the horizon in the city) in which the lamp reported on, out of the dark hours it reported.',
    },
    unit: '%',
    group: 'key',
    sector: 'lighting',
    aggregation: 'percent',
    source: 'rollup',
  },
  {
    id: 'streetlight_energy_kwh',
    name: { vi: 'Điện năng chiếu sáng', en: 'Streetlight energy' },
    description: {
      vi: 'Điện năng tiêu thụ của đèn đường, từ chỉ số công tơ tích lũy (energy_kwh) của từng đèn; khi công tơ đặt lại, chỉ tính phần tăng sau khi đặt lại.',
      en: "Energy used by the streetlights, from each lamp's cumulative meter (energy_kwh); when a meter resets, only the increase after the reset counts.",
    },
    unit: 'kWh',
    group: 'key',
    sector: 'lighting',
    aggregation: 'total',
    source: 'rollup',
  },
  {
    id: 'streetlight_faults',
    name: { vi: 'Sự cố đèn', en: 'Lamp faults' },
    description: {
      vi: 'Số sự kiện lỗi đèn (lamp_fault) do bộ điều khiển báo.',
      en: 'Lamp fault events (lamp_fault) reported by the controllers.',
    },
    unit: 'lần/events',
    group: 'sector',
    sector: 'lighting',
    aggregation: 'total',
    source: 'alerts',
  },
  {
    id: 'waste_bins_need_collection',
    name: { vi: 'Thùng rác cần thu gom', en: 'Bins needing collection' },
    description: {
      vi: 'Số thùng có mức đầy đạt 80% trở lên trong ngày (với kỳ dài hơn: tổng số thùng-ngày).',
      en: 'Bins whose fill level reached 80% or more during the day (over a longer period: bin-days).',
    },
    unit: 'thùng/bins',
    group: 'sector',
    sector: 'waste',
    aggregation: 'total',
    source: 'rollup',
    dailyOnly: true,
  },
  {
    id: 'waste_overflow_events',
    name: { vi: 'Sự cố tràn rác', en: 'Bin overflow events' },
    description: {
      vi: 'Số cảnh báo thùng rác tràn (mức đầy ≥ 100%) được mở.',
      en: 'Bin overflow alerts opened (fill level ≥ 100%).',
    },
    unit: 'lần/events',
    group: 'sector',
    sector: 'waste',
    aggregation: 'total',
    source: 'alerts',
  },
  {
    id: 'flood_events',
    name: { vi: 'Điểm ngập', en: 'Flood events' },
    description: {
      vi: 'Số cảnh báo ngập (mực nước trên mặt đường vượt ngưỡng) được mở.',
      en: 'Flood alerts opened (water on the street above the threshold).',
    },
    unit: 'lần/events',
    group: 'key',
    sector: 'flood',
    aggregation: 'total',
    source: 'alerts',
  },
  {
    id: 'camera_uptime_pct',
    name: { vi: 'Tỷ lệ hoạt động camera', en: 'Camera uptime' },
    description: {
      vi: 'Phần trăm số giờ camera báo đang ghi hình, trên số giờ camera đã được đăng ký.',
      en: 'Percentage of hours in which a camera reported recording, out of the hours it was registered.',
    },
    unit: '%',
    group: 'sector',
    sector: 'camera',
    aggregation: 'percent',
    source: 'rollup',
    restricted: true,
  },
  {
    id: 'device_availability_pct',
    name: { vi: 'Tỷ lệ thiết bị hoạt động', en: 'Device availability' },
    description: {
      vi: 'Phần trăm số giờ mà thiết bị có gửi dữ liệu, trên số giờ thiết bị đã được đăng ký, theo loại thiết bị.',
      en: 'Percentage of hours in which a device sent data, out of the hours it was registered, per device kind.',
    },
    unit: '%',
    group: 'key',
    sector: 'devices',
    aggregation: 'percent',
    source: 'rollup',
    dimension: { vi: 'loại thiết bị', en: 'device kind' },
  },
  {
    id: 'alerts_count',
    name: { vi: 'Số cảnh báo', en: 'Alerts' },
    description: {
      vi: 'Số cảnh báo được mở, theo loại thiết bị và mức độ (loại:mức độ).',
      en: 'Alerts opened, per device kind and severity (kind:severity).',
    },
    unit: 'cảnh báo/alerts',
    group: 'key',
    sector: 'alerts',
    aggregation: 'total',
    source: 'alerts',
    dimension: { vi: 'loại:mức độ', en: 'kind:severity' },
  },
  {
    id: 'alert_mtta_min',
    name: { vi: 'Thời gian xác nhận trung bình', en: 'Mean time to acknowledge' },
    description: {
      vi: 'Thời gian trung bình từ khi cảnh báo mở đến khi được xác nhận, theo mức độ, với các cảnh báo mở trong kỳ và đã được xác nhận.',
      en: 'Mean time from an alert opening to its acknowledgement, per severity, over alerts opened in the period and acknowledged.',
    },
    unit: 'phút/min',
    group: 'sector',
    sector: 'alerts',
    aggregation: 'mean',
    source: 'alerts',
    dimension: { vi: 'mức độ', en: 'severity', values: ['info', 'warning', 'critical'] },
  },
  {
    id: 'alert_mttr_min',
    name: { vi: 'Thời gian xử lý trung bình', en: 'Mean time to resolve' },
    description: {
      vi: 'Thời gian trung bình từ khi cảnh báo mở đến khi được giải quyết, theo mức độ, với các cảnh báo mở trong kỳ và đã giải quyết.',
      en: 'Mean time from an alert opening to its resolution, per severity, over alerts opened in the period and resolved.',
    },
    unit: 'phút/min',
    group: 'sector',
    sector: 'alerts',
    aggregation: 'mean',
    source: 'alerts',
    dimension: { vi: 'mức độ', en: 'severity', values: ['info', 'warning', 'critical'] },
  },
];

export const indicatorById = new Map(indicators.map((i) => [i.id, i]));

/** An indicator's value from its components; undefined when there is nothing to divide by. */
export function indicatorValue(
  aggregation: Aggregation,
  c: { sum: number; count: number; max: number | null },
): number | null {
  switch (aggregation) {
    case 'total':
      return c.sum;
    case 'max':
      return c.max;
    case 'mean':
      return c.count > 0 ? c.sum / c.count : null;
    case 'percent':
      return c.count > 0 ? (100 * c.sum) / c.count : null;
  }
}
