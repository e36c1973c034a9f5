// What the cleaner keeps of one stored batch (Kafka's `Cleaner.cleanInto` filter over `MemoryRecords.filterTo`):
// - a data batch of an aborted transaction loses all its records;
// - a record is kept when it is the latest for its key in the offset map (or beyond what the map covers), and
//   for a tombstone (null value) only until its batch's delete horizon has passed (KIP-534: the first cleaning
//   that keeps a tombstone stamps the batch with `now + delete.retention.ms`);
// - a record without a key is dropped (a compacted topic refuses them at produce);
// - a transaction marker is kept until no data of its transaction remains and its delete horizon has passed;
// - the last batch of every active producer is kept, empty if need be, so that its sequence and epoch survive
//   (idempotent dedup and fencing after a restart rebuild from it).
// A batch that keeps all its records and needs no horizon is copied byte for byte; otherwise it is rebuilt with
// its original base offset, last offset delta, producer fields and codec, so offsets and sequences are unchanged.
import {
  BatchAttribute,
  BatchField,
  CURRENT_MAGIC,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  writeCrc,
} from '../../../protocol/records/batch-header.ts';
import { codecFor } from '../../../protocol/records/compression/codec-registry.ts';
import { ControlRecordType, parseControlRecordKey } from '../../../protocol/records/control-record.ts';
import { decodeRecordBatch } from '../../../protocol/records/record-batch-decoder.ts';
import type { DecodedRecord } from '../../../protocol/records/record-types.ts';
import { writeRecord } from '../../../protocol/records/record-batch-encoder.ts';
import { Writer } from '../../../protocol/wire/writer.ts';
import type { CleanedTransactions } from './cleaned-transactions.ts';
import type { OffsetMap } from './offset-map.ts';
import { forEachRecordKey } from './record-keys.ts';

/** What the cleaner must know of a producer that is still active (Kafka's `lastRecordsOfActiveProducers`). */
export interface ActiveProducerLastRecord {
  /** Last offset of its last data batch, or null when its last entry in the log is a marker. */
  readonly lastDataOffset: bigint | null;
  readonly producerEpoch: number;
}

export interface BatchFilterContext {
  readonly map: OffsetMap;
  readonly transactions: CleanedTransactions;
  readonly activeProducers: ReadonlyMap<bigint, ActiveProducerLastRecord>;
  readonly nowMs: bigint;
  readonly deleteRetentionMs: bigint;
}

export interface FilteredBatch {
  /** The bytes to write in the cleaned segment, or null when the batch goes. */
  readonly bytes: Buffer | null;
  readonly recordsRead: number;
  readonly recordsRetained: number;
  /** The batch's delete horizon after filtering (tombstones or a marker wait for it), else null. */
  readonly deleteHorizonMs: bigint | null;
}

/**
 * Filters the batch in `batch` (exactly one stored batch). Which records stay is decided on the raw bytes
 * (`forEachRecordKey`); the batch is decoded only when it must be rebuilt with some of its records.
 */
export function filterBatch(batch: Buffer, context: BatchFilterContext): FilteredBatch {
  const attributes = batch.readInt16BE(BatchField.attributes);
  const producerId = batch.readBigInt64BE(BatchField.producerId);
  const producerEpoch = batch.readInt16BE(BatchField.producerEpoch);
  const isControl = (attributes & BatchAttribute.control) !== 0;
  const baseOffset = batch.readBigInt64BE(BatchField.baseOffset);
  const lastOffset = baseOffset + BigInt(batch.readInt32BE(BatchField.lastOffsetDelta));
  const horizon = (attributes & BatchAttribute.deleteHorizon) !== 0 ? batch.readBigInt64BE(BatchField.baseTimestamp) : null;
  const recordsRead = batch.readInt32BE(BatchField.recordsCount);
  let canDiscardBatch: boolean;
  if (isControl) {
    canDiscardBatch = context.transactions.onControlBatchRead(producerId, markerIsAbort(decodeRecordBatch(batch, { verifyCrc: false }).records), lastOffset);
  } else {
    canDiscardBatch = context.transactions.onBatchRead(producerId, (attributes & BatchAttribute.transactional) !== 0, lastOffset);
  }
  const discardRecords = isControl ? canDiscardBatch && horizon !== null && horizon <= context.nowMs : canDiscardBatch;
  const last = producerId >= 0n ? context.activeProducers.get(producerId) : undefined;
  const isLastBatchOfProducer =
    last !== undefined && (last.lastDataOffset !== null ? lastOffset === last.lastDataOffset : isControl && producerEpoch === last.producerEpoch);
  if (discardRecords && !isLastBatchOfProducer) return { bytes: null, recordsRead, recordsRetained: 0, deleteHorizonMs: null };

  let retainedCount = 0;
  let containsTombstones = false;
  if (!discardRecords) {
    if (isControl) {
      retainedCount = recordsRead;
    } else {
      forEachRecordKey(batch, (key, offsetDelta, isTombstone) => {
        if (shouldRetainRecord(context, baseOffset + BigInt(offsetDelta), key, isTombstone, horizon)) {
          retainedCount++;
          if (isTombstone) containsTombstones = true;
        }
      });
    }
  }
  const containsMarkerForEmptyTxn = canDiscardBatch && isControl;
  const needsHorizon = (containsTombstones || containsMarkerForEmptyTxn) && horizon === null;
  const newHorizon = needsHorizon ? context.nowMs + context.deleteRetentionMs : horizon;
  // Reported only when something kept here waits for nothing but time (else the cleaner would spin on it).
  const keptHorizon = retainedCount > 0 && (containsTombstones || containsMarkerForEmptyTxn) && newHorizon !== null && newHorizon >= context.nowMs ? newHorizon : null;
  if (retainedCount === recordsRead && !needsHorizon) {
    return { bytes: batch, recordsRead, recordsRetained: recordsRead, deleteHorizonMs: keptHorizon };
  }
  if (retainedCount === 0) {
    if (!isLastBatchOfProducer) return { bytes: null, recordsRead, recordsRetained: 0, deleteHorizonMs: null };
    return { bytes: emptyBatchLike(batch), recordsRead, recordsRetained: 0, deleteHorizonMs: null };
  }
  const decoded = decodeRecordBatch(batch, { verifyCrc: false });
  const retained = isControl
    ? decoded.records
    : decoded.records.filter((record) => shouldRetainRecord(context, record.offset, record.key, record.value === null, horizon));
  return { bytes: rebuildBatch(batch, attributes, retained, newHorizon), recordsRead, recordsRetained: retained.length, deleteHorizonMs: keptHorizon };
}

