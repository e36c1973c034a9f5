// Finds, inside one stored batch, the first record at or after a timestamp: ListOffsets by timestamp answers
// with a record's exact offset (Kafka's `LogSegment.findOffsetByTimestamp` iterates the batch's records). Only
// each record's length, timestampDelta and offsetDelta are read (DefaultRecord layout, zigzag varints); keys,
// values and headers are skipped over.
import {
  BatchAttribute,
  BatchField,
  RECORD_BATCH_OVERHEAD,
  compressionOf,
} from '../../protocol/records/batch-header.ts';

export interface TimestampAndOffset {
  timestamp: bigint;
  offset: bigint;
}

/** Turns a compressed records section (everything after the 61-byte header) into plain record bytes. */
export type RecordsDecompressor = (compression: number, data: Buffer) => Buffer;

/**
 * The first record with offset >= `minOffset` and timestamp >= `target`; null when the batch has none.
 * When the records cannot be read (a compressed batch and no decompressor, or malformed bytes) the answer is
 * batch-grained: the batch's first offset >= `minOffset` with the batch's max timestamp.
 */
export function findRecordAtOrAfter(
  batch: Buffer,
  target: bigint,
  minOffset: bigint,
  decompress?: RecordsDecompressor,
): TimestampAndOffset | null {
  const baseOffset = batch.readBigInt64BE(BatchField.baseOffset);
  const lastOffset = baseOffset + BigInt(batch.readInt32BE(BatchField.lastOffsetDelta));
  const maxTimestamp = batch.readBigInt64BE(BatchField.maxTimestamp);
  if (maxTimestamp < target || lastOffset < minOffset) return null;
  const attributes = batch.readInt16BE(BatchField.attributes);
  const coarse = { timestamp: maxTimestamp, offset: baseOffset > minOffset ? baseOffset : minOffset };
  // LogAppendTime: every record's timestamp is the batch's maxTimestamp (DefaultRecordBatch iterator).
  if ((attributes & BatchAttribute.timestampTypeLogAppendTime) !== 0) return coarse;
  let records = batch.subarray(RECORD_BATCH_OVERHEAD);
  const compression = compressionOf(attributes);
  if (compression !== 0) {
    if (!decompress) return coarse;
    try {
      records = decompress(compression, records);
    } catch {
      return coarse;
    }
  }
  const baseTimestamp = batch.readBigInt64BE(BatchField.baseTimestamp);
  const count = batch.readInt32BE(BatchField.recordsCount);
  const cursor = { at: 0 };
  try {
    for (let i = 0; i < count; i++) {
      const length = readVarint(records, cursor);
      const recordStart = cursor.at;
      if (length < 0 || recordStart + length > records.length) return coarse;
      cursor.at += 1; // record attributes
      const timestamp = baseTimestamp + readVarlong(records, cursor);
      const offset = baseOffset + BigInt(readVarint(records, cursor));
      if (timestamp >= target && offset >= minOffset) return { timestamp, offset };
      cursor.at = recordStart + length;
    }
  } catch {
    return coarse;
  }
  return null;
}

/** Zigzag varint (DefaultRecord / ByteUtils.readVarint); throws past the end or beyond 5 bytes. */
function readVarint(bytes: Buffer, cursor: { at: number }): number {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (cursor.at >= bytes.length || shift > 28) throw new RangeError('bad varint');
    const byte = bytes[cursor.at++];
    value |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) break;
    shift += 7;
  }
  return (value >>> 1) ^ -(value & 1);
}

/** Zigzag varlong (ByteUtils.readVarlong); throws past the end or beyond 10 bytes. */
function readVarlong(bytes: Buffer, cursor: { at: number }): bigint {
  let value = 0n;
  let shift = 0n;
  for (;;) {
    if (cursor.at >= bytes.length || shift > 63n) throw new RangeError('bad varlong');
    const byte = bytes[cursor.at++];
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) break;
    shift += 7n;
  }
  return (value >> 1n) ^ -(value & 1n);
}
