// The OpenAPI description: @fastify/swagger collects every route, describeOperation (api/openapi/)
// turns each into an operation with its security, roles, media types and errors, and the pages at
// /docs serve it where DOCS_PUBLIC (or development) says. docs/openapi.json is this document, written
// by `npm run openapi`. Registered before any route, so the route list it keeps is complete.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { describeOperation } from '../openapi/operation.ts';
import type { RouteRole } from './roles.ts';

/** A route as registered; `role` is unset only for @fastify/swagger-ui's pages, which are public. */
export interface RegisteredRoute {
  method: string;
  url: string;
  role: RouteRole | undefined;
  /** Installers may call it too, for their own devices (plugins/roles.ts). */
  installer: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route as registered (method and URL), HEAD twins included: what the document must cover. */
    registeredRoutes: readonly RegisteredRoute[];
  }
}

/** Tags in the order the document lists them, each named in Vietnamese and English. */
const tags = [
  ['health', 'Tình trạng và số đo của máy chủ / Liveness, readiness and metrics'],
  ['console', 'Bảng điều khiển của người vận hành / The operators’ console'],
  ['docs', 'Tài liệu API và hợp đồng MQTT / API documentation and the MQTT contract'],
  ['auth', 'Đăng nhập, đăng xuất, mật khẩu / Login, logout, password'],
  ['users', 'Tài khoản người dùng / User accounts'],
  ['audit', 'Nhật ký kiểm toán / The audit log'],
  ['devices', 'Thiết bị / Devices'],
  ['provisioning', 'Cấp phát thiết bị tại hiện trường / Device provisioning in the field'],
  ['telemetry', 'Lịch sử số đo / Telemetry history'],
  ['dead letters', 'Tin MQTT bị từ chối / Refused MQTT messages'],
  ['catalog', 'Danh mục loại thiết bị và đội thiết bị / Device kinds and fleets'],
  ['places', 'Địa bàn, đơn vị hành chính, ranh giới / Areas, administrative units, boundaries'],
  ['profiles', 'Hồ sơ thiết bị: mỗi loại thiết bị là dữ liệu / Device profiles: each device kind as data'],
  ['alerts', 'Cảnh báo / Alerts'],
  ['commands', 'Lệnh điều khiển thiết bị / Device commands'],
  ['rules', 'Quy tắc cảnh báo / Alert rules'],
  ['webhooks', 'Webhook cảnh báo / Alert webhooks'],
  ['notifications', 'Thông báo: kênh, liên hệ, lịch trực, chính sách / Notifications'],
  ['feeds', 'Dữ liệu cho tỉnh (khoá API) / Province feeds (API keys)'],
  ['open data', 'Dữ liệu mở, không cần đăng nhập / Open data, no login'],
  ['broker', 'Móc nối với broker MQTT ngoài / External MQTT broker hooks'],
  ['system', 'Quản trị hệ thống: tình trạng, sao lưu / System administration: health, backups'],
].map(([name, description]) => ({ name: name!, description: description! }));

export const openApiTags: readonly string[] = tags.map((t) => t.name);

type Document = ReturnType<typeof jsonSchemaTransformObject>;
type Schemas = Record<string, unknown>;

/**
 * HEAD twins are left out (HTTP defines them by their GET), and so are the schemas zod registers for
 * both directions that no operation refers to.
 */
function finishDocument(document: Document): Document {
  for (const methods of Object.values(document.paths ?? {})) delete (methods as Record<string, unknown>).head;
  const text = JSON.stringify(document);
  const schemas = ((document as { components?: { schemas?: Schemas } }).components?.schemas ?? {}) as Schemas;
  for (const name of Object.keys(schemas)) {
    if (!text.includes(`"#/components/schemas/${name}"`)) delete schemas[name];
  }
  return document;
}

export async function installOpenApi(app: FastifyInstance, options: { docs: boolean }): Promise<void> {
  const routes: RegisteredRoute[] = [];
  app.decorate('registeredRoutes', routes);
  app.addHook('onRoute', (route) => {
    const role = route.config?.role;
    const installer = route.config?.installer === true;
    for (const method of [route.method].flat())
      routes.push({ method: String(method), url: route.url, role, installer });
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'City IOC API',
        version: '1',
        description:
          'Trung tâm điều hành thông minh (IOC) cấp thành phố — City Intelligent Operations Center.\n\n' +
          'Đăng nhập bằng POST /api/v1/auth/login rồi gửi `Authorization: Bearer <token>`; hệ thống của tỉnh ' +
          'gửi khoá API trong `x-api-key`. Mỗi thao tác ghi rõ quyền cần có (security, x-roles). / ' +
          'Log in at POST /api/v1/auth/login and send `Authorization: Bearer <token>`; province systems send ' +
          'their API key in `x-api-key`. Each operation states what it needs (security, x-roles).\n\n' +
          'Lỗi có dạng / Errors look like `{"error": {"code", "message"}}`.',
      },
      tags,
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'Mã từ POST /api/v1/auth/login / The token from POST /api/v1/auth/login',
          },
          apiKey: {
            type: 'apiKey',
            in: 'header',
            name: 'x-api-key',
            description:
              'Khoá API do quản trị cấp (dữ liệu cho tỉnh) / An API key from an admin (province feeds)',
          },
          metricsToken: {
            type: 'http',
            scheme: 'bearer',
            description:
              'METRICS_TOKEN của máy chủ, không phải mã người dùng / The server’s METRICS_TOKEN, not a user’s token',
          },
          hookToken: {
            type: 'apiKey',
            in: 'header',
            name: 'x-ioc-hook-token',
            description:
              'MQTT_AUTH_HOOK_TOKEN, dùng chung với broker ngoài / shared with the external broker',
          },
        },
      },
    },
    transform: describeOperation,
    transformObject: (documentObject) => finishDocument(jsonSchemaTransformObject(documentObject)),
  });
  // The description is built either way; its pages list every admin route, so they are served only
  // where DOCS_PUBLIC (or development) says.
  if (options.docs) await app.register(swaggerUi, { routePrefix: '/docs' });
}
