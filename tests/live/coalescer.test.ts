// The live coalescer on a clock the test moves: what a window's batch holds, when it goes out, and how
// the window widens under load and narrows back. No sockets and no waiting: each window is one step.
import { describe, expect, it } from 'vitest';
import type { ReadingEvent } from '../../src/events/bus.ts';
import {
  createCoalescer,
  type LiveClock,
  nextCoalesceMs,
  type PlaceBatch,
} from '../../src/live/coalescer.ts';
import { createLiveState } from '../../src/live/state.ts';
import { ReadingWire, readingWire } from '../../src/live/wire.ts';
import { createLogger } from '../../src/log.ts';

/** A clock whose time moves only when the test says, running the timers that fall due on the way. */
function manualClock(start = Date.parse('2026-11-29T08:00:00.000Z')) {
  let now = start;
  const timers = new Set<{ at: number; run: () => void }>();
  const clock: LiveClock & { advance(ms: number): void; timers(): number } = {
    now: () => now,
    setTimeout(run, ms) {
      const timer = { at: now + ms, run };
      timers.add(timer);
      return timer;
    },
    clearTimeout(timer) {
      timers.delete(timer as { at: number; run: () => void });
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const due = [...timers].filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers.delete(due);
        now = due.at;
        due.run();
      }
      now = until;
    },
    timers: () => timers.size,
  };
  return clock;
}

const place = { kind: 'noise', city: 'hoi-an', ward: 'phuong-hoi-an' } as const;
function reading(
  deviceId: string,
  at: number,
  metrics: Record<string, number>,
  extra: Partial<ReadingEvent> = {},
) {
  return {
    ...place,
    deviceId,
    ts: new Date(at),
    seq: undefined,
    metrics,
    late: false,
    receivedAt: new Date(at),
    ...extra,
  } as ReadingEvent;
}

function setup(options: { baseMs?: number; maxMs?: number; load?: () => number } = {}) {
  const clock = manualClock();
  const state = createLiveState();
  const sent: PlaceBatch[][] = [];
  const coalescer = createCoalescer({
    state,
    send: (batches) => sent.push(batches),
    baseMs: options.baseMs ?? 100,
    maxMs: options.maxMs ?? 100,
    clock,
    load: options.load ?? (() => 0),
    log: createLogger('silent'),
  });
  coalescer.start();
  /** Every entry sent so far, parsed as a console parses its batch. */
  const entries = () => sent.flat().flatMap((b) => JSON.parse(`[${b.text}]`) as unknown[]);
  return { clock, state, sent, coalescer, entries };
}

