// How every feed page goes out: JSON or CSV, a strong ETag over the items, 304 for a matching
// If-None-Match, and the cursor in the body and in X-Next-Cursor / X-Has-More (where CSV has no room).
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toCsv } from '../../../feeds/csv.ts';

export type PageFormat = 'json' | 'csv';

/** A feed page as the feeds return it. */
export interface PageData {
  items: ReadonlyArray<object>;
  cursor: string;
  hasMore: boolean;
}

export interface RenderedPage {
  format: PageFormat;
  etag: string;
  body: string | Buffer;
  cursor: string;
  hasMore: boolean;
}

/** A page as JSON or CSV with a strong ETag: what is sent, and what the open-data cache keeps. */
export function renderPage(
  format: PageFormat,
  page: PageData,
  json: Record<string, unknown>,
  columns: readonly string[],
): RenderedPage & { body: string } {
  // The ETag covers the data, not the cursor (whose horizon moves on every read): 304 means "the same
  // items as you have", and the cursor the client already holds stays good. The items are serialised
  // once, for the ETag and the JSON body both: a page can hold 50,000 of them.
  const itemsJson = JSON.stringify(page.items);
  const etag = `"${createHash('sha256')
    .update(`${format}\n${page.hasMore}\n`)
    .update(itemsJson)
    .digest('base64url')
    .slice(0, 32)}"`;
  const head = JSON.stringify(json).slice(0, -1);
  const body =
    format === 'csv'
      ? toCsv(
          columns,
          page.items.map((item) => {
            const fields = item as Record<string, unknown>;
            const names = fields.name as { vi: string; en: string } | undefined;
            const message = fields.message as { vi: string; en: string } | undefined;
            return {
              ...fields,
              name_vi: names?.vi,
              name_en: names?.en,
              message_vi: message?.vi,
              message_en: message?.en,
            };
          }),
        )
      : `${head}${head.length > 1 ? ',' : ''}"items":${itemsJson},"cursor":${JSON.stringify(page.cursor)},"hasMore":${page.hasMore}}`;
  return { format, etag, body, cursor: page.cursor, hasMore: page.hasMore };
}

/** Sends a rendered page; a matching If-None-Match gets 304 and no body. */
export function sendRendered(request: FastifyRequest, reply: FastifyReply, rendered: RenderedPage) {
  reply.header('etag', rendered.etag);
  if (request.headers['if-none-match'] === rendered.etag) return reply.code(304).send();
  reply.header('x-next-cursor', rendered.cursor);
  reply.header('x-has-more', String(rendered.hasMore));
  const csv = rendered.format === 'csv';
  reply.type(csv ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
  if (csv) reply.header('content-disposition', 'attachment; filename="ioc-feed.csv"');
  return reply.serializer((payload: unknown) => payload as string).send(rendered.body);
}

export function sendPage(
  request: FastifyRequest,
  reply: FastifyReply,
  format: PageFormat,
  page: PageData,
  json: Record<string, unknown>,
  columns: readonly string[],
) {
  return sendRendered(request, reply, renderPage(format, page, json, columns));
}
