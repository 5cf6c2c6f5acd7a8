// Places: the areas the IOC serves, their administrative units in force (no district level since
// 1 July 2025) and the former units each went into. Seeded from devices/places at start, edited by
// admins through the API, held in memory because registration and position lookups need an answer
// without a database round trip. Guarantees: a device's unit is a current unit of its area (found from
// its position where boundaries exist); a former unit's id is taken as its current unit until the
// configured day, with a notice saying so.
import type { Logger } from '../log.ts';
import type { PlaceQueries } from '../storage/places.ts';
import {
  type CheckedBoundary,
  checkBoundaries,
  type FeatureCollection,
  type FeatureProblem,
} from './boundaries.ts';
import { contains, type Geometry, inBbox } from './geometry.ts';
import type {
  Area,
  AreaInput,
  AreaPatch,
  Bilingual,
  FormerUnit,
  Unit,
  UnitInput,
  UnitPatch,
} from './schema.ts';
import { defaultPlacesDir, readShippedPlaces } from './seed.ts';
import { placeError, texts } from './texts.ts';

export interface PlaceOf {
  city: string;
  /** A current unit of the area. */
  ward: string;
  /** The former unit the caller named, when it named one. */
  wardBefore2025: string | null;
  /** Set when a former unit's id was taken as the current unit: to pass on to the caller and log. */
  notice?: Bilingual;
}

export interface Places {
  /** Seeds the shipped places (rows an admin wrote are left alone) and loads everything. */
  start(): Promise<void>;
  /** Re-reads the tables: after a write on another instance. */
  reload(): Promise<void>;
  /** Re-reads the tables if any row changed since the last read (true when it did). */
  refreshIfChanged(): Promise<boolean>;
  areas(): readonly Area[];
  area(id: string): Area | undefined;
  /** Units of an area (every area when none), current and ended. */
  units(area?: string): readonly Unit[];
  unit(id: string): Unit | undefined;
  /** Units in force today. */
  currentUnits(area?: string): readonly Unit[];
  formerUnits(area?: string): readonly FormerUnit[];
  formerUnit(id: string): FormerUnit | undefined;
  boundary(unitId: string): Geometry | undefined;
  /** The current unit whose boundary holds the position, if boundaries say. */
  unitAt(lat: number, lon: number, area?: string): Unit | undefined;
  /**
   * Where a device stands: its position decides its unit where boundaries exist; otherwise the unit it
   * names, a former unit's id being taken as the unit it went into (until formerIdsUntil).
   * Throws VALIDATION_FAILED with Vietnamese and English when the area or unit is unknown.
   */
  placeOf(input: { city: string; ward: string; lat?: number; lon?: number }): PlaceOf;
  /** A unit named in a query: a current unit, or a former one mapped to it (with a notice). */
  filterUnit(city: string | undefined, ward: string): { ward: string; notice?: Bilingual };
  /** A unit's or a former unit's full Vietnamese name (`Phường Tân Ninh`), or the id when unknown. */
  unitName(id: string): string;
  /** The last day on which a former unit's id is still accepted (YYYY-MM-DD, Vietnam time). */
  readonly formerIdsUntil: string;
  createArea(input: AreaInput): Promise<Area>;
  updateArea(id: string, patch: AreaPatch): Promise<Area>;
  createUnit(input: UnitInput): Promise<Unit>;
  updateUnit(id: string, patch: UnitPatch): Promise<Unit>;
  /** Imports every boundary of the collection or none; throws with each bad feature listed. */
  importBoundaries(collection: FeatureCollection): Promise<{ imported: string[] }>;
}

/** Today in Vietnam (UTC+7 all year), as YYYY-MM-DD. */
const vietnamDay = (at: Date) => new Date(at.getTime() + 7 * 3_600_000).toISOString().slice(0, 10);

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === '23505';

