// The admins' management of API keys: create (the key is shown once, for every area or a scope of
// areas and units), list, revoke.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { scopeFrom, scopeWire } from '../../../auth/scope.ts';
import type { ApiKeys } from '../../../feeds/apiKeys.ts';
import type { ApiKeyRow } from '../../../storage/apiKeys.ts';
import { ErrorBody } from '../../schemas.ts';
import { checkedScope, ScopeBody, ScopeInput } from '../../scope.ts';

const KeyRecord = z.object({
  id: z.number(),
  name: z.string(),
  prefix: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  revokedBy: z.string().nullable(),
  scope: ScopeBody,
});

const keyJson = (k: ApiKeyRow) => ({
  ...k,
  createdAt: k.createdAt.toISOString(),
  lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
  revokedAt: k.revokedAt?.toISOString() ?? null,
  scope: scopeWire(scopeFrom(k.scope)),
});

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };

export async function apiKeyRoutes(app: FastifyInstance, opts: { apiKeys: ApiKeys }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { apiKeys } = opts;

  r.post(
    '/feeds/keys',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'createApiKey',
        summary: 'Tạo khoá API cho hệ thống máy / Create an API key for a machine client',
        description:
          'Khoá chỉ hiện trong câu trả lời này. Không ghi `scope`: mọi địa bàn; có `scope`: chỉ các địa bàn, ' +
          'phường/xã đó trong chỉ tiêu, thống kê, cảnh báo và NGSI-LD. / The key is shown in this answer only. ' +
          'Without `scope`: every area; with it: only those areas and units, in indicators, aggregates, alerts ' +
          'and NGSI-LD.',
        tags: ['feeds'],
        body: z.object({ name: z.string().trim().min(1).max(200), scope: ScopeInput.optional() }).strict(),
        response: { 201: KeyRecord.extend({ key: z.string() }), ...errors },
      },
    },
    async (request, reply) => {
      const scope = await checkedScope(request.body.scope ?? 'all', apiKeys.unknownPlaces);
      const { key, record } = await apiKeys.create(request.body.name, request.principal!.username, scope);
      return reply.code(201).send({ ...keyJson(record), key });
    },
  );

  r.get(
    '/feeds/keys',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'listApiKeys',
        summary: 'Danh sách khoá API / List API keys',
        description: 'Không bao giờ hiện bản thân khoá. / Never the keys themselves.',
        tags: ['feeds'],
        response: { 200: z.object({ items: z.array(KeyRecord) }), ...errors },
      },
    },
    async () => ({ items: (await apiKeys.list()).map(keyJson) }),
  );

  r.delete(
    '/feeds/keys/:id',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'revokeApiKey',
        summary: 'Thu hồi khoá API / Revoke an API key',
        description: 'Khoá hết hiệu lực ngay. / It stops working at once.',
        tags: ['feeds'],
        params: z.object({ id: z.coerce.number().int().positive() }),
        response: { 200: KeyRecord, 404: ErrorBody, ...errors },
      },
    },
    async (request) => keyJson(await apiKeys.revoke(request.params.id, request.principal!.username)),
  );
}
