// The signal models over simulated days, without a broker: what a city engineer would call plausible.
import { describe, expect, it } from 'vitest';
import { fleetPlaces } from '../../simulators/fleet.ts';
import { initialState, localHour, passedDaily, sample } from '../../simulators/models.ts';
import { createRandom, hashString } from '../../simulators/random.ts';
import { loadCatalog } from '../../src/catalog/index.ts';
import type { KindName } from '../../src/catalog/schema.ts';
import { isDark } from '../../src/standards/index.ts';

const catalog = loadCatalog();
const places = fleetPlaces(catalog);
const start = Date.parse('2026-03-01T00:00:00+07:00');

/** Samples every device of `kind` in a city over `days`, at the kind's reporting interval. */
function simulate(kind: KindName, city: string, days: number, limit = 20, seed = 1) {
  const intervalS = catalog.kind(kind).reportingIntervalS;
  const devices = catalog.fleets
    .get(city as never)!
    .devices.filter((d) => d.kind === kind)
    .slice(0, limit);
  return devices.map((d) => {
    const random = createRandom(hashString(d.id) ^ seed);
    const state = initialState(random, places.get(d.id)!);
    const readings: Array<{ at: Date; metrics: Record<string, number> }> = [];
    for (let t = start; t < start + days * 86_400_000; t += intervalS * 1000) {
      readings.push({ at: new Date(t), metrics: sample(kind, state, new Date(t), intervalS, random) });
    }
    return { device: d, state, readings };
  });
}

describe('simulated signals are plausible', () => {
  it('every value of every kind stays within the catalog range', () => {
    const outside: string[] = [];
    for (const kind of catalog.kinds.keys()) {
      const { metrics } = catalog.kind(kind);
      const names = Object.keys(metrics).sort().join();
      for (const { readings } of simulate(kind, 'tay-ninh', 2, 5)) {
        for (const { metrics: values } of readings) {
          if (Object.keys(values).sort().join() !== names) outside.push(`${kind}: ${Object.keys(values)}`);
          for (const [metric, value] of Object.entries(values)) {
            const { min, max } = metrics[metric]!;
            if (!(value >= min && value <= max)) outside.push(`${kind}.${metric} = ${value}`);
          }
        }
      }
    }
    expect(outside).toEqual([]);
  });

  it('lamps burn only when it is dark at their pole, dimmed after midnight', () => {
    for (const { device, readings } of simulate('streetlight', 'hoi-an', 2)) {
      for (const { at, metrics } of readings) {
        expect(metrics.lamp_on, `${device.id} at ${at.toISOString()}`).toBe(
          isDark(at, device.lat, device.lon) ? 1 : 0,
        );
        if (metrics.lamp_on === 1) expect(metrics.dim_pct).toBe(localHour(at) < 5 ? 60 : 100);
      }
    }
  });

  it('PM2.5 peaks at the rush hours and is lowest at night', () => {
    const byHour = new Array<number[]>(24).fill([]).map(() => [] as number[]);
    for (const { readings } of simulate('environment', 'tay-ninh', 3)) {
      for (const { at, metrics } of readings) byHour[Math.floor(localHour(at))]!.push(metrics.pm25!);
    }
    const mean = (h: number) => byHour[h]!.reduce((a, b) => a + b, 0) / byHour[h]!.length;
    expect(mean(7)).toBeGreaterThan(mean(3) + 10);
    expect(mean(18)).toBeGreaterThan(mean(13) + 10);
  });

  it('a bin only fills between collection rounds, and the round empties it', () => {
    for (const { readings, state } of simulate('waste', 'hoi-an', 3)) {
      let collections = 0;
      for (let i = 1; i < readings.length; i++) {
        const before = readings[i - 1]!;
        const now = readings[i]!;
        if (passedDaily(before.at.getTime(), now.at.getTime(), state.collectionMinute)) {
          collections++;
          expect(now.metrics.fill_pct).toBeLessThanOrEqual(5);
        } else {
          expect(now.metrics.fill_pct).toBeGreaterThanOrEqual(before.metrics.fill_pct!);
        }
      }
      expect(collections).toBe(3);
    }
  });

  it('the same seed replays the same values, another seed does not', () => {
    const a = simulate('noise', 'hoi-an', 0.1, 3, 7).map((d) => d.readings.map((r) => r.metrics));
    const b = simulate('noise', 'hoi-an', 0.1, 3, 7).map((d) => d.readings.map((r) => r.metrics));
    const c = simulate('noise', 'hoi-an', 0.1, 3, 8).map((d) => d.readings.map((r) => r.metrics));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });
});
