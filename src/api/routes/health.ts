// Liveness, readiness and Prometheus metrics: what a supervisor and a scraper poll.
// /metrics tells whoever reads it the Node version, memory, file-descriptor limits, connected clients and
// the refusal counters an attacker would watch: in production it is on the API's listener only behind
// METRICS_TOKEN, and otherwise on a listener of its own (METRICS_LISTEN, loopback by default).
// /readyz: 200 "ready"; 200 "degraded" while ingest runs on the local journal (the database is failing
// or the journal is being replayed: devices are still acknowledged, history reads may fail); 503
// "not_ready" when the broker is down or the journal is full (publishers are being held back).
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Broker } from '../../broker/index.ts';
import { AppError } from '../../errors.ts';
import type { Metrics } from '../../metrics/index.ts';
import { listen } from '../../net.ts';
import type { Pool } from '../../storage/pool.ts';
import { createReadiness, Readiness } from '../../system/readiness.ts';
import { mediaResponse } from '../openapi/responses.ts';

/** /metrics on the API's listener: open to anyone, behind a bearer token, or (neither) not there. */
export interface MetricsAccess {
  open: boolean;
  token: string | undefined;
}

/** Compared as digests: equal lengths for timingSafeEqual, and no timing hint of the token's length. */
const digest = (text: string) => createHash('sha256').update(text).digest();

export async function healthRoutes(
  app: FastifyInstance,
  opts: { pool: Pool; broker: Broker; metrics: Metrics; access: MetricsAccess },
) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/healthz',
    {
      config: { role: 'public' },
      schema: {
        operationId: 'getHealth',
        summary: 'Máy chủ còn chạy / Liveness',
        tags: ['health'],
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  const readiness = createReadiness(opts);
  r.get(
    '/readyz',
    {
      config: { role: 'public' },
      schema: {
        operationId: 'getReadiness',
        summary: 'Sẵn sàng phục vụ / Readiness',
        description:
          '200 "ready"; 200 "degraded" khi tiếp nhận chạy trên nhật ký cục bộ (cơ sở dữ liệu lỗi hoặc đang phát lại); ' +
          '503 "not_ready" khi broker ngừng hoặc nhật ký đầy. / 200 "ready"; 200 "degraded" while ingest runs on ' +
          'the local journal (the database is failing or the journal is replayed); 503 "not_ready" when the ' +
          'broker is down or the journal is full.',
        tags: ['health'],
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_request, reply) => {
      const ready = await readiness();
      return reply.code(ready.status === 'not_ready' ? 503 : 200).send(ready);
    },
  );

  const { open, token } = opts.access;
  if (!open && !token) return;
  const expected = token ? digest(`Bearer ${token}`) : undefined;
  r.get(
    '/metrics',
    {
      config: { role: 'public' },
      schema: {
        operationId: 'getMetrics',
        summary: 'Số đo Prometheus / Prometheus metrics',
        description: token
          ? 'Gửi `Authorization: Bearer <METRICS_TOKEN>` (không phải mã người dùng). / ' +
            "Send `Authorization: Bearer <METRICS_TOKEN>` (not a user's token)."
          : 'Mở cho mọi người khi không đặt METRICS_TOKEN ngoài môi trường production. / ' +
            'Open to anyone while METRICS_TOKEN is unset outside production.',
        tags: ['health'],
        // The token is this route's own, checked below: the roles plugin sees a public route.
        security: token ? [{ metricsToken: [] }] : [],
        response: {
          200: mediaResponse('text/plain', 'Định dạng văn bản Prometheus / Prometheus text format 0.0.4'),
        },
      },
      // The token is the scraper's, not a user's: the roles plugin leaves public routes alone, so it
      // is checked here, before anything is read.
      onRequest: async (request) => {
        if (!expected) return;
        const given = digest(request.headers.authorization ?? '');
        if (!timingSafeEqual(given, expected))
          throw new AppError('UNAUTHENTICATED', '/metrics needs Authorization: Bearer <METRICS_TOKEN>');
      },
    },
    async (_request, reply) => {
      reply.header('content-type', opts.metrics.registry.contentType);
      return opts.metrics.registry.metrics();
    },
  );
}

/**
 * A listener that serves GET /metrics and nothing else, without a token: for a scraper that reaches
 * an address the public cannot (loopback, a monitoring network). It reads nothing from the request.
 */
export async function startMetricsListener(
  metrics: Metrics,
  address: { host: string; port: number },
): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const path = request.url?.split('?')[0];
    if (request.method !== 'GET' || path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      () => response.writeHead(500).end(),
    );
  });
  // A scraper polls; an idle connection held open by anyone else is cut rather than kept.
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  const port = await listen(server, address.port, address.host, 'METRICS_LISTEN');
  return {
    port,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
