// The simulator's pattern for a profile without a hand-written model: a smooth random walk within the
// plausible ranges, so any profile an admin adds can be simulated from its data alone.
import { describe, expect, it } from 'vitest';
import { initialState, sample } from '../../simulators/models.ts';
import { createRandom } from '../../simulators/random.ts';
import type { KindDefinition } from '../../src/catalog/schema.ts';

const profile: KindDefinition = {
  kind: 'river-gauge',
  name: { vi: 'Trạm đo mực nước sông', en: 'River gauge' },
  description: { vi: 'Mực nước sông', en: 'River level' },
  reportingIntervalS: 300,
  metrics: {
    water_level_cm: { name: { vi: 'Mực nước', en: 'Level' }, unit: 'cm', type: 'number', min: 0, max: 1000 },
    ph: { name: { vi: 'pH', en: 'pH' }, unit: '', type: 'number', min: 4.5, max: 9.5 },
    pumped_m3: {
      name: { vi: 'Lượng nước bơm', en: 'Water pumped' },
      unit: 'm³',
      type: 'number',
      min: 0,
      max: 1e6,
      cumulative: true,
    },
    door_open: { name: { vi: 'Cửa mở', en: 'Door open' }, unit: '', type: 'flag', min: 0, max: 1 },
  },
};

describe('a profile without a model', () => {
  it('walks every metric within its range: numbers smoothly, counters only up, flags as 0 or 1', () => {
    const random = createRandom(42);
    const state = initialState(random, { lat: 11.3, lon: 106.1, city: 'tay-ninh', ward: 'phuong-tan-ninh' });
    const start = Date.parse('2026-03-01T00:00:00Z');
    let previous: Record<string, number> | undefined;
    for (let i = 0; i < 2_000; i++) {
      const metrics = sample('river-gauge', state, new Date(start + i * 300_000), 300, random, profile);
      expect(Object.keys(metrics).sort()).toEqual(Object.keys(profile.metrics).sort());
      for (const [name, value] of Object.entries(metrics)) {
        const { min, max } = profile.metrics[name]!;
        expect(value, name).toBeGreaterThanOrEqual(min);
        expect(value, name).toBeLessThanOrEqual(max);
      }
      expect([0, 1]).toContain(metrics.door_open);
      if (previous) {
        // Smooth: no reading jumps by more than a tenth of the range.
        expect(Math.abs(metrics.water_level_cm! - previous.water_level_cm!)).toBeLessThanOrEqual(100);
        expect(Math.abs(metrics.ph! - previous.ph!)).toBeLessThanOrEqual(0.5);
        expect(metrics.pumped_m3!).toBeGreaterThanOrEqual(previous.pumped_m3!);
      }
      previous = metrics;
    }
  });

  it('needs the profile for a kind it has no model of', () => {
    const random = createRandom(1);
    const state = initialState(random, { lat: 11.3, lon: 106.1, city: 'tay-ninh', ward: 'phuong-tan-ninh' });
    expect(() => sample('river-gauge', state, new Date(), 300, random)).toThrow(/give its profile/);
  });
});
