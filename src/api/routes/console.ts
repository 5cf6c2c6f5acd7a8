// The operators' console: the page in dashboards/console and the browser libraries it uses, served by
// the same process (a control room needs no other web server, and no internet). Only files under the
// listed folders are served; anything else is a 404.
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

const root = new URL('../../../', import.meta.url).pathname;
const folders: Record<string, string> = {
  console: join(root, 'dashboards/console'),
  'vendor/leaflet': join(root, 'node_modules/leaflet/dist'),
  'vendor/markercluster': join(root, 'node_modules/leaflet.markercluster/dist'),
  'vendor/socket.io': join(root, 'node_modules/socket.io-client/dist'),
};
const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

export async function consoleRoutes(app: FastifyInstance, opts: { tileUrl: string | undefined }) {
  const cache = new Map<string, Buffer>();

  async function send(folder: string, file: string, reply: import('fastify').FastifyReply) {
    const base = folders[folder];
    const path = base ? normalize(join(base, file)) : undefined;
    if (!base || !path || !path.startsWith(base + sep) || !types[extname(path)]) {
      return reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no file ${folder}/${file}` } });
    }
    let body = cache.get(path);
    if (!body) {
      body = await readFile(path).catch(() => undefined);
      if (!body)
        return reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no file ${folder}/${file}` } });
      cache.set(path, body);
    }
    return reply.header('content-type', types[extname(path)]).header('cache-control', 'no-cache').send(body);
  }

  app.get('/', { config: { role: 'public' }, schema: { hide: true } }, (_request, reply) =>
    send('console', 'index.html', reply),
  );
  app.get('/console/*', { config: { role: 'public' }, schema: { hide: true } }, (request, reply) =>
    send('console', (request.params as { '*': string })['*'], reply),
  );
  app.get('/vendor/:lib/*', { config: { role: 'public' }, schema: { hide: true } }, (request, reply) => {
    const params = request.params as { lib: string; '*': string };
    return send(`vendor/${params.lib}`, params['*'], reply);
  });
  app.get(
    '/api/v1/console/config',
    {
      config: { role: 'public' },
      schema: {
        tags: ['console'],
        summary: 'What the console needs before login: the map tile URL (none: a plain map)',
        response: { 200: z.object({ tileUrl: z.string().nullable() }) },
      },
    },
    async () => ({ tileUrl: opts.tileUrl ?? null }),
  );
}
