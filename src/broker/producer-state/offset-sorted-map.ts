// A small map from offset to value kept in offset order (the role of Kafka's TreeMap for ongoing and
// unreplicated transactions): the first entry gives the first unstable offset, iteration is in offset order.
// Open transactions per partition are few, so a sorted array with binary search is enough.

export class OffsetSortedMap<V> {
  private keys: bigint[] = [];
  private vals: V[] = [];

  get size(): number {
    return this.keys.length;
  }

  get(offset: bigint): V | undefined {
    const at = this.search(offset);
    return at >= 0 ? this.vals[at] : undefined;
  }

  set(offset: bigint, value: V): void {
    const at = this.search(offset);
    if (at >= 0) {
      this.vals[at] = value;
      return;
    }
    const insertAt = -at - 1;
    this.keys.splice(insertAt, 0, offset);
    this.vals.splice(insertAt, 0, value);
  }

  delete(offset: bigint): V | undefined {
    const at = this.search(offset);
    if (at < 0) return undefined;
    const [value] = this.vals.splice(at, 1);
    this.keys.splice(at, 1);
    return value;
  }

  /** The entry with the lowest offset. */
  first(): [bigint, V] | undefined {
    return this.keys.length === 0 ? undefined : [this.keys[0], this.vals[0]];
  }

  clear(): void {
    this.keys = [];
    this.vals = [];
  }

  /** Removes every entry for which `predicate` holds. */
  deleteWhere(predicate: (value: V, offset: bigint) => boolean): void {
    const keys: bigint[] = [];
    const vals: V[] = [];
    for (let i = 0; i < this.keys.length; i++) {
      if (predicate(this.vals[i], this.keys[i])) continue;
      keys.push(this.keys[i]);
      vals.push(this.vals[i]);
    }
    this.keys = keys;
    this.vals = vals;
  }

  *entries(): Generator<[bigint, V]> {
    for (let i = 0; i < this.keys.length; i++) yield [this.keys[i], this.vals[i]];
  }

  *values(): Generator<V> {
    for (let i = 0; i < this.vals.length; i++) yield this.vals[i];
  }

  /** Index of `offset`, or -(insertion point) - 1. */
  private search(offset: bigint): number {
    let low = 0;
    let high = this.keys.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const key = this.keys[mid];
      if (key < offset) low = mid + 1;
      else if (key > offset) high = mid - 1;
      else return mid;
    }
    return -(low + 1);
  }
}
