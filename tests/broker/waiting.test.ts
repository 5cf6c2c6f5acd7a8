// The broker thread's table of publishes waiting for their verdict: each verdict finds its publish
// once, in whatever order verdicts come, and one that never comes does not make the table grow.
import { describe, expect, it } from 'vitest';
import { WaitingTable } from '../../src/broker/waiting.ts';

describe('waiting publishes', () => {
  it('numbers entries in order and gives each back once', () => {
    const table = new WaitingTable<string>(4);
    const seqs = ['a', 'b', 'c'].map((e) => table.add(e));
    expect(seqs).toEqual([1, 2, 3]);
    expect(table.take(2)).toBe('b');
    expect(table.take(2)).toBeUndefined();
    expect(table.take(1)).toBe('a');
    expect(table.take(3)).toBe('c');
    expect(table.take(4)).toBeUndefined();
    expect(table.take(0)).toBeUndefined();
    expect(table.size).toBe(0);
  });

  it('keeps every entry while it grows past its first size, in any order of verdicts', () => {
    const table = new WaitingTable<number>(2);
    const held = new Map<number, number>();
    for (let i = 0; i < 5_000; i++) {
      held.set(table.add(i * 10), i * 10);
      // Settle about a third as they come, newest first, so the oldest stay behind the ring's start.
      if (i % 3 === 2) {
        const newest = Math.max(...held.keys());
        expect(table.take(newest)).toBe(held.get(newest));
        held.delete(newest);
      }
    }
    expect(table.size).toBe(held.size);
    for (const [seq, entry] of [...held].reverse()) expect(table.take(seq)).toBe(entry);
    expect(table.size).toBe(0);
  });

  it('moves an entry whose verdict never comes out of the ring, which stays at its largest size', () => {
    const table = new WaitingTable<string>(4, 16);
    const stuck = table.add('stuck');
    for (let i = 0; i < 10_000; i++) expect(table.take(table.add(`m${i}`))).toBe(`m${i}`);
    // Entries are settled as they come, so only the stuck one waits, wherever it now is.
    expect(table.size).toBe(1);
    const held: number[] = [];
    for (let i = 0; i < 40; i++) held.push(table.add(`late${i}`)); // more than the ring holds
    expect(table.size).toBe(41);
    expect(table.take(stuck)).toBe('stuck');
    for (const [i, seq] of held.entries()) expect(table.take(seq)).toBe(`late${i}`);
    expect(table.size).toBe(0);
  });
});
