// The state of one producer id on one partition (Kafka's `ProducerStateEntry`): its epoch, the epoch of the
// last transaction coordinator that wrote a marker for it, the timestamp of its last write, the first offset of
// its open transaction, and the metadata of its last few batches, oldest first.
//
// At most NUM_BATCHES_TO_RETAIN batches are kept: that is the window in which a retried batch is recognised as
// a duplicate, and why an idempotent client allows at most 5 requests in flight per connection.
//
// Memory layout. A broker tracks up to `maxProducerIds` of these per partition, so they are kept compact: the
// last timestamp and the cached batches live in one flat array of numbers (V8 stores it as unboxed doubles),
//   [lastTimestamp, then per batch, oldest first: lastSeq, offsetDelta, lastOffset, timestamp]
// sized exactly to the batches held, instead of one object and two boxed bigints per batch. Offsets and
// timestamps are int64: a value that is not a safe integer (a client timestamp beyond +-2^53 ms) is kept as the
// bigint itself in its slot, so nothing is ever rounded; that entry's array is then an ordinary one.
import { NO_PRODUCER_EPOCH, NO_SEQUENCE, NO_TIMESTAMP, decrementSequence } from '../../protocol/records/batch-header.ts';
import { BatchMetadata } from './batch-metadata.ts';

export const NUM_BATCHES_TO_RETAIN = 5;

/** Slots per cached batch in the state array, and their order. */
const BATCH_SLOTS = 4;
const LAST_SEQ = 0;
const OFFSET_DELTA = 1;
const LAST_OFFSET = 2;
const TIMESTAMP = 3;
/** state[0] is the last timestamp; batches start after it. */
const FIRST_BATCH = 1;
const FULL_LENGTH = FIRST_BATCH + NUM_BATCHES_TO_RETAIN * BATCH_SLOTS;

/** An int64 as stored in a state slot: a number when that is exact, else the bigint. */
export type Int64Slot = number | bigint;

export function toInt64Slot(value: bigint): Int64Slot {
  const asNumber = Number(value);
  return Number.isSafeInteger(asNumber) ? asNumber : value;
}

export function fromInt64Slot(slot: Int64Slot): bigint {
  return typeof slot === 'bigint' ? slot : BigInt(slot);
}

/**
 * The key a producer id has in a producer map: the id as a number when exact (a small integer V8 stores inline
 * in the map, where a bigint key is one more heap object per producer), else the bigint. A number and a bigint
 * never compare equal as map keys, so the two kinds cannot collide.
 */
export type ProducerKey = number | bigint;

export function producerKeyOf(producerId: bigint): ProducerKey {
  return toInt64Slot(producerId);
}

export class ProducerStateEntry {
  /** The producer id as a ProducerKey; `producerId` gives it back as a bigint. */
  readonly key: ProducerKey;
  /** [lastTimestamp, batches...]: see the layout above. Replaced, never grown in place, so it stays exact-size. */
  private state: Int64Slot[];

  constructor(
    producerId: bigint,
    public producerEpoch: number,
    public coordinatorEpoch: number,
    lastTimestamp: bigint,
    /** Present while a transaction of this producer is open on the partition (Kafka's OptionalLong). */
    public currentTxnFirstOffset: bigint | null,
    firstBatchMetadata: BatchMetadata | null = null,
  ) {
    this.key = producerKeyOf(producerId);
    this.state = [toInt64Slot(lastTimestamp)];
    if (firstBatchMetadata !== null) {
      this.addBatchMetadata(firstBatchMetadata.lastSeq, firstBatchMetadata.offsetDelta, firstBatchMetadata.lastOffset, firstBatchMetadata.timestamp);
    }
  }

  /** A producer never seen on this partition: no epoch, no batches (`ProducerStateEntry.empty`). */
  static empty(producerId: bigint): ProducerStateEntry {
    return new ProducerStateEntry(producerId, NO_PRODUCER_EPOCH, -1, NO_TIMESTAMP, null);
  }

  get producerId(): bigint {
    return fromInt64Slot(this.key);
  }

  get lastTimestamp(): bigint {
    return fromInt64Slot(this.state[0]);
  }

  set lastTimestamp(timestamp: bigint) {
    this.state[0] = toInt64Slot(timestamp);
  }

  /** `lastTimestamp` as stored, for encoders that write int64s without a bigint per value. */
  get lastTimestampSlot(): Int64Slot {
    return this.state[0];
  }

  /** `lastDataOffset` as stored (-1 without batches). */
  get lastDataOffsetSlot(): Int64Slot {
    return this.isEmpty ? -1 : this.slot(this.batchCount - 1, LAST_OFFSET);
  }

  /** The cached batches, oldest first, as objects (built on each call: for tests and diagnostics). */
  get batchMetadata(): readonly BatchMetadata[] {
    const batches: BatchMetadata[] = [];
    for (let i = 0; i < this.batchCount; i++) batches.push(this.batchAt(i));
    return batches;
  }

  get batchCount(): number {
    return (this.state.length - FIRST_BATCH) / BATCH_SLOTS;
  }

  get isEmpty(): boolean {
    return this.state.length === FIRST_BATCH;
  }

  get firstSeq(): number {
    return this.isEmpty ? NO_SEQUENCE : this.firstSeqAt(0);
  }

  get lastSeq(): number {
    return this.isEmpty ? NO_SEQUENCE : (this.slot(this.batchCount - 1, LAST_SEQ) as number);
  }

  get firstDataOffset(): bigint {
    return this.isEmpty ? -1n : fromInt64Slot(this.slot(0, LAST_OFFSET)) - BigInt(this.slot(0, OFFSET_DELTA) as number);
  }

