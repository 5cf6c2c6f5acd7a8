// Device profiles over HTTP: each kind as data (metrics, units, ranges, reporting interval, what the
// console shows first). Every signed-in role reads (an installer / vendor the profiles of its own
// devices); admins add, replace and delete. A device is
// registered of a profile by its id as `kind`, and its readings are judged by the profile from the next
// message on.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { reachesDevice } from '../../auth/deviceScope.ts';
import { MetricName } from '../../catalog/schema.ts';
import { telemetryExample } from '../../profiles/example.ts';
import type { Profiles } from '../../profiles/index.ts';
import { Metric, Profile, ProfileId, ProfileInput, ProfileReplace } from '../../profiles/schema.ts';
import { profileError, texts } from '../../profiles/texts.ts';
import type { DeviceRegistry } from '../../registry/index.ts';
import { callerDevices } from '../plugins/roles.ts';
import { ErrorBody } from '../schemas.ts';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const IdParams = z.object({ id: ProfileId });
const Listed = Profile.extend({ devices: z.number().int().describe('devices registered of this profile') });
const Example = z
  .object({
    topic: z
      .string()
      .describe(
        'chủ đề MQTT; thay {city} và {deviceId} bằng khu vực và mã thiết bị / the MQTT topic; put the area and the device id in place of {city} and {deviceId}',
      ),
    payload: z.object({ ts: z.string(), seq: z.number(), metrics: z.record(z.string(), z.number()) }),
  })
  .meta({
    id: 'TelemetryExample',
    description: 'Bản tin đo mẫu của một hồ sơ / An example telemetry message of a profile',
  });
// What the preview needs of a profile being written: its id (for a shipped kind's own values) and metrics.
const ExampleInput = z
  .object({
    id: ProfileId.optional(),
    metrics: z
      .record(MetricName, Metric)
      .refine((m) => Object.keys(m).length >= 1 && Object.keys(m).length <= 64, '1 to 64 metrics'),
  })
  .strict();

