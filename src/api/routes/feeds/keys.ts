// The admins' management of API keys: create (the key is shown once), list, revoke.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiKeys } from '../../../feeds/apiKeys.ts';
import type { ApiKeyRow } from '../../../storage/apiKeys.ts';
import { feedErrors } from './query.ts';

const KeyRecord = z.object({
  id: z.number(),
  name: z.string(),
  prefix: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  revokedBy: z.string().nullable(),
});

const keyJson = (k: ApiKeyRow) => ({
  ...k,
  createdAt: k.createdAt.toISOString(),
  lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
  revokedAt: k.revokedAt?.toISOString() ?? null,
});

export async function apiKeyRoutes(app: FastifyInstance, opts: { apiKeys: ApiKeys }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { apiKeys } = opts;

  r.post(
    '/feeds/keys',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['feeds'],
        summary: 'Create an API key for a machine client; the key is shown in this answer only',
        body: z.object({ name: z.string().trim().min(1).max(200) }).strict(),
        response: { 201: KeyRecord.extend({ key: z.string() }), ...feedErrors },
      },
    },
    async (request, reply) => {
      const { key, record } = await apiKeys.create(request.body.name, request.principal!.username);
      return reply.code(201).send({ ...keyJson(record), key });
    },
  );

  r.get(
    '/feeds/keys',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['feeds'],
        summary: 'API keys (never the keys themselves)',
        response: { 200: z.object({ items: z.array(KeyRecord) }), ...feedErrors },
      },
    },
    async () => ({ items: (await apiKeys.list()).map(keyJson) }),
  );

  r.delete(
    '/feeds/keys/:id',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['feeds'],
        summary: 'Revoke an API key: it stops working at once',
        params: z.object({ id: z.coerce.number().int().positive() }),
        response: { 200: KeyRecord, ...feedErrors },
      },
    },
    async (request) => keyJson(await apiKeys.revoke(request.params.id, request.principal!.username)),
  );
}
