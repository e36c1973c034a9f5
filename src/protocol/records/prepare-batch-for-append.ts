// What Kafka's `LogValidator` changes in a validated client batch before it is appended (magic 2), after
// `validateBatchForAppend` has walked its records:
//   - CreateTime topics: the header's maxTimestamp becomes the largest record timestamp and the timestamp type
//     CreateTime (`DefaultRecordBatch.setMaxTimestamp`), in place; the CRC is recomputed only when either
//     changed, and a rewrite recomputes the attributes from their parts (`computeAttributes`), dropping unused
//     bits. So a header claiming Long.MAX, or a producer-set LogAppendTime bit, is stored as Kafka stores it.
//   - LogAppendTime topics: the log stamps the append time itself (`PartitionLog.append`), so nothing here.
// Batches are never rebuilt: the one case Kafka would rebuild with the producer's codec (a compressed batch with
// inner offsets other than 0..n-1) fails in Kafka and is refused by `validateBatchForAppend`.
import { BatchAttribute, BatchField, writeCrc, type RecordBatchHeader } from './batch-header.ts';
import type { RecordsSummary } from './record-walk.ts';

/** The attribute bits `DefaultRecordBatch.computeAttributes` writes: codec, timestamp type, transactional, control, delete horizon. */
const KNOWN_ATTRIBUTES =
  BatchAttribute.compressionMask | BatchAttribute.timestampTypeLogAppendTime | BatchAttribute.transactional | BatchAttribute.control | BatchAttribute.deleteHorizon;

/**
 * Patches `batch` in place where Kafka would, and returns it. `header` and `records` come from a successful
 * `validateBatchForAppend` of `batch`; `header` is updated to what was written.
 */
export function prepareBatchForAppend(
  batch: Buffer,
  header: RecordBatchHeader,
  records: RecordsSummary,
  topicTimestampType: 'CreateTime' | 'LogAppendTime',
): Buffer {
  if (topicTimestampType === 'LogAppendTime') return batch;
  const attributes = header.attributes;
  if ((attributes & BatchAttribute.timestampTypeLogAppendTime) === 0 && header.maxTimestamp === records.maxTimestamp) return batch;
  header.attributes = attributes & KNOWN_ATTRIBUTES & ~BatchAttribute.timestampTypeLogAppendTime;
  header.maxTimestamp = records.maxTimestamp;
  batch.writeInt16BE(header.attributes, BatchField.attributes);
  batch.writeBigInt64BE(header.maxTimestamp, BatchField.maxTimestamp);
  writeCrc(batch, 0, batch.length);
  header.crc = batch.readUInt32BE(BatchField.crc);
  return batch;
}
