// Places over HTTP: areas, their units in force, the former units with the unit each went into, unit
// boundaries (GeoJSON) and the position lookup. Every signed-in role reads; admins write.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { FeatureCollection } from '../../places/boundaries.ts';
import { Geometry } from '../../places/geometry.ts';
import type { Places } from '../../places/index.ts';
import {
  Area,
  AreaInput,
  AreaPatch,
  FormerUnit,
  PlaceId,
  Unit,
  UnitInput,
  UnitPatch,
} from '../../places/schema.ts';
import { placeError, texts } from '../../places/texts.ts';
import { ErrorBody } from '../schemas.ts';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const AreaWithUnits = Area.extend({ units: z.array(Unit), formerUnits: z.array(FormerUnit) });
const IdParams = z.object({ id: PlaceId });
const AreaQuery = z.object({ area: PlaceId.optional() });
/** Boundary files run to megabytes; the route is for admins only, so it may take more than the default. */
const boundaryBodyLimit = 32 * 1024 * 1024;

export async function placeRoutes(app: FastifyInstance, opts: { places: Places }) {
  const { places } = opts;
  const r = app.withTypeProvider<ZodTypeProvider>();

  const withUnits = (area: Area) => ({
    ...area,
    units: [...places.units(area.id)],
    formerUnits: [...places.formerUnits(area.id)],
  });
  const requireArea = (id: string) => {
    const area = places.area(id);
    if (!area)
      throw placeError(
        'NOT_FOUND',
        texts.unknownArea(
          id,
          places.areas().map((a) => a.id),
        ),
        { area: id },
      );
    return area;
  };
  const requireUnit = (id: string) => {
    const unit = places.unit(id);
    if (!unit) throw placeError('NOT_FOUND', texts.unknownUnit(id), { unit: id });
    return unit;
  };

  r.get(
    '/places/areas',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['places'],
        summary:
          'Areas with their units (in force and ended) and the former units with the unit each went into',
        response: { 200: z.object({ items: z.array(AreaWithUnits) }), ...errors },
      },
    },
    async () => ({ items: places.areas().map(withUnits) }),
  );

  r.get(
    '/places/areas/:id',
    {
      config: { role: 'viewer' },
      schema: { tags: ['places'], params: IdParams, response: { 200: AreaWithUnits, ...errors } },
    },
    async (request) => withUnits(requireArea(request.params.id)),
  );

  r.post(
    '/places/areas',
    {
      config: { role: 'admin' },
      schema: { tags: ['places'], body: AreaInput, response: { 201: Area, ...errors } },
    },
    async (request, reply) => reply.code(201).send(await places.createArea(request.body)),
  );

  r.patch(
    '/places/areas/:id',
    {
      config: { role: 'admin' },
      schema: { tags: ['places'], params: IdParams, body: AreaPatch, response: { 200: Area, ...errors } },
    },
    async (request) => places.updateArea(request.params.id, request.body),
  );

  r.get(
    '/places/units',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['places'],
        summary: 'Units in force and ended, with the former units that went into each',
        querystring: AreaQuery,
        response: {
          200: z.object({ items: z.array(Unit.extend({ formerUnits: z.array(PlaceId) })) }),
          ...errors,
        },
      },
    },
    async (request) => {
      if (request.query.area) requireArea(request.query.area);
      const formers = places.formerUnits(request.query.area);
      return {
        items: places.units(request.query.area).map((u) => ({
          ...u,
          formerUnits: formers.filter((f) => f.mergedInto === u.id).map((f) => f.id),
        })),
      };
    },
  );

  r.get(
    '/places/units/:id',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['places'],
        params: IdParams,
        response: { 200: Unit.extend({ formerUnits: z.array(FormerUnit) }), ...errors },
      },
    },
    async (request) => {
      const unit = requireUnit(request.params.id);
      return { ...unit, formerUnits: places.formerUnits(unit.area).filter((f) => f.mergedInto === unit.id) };
    },
  );

  r.post(
    '/places/units',
    {
      config: { role: 'admin' },
      schema: { tags: ['places'], body: UnitInput, response: { 201: Unit, ...errors } },
    },
    async (request, reply) => reply.code(201).send(await places.createUnit(request.body)),
  );

  r.patch(
    '/places/units/:id',
    {
      config: { role: 'admin' },
      schema: { tags: ['places'], params: IdParams, body: UnitPatch, response: { 200: Unit, ...errors } },
    },
    async (request) => places.updateUnit(request.params.id, request.body),
  );

  r.get(
    '/places/former-units',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['places'],
        summary: 'Units abolished on 1 July 2025 (or later), each with the current unit it went into',
        querystring: AreaQuery,
        response: { 200: z.object({ items: z.array(FormerUnit) }), ...errors },
      },
    },
    async (request) => {
      if (request.query.area) requireArea(request.query.area);
      return { items: [...places.formerUnits(request.query.area)] };
    },
  );

  r.get(
    '/places/units/:id/boundary',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['places'],
        summary: "The unit's boundary as a GeoJSON Feature (404 while none is imported)",
        params: IdParams,
        response: {
          200: z.object({
            type: z.literal('Feature'),
            properties: z.object({ id: PlaceId, code: z.string(), name: z.string() }),
            geometry: Geometry,
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const unit = requireUnit(request.params.id);
      const geometry = places.boundary(unit.id);
      if (!geometry) throw placeError('NOT_FOUND', texts.noBoundary(unit.id), { unit: unit.id });
      return {
        type: 'Feature' as const,
        properties: { id: unit.id, code: unit.code, name: unit.fullName.vi },
        geometry,
      };
    },
  );

  r.put(
    '/places/boundaries',
    {
      config: { role: 'admin' },
      bodyLimit: boundaryBodyLimit,
      schema: {
        tags: ['places'],
        summary:
          'Import unit boundaries: a GeoJSON FeatureCollection, one Polygon or MultiPolygon Feature per current unit, ' +
          'matched by properties.id or properties.code. All or nothing: a bad feature refuses the file, each one listed.',
        body: FeatureCollection,
        response: { 200: z.object({ imported: z.array(PlaceId) }), ...errors },
      },
    },
    async (request) => places.importBoundaries(request.body),
  );

  r.get(
    '/places/lookup',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['places'],
        summary:
          'The current unit whose imported boundary holds a position (unit null where no boundary does)',
        querystring: z.object({
          lat: z.coerce.number().min(-90).max(90),
          lon: z.coerce.number().min(-180).max(180),
          area: PlaceId.optional(),
        }),
        response: { 200: z.object({ unit: Unit.nullable() }), ...errors },
      },
    },
    async (request) => {
      const { lat, lon, area } = request.query;
      if (area) requireArea(area);
      return { unit: places.unitAt(lat, lon, area) ?? null };
    },
  );
}
