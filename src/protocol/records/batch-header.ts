// The 61-byte header of a magic-2 record batch (Kafka's `DefaultRecordBatch`), read and patched in place.
// The broker works on these bytes only: it never decodes the records it stores or serves.
import { crc32c } from '../wire/crc32c.ts';

/** Byte offsets of the header fields (DefaultRecordBatch). */
export const BatchField = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordsCount: 57,
} as const;

/** Header size, `DefaultRecordBatch.RECORD_BATCH_OVERHEAD`. */
export const RECORD_BATCH_OVERHEAD = 61;
/** baseOffset + batchLength, `Records.LOG_OVERHEAD`: batchLength counts the bytes after these. */
export const LOG_OVERHEAD = 12;
/** The CRC covers from `attributes` to the end of the batch. */
export const CRC_START = BatchField.attributes;
export const CURRENT_MAGIC = 2;

export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_TIMESTAMP = -1n;
export const NO_PARTITION_LEADER_EPOCH = -1;

/** Attribute bits (RecordBatch / DefaultRecordBatch). */
export const BatchAttribute = {
  compressionMask: 0x07,
  timestampTypeLogAppendTime: 0x08,
  transactional: 0x10,
  control: 0x20,
  deleteHorizon: 0x40,
} as const;

export const CompressionType = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionType = (typeof CompressionType)[keyof typeof CompressionType];

export interface RecordBatchHeader {
  baseOffset: bigint;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordsCount: number;
}

/** Total size of the batch starting at `at` (its batchLength + 12). Needs only the first 12 bytes. */
export function batchSizeAt(buf: Buffer, at = 0): number {
  return buf.readInt32BE(at + BatchField.batchLength) + LOG_OVERHEAD;
}

/** Reads the header of the batch at `at`. The caller checks that `RECORD_BATCH_OVERHEAD` bytes exist. */
export function readBatchHeader(buf: Buffer, at = 0): RecordBatchHeader {
  return {
    baseOffset: buf.readBigInt64BE(at + BatchField.baseOffset),
    batchLength: buf.readInt32BE(at + BatchField.batchLength),
    partitionLeaderEpoch: buf.readInt32BE(at + BatchField.partitionLeaderEpoch),
    magic: buf.readInt8(at + BatchField.magic),
    crc: buf.readUInt32BE(at + BatchField.crc),
    attributes: buf.readInt16BE(at + BatchField.attributes),
    lastOffsetDelta: buf.readInt32BE(at + BatchField.lastOffsetDelta),
    baseTimestamp: buf.readBigInt64BE(at + BatchField.baseTimestamp),
    maxTimestamp: buf.readBigInt64BE(at + BatchField.maxTimestamp),
    producerId: buf.readBigInt64BE(at + BatchField.producerId),
    producerEpoch: buf.readInt16BE(at + BatchField.producerEpoch),
    baseSequence: buf.readInt32BE(at + BatchField.baseSequence),
    recordsCount: buf.readInt32BE(at + BatchField.recordsCount),
  };
}

export function compressionOf(attributes: number): number {
  return attributes & BatchAttribute.compressionMask;
}

export function isTransactional(attributes: number): boolean {
  return (attributes & BatchAttribute.transactional) !== 0;
}

export function isControl(attributes: number): boolean {
  return (attributes & BatchAttribute.control) !== 0;
}

/** The stored CRC matches CRC-32C over [attributes, end) of the batch at `at` of `size` bytes. */
export function isCrcValid(buf: Buffer, at: number, size: number): boolean {
  return buf.readUInt32BE(at + BatchField.crc) === crc32c(buf.subarray(at + CRC_START, at + size));
}

/** Recomputes and stores the CRC (after a field inside the CRC's range was changed). */
export function writeCrc(buf: Buffer, at: number, size: number): void {
  buf.writeUInt32BE(crc32c(buf.subarray(at + CRC_START, at + size)), at + BatchField.crc);
}

/** baseOffset and partitionLeaderEpoch lie outside the CRC, so assigning them needs no CRC recompute. */
export function setBaseOffset(buf: Buffer, at: number, baseOffset: bigint): void {
  buf.writeBigInt64BE(baseOffset, at + BatchField.baseOffset);
}

export function setPartitionLeaderEpoch(buf: Buffer, at: number, epoch: number): void {
  buf.writeInt32BE(epoch, at + BatchField.partitionLeaderEpoch);
}

/**
 * LogAppendTime: maxTimestamp becomes the broker's clock and the timestamp-type bit is set; both are inside
 * the CRC, so it is recomputed (DefaultRecordBatch.setMaxTimestamp).
 */
export function setLogAppendTime(buf: Buffer, at: number, size: number, now: bigint): void {
  buf.writeBigInt64BE(now, at + BatchField.maxTimestamp);
  const attributes = buf.readInt16BE(at + BatchField.attributes);
  buf.writeInt16BE(attributes | BatchAttribute.timestampTypeLogAppendTime, at + BatchField.attributes);
  writeCrc(buf, at, size);
}

/** Kafka's `DefaultRecordBatch.incrementSequence`: sequences wrap from Int32.MAX to 0. */
export function incrementSequence(sequence: number, increment: number): number {
  if (sequence > 0x7fffffff - increment) return increment - (0x7fffffff - sequence) - 1;
  return sequence + increment;
}

/** Kafka's `DefaultRecordBatch.decrementSequence`. */
export function decrementSequence(sequence: number, decrement: number): number {
  if (sequence < decrement) return 0x7fffffff - (decrement - sequence) + 1;
  return sequence - decrement;
}
