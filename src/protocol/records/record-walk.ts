// Walks the records of one magic-2 batch on its raw bytes and checks their structure, without building a single
// object per record: the broker runs this on every produced batch (Kafka's `LogValidator` iterates every record
// of every batch, decompressing compressed ones), so a record no reader could decode is never stored.
//
// The checks are those of `DefaultRecord.readFrom` and `DefaultRecordBatch`'s record iterators, all raised there
// as `InvalidRecordException` (INVALID_RECORD): a varint longer than 5 bytes (varlong: 10), a record body that
// runs past the records, a key/value/header length that runs past its record, a negative header count or a
// negative (null) header key length, a record whose fields do not add up to its declared length, fewer records
// than `recordsCount` ("premature EOF") and bytes left after the last one ("records still remaining").
// One exception: in an uncompressed batch a record's length prefix is read outside `readFrom`'s try block, so an
// overlong one escapes as an IllegalArgumentException that Kafka answers UNKNOWN_SERVER_ERROR; that is mirrored.
// (Kafka's stream iterator for compressed batches turns it into INVALID_RECORD.)
//
// Only timestamps and offset deltas are kept (the largest timestamp and whether deltas run 0..n-1), both as
// plain numbers on the common path: a timestamp delta that needs more than 48 bits, or a base timestamp near the
// int64 limits, switches to bigint arithmetic for that batch.
import { ErrorCode } from '../errors/error-table.ts';
import { invalidRecord, RecordBatchError } from './record-batch-error.ts';
import { INT64_MAX, INT64_MIN } from '../wire/int-limits.ts';

/** What the walk learnt about the records, for the timestamp and offset rewrites that follow validation. */
export interface RecordsSummary {
  /** The largest record timestamp, or -1 (`NO_TIMESTAMP`) when none is larger (Kafka starts its max at -1). */
  maxTimestamp: bigint;
  /** The smallest record timestamp (Int64.MAX for no records), for the `message.timestamp.before.max.ms` check. */
  minTimestamp: bigint;
  /** Every record's offset delta equals its index (Kafka rebuilds a compressed batch where this is false). */
  offsetDeltasInOrder: boolean;
  /** Records with a null key (refused on compacted topics, `LogValidator.validateKey`). */
  nullKeys: number;
}

/** Deltas below this magnitude are exact as numbers, and base + delta cannot wrap for a base this far from the limits. */
const FAST_DELTA_LIMIT = 2 ** 48;
const FAST_BASE_MAX = INT64_MAX - BigInt(FAST_DELTA_LIMIT);
const FAST_BASE_MIN = INT64_MIN + BigInt(FAST_DELTA_LIMIT);

// The bytes and cursor of the readers below, as module state so that reading a varint returns a plain number and
// allocates nothing. The walk is synchronous, so no two walks interleave.
let bytes: Buffer = Buffer.alloc(0);
let pos = 0;
let limit = 0;
/** Set by the varlong readers when the value did not fit a number; `slowVarlong` then holds it. */
let varlongIsSlow = false;
let slowVarlong = 0n;
/** Whether an overlong length prefix is Kafka's escaping IllegalArgumentException (uncompressed batches). */
let lengthOverflowEscapes = false;

function underflow(): never {
  throw invalidRecord('found invalid record structure: the record runs past the end of the batch');
}

/** Zigzag varint of at most 5 bytes (`ByteUtils.readVarint`), at `pos` below `limit`. */
function readVarint(): number {
  const first = pos < limit ? bytes[pos] : 0x80;
  if (first < 0x80) {
    pos++;
    return (first >>> 1) ^ -(first & 1);
  }
  return readVarintSlow();
}

function readVarintSlow(): number {
  let raw = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= limit) underflow();
    const b = bytes[pos++];
    raw |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) {
      raw >>>= 0;
      return (raw >>> 1) ^ -(raw & 1);
    }
  }
  throw invalidRecord('found invalid record structure: a varint is longer than 5 bytes');
}

