// docker-compose.yml cannot be run here (no Docker engine), so it is kept honest by reading it:
// valid YAML, every reference resolves, every variable it sets is one the app knows.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigSchema } from '../../src/config.ts';

const root = new URL('../../', import.meta.url).pathname;
const compose = parse(readFileSync(`${root}docker-compose.yml`, 'utf8')) as {
  services: Record<
    string,
    {
      build?: string;
      image?: string;
      depends_on?: Record<string, { condition: string }>;
      environment?: Record<string, string>;
      volumes?: string[];
      command?: string[];
      healthcheck?: unknown;
    }
  >;
  volumes: Record<string, unknown>;
};
const appVariables = new Set(Object.keys(ConfigSchema.shape));

describe('docker-compose.yml', () => {
  it('builds from a Dockerfile that copies what exists in the repo', () => {
    const dockerfile = readFileSync(`${root}Dockerfile`, 'utf8');
    for (const [, source] of dockerfile.matchAll(/^COPY (\S+)/gm)) {
      for (const path of source!.split(' ')) expect(existsSync(`${root}${path}`), path).toBe(true);
    }
    for (const service of Object.values(compose.services)) {
      if (service.build) expect(existsSync(`${root}${service.build}/Dockerfile`)).toBe(true);
    }
  });

  it('depends only on services it defines, and waits on health checks that exist', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(compose.services[dependency], `${name} → ${dependency}`).toBeDefined();
        if (condition === 'service_healthy') {
          const target = compose.services[dependency]!;
          expect(target.healthcheck ?? target.build, `${dependency} needs a health check`).toBeDefined();
        }
      }
    }
  });

  it('mounts only named volumes it declares', () => {
    for (const service of Object.values(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const name = volume.split(':')[0]!;
        if (!name.startsWith('.') && !name.startsWith('/')) expect(compose.volumes).toHaveProperty(name);
      }
    }
  });

  it('sets only configuration variables the app knows, with values the app accepts', () => {
    const app = compose.services.app!;
    for (const name of Object.keys(app.environment ?? {})) expect(appVariables.has(name), name).toBe(true);
    const concrete = Object.fromEntries(
      Object.entries(app.environment ?? {}).map(([k, v]) => [
        k,
        v.replace(/\$\{[^}]+\}/g, 'q7Rk2vN9pLx4Tz8WcYb3HmJd6FsGa5Ue1KoPiVnQ'),
      ]),
    );
    expect(ConfigSchema.safeParse(concrete).success).toBe(true);
  });

  it('runs the app against TimescaleDB, as the design asks of production', () => {
    expect(compose.services.db?.image).toMatch(/^timescale\/timescaledb/);
    expect(compose.services.app?.environment?.DATABASE_URL).toMatch(/@db:5432\//);
  });

  it('points the simulator at scripts that exist', () => {
    const command = (compose.services.simulator?.command ?? []).join(' ');
    for (const [script] of command.matchAll(/(src|simulators)\/[\w/-]+\.ts/g))
      expect(existsSync(`${root}${script}`), script).toBe(true);
  });
});
