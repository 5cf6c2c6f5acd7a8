// The Grafana dashboards cannot silently rot: every SQL query of every dashboard (panels and template
// variables) is expanded the way Grafana expands it and run, read-only, against a migrated database
// with a few rows in every table it reads; PromQL names only metrics the app registers; the
// provisioning files parse and point at files that exist.
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { indicators } from '../../src/feeds/indicators.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics/index.ts';
import { migrate } from '../../src/storage/migrate.ts';
import { createPool, type Pool } from '../../src/storage/pool.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { expandMacros, interpolateVariables, type TemplateVariable } from './grafanaMacros.ts';

const root = new URL('../../', import.meta.url).pathname;
const grafana = `${root}dashboards/grafana/`;

interface Target {
  refId: string;
  datasource?: { type: string; uid: string };
  rawSql?: string;
  format?: 'table' | 'time_series';
  expr?: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: {
    list: (TemplateVariable & {
      query: string;
      datasource: { uid: string };
      current?: { value: string | string[] };
    })[];
  };
}

const datasources = (
  parse(readFileSync(`${grafana}provisioning/datasources/ioc.yaml`, 'utf8')) as {
    datasources: { name: string; uid: string; type: string; jsonData?: Record<string, unknown> }[];
  }
).datasources;
const postgres = datasources.find((d) => d.type === 'grafana-postgresql-datasource')!;
const dashboardFiles = readdirSync(`${grafana}dashboards`).filter((f) => f.endsWith('.json'));
const dashboards = dashboardFiles.map(
  (file) => [file, JSON.parse(readFileSync(`${grafana}dashboards/${file}`, 'utf8')) as Dashboard] as const,
);
const panelsOf = (panels: Panel[]): Panel[] => panels.flatMap((p) => [p, ...panelsOf(p.panels ?? [])]);

interface Query {
  where: string;
  sql: string;
  format: 'table' | 'time_series';
}
const sqlQueries: Query[] = dashboards.flatMap(([file, d]) => [
  ...d.templating.list
    .filter((v) => v.type === 'query')
    .map((v) => ({ where: `${file} variable $${v.name}`, sql: v.query, format: 'table' as const })),
  ...panelsOf(d.panels).flatMap((p) =>
    (p.targets ?? [])
      .filter((t) => (t.datasource ?? p.datasource)?.uid === postgres.uid)
      .map((t) => ({
        where: `${file} "${p.title}" ${t.refId}`,
        sql: t.rawSql ?? '',
        format: t.format ?? 'table',
      })),
  ),
]);

// Time range of the substituted queries: the last week, as the dashboards open.
const to = new Date(Date.now() + 3_600_000);
const from = new Date(to.getTime() - 8 * 86_400_000);

let database: TestDatabase;
let pool: Pool;

/** Grafana's order: template variables (and $__interval) in the browser, then the backend's macros. */
async function expand(dashboard: Dashboard, sql: string): Promise<string> {
  const values = new Map<string, string[]>();
  for (const variable of dashboard.templating.list) {
    const query = expandMacros(interpolateVariables(variable.query, dashboard.templating.list, values), {
      from,
      to,
    });
    const { rows } = await pool.query<Record<string, string>>(query);
    const options = rows.map((r) => Object.values(r)[0]!);
    // As the dashboard opens: its saved choice ("All" is every option), else the first option.
    const saved = [variable.current?.value ?? []].flat();
    const chosen = saved.includes('$__all') ? options : options.filter((o) => saved.includes(o));
    values.set(variable.name, chosen.length > 0 ? chosen : options.slice(0, 1));
  }
  return expandMacros(interpolateVariables(sql, dashboard.templating.list, values, '1h'), { from, to });
}