/** A record's length prefix: as `readVarint`, but an overlong one is Kafka's escaping IllegalArgumentException. */
function readLengthVarintSlow(): number {
  let raw = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= limit) underflow();
    const b = bytes[pos++];
    raw |= (b & 0x7f) << shift;
    if (b < 0x80) {
      raw >>>= 0;
      return (raw >>> 1) ^ -(raw & 1);
    }
  }
  if (lengthOverflowEscapes) throw new RecordBatchError(ErrorCode.UNKNOWN_SERVER_ERROR, 'a record length varint is longer than 5 bytes');
  throw invalidRecord('found invalid record structure: a varint is longer than 5 bytes');
}

/**
 * Zigzag varlong of at most 10 bytes (`ByteUtils.readVarlong`): a number when |value| < 2^48, else 0 with
 * `varlongIsSlow` set and the value in `slowVarlong`. Up to 4 bytes (the usual timestamp delta) in int32 arithmetic.
 */
function readVarlongNumberSlow(): number {
  const start = pos;
  let raw = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= limit) underflow();
    const b = bytes[pos++];
    raw |= (b & 0x7f) << shift;
    if (b < 0x80) {
      varlongIsSlow = false;
      return (raw >>> 1) ^ -(raw & 1);
    }
  }
  pos = start;
  return readLongVarlong();
}

function readLongVarlong(): number {
  const start = pos;
  let raw = 0;
  let multiplier = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= limit) underflow();
    const b = bytes[pos++];
    if (i < 7) {
      raw += (b & 0x7f) * multiplier;
      multiplier *= 128;
    }
    if ((b & 0x80) === 0) {
      if (i < 7) {
        // Zigzag on a non-negative integer below 2^49: even -> raw / 2, odd -> -(raw + 1) / 2.
        const value = raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
        if (value < FAST_DELTA_LIMIT && value > -FAST_DELTA_LIMIT) {
          varlongIsSlow = false;
          return value;
        }
      }
      varlongIsSlow = true;
      slowVarlong = bigintVarlongAt(start, pos);
      return 0;
    }
  }
  throw invalidRecord('found invalid record structure: a varlong is longer than 10 bytes');
}

function bigintVarlongAt(start: number, end: number): bigint {
  let raw = 0n;
  for (let at = start, shift = 0n; at < end; at++, shift += 7n) raw |= BigInt(bytes[at] & 0x7f) << shift;
  raw = BigInt.asUintN(64, raw);
  return BigInt.asIntN(64, (raw >> 1n) ^ -(raw & 1n));
}

/** Skips a length-prefixed field of `length` bytes (-1 or any negative: null) that must end within `end`. */
function skipBytes(length: number, end: number): void {
  if (length > 0) {
    if (length > end - pos) {
      throw invalidRecord(`found invalid record structure: a field of ${length} bytes runs past its record`);
    }
    pos += length;
  }
}

/** The batch-header fields the walk needs. */
export interface WalkedBatch {
  readonly recordsCount: number;
  readonly baseTimestamp: bigint;
  readonly maxTimestamp: bigint;
  /** The LogAppendTime attribute: every record's timestamp is then the header's maxTimestamp. */
  readonly logAppendTime: boolean;
  /** Whether `records` is the decompressed section of a compressed batch. */
  readonly compressed: boolean;
}

/**
 * Checks the records in `records[start, end)` of `batch` (`DefaultRecordBatch` iterators). Throws a
 * `RecordBatchError` (INVALID_RECORD, or UNKNOWN_SERVER_ERROR where Kafka's answer is that) on the first
 * malformed record.
 */