describe('live coalescer', () => {
  it("sends a device's readings of one window as one entry: the newest time, every metric", () => {
    const { clock, coalescer, sent, entries } = setup();
    const t = clock.now();
    coalescer.reading(reading('ha-ma-noise-1', t + 10, { laeq_db: 61 }));
    coalescer.reading(reading('ha-ma-noise-1', t + 30, { lamax_db: 80 }));
    coalescer.reading(reading('ha-ma-noise-1', t + 20, { laeq_db: 60 }));
    clock.advance(99);
    expect(sent).toEqual([]);
    expect(coalescer.pending()).toBe(1);
    clock.advance(1);
    expect(coalescer.pending()).toBe(0);
    expect(entries()).toEqual([
      readingWire('ha-ma-noise-1', new Date(t + 30), { laeq_db: 60, lamax_db: 80 }),
    ]);
    expect(ReadingWire.array().parse(entries())).toEqual(entries());
  });

  it("sends the first reading's metrics as ingest wrote them, byte for byte", () => {
    const { clock, coalescer, sent } = setup();
    const t = clock.now();
    coalescer.reading(reading('ha-ma-noise-1', t, { laeq_db: 61.5 }, { metricsJson: '{"laeq_db":61.50}' }));
    clock.advance(100);
    expect(sent[0]?.[0]?.text).toBe(
      `{"deviceId":"ha-ma-noise-1","ts":"${new Date(t).toISOString()}","metrics":{"laeq_db":61.50}}`,
    );
  });

  it('groups entries by place, and sends nothing for a window without readings', () => {
    const { clock, coalescer, sent, entries } = setup();
    const t = clock.now();
    coalescer.reading(reading('ha-ma-noise-1', t, { laeq_db: 61 }));
    coalescer.reading(reading('ha-ma-noise-2', t, { laeq_db: 62 }));
    coalescer.reading(reading('ha-cp-noise-1', t, { laeq_db: 63 }, { ward: 'phuong-hoi-an-dong' }));
    clock.advance(100);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.map((b) => [b.place.ward, (JSON.parse(`[${b.text}]`) as unknown[]).length])).toEqual([
      ['phuong-hoi-an', 2],
      ['phuong-hoi-an-dong', 1],
    ]);
    clock.advance(1_000);
    expect(sent).toHaveLength(1);
    expect(entries()).toHaveLength(3);
  });

  it('takes a late reading into the device state only, and a moved device under its newest place', () => {
    const { clock, coalescer, state, sent } = setup();
    state.upsertDevice({
      id: 'ha-ma-noise-1',
      name: 'Tiếng ồn',
      lat: 15.87,
      lon: 108.33,
      online: true,
      ...place,
    });
    const t = clock.now();
    coalescer.reading(reading('ha-ma-noise-1', t - 3_600_000, { lamax_db: 70 }, { late: true }));
    clock.advance(100);
    expect(sent).toEqual([]);
    expect(state.get('ha-ma-noise-1')?.metrics).toEqual({ lamax_db: 70 });

    coalescer.reading(reading('ha-ma-noise-1', t + 100, { laeq_db: 61 }));
    coalescer.reading(reading('ha-ma-noise-1', t + 150, { laeq_db: 64 }, { ward: 'phuong-hoi-an-dong' }));
    clock.advance(100);
    expect(sent[0]!.map((b) => b.place.ward)).toEqual(['phuong-hoi-an-dong']);
    expect(state.get('ha-ma-noise-1')?.metrics).toEqual({ lamax_db: 70, laeq_db: 64 });
  });

  it('widens the window while the event loop is saturated, up to the widest, and narrows it back', () => {
    const loads = [0.95, 0.95, 0.95, 0.75, 0.3, 0.3, 0.3];
    const { clock, coalescer } = setup({ baseMs: 100, maxMs: 400, load: () => loads.shift() ?? 0 });
    const windows: number[] = [];
    for (let i = 0; i < 7; i++) {
      clock.advance(coalescer.windowMs());
      windows.push(coalescer.windowMs());
    }
    expect(windows).toEqual([200, 400, 400, 400, 200, 100, 100]);
  });

  it('stops its timer on stop', () => {
    const { clock, coalescer } = setup();
    expect(clock.timers()).toBe(1);
    coalescer.stop();
    expect(clock.timers()).toBe(0);
  });
});

describe('nextCoalesceMs', () => {
  it('doubles after a saturated window up to the widest, halves after an idle one down to the usual', () => {
    expect(nextCoalesceMs(250, 0.95, 250, 1_000)).toBe(500);
    expect(nextCoalesceMs(500, 1, 250, 1_000)).toBe(1_000);
    expect(nextCoalesceMs(1_000, 1, 250, 1_000)).toBe(1_000);
    expect(nextCoalesceMs(1_000, 0.3, 250, 1_000)).toBe(500);
    expect(nextCoalesceMs(300, 0.1, 250, 1_000)).toBe(250);
    // Between busy and idle it holds, so it does not flap at the edge.
    expect(nextCoalesceMs(500, 0.75, 250, 1_000)).toBe(500);
    // With the widest window equal to the usual one it never moves.
    expect(nextCoalesceMs(250, 1, 250, 250)).toBe(250);
  });
});