beforeAll(async () => {
  database = await createTestDatabase();
  pool = createPool(database.url);
  await migrate(pool, createLogger('silent'));
  await pool.query(`
    INSERT INTO devices (id, kind, city, ward, lat, lon, zone, name, secret_hash, online, created_at) VALUES
      ('tn-p1-env-0001', 'environment', 'tay-ninh', 'phuong-tan-ninh', 11.31, 106.1, NULL, 'env', 'x', true, now() - interval '30 days'),
      ('tn-p1-noise-0001', 'noise', 'tay-ninh', 'phuong-tan-ninh', 11.31, 106.1, 'special', 'noise', 'x', false, now() - interval '30 days'),
      ('tn-p1-sl-0001', 'streetlight', 'tay-ninh', 'phuong-tan-ninh', 11.31, 106.1, NULL, 'lamp', 'x', true, now() - interval '30 days'),
      ('tn-p2-sl-0001', 'streetlight', 'tay-ninh', 'phuong-binh-minh', 11.38, 106.13, NULL, 'lamp', 'x', NULL, now() - interval '30 days'),
      ('ha-ma-env-0001', 'environment', 'hoi-an', 'phuong-hoi-an', 15.88, 108.33, NULL, 'env', 'x', true, now() - interval '30 days');
    INSERT INTO device_latest (device_id, metric, time, value) VALUES
      ('tn-p1-env-0001', 'pm25', now() - interval '1 minute', 41.2),
      ('tn-p1-noise-0001', 'laeq_db', now() - interval '1 minute', 63.5),
      ('tn-p1-sl-0001', 'lamp_on', now() - interval '1 minute', 1),
      ('tn-p1-sl-0001', 'power_w', now() - interval '1 minute', 96),
      ('tn-p2-sl-0001', 'lamp_on', now() - interval '2 hours', 0);
    INSERT INTO telemetry_hourly (device_id, metric, hour, count, sum, min, max)
    SELECT d, m, date_bin('1 hour', now(), '2000-01-03') - h * interval '1 hour', 60, 3000, 40, 70
    FROM (VALUES ('tn-p1-env-0001', 'pm25'), ('tn-p1-noise-0001', 'laeq_db'), ('tn-p1-sl-0001', 'energy_kwh')) s(d, m),
         generate_series(0, 5) h;
    INSERT INTO alert_rules (name, type, metric, comparison, threshold, severity, message_vi, message_en)
      VALUES ('PM2.5', 'threshold', 'pm25', '>', 35, 'warning', 'Bụi', 'Dust');
    INSERT INTO alerts (rule_id, device_id, kind, city, ward, severity, state, message_vi, message_en, opened_at, last_seen_at)
    SELECT 1, d, 'environment', 'tay-ninh', 'phuong-tan-ninh', s, st, 'Bụi', 'Dust', now() - interval '1 hour', now()
    FROM (VALUES ('tn-p1-env-0001', 'critical', 'open'), ('tn-p1-noise-0001', 'warning', 'acknowledged'),
                 ('tn-p1-sl-0001', 'info', 'resolved')) v(d, s, st);
    INSERT INTO dead_letters (received_at, device_id, topic, reason, message, payload, payload_bytes) VALUES
      (now() - interval '10 minutes', 'tn-p1-env-0001', 'ioc/tay-ninh/environment/tn-p1-env-0001/telemetry', 'VALIDATION_FAILED', 'pm25 out of range', 'x', 1),
      (now() - interval '2 hours', NULL, 'ioc/nowhere', 'UNKNOWN_TOPIC', 'unknown topic', NULL, 0);
    INSERT INTO device_events (time, device_id, type) VALUES (now() - interval '3 hours', 'tn-p1-sl-0001', 'lamp_fault');
    INSERT INTO rollup_dirty (hour) VALUES (date_bin('1 hour', now(), '2000-01-03'));
    INSERT INTO feed_publications (scope, start) VALUES ('hour', date_bin('1 hour', now(), '2000-01-03') - interval '2 hours');
  `);
  // Components of every indicator the refresher stores, per ward and for the whole city ('').
  const stored = indicators.filter((i) => i.source === 'rollup');
  const rows = stored.flatMap((i) =>
    (i.dimension?.values ?? (i.dimension ? ['environment', 'streetlight'] : [''])).map(
      (dim) => [i, dim] as const,
    ),
  );
  const names = rows.map(([i]) => i.id);
  const dims = rows.map(([, dim]) => dim);
  const hourly = rows.map(([i]) => !i.dailyOnly);
  await pool.query(
    `INSERT INTO indicator_hourly (city, ward, hour, indicator, dim, sum, count, max)
     SELECT 'tay-ninh', w, date_bin('1 hour', now(), '2000-01-03') - h * interval '1 hour', i, d, 30, 2, 20
     FROM unnest($1::text[], $2::text[], $3::boolean[]) AS s(i, d, hourly),
          unnest(ARRAY['', 'phuong-tan-ninh', 'phuong-binh-minh']) AS w, generate_series(0, 5) AS h
     WHERE hourly`,
    [names, dims, hourly],
  );
  await pool.query(
    `INSERT INTO indicator_daily (city, ward, day, indicator, dim, sum, count, max)
     SELECT 'tay-ninh', w, (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date - n, i, d, 120, 2, 80
     FROM unnest($1::text[], $2::text[]) AS s(i, d),
          unnest(ARRAY['', 'phuong-tan-ninh', 'phuong-binh-minh']) AS w, generate_series(0, 2) AS n`,
    [names, dims],
  );
});

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

