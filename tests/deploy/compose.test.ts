// docker-compose.yml cannot be run here (no Docker engine), so it is kept honest by reading it:
// valid YAML, every reference resolves (services, health checks, volumes, mounted files, scripts),
// every variable the IOC is given is one it knows, and the layout is the scale-out one.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { heapFlags } from '../../scripts/heapFlags.ts';
import { ConfigSchema, loadConfig } from '../../src/config.ts';

const root = new URL('../../', import.meta.url).pathname;

interface Service {
  build?: string;
  image?: string;
  command?: string[] | string;
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test?: string[]; disable?: boolean };
  restart?: string;
}
const compose = parse(readFileSync(`${root}docker-compose.yml`, 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = Object.entries(compose.services);
const dockerfile = readFileSync(`${root}Dockerfile`, 'utf8');

// Names the IOC reads: its configuration schema, and what .env.example documents. The scale-out
// names are being added to both alongside this file; until .env.example lists one it is let through.
const documented = new Set(
  [...readFileSync(`${root}.env.example`, 'utf8').matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!),
);
const known = new Set([...Object.keys(ConfigSchema.shape), ...documented]);
const scaleOutNames = [
  'MQTT_SHARED_GROUP',
  'MQTT_INGEST_USERNAME',
  'MQTT_INGEST_PASSWORD',
  'MQTT_DYNSEC_ADMIN_USERNAME',
  'MQTT_DYNSEC_ADMIN_PASSWORD',
  'INSTANCE_ID',
];
const ENV_DEFAULTS = Object.fromEntries(
  [...dockerfile.matchAll(/^ENV (\w+)=(\S+)/gm)].map(([, name, value]) => [name!, value!]),
);
/** ${VAR}, ${VAR:?message}, ${VAR:-default} replaced by a value a strict check accepts. */
const concrete = (environment: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(environment).map(([k, v]) => [
      k,
      String(v).replace(/\$\{[^}]+\}/g, 'q7Rk2vN9pLx4Tz8WcYb3HmJd6FsGa5Ue1KoPiVnQ'),
    ]),
  );

const isOneShot = (name: string) =>
  services.some(([, s]) => s.depends_on?.[name]?.condition === 'service_completed_successfully');
const appServices = services.filter(([, s]) => s.build && !s.command);
const commandText = (s: Service) => [s.command ?? []].flat().join(' ');

/** Container path → repository path, from a service's bind mounts. */
function bindMounts(service: Service): [string, string][] {
  return (service.volumes ?? [])
    .map((v) => v.split(':'))
    .filter(([source]) => source!.startsWith('./'))
    .map(([source, target]) => [target!, `${root}${source!.slice(2)}`]);
}

describe('docker-compose.yml', () => {
  it('gives every service a pinned image or a build from a Dockerfile that copies what exists', () => {
    for (const [, source] of dockerfile.matchAll(/^COPY (\S+)/gm)) {
      for (const path of source!.split(' ')) expect(existsSync(`${root}${path}`), path).toBe(true);
    }
    for (const [name, service] of services) {
      expect(service.image ?? service.build, name).toBeDefined();
      if (service.build) expect(existsSync(`${root}${service.build}/Dockerfile`), name).toBe(true);
      if (service.image) expect(service.image, `${name}: pin a version`).toMatch(/:(?!latest$)[\w.-]+$/);
    }
  });

  it('depends only on services it defines, waiting on health checks that exist', () => {
    for (const [name, service] of services) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        const target = compose.services[dependency];
        expect(target, `${name} → ${dependency}`).toBeDefined();
        expect(['service_healthy', 'service_completed_successfully'], `${name} → ${dependency}`).toContain(
          condition,
        );
        if (condition === 'service_healthy') {
          const check = target!.healthcheck?.test ?? (target!.build && /^HEALTHCHECK /m.test(dockerfile));
          expect(check, `${dependency} needs a health check`).toBeTruthy();
          expect(target!.healthcheck?.disable, dependency).not.toBe(true);
        }
        if (condition === 'service_completed_successfully') expect(target!.restart, dependency).toBe('no');
      }
    }
  });

  it('checks the health of every long-running service, and restarts it', () => {
    for (const [name, service] of services.filter(([n]) => !isOneShot(n))) {
      expect(service.restart, name).toBe('unless-stopped');
      if (name === 'simulator') continue; // a client: nothing answers a health check there
      expect(service.healthcheck?.test, `${name} needs a health check`).toBeDefined();
    }
  });

  it('mounts named volumes it declares (each used), and files that exist in the repo', () => {
    const used = new Set<string>();
    for (const [name, service] of services) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('./'))
          expect(existsSync(`${root}${source.slice(2)}`), `${name}: ${source}`).toBe(true);
        else {
          expect(source.startsWith('/'), `${name}: ${source} is a named volume, not a host path`).toBe(false);
          expect(compose.volumes, name).toHaveProperty(source);
          used.add(source);
        }
      }
    }
    expect([...used].sort()).toEqual(Object.keys(compose.volumes).sort());
  });

  it('runs scripts that are mounted or in the image', () => {
    for (const [name, service] of services) {
      const command = commandText(service);
      for (const [target, source] of bindMounts(service)) {
        for (const [path] of command.matchAll(new RegExp(`${target}[\\w./-]*`, 'g')))
          expect(existsSync(source + path.slice(target.length)), `${name}: ${path}`).toBe(true);
      }
      if (service.build) {
        for (const [script] of command.matchAll(/(src|simulators)\/[\w/-]+\.ts/g))
          expect(existsSync(`${root}${script}`), `${name}: ${script}`).toBe(true);
      }
    }
  });

  it('gives the IOC only variables it knows, with values it accepts in production', () => {
    for (const [name, service] of services.filter(([, s]) => s.build)) {
      const environment = service.environment ?? {};
      for (const variable of Object.keys(environment)) {
        if (scaleOutNames.includes(variable) && !known.has(variable)) continue;
        expect(known.has(variable), `${name}: ${variable} is not in src/config.ts or .env.example`).toBe(
          true,
        );
      }
      // As the container sees it: the Dockerfile's ENV (NODE_ENV=production) under the service's own.
      expect(() => loadConfig({ ...ENV_DEFAULTS, ...concrete(environment) }), name).not.toThrow();
    }
  });

  it('runs two IOC instances on TimescaleDB, the external broker and Redis', () => {
    expect(compose.services.db?.image).toMatch(/^timescale\/timescaledb:/);
    expect(compose.services.broker?.image).toMatch(/^eclipse-mosquitto:2\./);
    expect(compose.services.redis?.image).toMatch(/^redis:/);
    expect(appServices.length).toBeGreaterThanOrEqual(2);
    const instanceIds = new Set<string>();
    const hostPorts = new Set<string>();
    for (const [name, app] of appServices) {
      const env = app.environment ?? {};
      expect(env.DATABASE_URL, name).toMatch(/@db:5432\//);
      expect(env.MQTT_URL, name).toBe('mqtt://broker:1883');
      expect(env.REDIS_URL, name).toBe('redis://redis:6379');
      expect(env.MQTT_PORT, `${name}: no embedded broker beside the external one`).toBeUndefined();
      expect(env.JWT_SECRET, name).toBe(appServices[0]![1].environment?.JWT_SECRET);
      instanceIds.add(env.INSTANCE_ID ?? '');
      for (const port of app.ports ?? []) hostPorts.add(port.split(':')[0]!);
      for (const dependency of ['db', 'redis', 'broker'])
        expect(app.depends_on, name).toHaveProperty(dependency);
    }
    expect(instanceIds.size, 'each instance its own INSTANCE_ID').toBe(appServices.length);
    expect(hostPorts.size, 'each instance its own host port').toBe(appServices.length);
  });

  it('sets up the broker with the accounts the IOC logs in with', () => {
    const conf = readFileSync(`${root}deploy/mosquitto/mosquitto.conf`, 'utf8');
    expect(conf).toMatch(/^plugin \/usr\/lib\/mosquitto_dynamic_security\.so$/m);
    expect(conf).toMatch(/^allow_anonymous false$/m);
    const [configFile] = /^plugin_opt_config_file (\S+)$/m.exec(conf)!.slice(1);
    const brokerVolumes = (compose.services.broker?.volumes ?? []).map((v) => v.split(':')[1]!);
    expect(
      brokerVolumes.some((target) => configFile!.startsWith(`${target}/`)),
      'dynsec file on a volume',
    ).toBe(true);
    const app = appServices[0]![1].environment!;
    const broker = compose.services.broker!.environment!;
    for (const variable of ['MQTT_DYNSEC_ADMIN_USERNAME', 'MQTT_DYNSEC_ADMIN_PASSWORD'])
      expect(broker[variable], variable).toBe(app[variable]);
    expect(app.MQTT_INGEST_USERNAME).toBeDefined();
  });

  it('scrapes every IOC instance and gives Grafana its provisioning', () => {
    const prometheus = parse(readFileSync(`${root}deploy/prometheus/prometheus.yml`, 'utf8')) as {
      scrape_configs: { static_configs: { targets: string[] }[] }[];
    };
    const targets = prometheus.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets));
    expect(targets.sort()).toEqual(appServices.map(([name]) => `${name}:8080`).sort());
    const datasources = readFileSync(`${root}dashboards/grafana/provisioning/datasources/ioc.yaml`, 'utf8');
    for (const [, variable] of datasources.matchAll(/\$\{(\w+)\}/g))
      expect(compose.services.grafana?.environment, variable).toHaveProperty(variable!);
    expect(datasources).toContain('url: db:5432');
    expect(datasources).toContain('url: http://prometheus:9090');
    expect(compose.services.db?.environment).toHaveProperty('GRAFANA_DB_PASSWORD');
  });

  it('starts the image as npm start does, with the heap settings of decision 0013', () => {
    const cmd = JSON.parse(dockerfile.match(/^CMD (\[.*\])$/m)![1]!) as string[];
    expect(cmd).toEqual(['node', ...heapFlags, '--import', 'tsx', 'src/main.ts']);
    const scripts = JSON.parse(readFileSync(`${root}package.json`, 'utf8')).scripts as Record<string, string>;
    expect(scripts.start).toBe(cmd.join(' '));
    for (const name of ['demo', 'bench']) expect(scripts[name], name).toContain(heapFlags.join(' '));
    expect(readFileSync(`${root}docs/deployment.md`, 'utf8')).toContain(heapFlags.join(' '));
  });

  it('asks for every secret it uses, and docs/deployment.md names each one', () => {
    const text = readFileSync(`${root}docker-compose.yml`, 'utf8').replace(/^\s*#.*$/gm, '');
    const deployment = readFileSync(`${root}docs/deployment.md`, 'utf8');
    const variables = new Set([...text.matchAll(/(?<!\$)\$\{(\w+)/g)].map((m) => m[1]!));
    expect(variables.size).toBeGreaterThan(3);
    for (const variable of variables) expect(deployment, variable).toContain(variable);
  });
});
