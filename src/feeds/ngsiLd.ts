// The latest observations as NGSI-LD entities of the FIWARE Smart Data Models, for provincial
// platforms that speak NGSI-LD (Orion-LD, Scorpio, Stellio): air quality, noise, street flooding,
// streetlights, waste containers, cameras and fire detectors (ngsiLd/models.ts says which model each
// is). Read-only, derived from device_latest and the hourly rollups; depends on storage/ngsiLd.ts and
// the catalog. Guarantees: each entity validates against its model's JSON Schema and uses only terms
// of the one @context the IOC serves (ngsiLd/context.ts).
import type { Catalog } from '../catalog/index.ts';
import {
  countEntityRows,
  type EntityFilter,
  type EntityRow,
  readEntityRows,
  readHourlyMeans,
} from '../storage/ngsiLd.ts';
import type { Pool } from '../storage/pool.ts';
import { aqiHours, aqiMetrics, stationAqi } from './ngsiLd/aqi.ts';
import { type Entity, normalizedEntity, type PlaceNames } from './ngsiLd/entities.ts';
import { metricsOf, models, type NgsiType, ngsiTypes } from './ngsiLd/models.ts';

export { type NgsiType, ngsiTypes };

export interface NgsiQuery {
  types: readonly NgsiType[];
  entityIds?: readonly string[] | undefined;
  city?: string | undefined;
  ward?: string | undefined;
  limit: number;
  offset: number;
  /** Also count every matching entity (count=true). */
  count?: boolean;
  /** The area and unit ids the reader reaches (src/auth/scope.ts); undefined: every area. */
  scope?: readonly string[] | undefined;
}

const unitPrefixes = ['Phường', 'Xã', 'Đặc khu', 'Thị trấn'];

/**
 * Names with diacritics for the address: the places tables first (the units in force since 1 July
 * 2025, a former unit's id giving the unit it went into), the catalog's fleets otherwise.
 */
function placeNames(catalog: Catalog, row: EntityRow): PlaceNames {
  const fleet = catalog.fleets.get(row.city);
  const ward = fleet?.wards.find((w) => w.id === row.ward);
  const catalogUnit = ward
    ? unitPrefixes.some((p) => ward.name.startsWith(p))
      ? ward.name
      : `${ward.type === 'commune' ? 'Xã' : 'Phường'} ${ward.name}`
    : undefined;
  return {
    locality: row.areaName ?? fleet?.name.vi ?? row.city,
    unit: row.unitName ?? catalogUnit ?? row.ward,
    province: row.provinceName ?? undefined,
  };
}

export async function ngsiEntities(
  pool: Pool,
  catalog: Catalog,
  query: NgsiQuery,
): Promise<{ entities: Entity[]; total?: number }> {
  const filter: EntityFilter = {
    sources: query.types.map((type) => ({ type, kind: models[type].kind, metrics: metricsOf(type) })),
    city: query.city,
    ward: query.ward,
    entityIds: query.entityIds,
    scope: query.scope,
  };
  if (filter.sources.length === 0) return { entities: [], ...(query.count ? { total: 0 } : {}) };
  const [rows, total] = await Promise.all([
    query.limit > 0 ? readEntityRows(pool, { ...filter, limit: query.limit, offset: query.offset }) : [],
    query.count ? countEntityRows(pool, filter) : undefined,
  ]);

  const stations = rows.filter((r) => r.type === 'AirQualityObserved');
  const means = await readHourlyMeans(pool, {
    deviceIds: stations.map((s) => s.id),
    metrics: aqiMetrics,
    hours: aqiHours,
  });
  const noiseIntervalS = catalog.kind('noise').reportingIntervalS;

  const entities = rows.map((row) => {
    const type = row.type as NgsiType;
    const pollutantsAt = type === 'AirQualityObserved' ? newestOf(row, aqiMetrics) : undefined;
    const aqi = pollutantsAt
      ? stationAqi(
          means.filter((m) => m.deviceId === row.id),
          pollutantsAt,
        )
      : undefined;
    return normalizedEntity({ type, row, names: placeNames(catalog, row), aqi, noiseIntervalS });
  });
  return { entities, ...(total !== undefined ? { total } : {}) };
}

/** The newest reading of these metrics; undefined when the device has none. */
function newestOf(row: EntityRow, metrics: readonly string[]): Date | undefined {
  const times = metrics.flatMap((m) => (row.latest?.[m] ? [Date.parse(row.latest[m].t)] : []));
  return times.length > 0 ? new Date(Math.max(...times)) : undefined;
}