describe('Grafana provisioning', () => {
  it('declares the datasources the dashboards use, with fixed uids', () => {
    expect(postgres).toMatchObject({ name: 'IOC PostgreSQL', uid: 'ioc-postgres' });
    expect(datasources.map((d) => d.uid)).toEqual([...new Set(datasources.map((d) => d.uid))]);
    // The expansion below is Grafana's plain one; with this on, $__timeGroup would become time_bucket.
    expect(postgres.jsonData?.timescaledb).toBe(false);
    const uids = new Set(datasources.map((d) => d.uid));
    for (const [file, d] of dashboards) {
      for (const p of panelsOf(d.panels).filter((p) => p.type !== 'row')) {
        for (const source of [p.datasource, ...(p.targets ?? []).map((t) => t.datasource)]) {
          expect(uids.has(source?.uid ?? ''), `${file} "${p.title}"`).toBe(true);
        }
      }
    }
  });

  it('loads the dashboards from the folder docker-compose mounts, where every dashboard is', () => {
    const provider = (
      parse(readFileSync(`${grafana}provisioning/dashboards/ioc.yaml`, 'utf8')) as {
        providers: { type: string; options: { path: string } }[];
      }
    ).providers[0]!;
    expect(provider.type).toBe('file');
    const compose = parse(readFileSync(`${root}docker-compose.yml`, 'utf8'), { merge: true }) as {
      services: Record<string, { volumes?: string[] }>;
    };
    const mounts = (compose.services.grafana?.volumes ?? []).map((v) => v.split(':'));
    expect(mounts).toContainEqual(['./dashboards/grafana/provisioning', '/etc/grafana/provisioning', 'ro']);
    expect(mounts).toContainEqual(['./dashboards/grafana/dashboards', provider.options.path, 'ro']);
    expect(dashboardFiles.sort()).toEqual([
      'city-overview.json',
      'environment-noise.json',
      'streetlights.json',
      'system-health.json',
    ]);
  });

  it('gives every dashboard its own uid, and city and ward variables where it filters by place', () => {
    const uids = dashboards.map(([, d]) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const [file, d] of dashboards) {
      const usesPlace = JSON.stringify(d.panels).includes('$city');
      if (usesPlace)
        expect(
          d.templating.list.map((v) => v.name),
          file,
        ).toContain('city');
      if (JSON.stringify(d.panels).includes('$ward')) {
        const ward = d.templating.list.find((v) => v.name === 'ward');
        expect(ward, file).toMatchObject({ multi: true, includeAll: true });
      }
    }
  });
});

