// Reads magic-2 record batches (Kafka's `DefaultRecordBatch` iterators and `DefaultRecord.readFrom`).
//
// Validation follows Kafka: a record must consume exactly its declared length, no bytes may remain after
// `recordsCount` records, a negative header count and a negative (null) header key length are invalid; all of
// these are INVALID_RECORD (`InvalidRecordException`). A CRC mismatch, a batch shorter than its header, or a
// compressed stream that does not decode are CORRUPT_MESSAGE (`CorruptRecordException`).
// Decoded keys, values and header values are views into the input (or into the decompressed buffer).
import { DecodeError, Reader } from '../wire/reader.ts';
import {
  BatchAttribute,
  BatchField,
  CURRENT_MAGIC,
  incrementSequence,
  isCrcValid,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  readBatchHeader,
  type CompressionType,
  type RecordBatchHeader,
} from './batch-header.ts';
import { codecFor } from './compression/codec-registry.ts';
import { DEFAULT_MAX_DECOMPRESSED_BYTES } from './compression/compression-codec.ts';
import { corruptMessage, invalidRecord } from './record-batch-error.ts';
import { TimestampType, type DecodedRecord, type DecodedRecordHeader } from './record-types.ts';

/** Bytes before `magic` (baseOffset, batchLength, partitionLeaderEpoch) plus magic itself. */
const HEADER_SIZE_UP_TO_MAGIC = BatchField.magic + 1;
const NO_HEADERS: readonly DecodedRecordHeader[] = Object.freeze([]);

export interface DecodeRecordBatchOptions {
  /** Check the CRC before decoding (default true). */
  readonly verifyCrc?: boolean;
  /** Cap on the decompressed record section (default 64 MiB). */
  readonly maxDecompressedBytes?: number;
}

export interface DecodedRecordBatch extends RecordBatchHeader {
  /** Total bytes of the batch (batchLength + 12). */
  readonly size: number;
  readonly compression: CompressionType;
  readonly timestampType: TimestampType;
  readonly isTransactional: boolean;
  readonly isControl: boolean;
  readonly hasDeleteHorizon: boolean;
  readonly lastOffset: bigint;
  readonly records: readonly DecodedRecord[];
}

/** Size of the batch at `at`, or -1 when fewer bytes than a whole batch (or its framing) remain. */
function completeBatchSize(buf: Buffer, at: number): number {
  const remaining = buf.length - at;
  if (remaining < HEADER_SIZE_UP_TO_MAGIC) return -1;
  const size = buf.readInt32BE(at + BatchField.batchLength) + LOG_OVERHEAD;
  if (size < RECORD_BATCH_OVERHEAD) {
    throw corruptMessage(`record batch size ${size} is smaller than the minimum batch overhead ${RECORD_BATCH_OVERHEAD}`);
  }
  return remaining < size ? -1 : size;
}

/**
 * Decodes the batch that starts at byte 0 of `batch` (extra bytes after it are ignored). Throws
 * `RecordBatchError` when it is truncated, corrupt or invalid.
 */
export function decodeRecordBatch(batch: Uint8Array, options: DecodeRecordBatchOptions = {}): DecodedRecordBatch {
  const buf = Buffer.isBuffer(batch) ? batch : Buffer.from(batch.buffer, batch.byteOffset, batch.byteLength);
  const size = completeBatchSize(buf, 0);
  if (size < 0) throw corruptMessage(`truncated record batch: ${buf.length} bytes`);
  return decodeAt(buf, 0, size, options);
}

/**
 * Walks a records blob holding several batches (a Fetch partition's `Records`). A partial batch at the end —
 * which Fetch returns whenever the size limit cuts a batch — ends the walk silently, as Kafka's
 * `ByteBufferLogInputStream` does.
 */
export function* iterateRecordBatches(records: Uint8Array, options: DecodeRecordBatchOptions = {}): Generator<DecodedRecordBatch> {
  for (const { buf, at, size } of batchSpans(records)) yield decodeAt(buf, at, size, options);
}

export interface RecordBatchSpan {
  readonly buf: Buffer;
  readonly at: number;
  readonly size: number;
}

/** The complete batches in a records blob as (offset, size) spans, without decoding them. */
export function* batchSpans(records: Uint8Array): Generator<RecordBatchSpan> {
  const buf = Buffer.isBuffer(records) ? records : Buffer.from(records.buffer, records.byteOffset, records.byteLength);
  let at = 0;
  for (;;) {
    const size = completeBatchSize(buf, at);
    if (size < 0) return;
    yield { buf, at, size };
    at += size;
  }
}

function decodeAt(buf: Buffer, at: number, size: number, options: DecodeRecordBatchOptions): DecodedRecordBatch {
  const info = readBatchInfo(buf, at, size, options);
  return { ...info, records: decodeBatchRecords(buf, at, info, options, decodedRecord) };
}

