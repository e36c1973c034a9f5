// The state of one producer id on one partition (Kafka's `ProducerStateEntry`): its epoch, the epoch of the
// last transaction coordinator that wrote a marker for it, the timestamp of its last write, the first offset of
// its open transaction, and the metadata of its last few batches, oldest first.
//
// At most NUM_BATCHES_TO_RETAIN batches are kept: that is the window in which a retried batch is recognised as
// a duplicate, and why an idempotent client allows at most 5 requests in flight per connection.
import { NO_PRODUCER_EPOCH, NO_SEQUENCE, NO_TIMESTAMP } from '../../protocol/records/batch-header.ts';
import { BatchMetadata } from './batch-metadata.ts';

export const NUM_BATCHES_TO_RETAIN = 5;

export class ProducerStateEntry {
  private batches: BatchMetadata[] = [];

  constructor(
    readonly producerId: bigint,
    public producerEpoch: number,
    public coordinatorEpoch: number,
    public lastTimestamp: bigint,
    /** Present while a transaction of this producer is open on the partition (Kafka's OptionalLong). */
    public currentTxnFirstOffset: bigint | null,
    firstBatchMetadata: BatchMetadata | null = null,
  ) {
    if (firstBatchMetadata !== null) this.batches.push(firstBatchMetadata);
  }

  /** A producer never seen on this partition: no epoch, no batches (`ProducerStateEntry.empty`). */
  static empty(producerId: bigint): ProducerStateEntry {
    return new ProducerStateEntry(producerId, NO_PRODUCER_EPOCH, -1, NO_TIMESTAMP, null);
  }

  get batchMetadata(): readonly BatchMetadata[] {
    return this.batches;
  }

  get isEmpty(): boolean {
    return this.batches.length === 0;
  }

  get firstSeq(): number {
    return this.isEmpty ? NO_SEQUENCE : this.batches[0].firstSeq;
  }

  get lastSeq(): number {
    return this.isEmpty ? NO_SEQUENCE : this.batches[this.batches.length - 1].lastSeq;
  }

  get firstDataOffset(): bigint {
    return this.isEmpty ? -1n : this.batches[0].firstOffset;
  }

  get lastDataOffset(): bigint {
    return this.isEmpty ? -1n : this.batches[this.batches.length - 1].lastOffset;
  }

  get lastOffsetDelta(): number {
    return this.isEmpty ? 0 : this.batches[this.batches.length - 1].offsetDelta;
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
    this.addBatchMetadata(new BatchMetadata(lastSeq, lastOffset, offsetDelta, timestamp));
    this.lastTimestamp = timestamp;
  }

  /** A new epoch forgets the batches of the old one: their sequences mean nothing under the new epoch. */
  maybeUpdateProducerEpoch(producerEpoch: number): boolean {
    if (this.producerEpoch === producerEpoch) return false;
    this.batches = [];
    this.producerEpoch = producerEpoch;
    return true;
  }

  /** Folds the working copy of an append into this entry (Kafka's `update(ProducerStateEntry)`). */
  update(next: ProducerStateEntry): void {
    this.maybeUpdateProducerEpoch(next.producerEpoch);
    for (const batch of next.batches) this.addBatchMetadata(batch);
    this.coordinatorEpoch = next.coordinatorEpoch;
    this.currentTxnFirstOffset = next.currentTxnFirstOffset;
    this.lastTimestamp = next.lastTimestamp;
  }

  /**
   * What an end-transaction marker does (Kafka's `update(short, int, long)`): it closes the transaction and takes
   * the marker's epochs; the cached batches survive unless the epoch changed.
   */
  updateFromMarker(producerEpoch: number, coordinatorEpoch: number, lastTimestamp: bigint): void {
    this.maybeUpdateProducerEpoch(producerEpoch);
    this.coordinatorEpoch = coordinatorEpoch;
    this.currentTxnFirstOffset = null;
    this.lastTimestamp = lastTimestamp;
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
    return this.batches.find((batch) => batch.firstSeq === firstSeq && batch.lastSeq === lastSeq) ?? null;
  }

  private addBatchMetadata(batch: BatchMetadata): void {
    if (this.batches.length === NUM_BATCHES_TO_RETAIN) this.batches.shift();
    this.batches.push(batch);
  }
}
