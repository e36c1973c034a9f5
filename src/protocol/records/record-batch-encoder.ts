// Builds a complete magic-2 record batch (Kafka's `MemoryRecordsBuilder` + `DefaultRecord.writeTo`).
//
// Hot path design: the record section is sized from an upper bound first, so the Writer never grows; each
// record's body size is computed arithmetically (varint sizes) so its length prefix is written once, in place;
// header keys are UTF-8 encoded exactly once. Uncompressed batches are written header-and-records into one
// buffer and the header is patched at the end; compressed batches compress the record section and copy it
// once behind the header. The CRC-32C covers [attributes, end) (`DefaultRecordBatch.computeChecksum`).
import { Writer } from '../wire/writer.ts';
import {
  BatchAttribute,
  BatchField,
  CompressionType,
  CURRENT_MAGIC,
  LOG_OVERHEAD,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  RECORD_BATCH_OVERHEAD,
  writeCrc,
} from './batch-header.ts';
import { codecFor } from './compression/codec-registry.ts';
import { TimestampType, type RecordHeader, type RecordInput } from './record-types.ts';
import { INT32_MAX, INT32_MIN } from '../wire/int-limits.ts';

export interface RecordBatchInput {
  readonly records: readonly RecordInput[];
  /** 0 from clients; the leader assigns the real offset. */
  readonly baseOffset?: bigint;
  readonly partitionLeaderEpoch?: number;
  readonly producerId?: bigint;
  readonly producerEpoch?: number;
  readonly baseSequence?: number;
  readonly isTransactional?: boolean;
  readonly isControl?: boolean;
  readonly compression?: CompressionType;
  readonly timestampType?: TimestampType;
  /**
   * Stored maxTimestamp. Defaults to the largest record timestamp; for LogAppendTime pass the append time.
   */
  readonly maxTimestamp?: bigint;
}

/** `DefaultRecord.MAX_RECORD_OVERHEAD` plus the key, value and header-count varints. */
const RECORD_SIZE_BOUND = 21 + 15;
const HEADER_SIZE_BOUND = 10;
const textEncoder = new TextEncoder();

// Header keys come from a small vocabulary ("content-type", "traceparent", ...), and TextEncoder.encode costs
// far more than the rest of a record, so each distinct key is UTF-8 encoded once and reused. Bounded so a
// producer with unbounded key variety cannot grow it without limit.
const HEADER_KEY_CACHE_LIMIT = 512;
const headerKeyCache = new Map<string, Uint8Array>();

function headerKeyBytes(key: string): Uint8Array {
  let bytes = headerKeyCache.get(key);
  if (bytes === undefined) {
    bytes = textEncoder.encode(key);
    if (headerKeyCache.size >= HEADER_KEY_CACHE_LIMIT) headerKeyCache.clear();
    headerKeyCache.set(key, bytes);
  }
  return bytes;
}

/** Bytes of a zigzag varint for an int32 (`ByteUtils.sizeOfVarint`). */
export function sizeOfVarint(value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  let bytes = 1;
  while (v >= 0x80) {
    v >>>= 7;
    bytes++;
  }
  return bytes;
}

/** Bytes of a zigzag varlong (`ByteUtils.sizeOfVarlong`). */
export function sizeOfVarlong(value: bigint): number {
  if (value >= BigInt(INT32_MIN) && value <= BigInt(INT32_MAX)) return sizeOfVarint(Number(value));
  let v = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  let bytes = 1;
  while (v >= 0x80n) {
    v >>= 7n;
    bytes++;
  }
  return bytes;
}

/** Upper bound of the encoded record section, used to pre-size the buffer. */
function recordsSizeBound(records: readonly RecordInput[]): number {
  let size = 0;
  for (const record of records) {
    size += RECORD_SIZE_BOUND + (record.key?.length ?? 0) + (record.value?.length ?? 0);
    const headers = record.headers;
    if (headers !== undefined) {
      for (const header of headers) size += HEADER_SIZE_BOUND + header.key.length * 3 + (header.value?.length ?? 0);
    }
  }
  return size;
}

function writeRecords(writer: Writer, records: readonly RecordInput[], baseTimestamp: bigint): void {
  for (let offsetDelta = 0; offsetDelta < records.length; offsetDelta++) {
    const record = records[offsetDelta];
    writeRecord(writer, offsetDelta, record.timestamp - baseTimestamp, record.key, record.value, record.headers);
  }
}

/**
 * Writes one record (`DefaultRecord.writeTo`) at the writer's end: the record section of a batch is these, back to
 * back. Exported for builders that add records one at a time (the client's `ProducerBatch`). Allocates nothing
 * for a record whose header keys were seen before.
 */
