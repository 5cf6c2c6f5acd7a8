import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoTimeFormatter } from '../../src/live/isoTime.ts';

describe('live batch times', () => {
  it('writes each time as toISOString does, whatever came before it', () => {
    const iso = isoTimeFormatter();
    const near = Date.parse('2026-11-30T05:00:00Z');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: near - 3_000, max: near + 3_000 }), // a batch: the same few seconds again and again
          fc.integer({ min: -8_640_000_000_000_000, max: 8_640_000_000_000_000 }), // any Date, years ±270,000
          fc.constantFrom(0, -1, 999, 1000, 253_402_300_799_999, 253_402_300_800_000),
        ),
        (ms) => {
          expect(iso(ms)).toBe(new Date(ms).toISOString());
        },
      ),
      { numRuns: 5_000 },
    );
  });
});
