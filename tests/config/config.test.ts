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

  it('refuses production without a strong JWT_SECRET or with anonymous MQTT', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET: is required in production/);
    expect(() =>
      loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40), MQTT_ALLOW_ANONYMOUS: 'true' }),
    ).toThrow(/MQTT_ALLOW_ANONYMOUS.*: is a development switch/);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) }).NODE_ENV).toBe('production');
  });
});

describe('.env.example', () => {
  it('lists every configuration variable, and nothing the app does not read', async () => {
    const { readFileSync } = await import('node:fs');
    const { ConfigSchema } = await import('../../src/config.ts');
    const text = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    const listed = [...text.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual(Object.keys(ConfigSchema.shape).sort());
  });
});
