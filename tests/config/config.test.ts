import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('configuration', () => {
  it('uses the documented defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.HTTP_PORT).toBe(8080);
    expect(config.MQTT_PORT).toBe(1883);
    expect(config.DATA_DIR).toBe('./data');
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.MQTT_ALLOW_ANONYMOUS).toBe(false);
    expect(config.MQTT_MAX_PAYLOAD_BYTES).toBe(65_536);
  });

  it('treats an empty value as unset', () => {
    expect(loadConfig({ HTTP_PORT: '' }).HTTP_PORT).toBe(8080);
  });

  it('accepts port 0 as "any free port"', () => {
    expect(loadConfig({ HTTP_PORT: '0', MQTT_PORT: '0' }).MQTT_PORT).toBe(0);
  });

  it('names the variable and the value it refuses', () => {
    expect(() => loadConfig({ HTTP_PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ HTTP_PORT: 'eighty' })).toThrow(/HTTP_PORT \(got "eighty"\)/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL.*postgres/);
    expect(() => loadConfig({ MQTT_ALLOW_ANONYMOUS: 'maybe' })).toThrow(/MQTT_ALLOW_ANONYMOUS/);
  });

  it('never echoes a secret it refuses', () => {
    try {
      loadConfig({ ADMIN_PASSWORD: 'short' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toMatch(/ADMIN_PASSWORD: must be at least 12 characters/);
      expect((error as Error).message).not.toContain('short"');
    }
  });

  const strongSecret = 'q7Rk2vN9pLx4Tz8WcYb3HmJd6FsGa5Ue1KoPiVnQ';
  const production = { NODE_ENV: 'production', JWT_SECRET: strongSecret, MQTT_ALLOW_PLAINTEXT: 'true' };

  it('refuses production without a strong JWT_SECRET or with anonymous MQTT', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET: is required in production/);
    expect(() => loadConfig({ ...production, MQTT_ALLOW_ANONYMOUS: 'true' })).toThrow(
      /MQTT_ALLOW_ANONYMOUS.*: is a development switch/,
    );
    expect(loadConfig(production).NODE_ENV).toBe('production');
  });

  it.each([
    'x'.repeat(40),
    'changeme-changeme-changeme-changeme',
    'my-super-secret-jwt-token-for-production-2024',
    'abcdefabcdefabcdefabcdefabcdefabcdef',
  ])('refuses a long but guessable JWT_SECRET in production (%s)', (weak) => {
    expect(() => loadConfig({ ...production, JWT_SECRET: weak })).toThrow(
      /JWT_SECRET: looks like a placeholder or a pattern/,
    );
    // Development takes it (and generates its own when unset).
    expect(loadConfig({ JWT_SECRET: weak }).JWT_SECRET).toBe(weak);
  });

  it('refuses plain MQTT in production unless it is asked for explicitly', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: strongSecret })).toThrow(
      /MQTT_TLS_CERT_FILE: production needs MQTT over TLS/,
    );
    const tls = loadConfig({
      NODE_ENV: 'production',
      JWT_SECRET: strongSecret,
      MQTT_TLS_CERT_FILE: '/etc/ioc/server.crt',
      MQTT_TLS_KEY_FILE: '/etc/ioc/server.key',
    });
    expect(tls.MQTT_ALLOW_PLAINTEXT).toBeUndefined();
  });

  it('wants certificate and key together, and a CA before requiring device certificates', () => {
    expect(() => loadConfig({ MQTT_TLS_CERT_FILE: '/c' })).toThrow(
      /MQTT_TLS_KEY_FILE: set MQTT_TLS_CERT_FILE and MQTT_TLS_KEY_FILE together/,
    );
    expect(() => loadConfig({ HTTP_TLS_KEY_FILE: '/k' })).toThrow(
      /HTTP_TLS_CERT_FILE: set HTTP_TLS_CERT_FILE/,
    );
    expect(() => loadConfig({ MQTT_TLS_REQUIRE_CLIENT_CERT: 'true' })).toThrow(
      /MQTT_TLS_REQUIRE_CLIENT_CERT.*: needs MQTT_TLS_CA_FILE/,
    );
    expect(() => loadConfig({ MQTT_ALLOW_PLAINTEXT: 'false' })).toThrow(/devices could not connect at all/);
  });

  it('wants the widest live window at least as wide as the usual one', () => {
    expect(loadConfig({}).LIVE_COALESCE_MAX_MS).toBe(1_000);
    expect(() => loadConfig({ LIVE_COALESCE_MS: '500', LIVE_COALESCE_MAX_MS: '400' })).toThrow(
      /LIVE_COALESCE_MAX_MS.*: is 400, below LIVE_COALESCE_MS \(500\); set it at least as high/,
    );
  });

  it('reads CORS_ORIGINS as a list of origins, empty by default', () => {
    expect(loadConfig({}).CORS_ORIGINS).toEqual([]);
    expect(
      loadConfig({ CORS_ORIGINS: 'https://ioc.tayninh.gov.vn, http://localhost:5173' }).CORS_ORIGINS,
    ).toEqual(['https://ioc.tayninh.gov.vn', 'http://localhost:5173']);
    expect(() => loadConfig({ CORS_ORIGINS: 'https://ioc.tayninh.gov.vn/console' })).toThrow(/CORS_ORIGINS/);
    expect(() => loadConfig({ CORS_ORIGINS: '*' })).toThrow(/CORS_ORIGINS/);
  });
});

describe('.env.example', () => {
  it('lists every configuration variable, and nothing that neither the app nor docker-compose.yml reads', async () => {
    const { readFileSync } = await import('node:fs');
    const { ConfigSchema } = await import('../../src/config.ts');
    const text = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    const compose = readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8');
    const listed = [...text.matchAll(/^([A-Z_0-9]+)=/gm)].map((m) => m[1]!);
    const settings = Object.keys(ConfigSchema.shape);
    for (const name of settings) expect(listed, `${name}: add it to .env.example`).toContain(name);
    const unread = listed.filter((name) => !settings.includes(name) && !compose.includes(`\${${name}`));
    expect(unread, 'listed in .env.example but read by nothing').toEqual([]);
  });
});
