// docker-compose.yml cannot be run here (no Docker engine), so it is kept honest by reading it:
// valid YAML, every reference resolves (services, health checks, volumes, mounted files, scripts),
// every variable comes from .env.example and the IOC accepts what it is given, the layout is the
// scale-out one, a production `up` runs no demo, monitoring waits for nothing, alerts reach a person,
// and HTTPS through Caddy tells the IOC the client's real address. What runs on this machine is run:
// Alertmanager's start script writes its configuration here as it does in the container.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { heapFlags } from '../../scripts/heapFlags.ts';
import { ConfigSchema, loadConfig } from '../../src/config.ts';

const root = new URL('../../', import.meta.url).pathname;
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');

interface Service {
  build?: string;
  image?: string;
  profiles?: string[];
  entrypoint?: string[] | string;
  command?: string[] | string;
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  networks?: string[] | Record<string, { ipv4_address?: string } | null>;
  healthcheck?: { test?: string[]; disable?: boolean };
  restart?: string;
}
const composeText = read('docker-compose.yml');
const compose = parse(composeText, { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  networks?: Record<string, { ipam?: { config?: { subnet?: string; ip_range?: string }[] } }>;
};
const services = Object.entries(compose.services);
const dockerfile = read('Dockerfile');
const envExample = read('.env.example');
const deployment = read('docs/deployment.md');

/** NAME=value lines of .env.example. */
const exampleValues = Object.fromEntries(
  [...envExample.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]),
);
/** Variables compose reads (comments aside), and those it requires (`${VAR:?...}`). */
const composeCode = composeText.replace(/^\s*#.*$/gm, '');
const composeVariables = new Set([...composeCode.matchAll(/(?<!\$)\$\{(\w+)/g)].map((m) => m[1]!));
const requiredVariables = new Set([...composeCode.matchAll(/(?<!\$)\$\{(\w+):?\?/g)].map((m) => m[1]!));

/** Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message}, $$. */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(
    /\$\$|\$\{(\w+)(?:(:?)([-?])([^}]*))?\}/g,
    (match, name: string, colon: string, op: string, arg: string) => {
      if (match === '$$') return '$';
      const value = env[name];
      const missing = value === undefined || (colon === ':' && value === '');
      if (op === '-') return missing ? arg : value!;
      if (op === '?' && missing) throw new Error(`compose refuses to start: ${name} (${arg})`);
      return value ?? '';
    },
  );
}
/** What an operator has after `cp .env.example .env` and setting the required secrets. */
const operatorEnv: Record<string, string> = {
  ...exampleValues,
  ...Object.fromEntries(
    [...requiredVariables].map((name) => [name, 'q7Rk2vN9pLx4Tz8WcYb3HmJd6FsGa5Ue1KoPiVnQ']),
  ),
};
const resolved = (environment: Record<string, string> = {}, env = operatorEnv) =>
  Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, interpolate(String(v), env)]));

const ENV_DEFAULTS = Object.fromEntries(
  [...dockerfile.matchAll(/^ENV (\w+)=(\S+)/gm)].map(([, name, value]) => [name!, value!]),
);

const inDefaultProfile = ([, s]: [string, Service]) => !s.profiles?.length;
const isOneShot = (name: string) =>
  services.some(([, s]) => s.depends_on?.[name]?.condition === 'service_completed_successfully');
const appServices = services.filter(([, s]) => s.build && !s.command);
const commandText = (s: Service) => [s.entrypoint ?? [], s.command ?? []].flat().join(' ');
const hostPort = (mapping: string) => interpolate(mapping, operatorEnv).split(':').at(-2)!;

/** Container path → repository path, from a service's bind mounts. */
function bindMounts(service: Service): [string, string][] {
  return (service.volumes ?? [])
    .map((v) => v.split(':'))
    .filter(([source]) => source!.startsWith('./'))
    .map(([source, target]) => [target!, `${root}${source!.slice(2)}`]);
}

