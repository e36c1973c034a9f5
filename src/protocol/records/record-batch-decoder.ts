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
  const compression = (attributes & BatchAttribute.compressionMask) as CompressionType;
  const timestampType = attributes & BatchAttribute.timestampTypeLogAppendTime ? TimestampType.logAppendTime : TimestampType.createTime;
  if (header.recordsCount < 0) throw invalidRecord(`found invalid record count ${header.recordsCount} in magic v2 batch`);
  let section: Buffer;
  let start: number;
  let end: number;
  if (compression === 0) {
    section = buf;
    start = at + RECORD_BATCH_OVERHEAD;
    end = at + size;
  } else {
    const codec = codecFor(compression);
    section = codec.decompress(
      buf.subarray(at + RECORD_BATCH_OVERHEAD, at + size),
      options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES,
    );
    start = 0;
    end = section.length;
  }
  const records = readRecords(section, start, end, header, timestampType === TimestampType.logAppendTime);
  return {
    ...header,
    size,
    compression,
    timestampType,
    isTransactional: (attributes & BatchAttribute.transactional) !== 0,
    isControl: (attributes & BatchAttribute.control) !== 0,
    hasDeleteHorizon: (attributes & BatchAttribute.deleteHorizon) !== 0,
    lastOffset: header.baseOffset + BigInt(header.lastOffsetDelta),
    records,
  };
}

function readRecords(buf: Buffer, start: number, end: number, header: RecordBatchHeader, logAppendTime: boolean): DecodedRecord[] {
  const reader = new Reader(buf, start, end);
  const count = header.recordsCount;
  const records: DecodedRecord[] = [];
  try {
    for (let i = 0; i < count; i++) records.push(readRecord(reader, header, logAppendTime));
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

function readRecord(reader: Reader, header: RecordBatchHeader, logAppendTime: boolean): DecodedRecord {
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
      const keyBytes = reader.raw(headerKeyLength);
      const headerValueLength = reader.varint();
      const headerValue = headerValueLength >= 0 ? reader.raw(headerValueLength) : null;
      list[i] = { key: keyBytes.toString('utf8'), value: headerValue };
    }
    headers = list;
  }
  const consumed = reader.offset - bodyStart;
  if (consumed !== bodySize) {
    throw invalidRecord(`invalid record size: expected to read ${bodySize} bytes in record payload, but read ${consumed}`);
  }
  return {
    offset: header.baseOffset + BigInt(offsetDelta),
    offsetDelta,
    timestamp: logAppendTime ? header.maxTimestamp : header.baseTimestamp + timestampDelta,
    sequence: header.baseSequence >= 0 ? incrementSequence(header.baseSequence, offsetDelta) : -1,
    key,
    value,
    headers,
  };
}

/** Zigzag varlong; one-byte deltas (the common case) skip the bigint loop. */
function readVarlongFast(reader: Reader): bigint {
  const at = reader.offset;
  if (reader.remaining > 0) {
    const b = reader.buf[at];
    if (b < 0x80) {
      reader.skip(1);
      return BigInt((b >>> 1) ^ -(b & 1));
    }
  }
  return reader.varlong();
}

