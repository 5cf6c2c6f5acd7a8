// What Grafana does to a PostgreSQL panel query before the database sees it, for the macros and
// variable forms our dashboards use: template variables first (in the browser: a single value as is,
// a multi-value or "All" variable as a quoted, comma-separated list), then the backend's macros as
// its PostgreSQL plugin expands them with the datasource's TimescaleDB option off. Anything else is
// left in place, so a test sees it and fails instead of guessing.

export interface TemplateVariable {
  name: string;
  type: string;
  multi?: boolean;
  includeAll?: boolean;
}

const quote = (value: string) => `'${value.replace(/'/g, "''")}'`;

export function interpolateVariables(
  sql: string,
  variables: readonly TemplateVariable[],
  values: ReadonlyMap<string, readonly string[]>,
  interval = '1h',
): string {
  let out = sql.replace(/\$__interval\b|\$\{__interval\}/g, interval);
  for (const variable of variables) {
    const chosen = values.get(variable.name);
    if (!chosen) continue;
    const text =
      variable.multi || variable.includeAll
        ? chosen.map(quote).join(',')
        : (chosen[0] ?? '').replace(/'/g, "''");
    out = out.replace(
      new RegExp(`\\$\\{${variable.name}\\}|\\[\\[${variable.name}\\]\\]|\\$${variable.name}\\b`, 'g'),
      text,
    );
  }
  return out;
}

const units: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 };

function seconds(interval: string): number {
  const match = /^'?\s*(\d+)(s|m|h|d|w)\s*'?$/.exec(interval.trim());
  if (!match) throw new Error(`interval "${interval}" is not one Grafana's $__timeGroup takes`);
  return Number(match[1]) * units[match[2]!]!;
}

const rfc3339 = (d: Date) => `'${d.toISOString().replace(/\.\d{3}Z$/, 'Z')}'`;

export function expandMacros(sql: string, range: { from: Date; to: Date }): string {
  return sql
    .replace(
      /\$__timeFilter\(([^)]+)\)/g,
      (_, column: string) => `${column.trim()} BETWEEN ${rfc3339(range.from)} AND ${rfc3339(range.to)}`,
    )
    .replace(/\$__timeFrom\(\)/g, rfc3339(range.from))
    .replace(/\$__timeTo\(\)/g, rfc3339(range.to))
    .replace(
      /\$__timeGroup(Alias)?\(([^,)]+),([^,)]+)(?:,[^)]*)?\)/g,
      (_, alias, column: string, interval: string) => {
        const s = seconds(interval);
        return `floor(extract(epoch from ${column.trim()})/${s})*${s}${alias ? ' AS "time"' : ''}`;
      },
    );
}
