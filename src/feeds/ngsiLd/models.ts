// Which FIWARE Smart Data Model each device kind is published as, and which metric fills which
// attribute. The context (context.ts) and the entities (entities.ts) both derive from this table, so
// an attribute added here is in the served @context too.
import type { KindName } from '../../catalog/schema.ts';

/** The Smart Data Models subject (repository dataModel.<domain>) a type or term belongs to. */
export type Domain = 'Environment' | 'Streetlighting' | 'WasteManagement' | 'Device';

export interface MetricAttribute {
  metric: string;
  /** Multiplies the stored value: a percentage becomes the model's 0–1 fraction. */
  scale?: number;
  /** UN/CEFACT common code of the published value. */
  unitCode?: string;
}

export interface NgsiModel {
  domain: Domain;
  kind: KindName;
  /** Attributes read straight from a metric's latest value. */
  measures: Readonly<Record<string, MetricAttribute>>;
  /** Metrics behind the entity's other attributes (dates, states) and whose readings make it exist. */
  otherMetrics: readonly string[];
  /** Every other attribute the entity may carry, for the @context. */
  otherTerms: readonly string[];
}

// Air quality and street flooding come from the same environment stations, as two entities per station:
// AirQualityObserved has no water level, and FloodMonitoring is the model for one.
export const models = {
  AirQualityObserved: {
    domain: 'Environment',
    kind: 'environment',
    measures: {
      pm25: { metric: 'pm25', unitCode: 'GQ' },
      pm10: { metric: 'pm10', unitCode: 'GQ' },
      no2: { metric: 'no2', unitCode: 'GQ' },
      so2: { metric: 'so2', unitCode: 'GQ' },
      o3: { metric: 'o3', unitCode: 'GQ' },
      co: { metric: 'co', unitCode: 'GQ' },
      temperature: { metric: 'temp_c', unitCode: 'CEL' },
      relativeHumidity: { metric: 'humidity_pct', scale: 0.01, unitCode: 'C62' },
      precipitation: { metric: 'rain_mm', unitCode: 'MMT' },
      windSpeed: { metric: 'wind_ms', unitCode: 'MTS' },
    },
    otherMetrics: [],
    otherTerms: ['dateObserved', 'airQualityIndex', 'airQualityLevel', 'typeofLocation'],
  },
  NoiseLevelObserved: {
    domain: 'Environment',
    kind: 'noise',
    measures: {
      LAeq: { metric: 'laeq_db', unitCode: '2N' },
      LAmax: { metric: 'lamax_db', unitCode: '2N' },
    },
    otherMetrics: [],
    otherTerms: ['dateObserved', 'dateObservedFrom', 'dateObservedTo'],
  },
  FloodMonitoring: {
    domain: 'Environment',
    kind: 'environment',
    measures: { currentLevel: { metric: 'water_level_cm', unitCode: 'CMT' } },
    otherMetrics: [],
    otherTerms: ['observationDateTime'],
  },
  Streetlight: {
    domain: 'Streetlighting',
    kind: 'streetlight',
    measures: {
      illuminanceLevel: { metric: 'dim_pct', scale: 0.01, unitCode: 'C62' },
      powerConsumption: { metric: 'power_w', unitCode: 'WTT' },
      voltage: { metric: 'voltage_v', unitCode: 'VLT' },
    },
    otherMetrics: ['lamp_on'],
    otherTerms: ['status', 'powerState', 'streetPoleNum', 'observationDateTime'],
  },
  WasteContainer: {
    domain: 'WasteManagement',
    kind: 'waste',
    measures: {
      fillingLevel: { metric: 'fill_pct', scale: 0.01, unitCode: 'C62' },
      temperature: { metric: 'temp_c', unitCode: 'CEL' },
    },
    otherMetrics: ['tilt'],
    otherTerms: ['status', 'binLoggedTime'],
  },
  // The camera's own model (dataModel.Device/Camera): the IOC knows whether it records; its frame
  // rate, bitrate and storage have no attribute in the model and stay in the IOC's other feeds.
  Camera: {
    domain: 'Device',
    kind: 'camera',
    measures: {},
    otherMetrics: ['recording', 'fps', 'bitrate_kbps', 'storage_pct', 'tamper'],
    otherTerms: ['on', 'cameraName'],
  },
  // A fire detector as a Device (dataModel.Device): its controlled properties are in the model's list
  // (smoke, temperature), its alarm is the device state. Alarms reach the province as alerts too.
  Device: {
    domain: 'Device',
    kind: 'fire',
    measures: {},
    otherMetrics: ['smoke_pct', 'temp_c', 'co_ppm', 'flame', 'alarm'],
    otherTerms: ['category', 'controlledProperty', 'deviceState', 'dateLastValueReported'],
  },
} as const satisfies Record<string, NgsiModel>;

export type NgsiType = keyof typeof models;
export const ngsiTypes = Object.keys(models) as NgsiType[];

export function modelOf(type: NgsiType): NgsiModel {
  return models[type];
}

/** Every metric whose latest reading goes into the type's entities. */
export function metricsOf(type: NgsiType): string[] {
  const model = modelOf(type);
  return [...Object.values(model.measures).map((m) => m.metric), ...model.otherMetrics];
}
