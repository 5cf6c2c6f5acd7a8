// The waiting line behind the writer and the journal: order kept across compactions.
import { describe, expect, it } from 'vitest';
import { Fifo } from '../../src/ingest/fifo.ts';

describe('Fifo', () => {
  it('gives items back in the order they came, across its compactions', () => {
    const fifo = new Fifo<number>();
    const out: number[] = [];
    for (let i = 0; i < 5000; i++) {
      fifo.push(i);
      if (i % 3 === 0) out.push(fifo.shift()!);
    }
    expect(fifo.peek()).toBe(out.length);
    while (fifo.length > 0) out.push(fifo.shift()!);
    expect(out).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(fifo.shift()).toBeUndefined();
  });

  it('takes everything at once and is empty after', () => {
    const fifo = new Fifo<string>();
    for (const s of ['a', 'b', 'c']) fifo.push(s);
    fifo.shift();
    expect(fifo.takeAll()).toEqual(['b', 'c']);
    expect(fifo.length).toBe(0);
    fifo.push('d');
    expect(fifo.shift()).toBe('d');
  });
});
