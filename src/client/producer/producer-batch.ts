// One batch of records for one partition: Kafka's `ProducerBatch` + `MemoryRecordsBuilder`. Records are written
// straight into the batch's Writer as they are sent, by the protocol's record encoder (no intermediate record
// objects), behind 61 bytes left free for the header (as `MemoryRecordsBuilder` skips the header and writes it at
// close). The batch is encoded once, when it is first drained: without compression the header goes into that
// space and the Writer's own bytes are the batch (no copy); with compression the record section is compressed then
// and never again. Producer id, epoch and base sequence live in the header, so giving the batch a (new) producer
// state only rewrites the header and its CRC (`ProducerBatch.setProducerState` / `resetProducerState`).
import { Writer, type WriterMemory } from '../../protocol/wire/writer.ts';
import {
  BatchAttribute,
  BatchField,
  CURRENT_MAGIC,
  LOG_OVERHEAD,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  RECORD_BATCH_OVERHEAD,
  incrementSequence,
  writeCrc,
} from '../../protocol/records/batch-header.ts';
import { codecFor } from '../../protocol/records/compression/codec-registry.ts';
import { decodeRecordBatch } from '../../protocol/records/record-batch-decoder.ts';
import { writeRecord } from '../../protocol/records/record-batch-encoder.ts';
import type { ProducerIdAndEpoch } from './producer-id-and-epoch.ts';

export interface RecordHeaderInput {
  readonly key: string;
  readonly value: Uint8Array | null;
}

/** What a send learns about one record once its batch is acknowledged. */
/** Where a record was stored. Offsets and timestamps are bigint; `toJsonSafe` gives their JSON form (decimal strings). */
export interface RecordMetadata {
  readonly topic: string;
  readonly partition: number;
  /** -1n when unknown (acks=0, or a DUPLICATE_SEQUENCE_NUMBER answer). */
  readonly offset: bigint;
  /** The record's CreateTime in ms (or the broker's LogAppendTime when the topic uses it). */
  readonly timestamp: bigint;
}

/** Receives the outcome of the records of one `send` call that went into this batch. */
export interface RecordSink {
  complete(index: number, metadata: RecordMetadata): void;
  fail(error: Error): void;
}

/** Upper bound of one record's encoded size (`DefaultRecord.sizeInBytes` + MAX_RECORD_OVERHEAD slack). */
export function estimateRecordSize(key: Uint8Array | null, value: Uint8Array | null, headers: readonly RecordHeaderInput[] | undefined): number {
  let size = 21 + 15 + (key?.length ?? 0) + (value?.length ?? 0);
  if (headers !== undefined) for (const header of headers) size += 10 + header.key.length * 3 + (header.value?.length ?? 0);
  return size;
}

export class ProducerBatch {
  readonly records: Writer;
  recordCount = 0;
  private baseTimestamp = 0n;
  private maxTimestamp = 0n;
  /** The last record's timestamp and its delta from baseTimestamp. */
  private deltaFor = -1n;
  private delta = 0n;
  /** Bytes counted against buffer.memory until the batch is done. */
  reservedBytes = 0;
  /** Per record: which sink and which index in that sink's call. */
  private readonly sinks: RecordSink[] = [];
  private readonly sinkIndexes: number[] = [];
  private readonly timestamps: bigint[] = [];

