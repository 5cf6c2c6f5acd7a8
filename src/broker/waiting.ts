// The publishes the broker's thread holds until the app's verdict, by sequence number. Numbers are
// handed out in order and most verdicts come back nearly in order, so the entries sit in a ring of
// slots indexed by number, from the oldest still waiting: an array store and load per publish where
// a Map of tens of thousands of entries cost the thread a twentieth of its time (bench profile,
// docs/decisions/0016-broker-fast-path.md).
//
// One verdict that is slow to come (a message held back by the rate limit, say) keeps the ring as
// long as every number handed out since; it grows up to `maxSlots`, and past that the oldest entries
// move to a Map, so a verdict that never comes costs one entry, not a ring that grows for good.

export class WaitingTable<T> {
  private slots: Array<T | undefined>;
  private mask: number;
  /** The number of the oldest slot still in the ring; every number below it is settled or spilled. */
  private base = 1;
  private next = 1;
  private count = 0;
  private readonly spilled = new Map<number, T>();

  constructor(
    initialSlots = 1024,
    private readonly maxSlots = 1 << 20,
  ) {
    const size = 2 ** Math.ceil(Math.log2(Math.max(2, initialSlots)));
    this.slots = new Array<T | undefined>(size).fill(undefined);
    this.mask = size - 1;
  }

  /** Entries waiting. */
  get size(): number {
    return this.count + this.spilled.size;
  }

  /** Keeps the entry; returns its number (1, 2, 3…). */
  add(entry: T): number {
    if (this.next - this.base > this.mask) this.makeRoom();
    const seq = this.next++;
    this.slots[seq & this.mask] = entry;
    this.count++;
    return seq;
  }

  /** The entry of this number, no longer kept; undefined when it is not waiting. */
  take(seq: number): T | undefined {
    if (seq < this.base) {
      const entry = this.spilled.get(seq);
      if (entry !== undefined) this.spilled.delete(seq);
      return entry;
    }
    if (seq >= this.next) return undefined;
    const i = seq & this.mask;
    const entry = this.slots[i];
    if (entry === undefined) return undefined;
    this.slots[i] = undefined;
    this.count--;
    if (seq === this.base) {
      do this.base++;
      while (this.base < this.next && this.slots[this.base & this.mask] === undefined);
    }
    return entry;
  }

  private makeRoom() {
    const size = this.slots.length;
    if (size < this.maxSlots) {
      const slots = new Array<T | undefined>(size * 2).fill(undefined);
      const mask = size * 2 - 1;
      for (let seq = this.base; seq < this.next; seq++) slots[seq & mask] = this.slots[seq & this.mask];
      this.slots = slots;
      this.mask = mask;
      return;
    }
    // Full at its largest: the oldest entry moves out, and with it the ring's start.
    do {
      const i = this.base & this.mask;
      const entry = this.slots[i];
      if (entry !== undefined) {
        this.spilled.set(this.base, entry);
        this.slots[i] = undefined;
        this.count--;
      }
      this.base++;
    } while (this.base < this.next && this.slots[this.base & this.mask] === undefined);
  }
}