export function writeRecord(
  writer: Writer,
  offsetDelta: number,
  timestampDelta: bigint,
  key: Uint8Array | null,
  value: Uint8Array | null,
  headers: readonly RecordHeader[] | undefined,
): void {
  // Timestamp deltas almost always fit an int32, and for those the zigzag-32 bytes equal the zigzag-64 bytes,
  // so they are written as numbers; only the rare large delta takes the bigint varlong path. Number() of a huge
  // delta loses precision, but then it is outside the int32 range and takes the bigint path.
  const smallDelta = Number(timestampDelta);
  const isSmall = smallDelta >= INT32_MIN && smallDelta <= INT32_MAX;
  let bodySize =
    1 +
    (isSmall ? sizeOfVarint(smallDelta) : sizeOfVarlong(timestampDelta)) +
    sizeOfVarint(offsetDelta) +
    (key === null ? 1 : sizeOfVarint(key.length) + key.length) +
    (value === null ? 1 : sizeOfVarint(value.length) + value.length);
  const headerCount = headers?.length ?? 0;
  bodySize += sizeOfVarint(headerCount);
  if (headers !== undefined) {
    for (let i = 0; i < headerCount; i++) {
      const header: RecordHeader = headers[i];
      const keyBytes = headerKeyBytes(header.key);
      const headerValue = header.value;
      bodySize +=
        sizeOfVarint(keyBytes.length) +
        keyBytes.length +
        (headerValue === null ? 1 : sizeOfVarint(headerValue.length) + headerValue.length);
    }
  }
  writer.varint(bodySize);
  writer.int8(0); // record attributes: unused
  if (isSmall) writer.varint(smallDelta);
  else writer.varlong(timestampDelta);
  writer.varint(offsetDelta);
  if (key === null) writer.varint(-1);
  else writer.varint(key.length).raw(key);
  if (value === null) writer.varint(-1);
  else writer.varint(value.length).raw(value);
  writer.varint(headerCount);
  if (headers !== undefined) {
    for (let i = 0; i < headerCount; i++) {
      // Same bytes as sized above: the cache hands back the encoding (re-encoding if it was just cleared).
      const keyBytes = headerKeyBytes(headers[i].key);
      writer.varint(keyBytes.length).raw(keyBytes);
      const headerValue = headers[i].value;
      if (headerValue === null) writer.varint(-1);
      else writer.varint(headerValue.length).raw(headerValue);
    }
  }
}

function attributesOf(input: RecordBatchInput, compression: CompressionType): number {
  let attributes = compression & BatchAttribute.compressionMask;
  if (input.timestampType === TimestampType.logAppendTime) attributes |= BatchAttribute.timestampTypeLogAppendTime;
  if (input.isTransactional) attributes |= BatchAttribute.transactional;
  if (input.isControl) attributes |= BatchAttribute.control;
  return attributes;
}

function writeHeader(buf: Buffer, input: RecordBatchInput, compression: CompressionType, baseTimestamp: bigint, maxTimestamp: bigint): void {
  const count = input.records.length;
  buf.writeBigInt64BE(input.baseOffset ?? 0n, BatchField.baseOffset);
  buf.writeInt32BE(buf.length - LOG_OVERHEAD, BatchField.batchLength);
  buf.writeInt32BE(input.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, BatchField.partitionLeaderEpoch);
  buf.writeInt8(CURRENT_MAGIC, BatchField.magic);
  buf.writeInt16BE(attributesOf(input, compression), BatchField.attributes);
  buf.writeInt32BE(count - 1, BatchField.lastOffsetDelta);
  buf.writeBigInt64BE(baseTimestamp, BatchField.baseTimestamp);
  buf.writeBigInt64BE(maxTimestamp, BatchField.maxTimestamp);
  buf.writeBigInt64BE(input.producerId ?? NO_PRODUCER_ID, BatchField.producerId);
  buf.writeInt16BE(input.producerEpoch ?? NO_PRODUCER_EPOCH, BatchField.producerEpoch);
  buf.writeInt32BE(input.baseSequence ?? NO_SEQUENCE, BatchField.baseSequence);
  buf.writeInt32BE(count, BatchField.recordsCount);
  writeCrc(buf, 0, buf.length);
}

/** Encodes one record batch. Throws RangeError for an empty record list (Kafka never writes one). */
export function encodeRecordBatch(input: RecordBatchInput): Buffer {
  const records = input.records;
  if (records.length === 0) throw new RangeError('a record batch needs at least one record');
  const compression = input.compression ?? CompressionType.none;
  const codec = codecFor(compression);
  const baseTimestamp = records[0].timestamp;
  let maxTimestamp = input.maxTimestamp;
  if (maxTimestamp === undefined) {
    maxTimestamp = baseTimestamp;
    for (const record of records) if (record.timestamp > maxTimestamp) maxTimestamp = record.timestamp;
  }
  const bound = recordsSizeBound(records);
  if (compression === CompressionType.none) {
    const writer = new Writer(RECORD_BATCH_OVERHEAD + bound);
    writer.reserve(RECORD_BATCH_OVERHEAD);
    writeRecords(writer, records, baseTimestamp);
    const batch = writer.finish();
    writeHeader(batch, input, compression, baseTimestamp, maxTimestamp);
    return batch;
  }
  const writer = new Writer(bound);
  writeRecords(writer, records, baseTimestamp);
  const compressed = codec.compress(writer.finish());
  const batch = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + compressed.length);
  compressed.copy(batch, RECORD_BATCH_OVERHEAD);
  writeHeader(batch, input, compression, baseTimestamp, maxTimestamp);
  return batch;
}