// The walk keeps its cursor in a local and reads one-byte varints (almost every field of a record) inline; longer
// ones go through the module-level readers above, the cursor handed over in `pos`/`limit` and taken back after.
export function walkRecords(records: Buffer, start: number, end: number, batch: WalkedBatch): RecordsSummary {
  const { recordsCount: count, baseTimestamp, logAppendTime, maxTimestamp: headerMaxTimestamp } = batch;
  lengthOverflowEscapes = !batch.compressed;
  bytes = records;
  const buf = records;
  let p = start;
  const fast = baseTimestamp <= FAST_BASE_MAX && baseTimestamp >= FAST_BASE_MIN;
  let maxDelta = -Infinity;
  let minDelta = Infinity;
  let maxTimestamp = -1n;
  let minTimestamp = INT64_MAX;
  let inOrder = true;
  let nullKeys = 0;
  let b = 0;
  let v = 0;
  try {
    for (let i = 0; i < count; i++) {
      if (p >= end) throw invalidRecord(`incorrect declared batch size, premature EOF reached after ${i} of ${count} records`);
      b = buf[p];
      if (b < 0x80) { p++; v = (b >>> 1) ^ -(b & 1); } else { pos = p; limit = end; v = readLengthVarintSlow(); p = pos; }
      const bodySize = v;
      if (bodySize > end - p) {
        throw invalidRecord(`invalid record size: expected ${bodySize} bytes in record payload, but only ${end - p} remain`);
      }
      const bodyStart = p;
      const bodyEnd = bodySize >= 0 ? bodyStart + bodySize : bodyStart;
      if (p >= bodyEnd) underflow();
      p++; // attributes: unused in magic 2
      b = p < bodyEnd ? buf[p] : 0x80;
      let delta: number;
      if (b < 0x80) { p++; delta = (b >>> 1) ^ -(b & 1); varlongIsSlow = false; } else { pos = p; limit = bodyEnd; delta = readVarlongNumberSlow(); p = pos; }
      if (!logAppendTime) {
        if (fast && !varlongIsSlow) {
          if (delta > maxDelta) maxDelta = delta;
          if (delta < minDelta) minDelta = delta;
        } else {
          const timestamp = BigInt.asIntN(64, baseTimestamp + (varlongIsSlow ? slowVarlong : BigInt(delta)));
          if (timestamp > maxTimestamp) maxTimestamp = timestamp;
          if (timestamp < minTimestamp) minTimestamp = timestamp;
        }
      }
      b = p < bodyEnd ? buf[p] : 0x80;
      if (b < 0x80) { p++; v = (b >>> 1) ^ -(b & 1); } else { pos = p; limit = bodyEnd; v = readVarintSlow(); p = pos; }
      if (v !== i) inOrder = false;
      // key, value
      for (let f = 0; f < 2; f++) {
        b = p < bodyEnd ? buf[p] : 0x80;
        if (b < 0x80) { p++; v = (b >>> 1) ^ -(b & 1); } else { pos = p; limit = bodyEnd; v = readVarintSlow(); p = pos; }
        if (v < 0 && f === 0) nullKeys++;
        if (v > 0) {
          if (v > bodyEnd - p) throw invalidRecord(`found invalid record structure: a field of ${v} bytes runs past its record`);
          p += v;
        }
      }
      b = p < bodyEnd ? buf[p] : 0x80;
      if (b < 0x80) { p++; v = (b >>> 1) ^ -(b & 1); } else { pos = p; limit = bodyEnd; v = readVarintSlow(); p = pos; }
      const headerCount = v;
      if (headerCount < 0) throw invalidRecord(`found invalid number of record headers ${headerCount}`);
      if (headerCount > bodyEnd - p) {
        throw invalidRecord(`found invalid number of record headers: ${headerCount} is larger than the remaining bytes`);
      }
      if (headerCount > 0) {
        pos = p;
        limit = bodyEnd;
        for (let h = 0; h < headerCount; h++) {
          const keyLength = readVarint();
          if (keyLength < 0) throw invalidRecord(`invalid negative header key size ${keyLength}`);
          skipBytes(keyLength, bodyEnd);
          skipBytes(readVarint(), bodyEnd);
        }
        p = pos;
      }
      if (p - bodyStart !== bodySize) {
        throw invalidRecord(`invalid record size: expected to read ${bodySize} bytes in record payload, but read ${p - bodyStart}`);
      }
    }
    if (p !== end) throw invalidRecord(`incorrect declared batch size, ${end - p} bytes remain after ${count} records`);
  } finally {
    bytes = EMPTY;
  }
  if (logAppendTime) {
    maxTimestamp = count > 0 && headerMaxTimestamp > -1n ? headerMaxTimestamp : -1n;
    minTimestamp = count > 0 ? headerMaxTimestamp : INT64_MAX;
  } else if (maxDelta !== -Infinity) {
    const fastMax = baseTimestamp + BigInt(maxDelta);
    if (fastMax > maxTimestamp) maxTimestamp = fastMax;
    const fastMin = baseTimestamp + BigInt(minDelta);
    if (fastMin < minTimestamp) minTimestamp = fastMin;
  }
  return { maxTimestamp, minTimestamp, offsetDeltasInOrder: inOrder, nullKeys };
}

const EMPTY = Buffer.alloc(0);
