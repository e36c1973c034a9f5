// A first-in, first-out queue whose `shift` costs the same however long the queue is. `Array#shift` moves every
// element once an array is large (V8 trims the start of an array in place only while it is small), so draining a
// queue of a few hundred thousand entries with it takes quadratic time: a producer whose caller sent far faster
// than the broker acknowledged stalled for minutes working through its waiting sends.
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The oldest entry, left in place; undefined when empty. */
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      // Amortized: the live half is copied once for every as many shifts.
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