/** Every service a service waits for, directly or through others, with the condition of each step. */
function waitsFor(name: string, seen = new Set<string>()): [string, string][] {
  const direct = Object.entries(compose.services[name]?.depends_on ?? {}).map(
    ([dependency, { condition }]) => [dependency, condition] as [string, string],
  );
  return direct.flatMap(([dependency, condition]) => {
    if (seen.has(dependency)) return [];
    seen.add(dependency);
    return [[dependency, condition] as [string, string], ...waitsFor(dependency, seen)];
  });
}

/** .dockerignore's patterns, and whether they leave a path out (the last matching one decides). */
const dockerignore = read('.dockerignore')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'))
  .map((line) => {
    const pattern = line.replace(/^!/, '');
    const body = pattern
      .split(/(\*\*\/|\*)/)
      .map((part) =>
        part === '**/' ? '(?:.*/)?' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'),
      )
      .join('');
    return { exclude: !line.startsWith('!'), match: new RegExp(`^${body}(?:/.*)?$`) };
  });
const ignored = (path: string) =>
  dockerignore.reduce((out, rule) => (rule.match.test(path) ? rule.exclude : out), false);

describe('docker-compose.yml', () => {
  it('gives every service a pinned image or a build from a Dockerfile that copies what exists', () => {
    for (const [, source] of dockerfile.matchAll(/^COPY (\S+)/gm)) {
      for (const path of source!.split(' ')) {
        expect(existsSync(`${root}${path}`), path).toBe(true);
        expect(ignored(path), `${path} is copied but .dockerignore leaves it out`).toBe(false);
      }
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
        expect(
          ['service_started', 'service_healthy', 'service_completed_successfully'],
          `${name} → ${dependency}`,
        ).toContain(condition);
        if (condition === 'service_healthy') {
          const check = target!.healthcheck?.test ?? (target!.build && /^HEALTHCHECK /m.test(dockerfile));
          expect(check, `${dependency} needs a health check`).toBeTruthy();
          expect(target!.healthcheck?.disable, dependency).not.toBe(true);
        }
        if (condition === 'service_completed_successfully') expect(target!.restart, dependency).toBe('no');
        // A plain `up` cannot wait for a service it does not start.
        if (!service.profiles?.length)
          expect(target!.profiles ?? [], `${name} → ${dependency} (a profile's service)`).toEqual([]);
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
    const known = new Set(Object.keys(ConfigSchema.shape));
    for (const [name, service] of services.filter(([, s]) => s.build)) {
      const environment = resolved(service.environment);
      for (const variable of Object.keys(environment))
        expect(known.has(variable), `${name}: ${variable} is not in src/config.ts`).toBe(true);
      // As the container sees it: the Dockerfile's ENV (NODE_ENV=production) under the service's own.
      expect(() => loadConfig({ ...ENV_DEFAULTS, ...environment }), name).not.toThrow();
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
      const env = resolved(app.environment);
      expect(env.DATABASE_URL, name).toMatch(/@db:5432\//);
      expect(env.MQTT_URL, name).toBe('mqtt://broker:1883');
      expect(env.REDIS_URL, name).toBe('redis://redis:6379');
      expect(env.MQTT_PORT, `${name}: no embedded broker beside the external one`).toBeUndefined();
      expect(env.JWT_SECRET, name).toBe(resolved(appServices[0]![1].environment).JWT_SECRET);
      instanceIds.add(env.INSTANCE_ID ?? '');
      for (const port of app.ports ?? []) hostPorts.add(hostPort(port));
      for (const dependency of ['db', 'redis', 'broker'])
        expect(app.depends_on, name).toHaveProperty(dependency);
    }
    expect(instanceIds.size, 'each instance its own INSTANCE_ID').toBe(appServices.length);
    expect(hostPorts.size, 'each instance its own host port').toBe(appServices.length);
  });

  it('sets up the broker with the accounts the IOC logs in with', () => {
    const conf = read('deploy/mosquitto/mosquitto.conf');
    expect(conf).toMatch(/^plugin \/usr\/lib\/mosquitto_dynamic_security\.so$/m);
    expect(conf).toMatch(/^allow_anonymous false$/m);
    const [configFile] = /^plugin_opt_config_file (\S+)$/m.exec(conf)!.slice(1);
    const brokerVolumes = (compose.services.broker?.volumes ?? []).map((v) => v.split(':')[1]!);
    expect(
      brokerVolumes.some((target) => configFile!.startsWith(`${target}/`)),
      'dynsec file on a volume',
    ).toBe(true);
    const app = resolved(appServices[0]![1].environment);
    const broker = resolved(compose.services.broker!.environment);
    for (const variable of ['MQTT_DYNSEC_ADMIN_USERNAME', 'MQTT_DYNSEC_ADMIN_PASSWORD'])
      expect(broker[variable], variable).toBe(app[variable]);
    expect(app.MQTT_INGEST_USERNAME).toBeTruthy();
  });

  it('scrapes every IOC instance, alerts through Alertmanager, and gives Grafana its provisioning', () => {
    const prometheus = parse(read('deploy/prometheus/prometheus.yml')) as {
      scrape_configs: { static_configs: { targets: string[] }[] }[];
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
    };
    const targets = prometheus.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets));
    expect(targets.sort()).toEqual(appServices.map(([name]) => `${name}:8080`).sort());
    const alertmanagers = prometheus.alerting.alertmanagers.flatMap((a) =>
      a.static_configs.flatMap((s) => s.targets),
    );
    expect(alertmanagers).toEqual(['alertmanager:9093']);
    const datasources = read('dashboards/grafana/provisioning/datasources/ioc.yaml');
    for (const [, variable] of datasources.matchAll(/\$\{(\w+)\}/g))
      expect(compose.services.grafana?.environment, variable).toHaveProperty(variable!);
    expect(datasources).toContain('url: db:5432');
    expect(datasources).toContain('url: http://prometheus:9090');
    expect(compose.services.db?.environment).toHaveProperty('GRAFANA_DB_PASSWORD');
  });

  it('starts the image as npm start does, with the heap settings of decision 0013', () => {
    const cmd = JSON.parse(dockerfile.match(/^CMD (\[.*\])$/m)![1]!) as string[];
    expect(cmd).toEqual(['node', ...heapFlags, '--import', 'tsx', 'src/main.ts']);
    const scripts = JSON.parse(read('package.json')).scripts as Record<string, string>;
    expect(scripts.start).toBe(cmd.join(' '));
    for (const name of ['demo', 'bench']) expect(scripts[name], name).toContain(heapFlags.join(' '));
    expect(deployment).toContain(heapFlags.join(' '));
  });

  it('names every secret in docs/deployment.md, and documents every variable in .env.example', () => {
    expect(composeVariables.size).toBeGreaterThan(3);
    for (const variable of composeVariables) {
      expect(exampleValues, `${variable}: add it to .env.example`).toHaveProperty(variable);
      // The IOC's own settings are explained in .env.example; the rest belong to the deployment.
      if (requiredVariables.has(variable) || !(variable in ConfigSchema.shape))
        expect(deployment, variable).toContain(variable);
    }
  });
});