/** For a control batch's records: true for an ABORT marker, false for COMMIT, null for anything else. */
export function markerIsAbort(records: readonly DecodedRecord[]): boolean | null {
  const type = records.length > 0 ? parseControlRecordKey(records[0].key).type : ControlRecordType.unknown;
  return type === ControlRecordType.abort ? true : type === ControlRecordType.commit ? false : null;
}

/** Kafka's `Cleaner.shouldRetainRecord` for a magic-2 batch. */
function shouldRetainRecord(context: BatchFilterContext, offset: bigint, key: Uint8Array | null, isTombstone: boolean, horizon: bigint | null): boolean {
  if (offset > context.map.latestOffset) return true;
  if (key === null) return false;
  const latestForKey = offset >= context.map.get(key);
  const retainTombstone = horizon === null || context.nowMs < horizon;
  return latestForKey && (!isTombstone || retainTombstone);
}

/**
 * The batch rebuilt with only `records` (Kafka's `buildRetainedRecordsInto`): same base offset, last offset
 * delta, producer fields, leader epoch, codec and timestamp type; with a delete horizon, the base timestamp holds
 * it and the deleteHorizon attribute is set, record timestamps staying exact through their deltas.
 */
function rebuildBatch(original: Buffer, attributes: number, records: readonly DecodedRecord[], horizon: bigint | null): Buffer {
  const compression = attributes & BatchAttribute.compressionMask;
  const logAppendTime = (attributes & BatchAttribute.timestampTypeLogAppendTime) !== 0;
  const baseTimestamp = horizon ?? records[0].timestamp;
  let maxTimestamp = logAppendTime ? original.readBigInt64BE(BatchField.maxTimestamp) : -1n;
  if (!logAppendTime) for (const record of records) if (record.timestamp > maxTimestamp) maxTimestamp = record.timestamp;
  const writer = new Writer(1024);
  const baseOffset = original.readBigInt64BE(BatchField.baseOffset);
  for (const record of records) {
    writeRecord(writer, Number(record.offset - baseOffset), record.timestamp - baseTimestamp, record.key, record.value, record.headers);
  }
  let section = writer.finish();
  if (compression !== 0) section = codecFor(compression).compress(section);
  const batch = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + section.length);
  original.copy(batch, 0, 0, RECORD_BATCH_OVERHEAD);
  section.copy(batch, RECORD_BATCH_OVERHEAD);
  batch.writeInt32BE(batch.length - LOG_OVERHEAD, BatchField.batchLength);
  const newAttributes = horizon === null ? attributes & ~BatchAttribute.deleteHorizon : attributes | BatchAttribute.deleteHorizon;
  batch.writeInt16BE(newAttributes, BatchField.attributes);
  batch.writeBigInt64BE(baseTimestamp, BatchField.baseTimestamp);
  batch.writeBigInt64BE(maxTimestamp, BatchField.maxTimestamp);
  batch.writeInt32BE(records.length, BatchField.recordsCount);
  writeCrc(batch, 0, batch.length);
  return batch;
}

/**
 * A batch header with no records (Kafka's `DefaultRecordBatch.writeEmptyHeader`): kept for its producer id,
 * epoch, sequence range and offsets, which producer state is rebuilt from.
 */
function emptyBatchLike(original: Buffer): Buffer {
  const batch = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD);
  original.copy(batch, 0, 0, RECORD_BATCH_OVERHEAD);
  batch.writeInt32BE(RECORD_BATCH_OVERHEAD - LOG_OVERHEAD, BatchField.batchLength);
  batch.writeInt8(CURRENT_MAGIC, BatchField.magic);
  // Uncompressed: there is nothing to compress, and the delete horizon no longer applies to anything.
  const attributes = original.readInt16BE(BatchField.attributes) & ~(BatchAttribute.compressionMask | BatchAttribute.deleteHorizon);
  batch.writeInt16BE(attributes, BatchField.attributes);
  const maxTimestamp = original.readBigInt64BE(BatchField.maxTimestamp);
  batch.writeBigInt64BE(maxTimestamp, BatchField.baseTimestamp);
  batch.writeInt32BE(0, BatchField.recordsCount);
  writeCrc(batch, 0, batch.length);
  return batch;
}
