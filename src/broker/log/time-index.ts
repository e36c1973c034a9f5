// The sparse time index of one segment (Kafka's `TimeIndex`): entries of (timestamp: int64, offset relative to
// the segment's base offset: int32), 12 bytes each. An entry (t, o) says: the largest timestamp among the
// batches up to offset o is t, and o (the last offset of the batch that first reached t) is where it appears.
// Entries are only added when the segment's max timestamp grows, so timestamps strictly increase.

import { IndexEntries } from './index-entries.ts';

const ENTRY_SIZE = 12;
/** Entries a fresh index has room for before it first grows. */
const INITIAL_ENTRIES = 32;

export interface TimestampOffset {
  timestamp: bigint;
  offset: bigint;
}

export class TimeIndex {
  static readonly entrySize = ENTRY_SIZE;
  private store: IndexEntries;

  constructor(readonly baseOffset: bigint) {
    this.store = new IndexEntries(ENTRY_SIZE, INITIAL_ENTRIES);
  }

  /**
   * Loads index file bytes; null when they fail the sanity checks: whole entries, timestamps strictly
   * increasing, offsets non-decreasing and inside [baseOffset, nextOffset).
   */
  static fromBytes(baseOffset: bigint, bytes: Buffer, nextOffset: bigint): TimeIndex | null {
    if (bytes.length % ENTRY_SIZE !== 0) return null;
    const index = new TimeIndex(baseOffset);
    const entries = bytes.length / ENTRY_SIZE;
    let previousTimestamp: bigint | null = null;
    let previousRelative = -1;
    for (let i = 0; i < entries; i++) {
      const timestamp = bytes.readBigInt64BE(i * ENTRY_SIZE);
      const relative = bytes.readInt32BE(i * ENTRY_SIZE + 8);
      if (previousTimestamp !== null && timestamp <= previousTimestamp) return null;
      if (relative < previousRelative || baseOffset + BigInt(relative) >= nextOffset) return null;
      previousTimestamp = timestamp;
      previousRelative = relative;
    }
    index.store = IndexEntries.load(ENTRY_SIZE, INITIAL_ENTRIES, bytes);
    return index;
  }

  get entries(): number {
    return this.store.count;
  }

  get lastEntry(): TimestampOffset | null {
    return this.store.count === 0 ? null : this.entryAt(this.store.count - 1);
  }

  entryAt(i: number): TimestampOffset {
    return {
      timestamp: this.store.data.readBigInt64BE(i * ENTRY_SIZE),
      offset: this.baseOffset + BigInt(this.store.data.readInt32BE(i * ENTRY_SIZE + 8)),
    };
  }

  /** Adds (timestamp, offset) only if the timestamp is larger than the last entry's (`TimeIndex.maybeAppend`). */
  maybeAppend(timestamp: bigint, offset: bigint): void {
    const last = this.lastEntry;
    if (last !== null && timestamp <= last.timestamp) return;
    const at = this.store.appendSlot();
    this.store.data.writeBigInt64BE(timestamp, at);
    this.store.data.writeInt32BE(Number(offset - this.baseOffset), at + 8);
  }

  /**
   * The entry with the largest timestamp <= `target` (Kafka's `TimeIndex.lookup`), or (-1, baseOffset).
   * Every record before that entry's offset has a timestamp below `target`, so a search may start there.
   */
  lookup(target: bigint): TimestampOffset {
    let low = 0;
    let high = this.store.count - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if (this.store.data.readBigInt64BE(mid * ENTRY_SIZE) <= target) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    return found < 0 ? { timestamp: -1n, offset: this.baseOffset } : this.entryAt(found);
  }

  clear(): void {
    this.store.truncate(0);
  }

  toBytes(): Buffer {
    return this.store.toBytes();
  }
}
