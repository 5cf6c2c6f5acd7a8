// The offline base map: one PMTiles archive (DATA_DIR/basemap.pmtiles or CONSOLE_PMTILES_PATH) served
// by byte ranges, as the `pmtiles` reader in the console asks for it, so a control room without
// internet still sees streets and water. Public like the console's own files: it holds map data only.
// The file is looked up on every request, so one placed or replaced while running is served at once;
// its ETag (size and modification time) lets a reader notice the swap instead of mixing two archives.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { ErrorBody } from '../schemas.ts';

export const basemapUrl = '/tiles/basemap.pmtiles';

/** A single `bytes=` range of a file of `size` bytes, inclusive; null when it cannot be satisfied. */
export function parseRange(header: string, size: number): { start: number; end: number } | null | 'whole' {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Several ranges or another unit: RFC 9110 lets a server answer with the whole file instead.
  if (!match || (match[1] === '' && match[2] === '')) return 'whole';
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return null;
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return null;
  return { start, end };
}

const notFound = (reply: FastifyReply) =>
  reply.code(404).send({
    error: {
      code: 'NOT_FOUND',
      message:
        'Chưa có bản đồ nền ngoại tuyến: đặt tệp PMTiles vào CONSOLE_PMTILES_PATH / ' +
        'No offline base map: place a PMTiles file at CONSOLE_PMTILES_PATH',
    },
  });

export async function tileRoutes(app: FastifyInstance, opts: { basemapPath: string | undefined }) {
  const basemap = async () => {
    if (!opts.basemapPath) return undefined;
    const info = await stat(opts.basemapPath).catch(() => undefined);
    return info?.isFile() ? info : undefined;
  };

  app.get(
    basemapUrl,
    {
      config: { role: 'public' },
      schema: {
        operationId: 'getBasemap',
        summary:
          'Bản đồ nền ngoại tuyến (PMTiles, theo khoảng byte) / The offline base map (PMTiles, by byte range)',
        description:
          'Trả 206 với Range, 200 cả tệp khi không có; ETag theo kích thước và thời điểm sửa; If-Match khác: 412. / ' +
          '206 for a Range request, the whole file without one; ETag from size and modification time; a ' +
          'different If-Match: 412.',
        tags: ['console'],
        response: {
          200: {
            description: 'Cả tệp / The whole file',
            content: { 'application/vnd.pmtiles': { schema: z.string() } },
          },
          206: {
            description: 'Khoảng byte / The byte range',
            content: { 'application/vnd.pmtiles': { schema: z.string() } },
          },
          404: ErrorBody,
          412: ErrorBody,
          416: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const info = await basemap();
      if (!info || !opts.basemapPath) return notFound(reply);
      const etag = `"${info.size.toString(16)}-${Math.trunc(info.mtimeMs).toString(16)}"`;
      reply.header('accept-ranges', 'bytes').header('etag', etag).header('cache-control', 'no-cache');
      const ifMatch = request.headers['if-match'];
      if (ifMatch && ifMatch !== '*' && !ifMatch.split(',').some((tag) => tag.trim() === etag)) {
        return reply.code(412).send({
          error: {
            code: 'PRECONDITION_FAILED',
            message: 'Bản đồ nền vừa được thay, hãy đọc lại / The base map was replaced: read it again',
          },
        });
      }
      const header = request.headers.range;
      const range = header ? parseRange(header, info.size) : 'whole';
      if (range === null) {
        return reply
          .code(416)
          .header('content-range', `bytes */${info.size}`)
          .send({
            error: { code: 'RANGE_NOT_SATISFIABLE', message: `bytes 0-${info.size - 1} / ${info.size}` },
          });
      }
      reply.header('content-type', 'application/vnd.pmtiles');
      if (range === 'whole')
        return reply.header('content-length', info.size).send(createReadStream(opts.basemapPath));
      return reply
        .code(206)
        .header('content-range', `bytes ${range.start}-${range.end}/${info.size}`)
        .header('content-length', range.end - range.start + 1)
        .send(createReadStream(opts.basemapPath, { start: range.start, end: range.end }));
    },
  );

  app.get(
    '/api/v1/console/basemap',
    {
      config: { role: 'public' },
      schema: {
        operationId: 'getConsoleBasemap',
        summary: 'Bản đồ nền ngoại tuyến có sẵn không / Whether an offline base map is there',
        description:
          'Địa chỉ tệp PMTiles khi đã đặt, null khi chưa. / The PMTiles address when one is placed, null otherwise.',
        tags: ['console'],
        response: { 200: z.object({ url: z.string().nullable() }) },
      },
    },
    async () => ({ url: (await basemap()) ? basemapUrl : null }),
  );
}