export async function profileRoutes(
  app: FastifyInstance,
  opts: { profiles: Profiles; registry: DeviceRegistry },
) {
  const { profiles, registry } = opts;
  const r = app.withTypeProvider<ZodTypeProvider>();

  /**
   * What the caller reaches: every profile and device, or for an installer / vendor the profiles it
   * is given and those of its listed devices (the contract its devices answer to, with their ranges),
   * counting only its own devices.
   */
  const reach = (request: FastifyRequest) => {
    const scope = callerDevices(request);
    if (!scope) return { sees: (_id: string) => true, counts: (_d: { id: string; kind: string }) => true };
    const kinds = new Set(scope.profiles);
    for (const id of scope.devices) {
      const device = registry.get(id);
      if (device) kinds.add(device.kind);
    }
    return {
      sees: (id: string) => kinds.has(id),
      counts: (d: { id: string; kind: string }) => reachesDevice(scope, d),
    };
  };
  const deviceCounts = (counts: (d: { id: string; kind: string }) => boolean) => {
    const byKind = new Map<string, number>();
    for (const d of registry.all()) if (counts(d)) byKind.set(d.kind, (byKind.get(d.kind) ?? 0) + 1);
    return byKind;
  };
  const requireProfile = (id: string, sees: (id: string) => boolean = () => true) => {
    const profile = sees(id) ? profiles.get(id) : undefined;
    if (!profile)
      throw profileError(
        'NOT_FOUND',
        texts.unknownProfile(
          id,
          profiles.all().map((p) => p.id),
        ),
        { profile: id },
      );
    return profile;
  };

  r.get(
    '/profiles',
    {
      config: { role: 'viewer', installer: true },
      schema: {
        operationId: 'listProfiles',
        summary: 'Danh sách hồ sơ thiết bị / List device profiles',
        description:
          'Mỗi loại thiết bị: chỉ số (tên, đơn vị, kiểu, dải hợp lý), chu kỳ báo cáo, chỉ số hiển thị trước, số thiết bị. / ' +
          'Each device kind: metrics (names, unit, type, plausible range), reporting interval, primary metrics, device count.',
        tags: ['profiles'],
        response: { 200: z.object({ items: z.array(Listed) }), ...errors },
      },
    },
    async (request) => {
      const { sees, counts } = reach(request);
      const byKind = deviceCounts(counts);
      return {
        items: profiles
          .all()
          .filter((p) => sees(p.id))
          .map((p) => ({ ...p, devices: byKind.get(p.id) ?? 0 })),
      };
    },
  );

  r.get(
    '/profiles/:id',
    {
      config: { role: 'viewer', installer: true },
      schema: {
        operationId: 'getProfile',
        summary: 'Một hồ sơ thiết bị / A device profile',
        tags: ['profiles'],
        params: IdParams,
        response: { 200: Listed, ...errors },
      },
    },
    async (request) => {
      const { sees, counts } = reach(request);
      return {
        ...requireProfile(request.params.id, sees),
        devices: deviceCounts(counts).get(request.params.id) ?? 0,
      };
    },
  );

  r.get(
    '/profiles/:id/example',
    {
      config: { role: 'viewer', installer: true },
      schema: {
        operationId: 'getProfileTelemetryExample',
        summary: 'Bản tin đo mẫu của hồ sơ / An example telemetry message of a profile',
        description:
          'Chủ đề và nội dung một thiết bị của hồ sơ này gửi; mọi chỉ số nằm trong dải hợp lý. / ' +
          'The topic and payload a device of this profile sends; every metric inside its plausible range.',
        tags: ['profiles'],
        params: IdParams,
        response: { 200: Example, ...errors },
      },
    },
    async (request) => telemetryExample(requireProfile(request.params.id, reach(request).sees)),
  );

  r.post(
    '/profiles/example',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'previewProfileTelemetryExample',
        summary:
          'Xem trước bản tin đo của hồ sơ đang soạn / Preview the telemetry of a profile being written',
        description:
          'Không lưu gì: dùng khi soạn hồ sơ, trước khi lưu. / Stores nothing: for a profile being written, before it is saved.',
        tags: ['profiles'],
        body: ExampleInput,
        response: { 200: Example, ...errors },
      },
    },
    async (request) => telemetryExample({ id: request.body.id ?? '{kind}', metrics: request.body.metrics }),
  );

  r.post(
    '/profiles',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'createProfile',
        summary: 'Thêm hồ sơ thiết bị / Add a device profile',
        description:
          'Một loại thiết bị mới, không cần sửa mã: đăng ký thiết bị với `kind` là mã hồ sơ. / ' +
          'A new device kind without a code change: register devices with the profile id as `kind`.',
        tags: ['profiles'],
        body: ProfileInput,
        response: { 201: Profile, ...errors },
      },
    },
    async (request, reply) => reply.code(201).send(await profiles.create(request.body)),
  );

  r.put(
    '/profiles/:id',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'replaceProfile',
        summary: 'Sửa hồ sơ thiết bị / Replace a device profile',
        description:
          'Áp dụng từ bản tin kế tiếp; hồ sơ có sẵn đã sửa không bị ghi đè khi khởi động lại. / ' +
          'Applies from the next message; a shipped profile once edited is not overwritten by a restart.',
        tags: ['profiles'],
        params: IdParams,
        body: ProfileReplace,
        response: { 200: Profile, ...errors },
      },
    },
    async (request) => profiles.replace(request.params.id, request.body),
  );

  r.delete(
    '/profiles/:id',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'deleteProfile',
        summary: 'Xóa hồ sơ thiết bị / Delete a device profile',
        description:
          'Bị từ chối (409) khi còn thiết bị thuộc hồ sơ. / Refused (409) while a device is of the profile.',
        tags: ['profiles'],
        params: IdParams,
        response: { 204: z.null().describe('deleted'), ...errors },
      },
    },
    async (request, reply) => {
      await profiles.remove(request.params.id);
      return reply.code(204).send(null);
    },
  );
}
