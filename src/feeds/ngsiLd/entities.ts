// One device's latest readings as a normalized NGSI-LD entity of its Smart Data Model (ETSI GS CIM 009,
// 4.5: every attribute a Property, GeoProperty or Relationship with its value, observedAt and
// unitCode), and the simplified (keyValues) and concise forms derived from it. Pure functions.
import type { EntityRow } from '../../storage/ngsiLd.ts';
import { metricsOf, models, type NgsiType } from './models.ts';

export type Attribute = Record<string, unknown>;
export type Entity = { id: string; type: string } & Record<string, unknown>;

export interface PlaceNames {
  /** The area as the IOC names it (addressLocality). */
  locality: string;
  /** The commune-level unit's full name (district). */
  unit: string;
  /** The province (addressRegion), when known. */
  province?: string | undefined;
}

/** The station's hourly VN_AQI (Decision 1459/QĐ-TCMT) of the last complete hour, if computable. */
export interface StationAqi {
  aqi: number;
  /** aqiCategoryKeys: good … hazardous. */
  level: string;
  /** End of the hour it is for. */
  at: Date;
}

export interface EntityInput {
  type: NgsiType;
  row: EntityRow;
  names: PlaceNames;
  aqi?: StationAqi | undefined;
  /** Seconds a noise reading's LAeq covers (the kind's reporting interval). */
  noiseIntervalS: number;
}

const dateTime = (at: Date) => ({ '@type': 'DateTime', '@value': at.toISOString() });
const property = (value: unknown, extra: Attribute = {}): Attribute => ({
  type: 'Property',
  value,
  ...extra,
});
const round = (value: number) => Math.round(value * 10_000) / 10_000;

export function entityId(type: string, deviceId: string): string {
  return `urn:ngsi-ld:${type}:${deviceId}`;
}

export function normalizedEntity(input: EntityInput): Entity {
  const { type, row, names } = input;
  const model = models[type];
  const latest = row.latest ?? {};
  const at = (metric: string) => (latest[metric] ? new Date(latest[metric].t) : undefined);
  const flag = (metric: string) => (latest[metric] ? latest[metric].v >= 0.5 : undefined);
  const times = metricsOf(type)
    .map(at)
    .filter((t): t is Date => t !== undefined);
  // The entity exists because one of these metrics was reported (storage guarantees it).
  const newest = new Date(Math.max(...times.map((t) => t.getTime())));

  const entity: Entity = {
    id: entityId(type, row.id),
    type,
    name: property(row.name),
    location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [row.lon, row.lat] } },
    address: property({
      addressCountry: 'VN',
      ...(names.province ? { addressRegion: names.province } : {}),
      addressLocality: names.locality,
      district: names.unit,
    }),
  };
  for (const [attribute, { metric, scale, unitCode }] of Object.entries(model.measures) as Array<
    [string, { metric: string; scale?: number; unitCode?: string }]
  >) {
    const reading = latest[metric];
    if (!reading) continue;
    entity[attribute] = property(round(reading.v * (scale ?? 1)), {
      observedAt: new Date(reading.t).toISOString(),
      ...(unitCode ? { unitCode } : {}),
    });
  }

  switch (type) {
    case 'AirQualityObserved':
      entity.dateObserved = property(dateTime(newest));
      entity.typeofLocation = property('outdoor');
      if (input.aqi) {
        const observedAt = input.aqi.at.toISOString();
        entity.airQualityIndex = property(input.aqi.aqi, { observedAt });
        entity.airQualityLevel = property(input.aqi.level, { observedAt });
      }
      break;
    case 'NoiseLevelObserved': {
      // LAeq and LAmax are levels over the meter's interval, which ends at the reading's time.
      const from = new Date(newest.getTime() - input.noiseIntervalS * 1000);
      entity.dateObserved = property(`${from.toISOString()}/${newest.toISOString()}`);
      entity.dateObservedFrom = property(dateTime(from));
      entity.dateObservedTo = property(dateTime(newest));
      break;
    }
    case 'FloodMonitoring':
      entity.observationDateTime = property(dateTime(newest));
      break;
    case 'Streetlight': {
      entity.status = property(row.lampDark ? 'defectiveLamp' : 'ok');
      const on = flag('lamp_on');
      if (on !== undefined)
        entity.powerState = property(on ? 'on' : 'off', { observedAt: at('lamp_on')!.toISOString() });
      if (row.pole) entity.streetPoleNum = property(row.pole);
      entity.observationDateTime = property(dateTime(newest));
      break;
    }
    case 'WasteContainer': {
      const tilted = flag('tilt');
      if (tilted !== undefined)
        entity.status = property(tilted ? 'dropped' : 'ok', { observedAt: at('tilt')!.toISOString() });
      entity.binLoggedTime = property(dateTime(newest));
      break;
    }
    case 'Camera': {
      entity.cameraName = property(row.name);
      const recording = flag('recording');
      if (recording !== undefined)
        entity.on = property(recording, { observedAt: at('recording')!.toISOString() });
      break;
    }
    case 'Device': {
      entity.category = property(['sensor']);
      entity.controlledProperty = property(['smoke', 'temperature']);
      const alarm = flag('alarm');
      if (alarm !== undefined)
        entity.deviceState = property(alarm ? 'alarm' : 'normal', { observedAt: at('alarm')!.toISOString() });
      entity.dateLastValueReported = property(dateTime(newest));
      break;
    }
  }
  return entity;
}

/** A DateTime value object is written as its ISO string outside the normalized form. */
function plainValue(value: unknown): unknown {
  if (value && typeof value === 'object' && '@value' in value)
    return (value as { '@value': unknown })['@value'];
  return value;
}

const isAttribute = (v: unknown): v is Attribute =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && 'type' in v;

/** ETSI GS CIM 009, 4.5.4: simplified representation (`options=keyValues`), attribute → value. */
export function keyValuesEntity(entity: Entity): Entity {
  const out: Entity = { id: entity.id, type: entity.type };
  for (const [key, attribute] of Object.entries(entity)) {
    if (key === 'id' || key === 'type' || key === '@context' || !isAttribute(attribute)) continue;
    out[key] = plainValue(attribute.type === 'Relationship' ? attribute.object : attribute.value);
  }
  if ('@context' in entity) out['@context'] = entity['@context'];
  return out;
}

/**
 * ETSI GS CIM 009, 4.5.1 (concise representation): the attribute's `type` is left out; a Property with
 * nothing but a plain value becomes that value, and a GeoProperty its GeoJSON geometry.
 */
export function conciseEntity(entity: Entity): Entity {
  const out: Entity = { id: entity.id, type: entity.type };
  for (const [key, attribute] of Object.entries(entity)) {
    if (key === 'id' || key === 'type' || key === '@context' || !isAttribute(attribute)) continue;
    const { type, ...rest } = attribute;
    const onlyValue = Object.keys(rest).length === 1 && 'value' in rest;
    const plain = typeof rest.value !== 'object' || rest.value === null;
    if (type === 'GeoProperty' && onlyValue) out[key] = rest.value;
    else if (type === 'Property' && onlyValue && plain) out[key] = rest.value;
    else out[key] = rest;
  }
  if ('@context' in entity) out['@context'] = entity['@context'];
  return out;
}
