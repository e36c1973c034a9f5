// The sparse offset index of one segment (Kafka's `OffsetIndex`): entries of (offset relative to the segment's
// base offset: int32, byte position in the .log: int32), 8 bytes each, big-endian, in increasing order. As in
// Kafka's `LogSegment.append`, an entry maps the LAST offset of a batch to the position where that batch starts,
// and one is added after every `index.interval.bytes` of appended data. Node has no mmap, so the index lives in
// memory and is written to disk when its segment is rolled or closed; it can always be rebuilt from the .log.

import { IndexEntries } from './index-entries.ts';

const ENTRY_SIZE = 8;
/** Kafka's `AbstractIndex.warmEntries` for 8-byte entries (8 KB): the section searched first. */
const WARM_ENTRIES = 8192 / ENTRY_SIZE;
/** Entries a fresh index has room for before it first grows. */
const INITIAL_ENTRIES = 64;

export interface OffsetPosition {
  offset: bigint;
  position: number;
}

export class OffsetIndex {
  static readonly entrySize = ENTRY_SIZE;
  private store: IndexEntries;

  constructor(readonly baseOffset: bigint) {
    this.store = new IndexEntries(ENTRY_SIZE, INITIAL_ENTRIES);
  }

  /**
   * Loads index file bytes; null when they fail Kafka's sanity checks (`OffsetIndex.sanityCheck`): a whole
   * number of entries, offsets and positions strictly increasing, every position inside the segment.
   */
  static fromBytes(baseOffset: bigint, bytes: Buffer, segmentSize: number): OffsetIndex | null {
    if (bytes.length % ENTRY_SIZE !== 0) return null;
    const index = new OffsetIndex(baseOffset);
    const entries = bytes.length / ENTRY_SIZE;
    let previousRelative = -1;
    let previousPosition = -1;
    for (let i = 0; i < entries; i++) {
      const relative = bytes.readInt32BE(i * ENTRY_SIZE);
      const position = bytes.readInt32BE(i * ENTRY_SIZE + 4);
      if (relative <= previousRelative || position <= previousPosition || position >= segmentSize) return null;
      previousRelative = relative;
      previousPosition = position;
    }
    index.store = IndexEntries.load(ENTRY_SIZE, INITIAL_ENTRIES, bytes);
    return index;
  }

  get entries(): number {
    return this.store.count;
  }

  get lastEntry(): OffsetPosition | null {
    return this.store.count === 0 ? null : this.entryAt(this.store.count - 1);
  }

  /**
   * Kafka's `OffsetIndex.fetchUpperBoundOffset`: an index entry at or past `position + fetchSize` (where a fetch
   * of that many bytes from `position` ends), or null when the search finds none. READ_COMMITTED fetches list
   * the aborted transactions below this offset, so it is reproduced search step for step, quirks included:
   * Kafka's `AbstractIndex.indexSlotRangeFor` first picks a section (the last 1024 "warm" entries, or the rest),
   * then a binary search that returns an entry equal to the target only when it probes it; an equal entry at the
   * start of the searched range is never probed, so the entry after it is answered. Readers then see the same
   * abortedTransactions lists as from Kafka.
   */
  fetchUpperBoundOffset(position: number, fetchSize: number): OffsetPosition | null {
    const count = this.store.count;
    if (count === 0) return null;
    const target = position + fetchSize;
    const positionAt = (slot: number): number => this.store.data.readInt32BE(slot * ENTRY_SIZE + 4);
    const firstWarm = Math.max(0, count - 1 - WARM_ENTRIES);
    let low: number;
    let high: number;
    if (positionAt(firstWarm) < target) {
      low = firstWarm;
      high = count - 1;
    } else if (positionAt(0) > target) {
      return this.entryAt(0);
    } else {
      low = 0;
      high = firstWarm;
    }
    while (low < high) {
      const probe = (low + high + 1) >>> 1;
      const probed = positionAt(probe);
      if (probed === target) return this.entryAt(probe);
      if (probed > target) high = probe - 1;
      else low = probe;
    }
    return low === count - 1 ? null : this.entryAt(low + 1);
  }

  entryAt(i: number): OffsetPosition {
    return {
      offset: this.baseOffset + BigInt(this.store.data.readInt32BE(i * ENTRY_SIZE)),
      position: this.store.data.readInt32BE(i * ENTRY_SIZE + 4),
    };
  }

  /** Adds an entry; offsets and positions must grow (the segment guarantees it). */
  append(offset: bigint, position: number): void {
    const at = this.store.appendSlot();
    this.store.data.writeInt32BE(Number(offset - this.baseOffset), at);
    this.store.data.writeInt32BE(position, at + 4);
  }

  /**
   * The entry with the largest offset <= `target` (Kafka's `OffsetIndex.lookup`), or (baseOffset, 0) when
   * there is none. Scanning batches forward from its position reaches the batch containing `target`.
   */
  lookup(target: bigint): OffsetPosition {
    const slot = this.largestSlotAtMost(target);
    return slot < 0 ? { offset: this.baseOffset, position: 0 } : this.entryAt(slot);
  }

  /** Drops the entries for offsets >= `offset` (Kafka's `OffsetIndex.truncateTo`). */
  truncateTo(offset: bigint): void {
    this.store.truncate(this.largestSlotAtMost(offset - 1n) + 1);
  }

  /** Drops the entries pointing at positions >= `position`. */
  truncateToPosition(position: number): void {
    let count = this.store.count;
    while (count > 0 && this.store.data.readInt32BE((count - 1) * ENTRY_SIZE + 4) >= position) count--;
    this.store.truncate(count);
  }

  clear(): void {
    this.store.truncate(0);
  }

  /** The file image. */
  toBytes(): Buffer {
    return this.store.toBytes();
  }

  private largestSlotAtMost(target: bigint): number {
    if (target < this.baseOffset) return -1;
    const relative = target - this.baseOffset > 0x7fffffffn ? 0x7fffffff : Number(target - this.baseOffset);
    let low = 0;
    let high = this.store.count - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if (this.store.data.readInt32BE(mid * ENTRY_SIZE) <= relative) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    return found;
  }
}