  get lastDataOffset(): bigint {
    return this.isEmpty ? -1n : fromInt64Slot(this.slot(this.batchCount - 1, LAST_OFFSET));
  }

  get lastOffsetDelta(): number {
    return this.isEmpty ? 0 : (this.slot(this.batchCount - 1, OFFSET_DELTA) as number);
  }

  /** A copy with another producer id and at most the given batch (`withProducerIdAndBatchMetadata`). */
  withProducerIdAndBatchMetadata(producerId: bigint, batchMetadata: BatchMetadata | null): ProducerStateEntry {
    return new ProducerStateEntry(
      producerId,
      this.producerEpoch,
      this.coordinatorEpoch,
      this.lastTimestamp,
      this.currentTxnFirstOffset,
      batchMetadata,
    );
  }

  addBatch(producerEpoch: number, lastSeq: number, lastOffset: bigint, offsetDelta: number, timestamp: bigint): void {
    this.maybeUpdateProducerEpoch(producerEpoch);
    this.addBatchMetadata(lastSeq, offsetDelta, lastOffset, timestamp);
    this.state[0] = toInt64Slot(timestamp);
  }

  /** A new epoch forgets the batches of the old one: their sequences mean nothing under the new epoch. */
  maybeUpdateProducerEpoch(producerEpoch: number): boolean {
    if (this.producerEpoch === producerEpoch) return false;
    if (!this.isEmpty) this.state = [this.state[0]];
    this.producerEpoch = producerEpoch;
    return true;
  }

  /** Folds the working copy of an append into this entry (Kafka's `update(ProducerStateEntry)`). */
  update(next: ProducerStateEntry): void {
    this.maybeUpdateProducerEpoch(next.producerEpoch);
    const from = next.state;
    for (let at = FIRST_BATCH; at < from.length; at += BATCH_SLOTS) {
      this.appendSlots(from[at + LAST_SEQ], from[at + OFFSET_DELTA], from[at + LAST_OFFSET], from[at + TIMESTAMP]);
    }
    this.coordinatorEpoch = next.coordinatorEpoch;
    this.currentTxnFirstOffset = next.currentTxnFirstOffset;
    this.state[0] = next.state[0];
  }

  /**
   * What an end-transaction marker does (Kafka's `update(short, int, long)`): it closes the transaction and takes
   * the marker's epochs; the cached batches survive unless the epoch changed.
   */
  updateFromMarker(producerEpoch: number, coordinatorEpoch: number, lastTimestamp: bigint): void {
    this.maybeUpdateProducerEpoch(producerEpoch);
    this.coordinatorEpoch = coordinatorEpoch;
    this.currentTxnFirstOffset = null;
    this.state[0] = toInt64Slot(lastTimestamp);
  }

  setCurrentTxnFirstOffset(firstOffset: bigint): void {
    this.currentTxnFirstOffset = firstOffset;
  }

  /** The cached batch a retry is a copy of: same epoch, exactly the same sequence range. */
  findDuplicateBatch(producerEpoch: number, firstSeq: number, lastSeq: number): BatchMetadata | null {
    if (producerEpoch !== this.producerEpoch) return null;
    return this.batchWithSequenceRange(firstSeq, lastSeq);
  }

  batchWithSequenceRange(firstSeq: number, lastSeq: number): BatchMetadata | null {
    for (let i = 0; i < this.batchCount; i++) {
      if (this.slot(i, LAST_SEQ) === lastSeq && this.firstSeqAt(i) === firstSeq) return this.batchAt(i);
    }
    return null;
  }

  private slot(batch: number, field: number): Int64Slot {
    return this.state[FIRST_BATCH + batch * BATCH_SLOTS + field];
  }

  private firstSeqAt(batch: number): number {
    return decrementSequence(this.slot(batch, LAST_SEQ) as number, this.slot(batch, OFFSET_DELTA) as number);
  }

  private batchAt(batch: number): BatchMetadata {
    return new BatchMetadata(
      this.slot(batch, LAST_SEQ) as number,
      fromInt64Slot(this.slot(batch, LAST_OFFSET)),
      this.slot(batch, OFFSET_DELTA) as number,
      fromInt64Slot(this.slot(batch, TIMESTAMP)),
    );
  }

  private addBatchMetadata(lastSeq: number, offsetDelta: number, lastOffset: bigint, timestamp: bigint): void {
    this.appendSlots(lastSeq, offsetDelta, toInt64Slot(lastOffset), toInt64Slot(timestamp));
  }

  /**
   * Appends one batch, dropping the oldest when NUM_BATCHES_TO_RETAIN are held. Below the limit the array is
   * replaced by one exactly a batch longer (a push would leave spare capacity in every entry); at the limit it is
   * shifted in place.
   */
  private appendSlots(lastSeq: Int64Slot, offsetDelta: Int64Slot, lastOffset: Int64Slot, timestamp: Int64Slot): void {
    let state = this.state;
    if (state.length === FULL_LENGTH) {
      state.copyWithin(FIRST_BATCH, FIRST_BATCH + BATCH_SLOTS);
    } else {
      const grown = new Array<Int64Slot>(state.length + BATCH_SLOTS);
      for (let i = 0; i < state.length; i++) grown[i] = state[i];
      this.state = state = grown;
    }
    const at = state.length - BATCH_SLOTS;
    state[at + LAST_SEQ] = lastSeq;
    state[at + OFFSET_DELTA] = offsetDelta;
    state[at + LAST_OFFSET] = lastOffset;
    state[at + TIMESTAMP] = timestamp;
  }
}
