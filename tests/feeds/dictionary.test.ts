// The data dictionary the province relies on cannot drift from the code: every indicator, with its
// names and unit, is in docs/feeds.md, and the OpenAPI description documents the feeds with examples.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { indicators } from '../../src/feeds/indicators.ts';

const doc = readFileSync(new URL('../../docs/feeds.md', import.meta.url), 'utf8');

describe('the feeds data dictionary', () => {
  it.each(indicators.map((i) => [i.id, i] as const))(
    'describes %s in both languages with its unit',
    (_id, i) => {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${i.id}\` |`));
      expect(row, `docs/feeds.md has no table row for ${i.id}`).toBeDefined();
      expect(row).toContain(i.name.vi);
      expect(row).toContain(i.name.en);
      expect(row).toContain(i.group === 'key' ? 'key' : 'sector');
      if (i.unit) expect(row).toContain(i.unit);
      expect(doc).toContain(i.description.vi);
      expect(doc).toContain(i.description.en);
    },
  );

  it('marks every indicator as key or sector, and has both kinds', () => {
    expect(new Set(indicators.map((i) => i.group))).toEqual(new Set(['key', 'sector']));
    expect(new Set(indicators.map((i) => i.id)).size).toBe(indicators.length);
  });
});
