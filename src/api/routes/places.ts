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
        operationId: 'listAreas',
        summary: 'Danh sách địa bàn / List areas',
        description:
          'Mỗi địa bàn với các đơn vị (đang hiệu lực và đã kết thúc) và các đơn vị cũ cùng đơn vị mà mỗi đơn vị cũ nhập vào. / ' +
          'Areas with their units (in force and ended) and the former units with the unit each went into.',
        tags: ['places'],
        response: { 200: z.object({ items: z.array(AreaWithUnits) }), ...errors },
      },
    },
    async () => ({ items: places.areas().map(withUnits) }),
  );

  r.get(
    '/places/areas/:id',
    {
      config: { role: 'viewer' },
      schema: {
        operationId: 'getArea',
        summary: 'Một địa bàn với các đơn vị / An area with its units',
        tags: ['places'],
        params: IdParams,
        response: { 200: AreaWithUnits, ...errors },
      },
    },
    async (request) => withUnits(requireArea(request.params.id)),
  );

  r.post(
    '/places/areas',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'createArea',
        summary: 'Tạo địa bàn / Create an area',
        tags: ['places'],
        body: AreaInput,
        response: { 201: Area, ...errors },
      },
    },
    async (request, reply) => reply.code(201).send(await places.createArea(request.body)),
  );

  r.patch(
    '/places/areas/:id',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'updateArea',
        summary: 'Sửa địa bàn / Change an area',
        tags: ['places'],
        params: IdParams,
        body: AreaPatch,
        response: { 200: Area, ...errors },
      },
    },
    async (request) => places.updateArea(request.params.id, request.body),
  );

  r.get(
    '/places/units',
    {
      config: { role: 'viewer' },
      schema: {
        operationId: 'listUnits',
        summary: 'Danh sách đơn vị hành chính / List administrative units',
        description:
          'Đang hiệu lực và đã kết thúc, kèm các đơn vị cũ nhập vào mỗi đơn vị. / ' +
          'In force and ended, with the former units that went into each.',
        tags: ['places'],
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
        operationId: 'getUnit',
        summary: 'Một đơn vị hành chính và các đơn vị cũ của nó / A unit with its former units',
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
      schema: {
        operationId: 'createUnit',
        summary: 'Tạo đơn vị hành chính / Create a unit',
        tags: ['places'],
        body: UnitInput,
        response: { 201: Unit, ...errors },
      },
    },
    async (request, reply) => reply.code(201).send(await places.createUnit(request.body)),
  );

  r.patch(
    '/places/units/:id',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'updateUnit',
        summary: 'Sửa đơn vị hành chính / Change a unit',
        tags: ['places'],
        params: IdParams,
        body: UnitPatch,
        response: { 200: Unit, ...errors },
      },
    },
    async (request) => places.updateUnit(request.params.id, request.body),
  );

  r.get(
    '/places/former-units',
    {
      config: { role: 'viewer' },
      schema: {
        operationId: 'listFormerUnits',
        summary: 'Đơn vị cũ đã giải thể / Former units',
        description:
          'Giải thể từ 1/7/2025 (hoặc sau), mỗi đơn vị với đơn vị hiện hành mà nó nhập vào. / ' +
          'Abolished on 1 July 2025 (or later), each with the current unit it went into.',
        tags: ['places'],
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
        operationId: 'getUnitBoundary',
        summary: 'Ranh giới của đơn vị (GeoJSON) / A unit’s boundary (GeoJSON)',
        description:
          'Một GeoJSON Feature; 404 khi chưa nhập ranh giới. / A GeoJSON Feature; 404 while none is imported.',
        tags: ['places'],
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
        operationId: 'importBoundaries',
        summary: 'Nhập ranh giới đơn vị (GeoJSON) / Import unit boundaries (GeoJSON)',
        description:
          'Một FeatureCollection, mỗi đơn vị hiện hành một Feature Polygon hoặc MultiPolygon, khớp theo ' +
          'properties.id hoặc properties.code. Tất cả hoặc không: một Feature sai làm từ chối cả tệp, liệt kê từng lỗi. / ' +
          'A GeoJSON FeatureCollection, one Polygon or MultiPolygon Feature per current unit, matched by ' +
          'properties.id or properties.code. All or nothing: a bad feature refuses the file, each one listed.',
        tags: ['places'],
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
        operationId: 'lookupUnit',
        summary: 'Tìm đơn vị chứa một vị trí / Find the unit holding a position',
        description:
          'Đơn vị hiện hành có ranh giới chứa vị trí (null khi không ranh giới nào chứa). / ' +
          'The current unit whose imported boundary holds a position (null where no boundary does).',
        tags: ['places'],
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