describe('settings from .env', () => {
  // In the compose layout these come from the layout itself (the services' addresses, the volume,
  // the proxy), or do not apply: the embedded broker is off beside Mosquitto, and TLS is Caddy's.
  const fixedByLayout = [
    'NODE_ENV',
    'DATABASE_URL',
    'DATA_DIR',
    'HTTP_PORT',
    'MQTT_URL',
    'MQTT_ALLOW_PLAINTEXT',
    'REDIS_URL',
    'INSTANCE_ID',
    'TRUST_PROXY',
  ];
  const notInLayout = [
    'HTTP_HOST',
    'HTTP_TLS_CERT_FILE',
    'HTTP_TLS_KEY_FILE',
    'MQTT_HOST',
    'MQTT_PORT',
    'MQTT_WS_PORT',
    'MQTT_TLS_PORT',
    'MQTT_TLS_CERT_FILE',
    'MQTT_TLS_KEY_FILE',
    'MQTT_TLS_CA_FILE',
    'MQTT_TLS_REQUIRE_CLIENT_CERT',
    'MQTT_ALLOW_ANONYMOUS',
  ];
  // One database, one nightly backup: the second instance leaves it to the first.
  const fixedOn: Record<string, string[]> = { 'app-2': ['BACKUP_SCHEDULE'] };
  const settings = Object.keys(ConfigSchema.shape);

  it('backs the shared database up from one instance only', () => {
    const scheduled = appServices.filter(([, app]) => app.environment?.BACKUP_SCHEDULE !== 'off');
    expect(scheduled.map(([service]) => service)).toEqual(['app-1']);
  });

  it('lists every setting of src/config.ts in .env.example', () => {
    for (const name of settings)
      expect(exampleValues, `${name}: add it to .env.example`).toHaveProperty(name);
  });

  it('passes every other setting from .env to each IOC instance', () => {
    for (const [service, app] of appServices) {
      const environment = app.environment ?? {};
      for (const name of settings) {
        const value = environment[name];
        if (notInLayout.includes(name)) expect(value, `${service}: ${name}`).toBeUndefined();
        else if (fixedByLayout.includes(name) || fixedOn[service]?.includes(name))
          expect(value, `${service}: ${name}`).toBeDefined();
        else
          expect(
            value,
            `${service}: pass ${name} from .env (x-app-settings in docker-compose.yml: ${name}: \${${name}:-})`,
          ).toMatch(new RegExp(`^\\$\\{${name}(?::?[-?][^}]*)?\\}$`));
      }
    }
  });

  it('gives each instance what .env says, and the IOC default for what it leaves empty', () => {
    const env = { ...operatorEnv, LOG_LEVEL: 'debug', INGEST_BATCH_ROWS: '2000', CORS_ORIGINS: '' };
    const config = loadConfig({ ...ENV_DEFAULTS, ...resolved(appServices[0]![1].environment, env) });
    expect(config.LOG_LEVEL).toBe('debug');
    expect(config.INGEST_BATCH_ROWS).toBe(2_000);
    expect(config.CORS_ORIGINS).toEqual([]);
    expect(config.NODE_ENV).toBe('production');
  });

  it('has .env read by npm start and the CLIs, the environment winning over the file', () => {
    // npm start's `--import tsx`, from a folder of its own (where `tsx` alone would not resolve).
    const tsxLoader = import.meta.resolve('tsx');
    const dir = mkdtempSync(join(tmpdir(), 'ioc-dotenv-'));
    try {
      const script = `import { loadConfig } from ${JSON.stringify(`${root}src/config.ts`)};
        const c = loadConfig(); console.log(JSON.stringify([c.LOG_LEVEL, c.HTTP_PORT, c.TRUST_PROXY]));`;
      const run = (env: Record<string, string>) =>
        execFileSync(process.execPath, ['--import', tsxLoader, '--input-type=module', '-e', script], {
          cwd: dir,
          env: { PATH: process.env.PATH, ...env },
          encoding: 'utf8',
        });
      // Without a file: the defaults.
      expect(JSON.parse(run({}))).toEqual(['info', 8080, false]);
      execFileSync(
        'sh',
        ['-c', 'printf "LOG_LEVEL=warn\\nHTTP_PORT=9000\\nTRUST_PROXY=10.0.0.5\\n" > .env'],
        {
          cwd: dir,
        },
      );
      expect(JSON.parse(run({}))).toEqual(['warn', 9000, ['10.0.0.5']]);
      expect(JSON.parse(run({ LOG_LEVEL: 'error' }))).toEqual(['error', 9000, ['10.0.0.5']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000); // three Node processes, each compiling the config through tsx
});

describe('a production up, and the demo', () => {
  it('keeps the simulated fleets and their loading under the demo profile', () => {
    const demo = services.filter(([, s]) => /simulators\/|load-fleet/.test(commandText(s)));
    expect(demo.map(([name]) => name).sort()).toEqual(['fleet-load', 'simulator']);
    for (const [name, service] of demo) expect(service.profiles, name).toEqual(['demo']);
    expect(compose.services.simulator?.depends_on?.['fleet-load']?.condition).toBe(
      'service_completed_successfully',
    );
  });

  it('starts nothing in production that holds the admin password for the demo', () => {
    for (const [name, service] of services.filter(inDefaultProfile)) {
      if (!service.environment || !('ADMIN_PASSWORD' in service.environment)) continue;
      // Only the IOC, which reads it on its very first start to create `admin`.
      expect(
        appServices.map(([n]) => n),
        `${name} holds ADMIN_PASSWORD`,
      ).toContain(name);
    }
    // A plain `up` does not even ask for it, and the demo's services require nothing of their own.
    expect(requiredVariables.has('ADMIN_PASSWORD')).toBe(false);
    for (const [name, service] of services.filter((s) => !inDefaultProfile(s)))
      expect(JSON.stringify(service), name).not.toMatch(/\$\{\w+:?\?/);
    const fleetLoad = resolved(compose.services['fleet-load']?.environment, {
      ...operatorEnv,
      ADMIN_PASSWORD: 'demo-admin-password',
    });
    expect(fleetLoad.ADMIN_PASSWORD).toBe('demo-admin-password');
  });

  it('starts monitoring without waiting for the IOC, or anything, to be healthy', () => {
    for (const name of ['prometheus', 'alertmanager', 'grafana']) {
      expect(compose.services[name], name).toBeDefined();
      expect(compose.services[name]!.profiles, name).toBeUndefined();
      for (const [dependency, condition] of waitsFor(name)) {
        expect(condition, `${name} waits for ${dependency}`).not.toBe('service_healthy');
        expect(
          appServices.map(([n]) => n),
          `${name} waits for ${dependency}`,
        ).not.toContain(dependency);
      }
    }
  });
});

describe('alerts to a person', () => {
  const alertmanager = compose.services.alertmanager!;
  const script = 'deploy/alertmanager/start.sh';

  interface Receiver {
    name: string;
    email_configs?: { to: string; send_resolved: boolean; headers?: Record<string, string> }[];
    webhook_configs?: {
      url: string;
      send_resolved: boolean;
      http_config?: { authorization?: { credentials: string } };
    }[];
  }
  interface AlertmanagerConfig {
    global: Record<string, unknown>;
    route: { receiver: string; routes?: { matchers: string[]; repeat_interval: string }[] };
    receivers: Receiver[];
  }

  /** Runs the container's start script here, as compose would with this .env, and reads what it wrote. */
  function render(env: Record<string, string>) {
    const dir = mkdtempSync(join(tmpdir(), 'ioc-alertmanager-'));
    try {
      const out = join(dir, 'alertmanager.yml');
      const run = spawnSync('sh', [`${root}${script}`, 'true'], {
        env: { PATH: process.env.PATH, ...resolved(alertmanager.environment, env), ALERTMANAGER_CONFIG: out },
        encoding: 'utf8',
      });
      const written = existsSync(out) ? readFileSync(out, 'utf8') : undefined;
      return {
        status: run.status,
        stderr: run.stderr,
        config: written ? (parse(written) as AlertmanagerConfig) : undefined,
        mode: written ? statSync(out).mode & 0o777 : undefined,
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const mail = {
    ALERT_EMAIL_TO: 'it@tayninh.gov.vn,truc@tayninh.gov.vn',
    ALERT_EMAIL_FROM: 'ioc@tayninh.gov.vn',
    ALERT_SMTP_HOST: 'smtp.tayninh.gov.vn',
    ALERT_SMTP_USERNAME: 'ioc',
    ALERT_SMTP_PASSWORD: 'pa"ss\\word $HOME',
  };

  it('runs Alertmanager through its start script, with every ALERT_* variable the script reads', () => {
    expect(alertmanager.image).toMatch(/^prom\/alertmanager:v/);
    expect(alertmanager.entrypoint).toEqual(['/bin/sh', '/deploy/start.sh']);
    expect([alertmanager.command ?? []].flat()[0]).toBe('/bin/alertmanager');
    const reads = new Set([...read(script).matchAll(/\$\{?(ALERT_\w+)/g)].map((m) => m[1]!));
    expect(Object.keys(alertmanager.environment ?? {}).sort()).toEqual([...reads].sort());
  });

  it('sends every alert by email through the SMTP server of .env', () => {
    const { status, config, mode } = render({ ...operatorEnv, ...mail });
    expect(status).toBe(0);
    expect(mode).toBe(0o600);
    expect(config!.global).toMatchObject({
      smtp_smarthost: 'smtp.tayninh.gov.vn:587',
      smtp_from: 'ioc@tayninh.gov.vn',
      smtp_auth_username: 'ioc',
      smtp_auth_password: 'pa"ss\\word $HOME',
      smtp_require_tls: true,
    });
    const receiver = config!.receivers.find((r) => r.name === config!.route.receiver)!;
    expect(receiver.email_configs).toEqual([
      expect.objectContaining({ to: mail.ALERT_EMAIL_TO, send_resolved: true }),
    ]);
    expect(receiver.email_configs![0]!.headers?.Subject).toMatch(/Cảnh báo \/ Alert/);
    expect(receiver.webhook_configs).toBeUndefined();
    expect(config!.route.routes).toEqual([expect.objectContaining({ matchers: ['severity="critical"'] })]);
  });

  it('or to a webhook, with its bearer token, or both', () => {
    const hook = { ALERT_WEBHOOK_URL: 'https://chat.tayninh.gov.vn/hooks/ioc', ALERT_WEBHOOK_TOKEN: 't0ken' };
    const webhookOnly = render({ ...operatorEnv, ...hook });
    expect(webhookOnly.status).toBe(0);
    const receiver = webhookOnly.config!.receivers[0]!;
    expect(receiver.email_configs).toBeUndefined();
    expect(receiver.webhook_configs).toEqual([
      {
        url: hook.ALERT_WEBHOOK_URL,
        send_resolved: true,
        http_config: { authorization: { credentials: 't0ken' } },
      },
    ]);
    const both = render({ ...operatorEnv, ...mail, ...hook });
    expect(both.config!.receivers[0]!.email_configs).toHaveLength(1);
    expect(both.config!.receivers[0]!.webhook_configs).toHaveLength(1);
  });

  it('refuses to start when nobody would receive them, saying what to set', () => {
    const nobody = render(operatorEnv);
    expect(nobody.status).not.toBe(0);
    expect(nobody.config).toBeUndefined();
    expect(nobody.stderr).toMatch(/ALERT_EMAIL_TO.*ALERT_WEBHOOK_URL/);
    const noServer = render({ ...operatorEnv, ALERT_EMAIL_TO: 'it@tayninh.gov.vn' });
    expect(noServer.status).not.toBe(0);
    expect(noServer.stderr).toContain('ALERT_SMTP_HOST');
  });

  it('alerts a person when the database backup failed or is too old', () => {
    const groups = (
      parse(read('deploy/prometheus/alerts.yml')) as {
        groups: { rules: { alert: string; expr: string }[] }[];
      }
    ).groups;
    const rules = groups.flatMap((g) => g.rules);
    expect(rules.find((r) => r.alert === 'IocBackupTooOld')?.expr).toContain(
      'ioc_backup_last_success_timestamp_seconds',
    );
    expect(rules.find((r) => r.alert === 'IocBackupFailed')?.expr).toContain('ioc_backup_failures_total');
  });

  it('gives every alert a severity the routes know and a summary in Vietnamese and English', () => {
    const rules = (
      parse(read('deploy/prometheus/alerts.yml')) as {
        groups: {
          rules: { alert: string; labels?: { severity?: string }; annotations?: { summary?: string } }[];
        }[];
      }
    ).groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toMatch(/\S \/ \S/);
    }
  });
});

describe('HTTPS through Caddy, and the client address behind it', () => {
  const caddy = compose.services.caddy!;
  const caddyfile = read('deploy/caddy/Caddyfile');
  const toNumber = (ip: string) => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
  const contains = (cidr: string, ip: string) => {
    const [base, bits] = cidr.split('/');
    const size = 2 ** (32 - Number(bits));
    return Math.floor(toNumber(ip) / size) === Math.floor(toNumber(base!) / size);
  };

  it('runs Caddy under the tls profile, with the Caddyfile of deploy/caddy', () => {
    expect(caddy.image).toMatch(/^caddy:2\./);
    expect(caddy.profiles).toEqual(['tls']);
    expect(caddy.volumes).toContain('./deploy/caddy/Caddyfile:/etc/caddy/Caddyfile:ro');
    expect(caddy.ports?.map((p) => p.split(':')[0])).toEqual(expect.arrayContaining(['80', '443']));
  });

  it('proxies to every IOC instance, only to ready ones, for the domain of .env', () => {
    const [, upstreams] = /reverse_proxy ([^{\n]+)\{/.exec(caddyfile)!;
    expect(upstreams!.trim().split(/\s+/).sort()).toEqual(appServices.map(([n]) => `${n}:8080`).sort());
    expect(caddyfile).toMatch(/^\s*health_uri \/readyz$/m);
    for (const [, variable] of caddyfile.matchAll(/\{\$(\w+)/g))
      expect(caddy.environment, variable).toHaveProperty(variable!);
    // Caddy is the first server a client reaches: trusting an upstream proxy's header would let the
    // client's own X-Forwarded-For through to the IOC.
    expect(caddyfile).not.toMatch(/^\s*trusted_proxies/m);
  });

  it("has the IOC believe X-Forwarded-For from Caddy's fixed address, and no one else's", () => {
    const networks = caddy.networks as Record<string, { ipv4_address: string }>;
    const [networkName] = Object.keys(networks);
    const address = interpolate(networks[networkName!]!.ipv4_address, operatorEnv);
    const ipam = compose.networks![networkName!]!.ipam!.config![0]!;
    const subnet = interpolate(ipam.subnet!, operatorEnv);
    const dynamic = interpolate(ipam.ip_range!, operatorEnv);
    expect(contains(subnet, address), `${address} in ${subnet}`).toBe(true);
    expect(contains(dynamic, address), `${address} is never handed to another container`).toBe(false);
    for (const [name, app] of appServices) {
      expect(app.networks, name).toContain(networkName);
      expect(app.networks, `${name} still reaches the other services`).toContain('default');
      const config = loadConfig({ ...ENV_DEFAULTS, ...resolved(app.environment) });
      expect(config.TRUST_PROXY, name).toEqual([address]);
    }
  });
});

describe('the image', () => {
  it('runs a supported Node LTS that package.json engines admits', () => {
    const [, major] = /^FROM node:(\d+)-bookworm-slim$/m.exec(dockerfile)!;
    expect(['22', '24']).toContain(major);
    const engines = JSON.parse(read('package.json')).engines.node as string;
    const ranges = engines.split('||').map((r) => r.trim());
    const admits = (version: string) => {
      const [a, b] = version.split('.').map(Number) as [number, number];
      return ranges.some((range) => {
        const [, op, x, y = '0'] = /^(\^|>=)(\d+)(?:\.(\d+))?/.exec(range)!;
        const [rx, ry] = [Number(x), Number(y)];
        return op === '^' ? a === rx && b >= ry : a > rx || (a === rx && b >= ry);
      });
    };
    expect(admits(`${major}.0`), `engines "${engines}" admits Node ${major}`).toBe(true);
    expect(admits(process.versions.node), `engines "${engines}" admits this machine's Node`).toBe(true);
    expect(deployment).toContain(engines);
  });

  it('depends on no private path inside tsx, only its public entry points', () => {
    const files = (dir: string): string[] =>
      readdirSync(`${root}${dir}`, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(`${dir}/${e.name}`) : e.name.endsWith('.ts') ? [`${dir}/${e.name}`] : [],
      );
    for (const file of [...files('src'), ...files('simulators')])
      expect(read(file), file).not.toMatch(/tsx\/dist|dist\/esm\/api/);
    expect(read('src/threads.ts')).toContain("'tsx/esm/api'");
    expect(dockerfile).not.toMatch(/tsx\/dist/);
  });

  it('leaves dependencies, data, secrets and results out of the build context', () => {
    for (const path of ['node_modules', 'data', '.git', 'test-results', 'bench/results', '.env'])
      expect(ignored(path), `.dockerignore: ${path}`).toBe(true);
    expect(ignored('.env.production')).toBe(true);
    expect(ignored('.env.example')).toBe(false);
    expect(ignored('src/main.ts')).toBe(false);
  });
});
