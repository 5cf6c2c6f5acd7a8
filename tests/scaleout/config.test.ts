// The scale-out settings: defaults, pairs that go together, names refused with the variable named.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';

describe('scale-out configuration', () => {
  it('has defaults for the shared group, the Redis prefix and the instance name', () => {
    const config = loadConfig({});
    expect(config.MQTT_SHARED_GROUP).toBe('ioc');
    expect(config.REDIS_PREFIX).toBe('ioc');
    expect(config.INSTANCE_ID).toMatch(new RegExp(`-${process.pid}$`));
    expect(config.MQTT_AUTH_HOOK_TOKEN).toBeUndefined();
  });

  it('wants the ingest and dynsec accounts as username and password together', () => {
    const url = { MQTT_URL: 'mqtt://broker:1883' };
    expect(() => loadConfig({ ...url, MQTT_INGEST_USERNAME: 'ioc' })).toThrow(/MQTT_INGEST_PASSWORD/);
    expect(() => loadConfig({ ...url, MQTT_DYNSEC_ADMIN_PASSWORD: 'x' })).toThrow(
      /MQTT_DYNSEC_ADMIN_USERNAME/,
    );
    expect(() => loadConfig({ MQTT_DYNSEC_ADMIN_USERNAME: 'a', MQTT_DYNSEC_ADMIN_PASSWORD: 'b' })).toThrow(
      /MQTT_DYNSEC_ADMIN_USERNAME.*MQTT_URL/,
    );
    expect(
      loadConfig({ ...url, MQTT_INGEST_USERNAME: 'ioc', MQTT_INGEST_PASSWORD: 'p' }).MQTT_INGEST_USERNAME,
    ).toBe('ioc');
  });

  it('refuses a group or instance name that is not one topic level, and a short hook token', () => {
    expect(() => loadConfig({ MQTT_SHARED_GROUP: 'a/b' })).toThrow(/MQTT_SHARED_GROUP/);
    expect(() => loadConfig({ INSTANCE_ID: 'ioc 1' })).toThrow(/INSTANCE_ID/);
    expect(() => loadConfig({ MQTT_AUTH_HOOK_TOKEN: 'short' })).toThrow(/MQTT_AUTH_HOOK_TOKEN/);
  });
});
