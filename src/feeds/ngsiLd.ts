// The latest observations as NGSI-LD entities of the FIWARE Smart Data Models, for provincial
// platforms that speak NGSI-LD (Orion-LD, Scorpio, Stellio): AirQualityObserved, NoiseLevelObserved,
// Streetlight and WasteContainer. Read-only and derived from device_latest: the IOC is the source,
// a context broker may poll this and upsert.
import { readLatestOfKind } from '../storage/ngsiLd.ts';
import type { Pool } from '../storage/pool.ts';

export const ngsiTypes = [
  'AirQualityObserved',
  'NoiseLevelObserved',
  'Streetlight',
  'WasteContainer',
] as const;
export type NgsiType = (typeof ngsiTypes)[number];

const context = [
  'https://raw.githubusercontent.com/smart-data-models/dataModel.Environment/master/context.jsonld',
  'https://raw.githubusercontent.com/smart-data-models/dataModel.Streetlighting/master/context.jsonld',
  'https://raw.githubusercontent.com/smart-data-models/dataModel.WasteManagement/master/context.jsonld',
  'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld',
];

/** Per type: the device kind behind it, and each attribute from a metric (with a scale and a UN/CEFACT unit code). */
const mappings: Record<
  NgsiType,
  { kind: string; attributes: Record<string, [metric: string, scale: number, unit?: string]> }
> = {
  AirQualityObserved: {
    kind: 'environment',
    attributes: {
      pm25: ['pm25', 1, 'GQ'],
      pm10: ['pm10', 1, 'GQ'],
      no2: ['no2', 1, 'GQ'],
      so2: ['so2', 1, 'GQ'],
      o3: ['o3', 1, 'GQ'],
      co: ['co', 1, 'GQ'],
      temperature: ['temp_c', 1, 'CEL'],
      relativeHumidity: ['humidity_pct', 0.01],
      precipitation: ['rain_mm', 1, 'MMT'],
      windSpeed: ['wind_ms', 1, 'MTS'],
    },
  },
  NoiseLevelObserved: {
    kind: 'noise',
    attributes: { LAeq: ['laeq_db', 1, '2N'], LAmax: ['lamax_db', 1, '2N'] },
  },
  Streetlight: {
    kind: 'streetlight',
    attributes: { illuminanceLevel: ['dim_pct', 0.01], powerConsumption: ['power_w', 1, 'WTT'] },
  },
  WasteContainer: {
    kind: 'waste',
    attributes: { fillingLevel: ['fill_pct', 0.01], temperature: ['temp_c', 1, 'CEL'] },
  },
};

export async function ngsiEntities(
  pool: Pool,
  query: { type: NgsiType; city?: string | undefined; ward?: string | undefined; limit: number },
): Promise<Array<Record<string, unknown>>> {
  const mapping = mappings[query.type];
  const rows = await readLatestOfKind(pool, {
    kind: mapping.kind,
    city: query.city,
    ward: query.ward,
    limit: query.limit,
  });
  return rows.map((d) => {
    const latest = d.latest ?? {};
    const entity: Record<string, unknown> = {
      id: `urn:ngsi-ld:${query.type}:${d.id}`,
      type: query.type,
      '@context': context,
      name: { type: 'Property', value: d.name },
      location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [d.lon, d.lat] } },
      address: {
        type: 'Property',
        value: { addressLocality: d.city, district: d.ward, addressCountry: 'VN' },
      },
    };
    const times: string[] = [];
    for (const [attribute, [metric, scale, unit]] of Object.entries(mapping.attributes)) {
      const reading = latest[metric];
      if (!reading) continue;
      times.push(reading.t);
      entity[attribute] = {
        type: 'Property',
        value: Math.round(reading.v * scale * 10_000) / 10_000,
        observedAt: new Date(reading.t).toISOString(),
        ...(unit ? { unitCode: unit } : {}),
      };
    }
    if (query.type === 'Streetlight' && latest.lamp_on) {
      entity.powerState = { type: 'Property', value: latest.lamp_on.v >= 0.5 ? 'on' : 'off' };
    }
    if (times.length > 0) {
      const newest = new Date(Math.max(...times.map((t) => Date.parse(t)))).toISOString();
      entity[
        query.type === 'AirQualityObserved' || query.type === 'NoiseLevelObserved'
          ? 'dateObserved'
          : 'dateLastReported'
      ] = {
        type: 'Property',
        value: { '@type': 'DateTime', '@value': newest },
      };
    }
    return entity;
  });
}
