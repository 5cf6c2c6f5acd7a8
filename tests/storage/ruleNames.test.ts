// Migration 029 on a database whose shipped rules still carry the English names they came with: each
// gets its Vietnamese name with the English alongside, as a fresh install seeds them; a default an
// admin renamed keeps the admin's name, and a rule of the admin's own is not touched.
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDefaultRules } from '../../src/alerts/rules.ts';
import { createLogger } from '../../src/log.ts';
import { createAlertQueries } from '../../src/storage/alerts.ts';
import { defaultMigrationsDir, migrate } from '../../src/storage/migrate.ts';
import { createPool, type Pool } from '../../src/storage/pool.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

const log = createLogger('silent');
let database: TestDatabase;
let pool: Pool;
const before029 = mkdtempSync(join(tmpdir(), 'ioc-migrations-'));
const shipped = loadDefaultRules();
const englishOf = (name: string) => name.split(' / ')[1]!;

beforeAll(async () => {
  for (const file of readdirSync(defaultMigrationsDir).filter((f) => f.endsWith('.sql') && f < '029'))
    cpSync(join(defaultMigrationsDir, file), join(before029, file));
  database = await createTestDatabase();
  pool = createPool(database.url);
  await migrate(pool, log, before029);
  // As an install seeded them before: the English names only.
  await createAlertQueries(pool).seedRules(shipped.map((r) => ({ ...r, name: englishOf(r.name) })));
  await pool.query("UPDATE alert_rules SET name = 'Khói – Phố cổ' WHERE default_key = 'fire-smoke'");
  await createAlertQueries(pool).seedRules([
    { ...shipped.find((r) => r.key === 'flood')!, key: undefined, name: 'Flood at the market' },
  ]);
  expect(await migrate(pool, log)).toContain('029_rule_names_bilingual');
}, 60_000);
afterAll(async () => {
  await pool.end();
  await database.drop();
  rmSync(before029, { recursive: true, force: true });
});

describe('shipped rule names', () => {
  it('are Vietnamese with the English alongside, in the shipped file', () => {
    for (const rule of shipped) expect(rule.name, rule.key).toMatch(/^[^/]+ \/ [^/]+$/);
    expect(shipped.find((r) => r.key === 'fire-alarm')?.name).toBe('Báo cháy / Fire alarm');
  });

  it('are given to the defaults an install still has under their English names, and to no other rule', async () => {
    const { rows } = await pool.query<{ key: string | null; name: string }>(
      'SELECT default_key AS key, name FROM alert_rules ORDER BY id',
    );
    for (const rule of shipped) {
      const stored = rows.find((r) => r.key === rule.key)!;
      expect(stored.name, rule.key).toBe(rule.key === 'fire-smoke' ? 'Khói – Phố cổ' : rule.name);
    }
    expect(rows.find((r) => r.key === null)?.name).toBe('Flood at the market');
  });
});