export function createPlaces(deps: {
  queries: PlaceQueries;
  log: Logger;
  /** Last day a former unit's id is accepted on input (PLACES_FORMER_IDS_UNTIL). */
  formerIdsUntil: string;
  dir?: string;
  now?: () => Date;
  /** Called after each write made here, so other instances can be told (src/cluster/notify.ts). */
  changed?: () => void;
}): Places {
  const {
    queries,
    log,
    formerIdsUntil,
    dir = defaultPlacesDir,
    now = () => new Date(),
    changed = () => {},
  } = deps;
  let seenVersion = '';
  let areas: Area[] = [];
  let units: Unit[] = [];
  let formerUnits: FormerUnit[] = [];
  let boundaries = new Map<string, Geometry>();
  const areaById = new Map<string, Area>();
  const unitById = new Map<string, Unit>();
  const formerById = new Map<string, FormerUnit>();

  async function reload() {
    const version = await queries.version();
    const rows = await queries.all();
    seenVersion = version;
    areas = rows.areas;
    units = rows.units;
    formerUnits = rows.formerUnits;
    boundaries = rows.boundaries;
    areaById.clear();
    unitById.clear();
    formerById.clear();
    for (const a of areas) areaById.set(a.id, a);
    for (const u of units) unitById.set(u.id, u);
    for (const u of formerUnits) formerById.set(u.id, u);
  }

  async function refreshIfChanged(): Promise<boolean> {
    if ((await queries.version()) === seenVersion) return false;
    await reload();
    return true;
  }

  const inForce = (u: Unit, day = vietnamDay(now())) =>
    u.validFrom <= day && (u.validTo === null || u.validTo >= day);
  const currentUnits = (area?: string) =>
    units.filter((u) => (area === undefined || u.area === area) && inForce(u));

  function requireArea(id: string): Area {
    const area = areaById.get(id);
    if (!area)
      throw placeError(
        'VALIDATION_FAILED',
        texts.unknownArea(
          id,
          areas.map((a) => a.id),
        ),
        { area: id },
      );
    return area;
  }

  async function requireFreeId(id: string) {
    if (await queries.idTaken(id)) throw placeError('CONFLICT', texts.idTaken(id), { id });
  }

  function unitAt(lat: number, lon: number, area?: string): Unit | undefined {
    for (const u of currentUnits(area)) {
      const geometry = boundaries.get(u.id);
      if (
        geometry &&
        u.boundaryBbox &&
        inBbox(u.boundaryBbox as never, lat, lon) &&
        contains(geometry, lat, lon)
      )
        return u;
    }
    return undefined;
  }

  const formerIdsLogged = new Set<string>();
  /** A current unit of the area, or a former unit mapped to the unit it went into. */
  function resolveUnit(
    city: string,
    ward: string,
  ): { ward: string; wardBefore2025: string | null; notice?: Bilingual } {
    const unit = unitById.get(ward);
    if (unit && unit.area === city && inForce(unit)) return { ward, wardBefore2025: null };
    const former = formerById.get(ward);
    if (former && former.area === city) {
      if (vietnamDay(now()) > formerIdsUntil)
        throw placeError(
          'VALIDATION_FAILED',
          texts.formerUnitRetired(ward, former.mergedInto, formerIdsUntil),
          {
            ward,
            current: former.mergedInto,
          },
        );
      const notice = texts.formerUnitDeprecated(ward, former.mergedInto, formerIdsUntil);
      // Once per former id: a fleet file of the old map registers hundreds of devices in a row, and
      // each caller gets the notice in its answer anyway.
      if (!formerIdsLogged.has(ward)) {
        formerIdsLogged.add(ward);
        log.warn(
          { ward, current: former.mergedInto, until: formerIdsUntil },
          'former unit id taken as its current unit (logged once per id)',
        );
      }
      return { ward: former.mergedInto, wardBefore2025: ward, notice };
    }
    throw placeError(
      'VALIDATION_FAILED',
      texts.unitNotInArea(
        ward,
        city,
        currentUnits(city).map((u) => u.id),
      ),
      { city, ward },
    );
  }

  function toRecord(u: Unit) {
    const { origin: _origin, boundaryBbox: _bbox, ...record } = u;
    return record;
  }

  async function writeUnit(write: () => Promise<void>, code: string) {
    try {
      await write();
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const holder = currentUnits().find((u) => u.code === code);
      throw placeError('CONFLICT', texts.codeTaken(code, holder?.id ?? '?'), { code });
    }
  }

  return {
    async start() {
      const shipped = readShippedPlaces(dir);
      await queries.seed(shipped.areas, shipped.units, shipped.formerUnits);
      await reload();
      log.info(
        {
          areas: areas.length,
          units: units.length,
          formerUnits: formerUnits.length,
          boundaries: boundaries.size,
        },
        'places loaded',
      );
    },
    reload,
    refreshIfChanged,
    areas: () => areas,
    area: (id) => areaById.get(id),
    units: (area) => (area === undefined ? units : units.filter((u) => u.area === area)),
    unit: (id) => unitById.get(id),
    currentUnits,
    formerUnits: (area) => (area === undefined ? formerUnits : formerUnits.filter((u) => u.area === area)),
    formerUnit: (id) => formerById.get(id),
    boundary: (id) => boundaries.get(id),
    unitAt,
    formerIdsUntil,

    placeOf({ city, ward, lat, lon }) {
      requireArea(city);
      const found = lat !== undefined && lon !== undefined ? unitAt(lat, lon, city) : undefined;
      if (found) {
        const former = formerById.get(ward);
        return { city, ward: found.id, wardBefore2025: former && former.area === city ? ward : null };
      }
      return { city, ...resolveUnit(city, ward) };
    },

    filterUnit(city, ward) {
      const unit = unitById.get(ward);
      if (unit && (city === undefined || unit.area === city)) return { ward };
      const former = formerById.get(ward);
      if (!former) throw placeError('VALIDATION_FAILED', texts.unknownUnit(ward), { ward });
      return resolveUnit(city ?? former.area, ward);
    },

    unitName: (id) => unitById.get(id)?.fullName.vi ?? formerById.get(id)?.fullName.vi ?? id,

    async createArea(input) {
      await requireFreeId(input.id);
      await queries.insertArea({ ...input, details: input.details ?? {} });
      await reload();
      changed();
      return areaById.get(input.id)!;
    },

    async updateArea(id, patch) {
      const current = areaById.get(id);
      if (!current)
        throw placeError(
          'NOT_FOUND',
          texts.unknownArea(
            id,
            areas.map((a) => a.id),
          ),
          { area: id },
        );
      const { origin: _origin, ...record } = current;
      await queries.updateArea({ ...record, ...patch, id });
      await reload();
      changed();
      return areaById.get(id)!;
    },

    async createUnit(input) {
      const area = requireArea(input.area);
      await requireFreeId(input.id);
      await writeUnit(
        () =>
          queries.insertUnit({
            ...input,
            provinceCode: input.provinceCode ?? area.province.code,
            validTo: input.validTo ?? null,
            sources: input.sources ?? [],
            details: input.details ?? {},
          }),
        input.code,
      );
      await reload();
      changed();
      return unitById.get(input.id)!;
    },

    async updateUnit(id, patch) {
      const current = unitById.get(id);
      if (!current) throw placeError('NOT_FOUND', texts.unknownUnit(id), { unit: id });
      const code = patch.code ?? current.code;
      await writeUnit(() => queries.updateUnit({ ...toRecord(current), ...patch, id }), code);
      await reload();
      changed();
      return unitById.get(id)!;
    },

    async importBoundaries(collection) {
      const { boundaries: checked, problems } = checkBoundaries(collection, currentUnits());
      if (problems.length > 0) throw refused(problems);
      await queries.setBoundaries(checked satisfies CheckedBoundary[]);
      await reload();
      changed();
      log.info({ units: checked.length }, 'unit boundaries imported');
      return { imported: checked.map((b) => b.unitId) };
    },
  };
}

function refused(problems: FeatureProblem[]) {
  return placeError('VALIDATION_FAILED', texts.boundariesRefused(problems.length), { features: problems });
}
