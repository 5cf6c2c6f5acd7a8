// The finder of the programs the suite starts or drives (tests/helpers/services.ts): what globalSetup
// provided is what is on the machine, PATH is not required to name the system folders, and a missing
// program stops with one line naming its Debian package. Nothing is installed from here: IOC_TEST_MISSING
// and the `hidden` option only make the finder treat a name as absent.
import { afterEach, describe, expect, inject, it } from 'vitest';
import { ensureServices, findServices } from '../helpers/services.ts';

const path = process.env.PATH;
afterEach(() => {
  process.env.PATH = path;
});

describe('the programs the tests need', () => {
  it('are all found, and are what globalSetup provided to the tests', () => {
    const found = findServices([]);
    expect(found.missing).toEqual([]);
    expect(found.paths).toEqual(inject('services'));
  });

  it('are found in the system folders when PATH does not name them', () => {
    process.env.PATH = '/nonexistent';
    const found = findServices([]);
    expect(found.missing).toEqual([]);
    expect(found.paths).toEqual(inject('services'));
  });

  it('reports a missing one with the package that ships it', () => {
    const found = findServices(['redis-server', 'mosquitto_dynamic_security.so']);
    expect(found.missing).toEqual(['mosquitto_dynamic_security.so', 'redis-server']);
    expect(found.packages).toEqual(['mosquitto', 'redis-server']);
    expect(found.paths.redisServer).toBeUndefined();
    expect(found.paths.mosquitto).toBe(inject('services').mosquitto);
  });

  it('stops with one line naming the packages when it may not install them', async () => {
    const error: Error = await ensureServices({
      hidden: ['chromium', 'mosquitto_pub'],
      canInstall: false,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error.message).not.toContain('\n');
    expect(error.stack).toBe(error.message);
    expect(error.message).toContain('mosquitto_pub, chromium');
    expect(error.message).toContain('apt-get install mosquitto-clients chromium');
  });
});