/** A batch's header and flags, without its records. */
export type RecordBatchInfo = Omit<DecodedRecordBatch, 'records'>;

/**
 * Reads and checks the header of the batch at `at` (magic, CRC unless `verifyCrc` is false, record count), without
 * decoding its records: a reader that skips a batch (aborted, before its fetch offset) pays for no record.
 */
export function readBatchInfo(buf: Buffer, at: number, size: number, options: DecodeRecordBatchOptions = {}): RecordBatchInfo {
  const magic = buf.readInt8(at + BatchField.magic);
  if (magic !== CURRENT_MAGIC) {
    throw invalidRecord(`record batch magic ${magic} is not supported (only message format v2, magic 2)`);
  }
  if (options.verifyCrc !== false && !isCrcValid(buf, at, size)) {
    throw corruptMessage(
      `record batch is corrupt (stored crc = ${buf.readUInt32BE(at + BatchField.crc)}, computed crc differs)`,
    );
  }
  const header = readBatchHeader(buf, at);
  const attributes = header.attributes;
  if (header.recordsCount < 0) throw invalidRecord(`found invalid record count ${header.recordsCount} in magic v2 batch`);
  return {
    ...header,
    size,
    compression: (attributes & BatchAttribute.compressionMask) as CompressionType,
    timestampType: attributes & BatchAttribute.timestampTypeLogAppendTime ? TimestampType.logAppendTime : TimestampType.createTime,
    isTransactional: (attributes & BatchAttribute.transactional) !== 0,
    isControl: (attributes & BatchAttribute.control) !== 0,
    hasDeleteHorizon: (attributes & BatchAttribute.deleteHorizon) !== 0,
    lastOffset: header.baseOffset + BigInt(header.lastOffsetDelta),
  };
}

/**
 * Makes one record from its decoded fields. Key, value and header values are views into the batch (or its
 * decompressed records); `DecodedRecord` objects by default, a reader's own record type when it passes one, so
 * that no intermediate object is made per record.
 */
export type RecordFactory<T> = (
  offset: bigint,
  offsetDelta: number,
  timestamp: bigint,
  sequence: number,
  key: Buffer | null,
  value: Buffer | null,
  headers: readonly DecodedRecordHeader[],
) => T;

const decodedRecord: RecordFactory<DecodedRecord> = (offset, offsetDelta, timestamp, sequence, key, value, headers) => ({
  offset,
  offsetDelta,
  timestamp,
  sequence,
  key,
  value,
  headers,
});

/**
 * Decodes the records of the batch at `at`, whose header `readBatchInfo` read, decompressing them first, and
 * appends them to `into`. Throws INVALID_RECORD for a record that breaks the format, CORRUPT_MESSAGE for a
 * stream that does not decompress.
 */
export function decodeBatchRecords<T>(buf: Buffer, at: number, info: RecordBatchInfo, options: DecodeRecordBatchOptions, make: RecordFactory<T>, into: T[] = []): T[] {
  const logAppendTime = info.timestampType === TimestampType.logAppendTime;
  if (info.compression === 0) return readRecords(buf, at + RECORD_BATCH_OVERHEAD, at + info.size, info, logAppendTime, make, into);
  const section = codecFor(info.compression).decompress(
    buf.subarray(at + RECORD_BATCH_OVERHEAD, at + info.size),
    options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES,
  );
  return readRecords(section, 0, section.length, info, logAppendTime, make, into);
}

function readRecords<T>(buf: Buffer, start: number, end: number, header: RecordBatchHeader, logAppendTime: boolean, make: RecordFactory<T>, records: T[]): T[] {
  const reader = new Reader(buf, start, end);
  const count = header.recordsCount;
  const context = new RecordContext(header, logAppendTime);
  try {
    for (let i = 0; i < count; i++) records.push(readRecord(reader, context, make));
  } catch (error) {
    if (error instanceof DecodeError) {
      // Kafka turns a BufferUnderflowException here into InvalidRecordException("Found invalid record structure").
      throw invalidRecord(`found invalid record structure: ${error.message}`, error);
    }
    throw error;
  }
  if (reader.remaining > 0) {
    throw invalidRecord(`incorrect declared batch size, ${reader.remaining} bytes remain after ${count} records`);
  }
  return records;
}

/**
 * What the records of one batch share, so that a record costs as few allocations as its fields need: offsets
 * and timestamps come from numbers (one bigint each, not two) while the batch's base values are safe integers,
 * records with the same timestamp delta share one bigint, and a header key is decoded once per run of records
 * that repeat it.
 */
class RecordContext {
  readonly baseOffset: number;
  readonly baseTimestamp: number;
  private lastDelta = Number.NaN;
  private lastTimestamp: bigint;
  private readonly headerKeys: { at: number; length: number; key: string }[] = [];

