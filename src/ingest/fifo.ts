// A first-in first-out queue whose shift is O(1) at any length. Array.prototype.shift moves every
// element once an array is too large for V8 to trim in place: with 40,000 QoS 1 publishes waiting for
// room in the writer, waking them one by one cost more than a quarter of the process's time (bench).
export class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The first item, removed; undefined when empty. */
  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head]!;
    this.items[this.head] = undefined as T; // not kept alive by the queue
    this.head++;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  /** Every item, in order, leaving the queue empty. */
  takeAll(): T[] {
    const all = this.head === 0 ? this.items : this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return all;
  }
}
