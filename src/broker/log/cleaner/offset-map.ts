// The cleaner's key -> latest offset map, bounded in memory (Kafka's `SkimpyOffsetMap`): an open-addressing table
// in one buffer of `log.cleaner.dedupe.buffer.size` bytes, each slot the 16-byte MD5 of a key, its int64 offset
// and the int32 generation that wrote it. Keys themselves are never stored, so its memory does not depend on key
// sizes; two keys with the same digest would be taken for one, a risk Kafka accepts for the same reason.
// A slot is in use only when its generation is the map's current one, so `clear()` (once per cleaning) is a
// counter increment rather than Kafka's fill of the whole buffer: zeroing 128 MiB on the event loop would stall
// produce and fetch for tens of milliseconds.
import { hash as oneShotHash } from 'node:crypto';

const HASH_SIZE = 16;
const OFFSET_AT = HASH_SIZE;
const GENERATION_AT = HASH_SIZE + 8;
const SLOT_SIZE = HASH_SIZE + 8 + 4;
/** Kafka's `log.cleaner.io.buffer.load.factor` default: the map counts as full at 90% of its slots. */
const LOAD_FACTOR = 0.9;

export class OffsetMap {
  private readonly table: Buffer;
  private readonly slots: number;
  private entries = 0;
  private latest = -1n;
  private lookups = 0;
  private probes = 0;
  /** Slots whose generation differs are empty; the buffer starts zeroed, so generation 0 is never current. */
  private generation = 1;

  constructor(memoryBytes: number) {
    this.slots = Math.max(1, Math.floor(memoryBytes / SLOT_SIZE));
    this.table = Buffer.alloc(this.slots * SLOT_SIZE);
  }

  /** Entries the map takes before `isFull` (Kafka's `maxDesiredMapSize`). */
  get capacity(): number {
    return Math.max(1, Math.floor(this.slots * LOAD_FACTOR));
  }

  get size(): number {
    return this.entries;
  }

  /** Share of the slots in use (Kafka's `SkimpyOffsetMap.utilization`). */
  get utilization(): number {
    return this.entries / this.slots;
  }

  get isFull(): boolean {
    return this.entries >= this.capacity;
  }

  /** The largest offset the map has seen (batches without keys included); -1 when empty. */
  get latestOffset(): bigint {
    return this.latest;
  }

  /** Probes per lookup so far (Kafka reports it as the map's collision rate). */
  get probesPerLookup(): number {
    return this.lookups === 0 ? 0 : this.probes / this.lookups;
  }

  updateLatestOffset(offset: bigint): void {
    if (offset > this.latest) this.latest = offset;
  }

  /** Records `offset` as the latest for `key` (the caller ensures the map is not full). */
  put(key: Uint8Array, offset: bigint): void {
    const hash = digest(key);
    const slot = this.findSlot(hash);
    const at = slot * SLOT_SIZE;
    if (!this.inUse(at)) {
      hash.copy(this.table, at);
      this.table.writeUInt32BE(this.generation, at + GENERATION_AT);
      this.entries++;
    }
    this.table.writeBigInt64BE(offset, at + OFFSET_AT);
    this.updateLatestOffset(offset);
  }

  /** The latest offset recorded for `key`, or -1 when it was never put. */
  get(key: Uint8Array): bigint {
    const at = this.findSlot(digest(key)) * SLOT_SIZE;
    return this.inUse(at) ? this.table.readBigInt64BE(at + OFFSET_AT) : -1n;
  }

  clear(): void {
    this.generation++;
    // After 2^32 - 1 cleanings the generations wrap around: only then is the buffer zeroed.
    if (this.generation > 0xffffffff) {
      this.table.fill(0);
      this.generation = 1;
    }
    this.entries = 0;
    this.latest = -1n;
    this.lookups = 0;
    this.probes = 0;
  }

  /** The slot holding `hash`, or the empty slot where it would go (linear probing). */
  private findSlot(hash: Buffer): number {
    this.lookups++;
    let slot = hash.readUInt32BE(0) % this.slots;
    for (let attempt = 0; attempt < this.slots; attempt++) {
      this.probes++;
      const at = slot * SLOT_SIZE;
      if (!this.inUse(at) || this.table.compare(hash, 0, HASH_SIZE, at, at + HASH_SIZE) === 0) return slot;
      slot = slot + 1 === this.slots ? 0 : slot + 1;
    }
    throw new RangeError('offset map is full');
  }


  private inUse(at: number): boolean {
    return this.table.readUInt32BE(at + GENERATION_AT) === this.generation;
  }
}

function digest(key: Uint8Array): Buffer {
  // The one-shot form (Node >= 20.12) costs about half of createHash().update().digest() for short keys.
  return oneShotHash('md5', key, 'buffer');
}