  constructor(
    readonly header: RecordBatchHeader,
    readonly logAppendTime: boolean,
  ) {
    this.baseOffset = safeNumber(header.baseOffset);
    this.baseTimestamp = safeNumber(header.baseTimestamp);
    this.lastTimestamp = header.maxTimestamp;
  }

  offset(offsetDelta: number): bigint {
    const offset = this.baseOffset + offsetDelta;
    return Number.isSafeInteger(offset) ? BigInt(offset) : this.header.baseOffset + BigInt(offsetDelta);
  }

  /** `delta` is a number when the varlong fit in 4 bytes, else a bigint. */
  timestamp(delta: number | bigint): bigint {
    if (this.logAppendTime) return this.header.maxTimestamp;
    if (delta === this.lastDelta) return this.lastTimestamp;
    let timestamp: bigint;
    if (typeof delta === 'number' && !Number.isNaN(this.baseTimestamp) && Number.isSafeInteger(this.baseTimestamp + delta)) {
      timestamp = BigInt(this.baseTimestamp + delta);
      this.lastDelta = delta;
    } else {
      timestamp = BigInt.asIntN(64, this.header.baseTimestamp + BigInt(delta));
      this.lastDelta = Number.NaN;
    }
    this.lastTimestamp = timestamp;
    return timestamp;
  }

  /** The header key at `index` of a record: the previous record's string when the bytes are the same. */
  headerKey(buf: Buffer, at: number, length: number, index: number): string {
    const previous = this.headerKeys[index];
    if (previous !== undefined && previous.length === length && sameBytes(buf, previous.at, at, length)) {
      previous.at = at;
      return previous.key;
    }
    const key = buf.toString('utf8', at, at + length);
    this.headerKeys[index] = { at, length, key };
    return key;
  }
}

/** A bigint as a number when it is a safe integer, else NaN. */
function safeNumber(value: bigint): number {
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : Number.NaN;
}

function sameBytes(buf: Buffer, a: number, b: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (buf[a + i] !== buf[b + i]) return false;
  return true;
}

function readRecord<T>(reader: Reader, context: RecordContext, make: RecordFactory<T>): T {
  const bodySize = reader.varint();
  if (bodySize < 0 || bodySize > reader.remaining) {
    throw invalidRecord(`invalid record size: expected ${bodySize} bytes in record payload, but only ${reader.remaining} remain`);
  }
  const bodyStart = reader.offset;
  reader.int8(); // record attributes: unused
  const timestampDelta = readVarlongFast(reader);
  const offsetDelta = reader.varint();
  const keyLength = reader.varint();
  const key = keyLength >= 0 ? reader.raw(keyLength) : null;
  const valueLength = reader.varint();
  const value = valueLength >= 0 ? reader.raw(valueLength) : null;
  const headerCount = reader.varint();
  if (headerCount < 0) throw invalidRecord(`found invalid number of record headers ${headerCount}`);
  if (headerCount > reader.remaining) {
    throw invalidRecord(`found invalid number of record headers: ${headerCount} is larger than the remaining bytes`);
  }
  let headers = NO_HEADERS;
  if (headerCount > 0) {
    const list: DecodedRecordHeader[] = new Array<DecodedRecordHeader>(headerCount);
    for (let i = 0; i < headerCount; i++) {
      const headerKeyLength = reader.varint();
      if (headerKeyLength < 0) throw invalidRecord(`invalid negative header key size ${headerKeyLength}`);
      const keyAt = reader.offset;
      reader.skip(headerKeyLength);
      const headerValueLength = reader.varint();
      const headerValue = headerValueLength >= 0 ? reader.raw(headerValueLength) : null;
      list[i] = { key: context.headerKey(reader.buf, keyAt, headerKeyLength, i), value: headerValue };
    }
    headers = list;
  }
  const consumed = reader.offset - bodyStart;
  if (consumed !== bodySize) {
    throw invalidRecord(`invalid record size: expected to read ${bodySize} bytes in record payload, but read ${consumed}`);
  }
  const baseSequence = context.header.baseSequence;
  return make(
    context.offset(offsetDelta),
    offsetDelta,
    context.timestamp(timestampDelta),
    baseSequence >= 0 ? incrementSequence(baseSequence, offsetDelta) : -1,
    key,
    value,
    headers,
  );
}

/** Zigzag varlong as a number when it fits in 4 bytes (a delta within ±2^27 ms, about 37 hours), else as a bigint. */
function readVarlongFast(reader: Reader): number | bigint {
  const buf = reader.buf;
  const at = reader.offset;
  let raw = 0;
  for (let i = 0; i < 4 && i < reader.remaining; i++) {
    const b = buf[at + i];
    raw |= (b & 0x7f) << (7 * i);
    if (b < 0x80) {
      reader.skip(i + 1);
      return (raw >>> 1) ^ -(raw & 1);
    }
  }
  return reader.varlong();
}

