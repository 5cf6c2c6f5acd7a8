// No untranslated console text: every key of the string tables has a Vietnamese and an English text,
// every key the console asks for exists, and every error code the server can answer has words for a
// person in both languages.
import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { errorStatus } from '../../src/errors.ts';

type Texts = Record<string, string>;
const folder = new URL('../../dashboards/console/', import.meta.url);
// The browser's own modules, loaded as they are served (plain JavaScript, no types).
const load = (file: string) => import(new URL(file, folder).href);
type Table = { vi: Texts; en: Texts };

/** Every file of the console, its subfolders too (the admin pages live in admin/). */
async function consoleFiles(): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true });
  return entries.filter((file) => /\.(js|html)$/.test(file)).sort();
}

// The main table and each page's own (<name>.strings.js), merged as the console merges them.
const tables: [string, Table][] = [];
for (const file of await consoleFiles())
  if (file === 'strings.js' || file.endsWith('.strings.js'))
    tables.push([file, ((await load(file)) as { strings: Table }).strings]);
const strings: Table = { vi: {}, en: {} };
for (const [, table] of tables) {
  Object.assign(strings.vi, table.vi);
  Object.assign(strings.en, table.en);
}
const { errorTexts } = (await load('errors.js')) as {
  errorTexts: Record<string, { vi: string; en: string }>;
};

/** Keys read with t('key') in the modules and data-text="key" in the page, and the ones built from data. */
async function keysUsed(): Promise<Set<string>> {
  const used = new Set<string>();
  for (const file of await consoleFiles()) {
    const text = await readFile(new URL(file, folder), 'utf8');
    for (const m of text.matchAll(/\bt\('([A-Za-z0-9_]+)'\)/g)) used.add(m[1]!);
    for (const m of text.matchAll(/data-text="([A-Za-z0-9_]+)"/g)) used.add(m[1]!);
    for (const m of text.matchAll(/data-label="([A-Za-z0-9_]+)"/g)) used.add(m[1]!);
  }
  // t(alert.severity), t(alert.state), t(command.state), t(`range${r}`), t(look) on the map.
  for (const key of ['critical', 'warning', 'info', 'open', 'acknowledged', 'resolved']) used.add(key);
  for (const key of ['pending', 'succeeded', 'failed', 'timed_out', 'offline']) used.add(key);
  for (const key of ['range6h', 'range24h', 'range7d', 'range30d']) used.add(key);
  return used;
}

describe('console texts', () => {
  it('has every key in Vietnamese and in English, none empty, none in two tables', () => {
    for (const [file, table] of tables)
      expect(Object.keys(table.en).sort(), file).toEqual(Object.keys(table.vi).sort());
    const owners = new Map<string, string>();
    for (const [file, table] of tables)
      for (const key of Object.keys(table.vi)) {
        expect(owners.get(key), `${key} is in ${owners.get(key)} and ${file}`).toBeUndefined();
        owners.set(key, file);
      }
    for (const lang of ['vi', 'en'] as const)
      for (const [key, text] of Object.entries(strings[lang]))
        expect(text.trim(), `${lang}.${key}`).not.toBe('');
  });

  it('defines every key the console uses', async () => {
    const missing = [...(await keysUsed())].filter((key) => !(key in strings.vi));
    expect(missing).toEqual([]);
  });

  it('translates every error code of the server for a person, in both languages', () => {
    for (const code of Object.keys(errorStatus)) {
      expect(errorTexts, code).toHaveProperty(code);
      const texts = errorTexts[code]!;
      expect(texts.vi.trim()).not.toBe('');
      expect(texts.en.trim()).not.toBe('');
      expect(texts.vi).not.toBe(texts.en);
    }
  });
});