  /** The encoded batch, built on first drain. */
  private built: Buffer | null = null;
  /**
   * The header's producer state and CRC no longer match what is set: written only when the bytes are asked for, so
   * a batch drained and then given its sequence is checksummed once, not twice (`encodedSize` does not need it).
   */
  private headerStale = true;
  producerId = NO_PRODUCER_ID;
  producerEpoch = NO_PRODUCER_EPOCH;
  baseSequence = NO_SEQUENCE;
  /** Sent in a transaction: the header's transactional bit (set with the producer state, at drain). */
  isTransactional = false;
  /** Set when the batch's sequence was rewritten after an epoch bump (`ProducerBatch.sequenceHasBeenReset`). */
  sequenceHasBeenReset = false;
  attempts = 0;
  lastAttemptMs = 0;
  drainedMs = 0;
  /** True once it has been sent and is waiting to be sent again (`ProducerBatch.inRetry`). */
  inRetry = false;
  done = false;
  /** Closed batches take no more records. */
  closed = false;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly createdMs: number,
    private readonly compression: number,
    initialCapacity: number,
    private readonly memory: WriterMemory | null = null,
  ) {
    this.records = new Writer(Math.max(initialCapacity, RECORD_BATCH_OVERHEAD + 64), Infinity, memory);
    this.records.reserve(RECORD_BATCH_OVERHEAD);
  }

  /** Uncompressed bytes so far, including the batch header. */
  get estimatedSizeInBytes(): number {
    return this.releasedBytes >= 0 ? this.releasedBytes : this.records.length;
  }

  /** The uncompressed size once the record section's memory has gone back (-1 before). */
  private releasedBytes = -1;

  /** `giveBack` false: a socket may still be writing the bytes, so they are left to the garbage collector. */
  private releaseRecords(giveBack = true): void {
    if (this.releasedBytes >= 0) return;
    this.releasedBytes = this.records.length;
    this.records.release(giveBack);
  }

  get hasSequence(): boolean {
    return this.baseSequence !== NO_SEQUENCE;
  }

  get lastSequence(): number {
    return this.baseSequence === NO_SEQUENCE ? NO_SEQUENCE : incrementSequence(this.baseSequence, this.recordCount - 1);
  }

  /** `ProducerBatch.tryAppend` with `MemoryRecordsBuilder.hasRoomFor`: the first record always fits. */
  hasRoomFor(estimatedRecordSize: number, batchSize: number): boolean {
    if (this.closed) return false;
    return this.recordCount === 0 || this.estimatedSizeInBytes + estimatedRecordSize <= batchSize;
  }

  /** Writes one record into the batch's Writer with the protocol's record encoder (`DefaultRecord.writeTo`). */
  append(
    timestamp: bigint,
    key: Uint8Array | null,
    value: Uint8Array | null,
    headers: readonly RecordHeaderInput[] | undefined,
    sink: RecordSink,
    sinkIndex: number,
  ): void {
    const offsetDelta = this.recordCount;
    if (offsetDelta === 0) {
      this.baseTimestamp = timestamp;
      this.maxTimestamp = timestamp;
    } else if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
    // Records sent in the same millisecond share one timestamp bigint (see the producer's clock), so the delta is
    // computed once per millisecond instead of allocating a bigint per record.
    if (timestamp !== this.deltaFor) {
      this.deltaFor = timestamp;
      this.delta = timestamp - this.baseTimestamp;
    }
    writeRecord(this.records, offsetDelta, this.delta, key, value, headers);
    this.recordCount++;
    this.sinks.push(sink);
    this.sinkIndexes.push(sinkIndex);
    this.timestamps.push(timestamp);
  }

  /** The encoded batch, producer state and CRC included; built the first time (see `build`). */
  encoded(): Buffer {
    const built = this.build();
    if (this.headerStale) {
      this.headerStale = false;
      this.writeProducerState(built);
    }
    return built;
  }

  /** Bytes the encoded batch takes; builds it (closing it to more records) but leaves the CRC for `encoded`. */
  encodedSize(): number {
    return this.build().length;
  }

  /** Closes the batch and writes its header; compresses the record section the first time (`MemoryRecordsBuilder.close`). */
  private build(): Buffer {
    if (this.built === null) {
      if (this.done) throw new Error(`the batch for ${this.topic}-${this.partition} is done; its memory is reused`);
      this.closed = true;
      const written = this.records.finish();
      let buf: Buffer;
      if (this.compression === 0) buf = written;
      else {
        const body = codecFor(this.compression).compress(written.subarray(RECORD_BATCH_OVERHEAD));
        buf = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + body.length);
        body.copy(buf, RECORD_BATCH_OVERHEAD);
        this.releaseRecords();
      }
      buf.writeBigInt64BE(0n, BatchField.baseOffset);
      buf.writeInt32BE(buf.length - LOG_OVERHEAD, BatchField.batchLength);
      buf.writeInt32BE(NO_PARTITION_LEADER_EPOCH, BatchField.partitionLeaderEpoch);
      buf.writeInt8(CURRENT_MAGIC, BatchField.magic);
      buf.writeInt16BE(this.compression & 0x07, BatchField.attributes);
      buf.writeInt32BE(this.recordCount - 1, BatchField.lastOffsetDelta);
      buf.writeBigInt64BE(this.baseTimestamp, BatchField.baseTimestamp);
      buf.writeBigInt64BE(this.maxTimestamp, BatchField.maxTimestamp);
      buf.writeInt32BE(this.recordCount, BatchField.recordsCount);
      this.built = buf;
    }
    return this.built;
  }

  /** `ProducerBatch.setProducerState` / `resetProducerState`: pid, epoch and base sequence into the header. */
  setProducerState(producerIdAndEpoch: ProducerIdAndEpoch | null, baseSequence: number): void {
    this.producerId = producerIdAndEpoch?.producerId ?? NO_PRODUCER_ID;
    this.producerEpoch = producerIdAndEpoch?.epoch ?? NO_PRODUCER_EPOCH;
    this.baseSequence = baseSequence;
    this.headerStale = true;
  }

  private writeProducerState(buf: Buffer): void {
    buf.writeInt16BE((this.compression & BatchAttribute.compressionMask) | (this.isTransactional ? BatchAttribute.transactional : 0), BatchField.attributes);
    buf.writeBigInt64BE(this.producerId, BatchField.producerId);
    buf.writeInt16BE(this.producerEpoch, BatchField.producerEpoch);
    buf.writeInt32BE(this.baseSequence, BatchField.baseSequence);
    writeCrc(buf, 0, buf.length);
  }

  /** Completes every record: offsets are baseOffset + offsetDelta; LogAppendTime replaces CreateTime when set. */
  complete(baseOffset: bigint, logAppendTime: bigint): void {
    if (this.done) return;
    this.finish();
    const known = baseOffset >= 0n;
    let offset = known ? baseOffset : -1n;
    for (let i = 0; i < this.recordCount; i++) {
      this.sinks[i].complete(this.sinkIndexes[i], {
        topic: this.topic,
        partition: this.partition,
        offset,
        timestamp: logAppendTime >= 0n ? logAppendTime : this.timestamps[i],
      });
      if (known) offset += 1n;
    }
  }

  /**
   * `written` false: a request carrying the batch may still wait in a socket's queue (the producer failed it
   * without an answer, e.g. on a fatal error): a request writes the batch's bytes from the batch's own memory,
   * so that memory must not go back to the pool, where another batch could overwrite it before it is written.
   */
  fail(error: Error, written = true): void {
    if (this.done) return;
    this.finish(written);
    let previous: RecordSink | null = null;
    for (const sink of this.sinks) {
      if (sink !== previous) sink.fail(error);
      previous = sink;
    }
  }

  /**
   * `ProducerBatch.split`: after MESSAGE_TOO_LARGE, re-cut the records into batches of at most `splitSize`
   * bytes. When the batch had a sequence, the pieces take consecutive sequences from its base sequence, so the
   * partition's sequence range is unchanged.
   */
  split(splitSize: number): ProducerBatch[] {
    const decoded = decodeRecordBatch(this.encoded());
    const pieces: ProducerBatch[] = [];
    let current: ProducerBatch | null = null;
    let sequence = this.baseSequence;
    decoded.records.forEach((record, i) => {
      const headers = record.headers.map((header) => ({ key: header.key, value: header.value }));
      const size = estimateRecordSize(record.key, record.value, headers);
      if (current === null || !current.hasRoomFor(size, splitSize)) {
        current = new ProducerBatch(this.topic, this.partition, this.createdMs, this.compression, Math.min(splitSize, 1 << 20), this.memory);
        current.attempts = this.attempts;
        current.inRetry = this.inRetry;
        current.isTransactional = this.isTransactional;
        pieces.push(current);
      }
      current.append(this.timestamps[i], record.key, record.value, headers, this.sinks[i], this.sinkIndexes[i]);
    });
    for (const piece of pieces) {
      if (this.hasSequence) {
        piece.setProducerState(this.producerId < 0n ? null : { producerId: this.producerId, epoch: this.producerEpoch }, sequence);
        sequence = incrementSequence(sequence, piece.recordCount);
      }
    }
    this.finish();
    return pieces;
  }

  /**
   * Done: the batch's memory goes back to the pool. A request writes the batch from that memory (a chunk of its
   * frame), and is written before its answer comes or its connection is gone, so nothing reads the bytes after
   * this unless `written` is false.
   */
  private finish(written = true): void {
    this.done = true;
    this.built = null;
    this.releaseRecords(written);
  }
}
