// Security headers on every answer (OWASP secure headers): no sniffing, no framing, no referrer, and
// a Content-Security-Policy that lets the console load only its own scripts and styles from this
// origin, talk only to this origin (REST and socket.io), and show map tiles only from CONSOLE_TILE_URL.
// Inline style attributes stay allowed: Leaflet and the console's marker colours use them.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** `https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png` → `https://*.tile.openstreetmap.org`. */
export function tileSource(tileUrl: string | undefined): string | undefined {
  const match = tileUrl?.match(/^(https?:)\/\/([^/?#]+)/i);
  if (!match) return undefined;
  const host = match[2]!
    .split('.')
    .map((label) => (label.includes('{') ? '*' : label))
    .join('.');
  return `${match[1]!.toLowerCase()}//${host}`;
}

export function contentSecurityPolicy(tileUrl: string | undefined): string {
  const tiles = tileSource(tileUrl);
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' data: blob:${tiles ? ` ${tiles}` : ''}`,
    "connect-src 'self'",
    "font-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function installSecurityHeaders(
  app: FastifyInstance,
  options: { tileUrl: string | undefined; https: boolean },
): void {
  const csp = contentSecurityPolicy(options.tileUrl);
  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cross-origin-opener-policy', 'same-origin');
    reply.header('cross-origin-resource-policy', 'same-origin');
    reply.header('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    // A route may set a policy fitted to its page; everything else gets the console's.
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', csp);
    if (options.https) reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    // API answers may carry device secrets or personal data: never kept by a browser or a proxy cache.
    if (request.url.startsWith('/api/') && !reply.hasHeader('cache-control'))
      reply.header('cache-control', 'no-store');
    return payload;
  });
}
