// What routes declare about their answers beyond a JSON body: other media types, headers, and answers
// without a body. Fastify serialises by the zod schemas inside `content` and ignores `headers`; the
// OpenAPI transform (operation.ts) states both. Header names are the ones the code sends.
import { z } from 'zod';

/** A response header as OpenAPI states it (a schema with a description). */
export interface HeaderDoc {
  type: 'string' | 'integer' | 'boolean';
  description: string;
}

/** A declared answer: its media types with their zod schemas, its headers, and what it means. */
export interface ResponseDoc {
  description: string;
  headers?: Record<string, HeaderDoc>;
  /** Empty for an answer without a body (204, 304). */
  content: Record<string, { schema: z.ZodType }>;
}

export const responseHeaders = {
  etag: {
    type: 'string',
    description:
      'Thẻ phiên bản (ETag mạnh) của dữ liệu trong trang; gửi lại trong If-None-Match để nhận 304 / ' +
      "The strong ETag of the page's data; send it back in If-None-Match to get 304",
  },
  nextCursor: {
    type: 'string',
    description:
      'Con trỏ để đọc tiếp hoặc lấy phần đã thay đổi (như trường cursor) / ' +
      'The cursor to continue or to get what changed (the same as the cursor field)',
  },
  hasMore: {
    type: 'boolean',
    description:
      'true khi còn dữ liệu: đọc tiếp bằng X-Next-Cursor (như trường hasMore) / ' +
      'true while more is waiting: read on with X-Next-Cursor (the same as the hasMore field)',
  },
  contentDisposition: {
    type: 'string',
    description: 'Chỉ với CSV / CSV only: attachment; filename="ioc-feed.csv"',
  },
  cacheControl: {
    type: 'string',
    description:
      'public, max-age=300: bộ nhớ đệm dùng chung được giữ 5 phút / shared caches may keep it 5 minutes',
  },
  retryAfter: {
    type: 'integer',
    description: 'Số giây cần chờ trước khi thử lại / Seconds to wait before retrying',
  },
  warning: {
    type: 'string',
    description:
      'RFC 9110 Warning 299 khi mã đơn vị cũ được hiểu là đơn vị hiện hành (văn bản đã mã hoá URL) / ' +
      "RFC 9110 Warning 299 when a former unit's id was taken as its current unit (URL-encoded text)",
  },
} as const satisfies Record<string, HeaderDoc>;

/** CSV as the feeds write it. */
export const CsvBody = z
  .string()
  .describe('UTF-8 CSV with a byte-order mark and a header row; nested names split into _vi/_en columns');

/**
 * A feed page: JSON or CSV (`format`), a strong ETag over the items, the cursor also in headers (CSV
 * has no room for it), and 304 without a body for a matching If-None-Match (routes/feeds/paging.ts).
 */
export function feedPageResponses(page: z.ZodType, options: { cached?: boolean } = {}) {
  const cache: Record<string, HeaderDoc> = options.cached
    ? { 'Cache-Control': responseHeaders.cacheControl }
    : {};
  return {
    200: {
      description: 'Một trang dữ liệu, JSON hoặc CSV theo `format` / A page, JSON or CSV by `format`',
      headers: {
        ETag: responseHeaders.etag,
        'X-Next-Cursor': responseHeaders.nextCursor,
        'X-Has-More': responseHeaders.hasMore,
        'Content-Disposition': responseHeaders.contentDisposition,
        ...cache,
      },
      content: { 'application/json': { schema: page }, 'text/csv': { schema: CsvBody } },
    },
    304: {
      description:
        'Không đổi: dữ liệu như ETag trong If-None-Match, không có nội dung / ' +
        'Not Modified: the same data as the ETag in If-None-Match, no body',
      headers: { ETag: responseHeaders.etag, ...cache },
      content: {},
    },
  } satisfies Record<number, ResponseDoc>;
}

/** A body in one media type other than JSON (text, HTML, JSON-LD). */
export function mediaResponse(mediaType: string, description: string, schema: z.ZodType = z.string()) {
  return { description, content: { [mediaType]: { schema } } } satisfies ResponseDoc;
}
