// The operators' console: the page in dashboards/console and the browser libraries it uses, served by
// the same process (a control room needs no other web server, and no internet). Only files under the
// listed folders are served; anything else is a 404.
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ErrorBody } from '../schemas.ts';

const root = new URL('../../../', import.meta.url).pathname;
const folders: Record<string, string> = {
  console: join(root, 'dashboards/console'),
  'vendor/leaflet': join(root, 'node_modules/leaflet/dist'),
  'vendor/markercluster': join(root, 'node_modules/leaflet.markercluster/dist'),
  'vendor/socket.io': join(root, 'node_modules/socket.io-client/dist'),
  'vendor/pmtiles': join(root, 'node_modules/pmtiles/dist'),
  'vendor/protomaps-leaflet': join(root, 'node_modules/protomaps-leaflet/dist'),
  'vendor/uplot': join(root, 'node_modules/uplot/dist'),
};
const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.wav': 'audio/wav',
  '.map': 'application/json',
};

/** A console file: its type follows its extension; a path outside the served folders is a 404. */
const fileResponses = {
  200: {
    description: 'Tệp, kiểu theo đuôi tên (HTML, JS, CSS, JSON, PNG, SVG) / The file, typed by its extension',
    content: Object.fromEntries(
      ['text/html', 'text/javascript', 'text/css', 'application/json', 'image/png', 'image/svg+xml'].map(
        (type) => [type, { schema: z.string() }],
      ),
    ),
  },
  404: ErrorBody,
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

  const page = (operationId: string, summary: string) => ({
    config: { role: 'public' as const },
    schema: { operationId, summary, tags: ['console'], response: fileResponses },
  });
  app.get('/', page('getConsolePage', 'Trang bảng điều khiển / The console page'), (_request, reply) =>
    send('console', 'index.html', reply),
  );
  app.get(
    '/console/*',
    page('getConsoleFile', 'Tệp của bảng điều khiển / A console file'),
    (request, reply) => send('console', (request.params as { '*': string })['*'], reply),
  );
  const vendor = page(
    'getConsoleLibraryFile',
    'Tệp thư viện trình duyệt của bảng điều khiển (leaflet, markercluster, socket.io) / A browser library file of the console',
  );
  app.get('/vendor/:lib/*', vendor, (request, reply) => {
    const params = request.params as { lib: string; '*': string };
    return send(`vendor/${params.lib}`, params['*'], reply);
  });
  app.get(
    '/api/v1/console/config',
    {
      config: { role: 'public' },
      schema: {
        operationId: 'getConsoleConfig',
        summary: 'Cấu hình bảng điều khiển trước khi đăng nhập / Console settings before login',
        description:
          'Địa chỉ ô bản đồ (null: bản đồ trơn). / What the console needs before login: the map tile URL (null: a plain map).',
        tags: ['console'],
        response: { 200: z.object({ tileUrl: z.string().nullable() }) },
      },
    },
    async () => ({ tileUrl: opts.tileUrl ?? null }),
  );
}
