// How one route becomes one OpenAPI operation. The route's schema block gives its words (operationId,
// summary, description, tags) and its bodies; what the shared plugins do to every route is stated here
// from the same declarations they act on: security and x-roles from `config.role` (plugins/roles.ts),
// the {error: {code, message}} answers of plugins/errors.ts for what can fail, Retry-After on every 429.

import type { SwaggerTransform } from '@fastify/swagger';
import type { FastifySchema } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { type RouteRole, rolesAllowed } from '../plugins/roles.ts';
import { responseHeaders } from './responses.ts';
import { thirdPartyOperation } from './thirdParty.ts';

type Schema = Record<string, unknown>;
type Json = Record<string, unknown>;

export const errorRef = { $ref: '#/components/schemas/Error' };

/** What each status means to a caller; the error codes are those of src/errors.ts. */
const statusText: Record<string, string> = {
  200: 'Thành công / OK',
  201: 'Đã tạo / Created',
  202: 'Đã nhận, đang xử lý / Accepted, in progress',
  204: 'Xong, không có nội dung / Done, no content',
  302: 'Chuyển hướng / Redirect',
  304: 'Không đổi / Not Modified',
  400: 'Yêu cầu không hợp lệ (VALIDATION_FAILED) / Invalid request',
  401: 'Chưa xác thực (UNAUTHENTICATED) / Not authenticated',
  403: 'Không đủ quyền (FORBIDDEN) / Not allowed for this role',
  404: 'Không tìm thấy (NOT_FOUND, DEVICE_NOT_FOUND) / Not found',
  409: 'Xung đột (CONFLICT, DEVICE_EXISTS) / Conflict',
  413: 'Nội dung quá lớn (PAYLOAD_TOO_LARGE) / Payload too large',
  415: 'Kiểu nội dung không được hỗ trợ (VALIDATION_FAILED) / Unsupported media type',
  429: 'Quá nhiều yêu cầu (RATE_LIMITED, ACCOUNT_LOCKED): thử lại sau Retry-After / Too many requests: retry after Retry-After',
  500: 'Lỗi nội bộ (INTERNAL): báo mã yêu cầu cho quản trị / Internal error: quote the request id to the administrator',
  503: 'Chưa sẵn sàng / Not ready',
};

const withBody = new Set(['POST', 'PUT', 'PATCH']);
const noBody = new Set(['204', '304']);

/** The document's path for a route URL: `:id` as `{id}`, a trailing wildcard as `{path}`. */
export function openApiPath(url: string): string {
  return url.replace(/:(\w+)/g, '{$1}').replace(/\*$/, '{path}');
}

/** What the roles plugin asks of a caller, as OpenAPI security requirements. */
export function securityFor(role: RouteRole): Array<Record<string, string[]>> {
  if (role === 'public') return [];
  return role === 'feed' ? [{ apiKey: [] }, { bearer: [] }] : [{ bearer: [] }];
}

function accessText(role: RouteRole, ownCredential: boolean, installer: boolean): string {
  const roles = rolesAllowed(role, installer).join(', ');
  if (role === 'feed')
    return `Quyền: khoá API (x-api-key) hoặc người dùng đã đăng nhập (${roles}) / Access: an API key (x-api-key) or a logged-in user (${roles})`;
  if (role !== 'public') return `Quyền / Access: Bearer — ${roles}`;
  return ownCredential
    ? 'Quyền: mã riêng của tuyến này (xem security) / Access: this route’s own credential (see security)'
    : 'Công khai, không cần đăng nhập / Public, no login';
}

/** One answer in the form @fastify/swagger passes through: a body per media type, or none. */
function answer(status: string, converted: unknown, declared: unknown): Json {
  const declaredDoc = (declared ?? {}) as { description?: string; headers?: Json };
  const given = (converted ?? {}) as Json;
  const isContent = typeof given.content === 'object' && given.content !== null;
  const description = declaredDoc.description ?? statusText[status] ?? `HTTP ${status}`;
  const headers = { ...(declaredDoc.headers ?? {}) };
  if (status === '429') headers['Retry-After'] = responseHeaders.retryAfter;
  const head = Object.keys(headers).length > 0 ? { headers } : {};
  const content = isContent ? (given.content as Json) : { 'application/json': { schema: given } };
  if (noBody.has(status) || Object.keys(content).length === 0) return { type: 'null', description, ...head };
  return { description, ...head, content };
}

/** The error answers every route of this kind can give, besides those it declares. */
function derivedErrors(method: string, role: RouteRole, security: unknown[], schema: Schema): string[] {
  const input = ['querystring', 'params', 'body', 'headers'].some((k) => schema[k] !== undefined);
  return [
    ...(input || withBody.has(method) ? ['400'] : []),
    ...(security.length > 0 ? ['401'] : []),
    // Every logged-in route refuses someone: a lower role, or an installer (plugins/roles.ts).
    ...(role !== 'public' ? ['403'] : []),
    ...(withBody.has(method) ? ['413', '415'] : []),
    '500',
  ];
}

/** Path parameters of a wildcard route, which has no params schema of its own. */
function wildcardParams(url: string): Json {
  const names = [...url.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  const properties: Json = Object.fromEntries(names.map((n) => [n, { type: 'string' }]));
  properties.path = {
    type: 'string',
    description: 'đường dẫn tệp, có thể chứa / / the file path, which may contain /',
  };
  return { type: 'object', properties, required: [...names, 'path'] };
}

export const describeOperation: SwaggerTransform = (input) => {
  const { route } = input;
  const method = String(route.method).toUpperCase();
  const role: RouteRole = route.config?.role ?? 'public';
  // Routes of @fastify/swagger-ui declare nothing but `hide`; their words come from thirdParty.ts.
  const { hide: _hidden, ...own } = {
    ...thirdPartyOperation(route.url),
    ...((input.schema ?? {}) as Schema),
  } as Schema;
  const converted = jsonSchemaTransform({ ...input, schema: own as FastifySchema }).schema as Schema;

  const ownCredential = role === 'public' && Array.isArray(own.security) && own.security.length > 0;
  const security = role === 'public' ? ((own.security as unknown[]) ?? []) : securityFor(role);
  const installer = route.config?.installer === true;
  const access = accessText(role, ownCredential, installer);
  const roles = rolesAllowed(role, installer);

  const declared = (own.response ?? {}) as Json;
  const responses: Json = {};
  for (const [status, value] of Object.entries((converted.response ?? {}) as Json))
    responses[status] = answer(status, value, declared[status]);
  // A scope with an error handler of its own (NGSI-LD's ProblemDetails) declares its errors; the
  // others it can give have the same body. Without any declared, the body is plugins/errors.ts's.
  const errorStatus = Object.keys(responses).find((s) => Number(s) >= 400 && Number(s) <= 500);
  const errorBody = errorStatus ? responses[errorStatus] : undefined;
  for (const status of derivedErrors(method, role, security, own))
    responses[status] ??= errorBody
      ? answer(status, { content: (errorBody as Json).content }, undefined)
      : answer(status, errorRef, undefined);

  const wildcard = route.url.endsWith('*');
  const url = openApiPath(route.url);
  return {
    url,
    schema: {
      ...converted,
      ...(wildcard ? { params: wildcardParams(route.url) } : {}),
      description: [converted.description, access].filter(Boolean).join('\n\n'),
      security,
      ...(roles.length > 0 ? { 'x-roles': roles } : {}),
      response: Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b))),
    } as FastifySchema,
  };
};
