// Fleets from devices/: list what the catalog holds and load a city's inventory into the registry.
// The areas and their units come from the places area (devices/places, edited through the API).
// Loading answers with the MQTT credentials of what it created (and, on request, fresh secrets for
// devices already registered), which `npm run fleet:load` writes to the simulators' credentials file.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Catalog } from '../../catalog/index.ts';
import { CityId } from '../../catalog/schema.ts';
import { AppError } from '../../errors.ts';
import type { Places } from '../../places/index.ts';
import { registerFleet } from '../../registry/fleets.ts';
import type { DeviceRegistry } from '../../registry/index.ts';
import { ErrorBody } from '../schemas.ts';

export async function fleetRoutes(
  app: FastifyInstance,
  opts: { catalog: Catalog; registry: DeviceRegistry; places: Places },
) {
  const { catalog, registry, places } = opts;
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/catalog',
    {
      config: { role: 'viewer' },
      schema: {
        operationId: 'getCatalog',
        summary: 'Danh mục loại thiết bị và địa bàn / Device kinds and areas',
        description:
          'Các loại thiết bị (chỉ số, đơn vị đo, dải đo) và các địa bàn (`city`) với đơn vị hành chính đang hiệu lực ' +
          '(`wards`, tên đầy đủ). / Device kinds (metrics, units, ranges) and the areas (`city`) with their units in ' +
          'force (`wards`, named in full).',
        tags: ['catalog'],
        response: {
          200: z.object({
            kinds: z.array(z.record(z.string(), z.unknown())),
            cities: z.array(z.record(z.string(), z.unknown())),
          }),
        },
      },
    },
    async () => ({
      kinds: [...catalog.kinds.values()],
      cities: places.areas().map((area) => ({
        city: area.id,
        name: area.name,
        lat: area.centre.lat,
        lon: area.centre.lon,
        wards: places.currentUnits(area.id).map((u) => ({
          id: u.id,
          name: u.fullName.vi,
          type: u.type,
          lat: u.centre.lat,
          lon: u.centre.lon,
        })),
        devices: catalog.fleets.get(area.id)?.devices.length ?? 0,
      })),
    }),
  );

  r.post(
    '/fleets/:city/load',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'loadFleet',
        summary: 'Nạp đội thiết bị của một địa bàn / Load a city’s fleet',
        description:
          'Đăng ký đội thiết bị từ devices/; trả về thông tin MQTT của các thiết bị vừa tạo. / ' +
          "Registers a city's fleet from devices/; answers with the MQTT credentials of the devices it created.",
        tags: ['catalog'],
        params: z.object({ city: CityId }),
        body: z
          .object({
            rotateExisting: z
              .boolean()
              .default(false)
              .describe('also give devices already registered a new secret (their old one stops working)'),
          })
          .strict()
          .default({ rotateExisting: false }),
        response: {
          200: z.object({
            city: CityId,
            created: z.number().int(),
            rotated: z.number().int(),
            credentials: z.array(
              z.object({
                id: z.string(),
                kind: z.string(),
                city: z.string(),
                topicPrefix: z.string(),
                secret: z.string(),
              }),
            ),
          }),
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (request) => {
      const fleet = catalog.fleets.get(request.params.city);
      if (!fleet) throw new AppError('NOT_FOUND', `no fleet for ${request.params.city} in devices/fleets`);
      const result = await registerFleet(registry, fleet, () => request.body.rotateExisting);
      return { city: fleet.city, ...result };
    },
  );
}