describe('dashboard queries', () => {
  it('finds SQL in every dashboard that reads the database', () => {
    expect(sqlQueries.length).toBeGreaterThan(30);
    for (const q of sqlQueries) expect(q.sql.trim(), q.where).not.toBe('');
  });

  it('reads only indicators the refresher stores, daily-only ones from the daily table', () => {
    const byId = new Map(indicators.map((i) => [i.id, i]));
    for (const { where, sql } of sqlQueries) {
      const named = [...sql.matchAll(/indicator\s*(?:=\s*'(\w+)'|IN\s*\(([^)]*)\))/g)].flatMap(
        ([, one, list]) => (one ? [one] : [...list!.matchAll(/'(\w+)'/g)].map((m) => m[1]!)),
      );
      for (const id of named) {
        const definition = byId.get(id);
        expect(definition, `${where}: ${id}`).toBeDefined();
        expect(definition?.source, `${where}: ${id} is computed at read time, not stored`).toBe('rollup');
        if (definition?.dailyOnly)
          expect(sql, `${where}: ${id} has no hourly value`).not.toMatch(/indicator_hourly/);
      }
    }
  });

  it.each(sqlQueries.map((q) => [q.where, q] as const))('%s runs and returns rows', async (_where, query) => {
    const [, dashboard] = dashboards.find(([file]) => query.where.startsWith(file))!;
    const sql = await expand(dashboard, query.sql);
    expect(sql, 'every macro and variable expanded').not.toMatch(/\$\w|\[\[/);
    const client = await pool.connect();
    try {
      // Grafana's role is read-only (deploy/timescaledb/grafana-reader.sh): so is this transaction.
      await client.query('BEGIN READ ONLY');
      const result = await client.query(sql);
      expect(result.rows.length, 'the fixture rows should show up').toBeGreaterThan(0);
      if (query.format === 'time_series') {
        expect(result.fields.map((f) => f.name)).toContain('time');
      }
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});

describe('Prometheus panels', () => {
  it('name only metrics the app registers', async () => {
    const registered = new Set(
      (await createMetrics().registry.getMetricsAsJSON()).flatMap((m) =>
        String(m.type) === 'histogram' ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name],
      ),
    );
    const expressions = dashboards.flatMap(([, d]) =>
      panelsOf(d.panels).flatMap((p) => (p.targets ?? []).flatMap((t) => (t.expr ? [t.expr] : []))),
    );
    expect(expressions.length).toBeGreaterThan(5);
    for (const expr of expressions) {
      for (const [name] of expr.matchAll(/\bioc_\w+/g))
        expect(registered.has(name), `${expr}: ${name}`).toBe(true);
    }
    const targets = (
      parse(readFileSync(`${root}deploy/prometheus/prometheus.yml`, 'utf8')) as {
        scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
      }
    ).scrape_configs;
    expect(expressions.filter((e) => e.includes('job=')).join()).toContain(`job="${targets[0]!.job_name}"`);
  });

  it('alert on the IOC itself with rules that name only metrics the app registers', async () => {
    const registered = new Set((await createMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
    const config = parse(readFileSync(`${root}deploy/prometheus/prometheus.yml`, 'utf8')) as {
      rule_files: string[];
    };
    expect(config.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
    const rules = (
      parse(readFileSync(`${root}deploy/prometheus/alerts.yml`, 'utf8')) as {
        groups: { rules: { alert: string; expr: string; annotations: { summary: string } }[] }[];
      }
    ).groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining(['IocJournalFull', 'IocIngestOnJournal']),
    );
    for (const rule of rules) {
      for (const [name] of rule.expr.matchAll(/\bioc_\w+/g))
        expect(registered.has(name), `${rule.alert}: ${name}`).toBe(true);
      expect(rule.annotations.summary, rule.alert).toMatch(/ \/ /); // Vietnamese / English
    }
  });
});
