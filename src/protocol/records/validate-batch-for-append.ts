// The broker's per-batch checks on a produced batch, on raw bytes, without decoding a single record.
// Mirrors, in order: `ProduceRequest.validateRecords` (exactly one magic-2 batch; a known codec),
// `UnifiedLog.analyzeAndValidateRecords` (client baseOffset 0, max.message.bytes, `ensureValid`: size and CRC)
// and `LogValidator.validateBatch` (offset range vs. count, no control batches from clients, a producer id
// needs a sequence). It returns the Kafka error that applies instead of throwing, because the broker calls it
// for every produced batch and turns a failure into that partition's error code.
//
// Then, as `LogValidator` does for every batch, it walks every record (decompressing a compressed batch under a
// size cap) and rejects the batch when one is malformed (`walkRecords`), and applies `LogValidator.validateTimestamp`:
// on CreateTime topics each record timestamp (other than -1) must lie within `message.timestamp.before.max.ms` /
// `after.max.ms` of the broker's clock, and a client batch may not carry the LogAppendTime bit (on CreateTime topics
// only when its records have no timestamp). Failures are INVALID_TIMESTAMP with one record error per record.
//
// Differences from Kafka, on purpose: trailing bytes after the one batch are refused (Kafka silently trims a
// partial trailing batch), and an unknown codec id (5..7) is UNSUPPORTED_COMPRESSION_TYPE where Kafka fails
// with an IllegalArgumentException. Kafka's in-place path for compressed batches skips keys, values and headers
// without checking a record's declared length against its fields; here every record of every batch gets the full
// `DefaultRecord.readFrom` check, so no batch a reader cannot decode is ever stored. On compacted topics a record
// without a key is refused (`LogValidator.validateKey`).
import { ErrorCode } from '../errors/error-table.ts';
import {
  BatchAttribute,
  BatchField,
  CRC_START,
  CURRENT_MAGIC,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  readBatchHeader,
  type RecordBatchHeader,
} from './batch-header.ts';
import { crc32c } from '../wire/crc32c.ts';
import { codecFor, isKnownCompressionType } from './compression/codec-registry.ts';
import { DEFAULT_MAX_DECOMPRESSED_BYTES } from './compression/compression-codec.ts';
import { RecordBatchError } from './record-batch-error.ts';
import { walkRecords, type RecordsSummary } from './record-walk.ts';
import { decodeRecordBatch } from './record-batch-decoder.ts';
import { INT64_MAX } from '../wire/int-limits.ts';

/** Kafka's `AppendOrigin`: client batches get the client-only checks; coordinator/replicated ones do not. */
export const AppendOrigin = { client: 'client', coordinator: 'coordinator', replication: 'replication' } as const;
export type AppendOrigin = (typeof AppendOrigin)[keyof typeof AppendOrigin];

export const BatchRejectReason = {
  truncated: 'truncated',
  sizeMismatch: 'size-mismatch',
  notOneBatch: 'not-one-batch',
  oldMessageFormat: 'old-message-format',
  unknownMagic: 'unknown-magic',
  tooSmall: 'too-small',
  unknownCompression: 'unknown-compression',
  nonZeroBaseOffset: 'non-zero-base-offset',
  tooLarge: 'too-large',
  crcMismatch: 'crc-mismatch',
  invalidOffsetRange: 'invalid-offset-range',
  invalidCount: 'invalid-count',
  countMismatch: 'count-mismatch',
  controlFromClient: 'control-from-client',
  missingSequence: 'missing-sequence',
  /** A record that does not decode (`InvalidRecordException` from the record iterators). */
  invalidRecords: 'invalid-records',
  /** A compressed record section that does not decompress, or expands beyond the cap (UNKNOWN_SERVER_ERROR, as Kafka). */
  undecompressable: 'undecompressable',
  /** The codec is known but cannot be loaded on this installation. */
  codecUnavailable: 'codec-unavailable',
  /** A client batch carrying the LogAppendTime attribute where Kafka refuses it (`validateTimestamp`). */
  invalidTimestamp: 'invalid-timestamp',
  /** A record without a key on a compacted topic. */
  missingKey: 'missing-key',
  /** A compressed batch whose inner offset deltas are not 0..n-1 (Kafka fails rebuilding it: UNKNOWN_SERVER_ERROR). */
  innerOffsetsOutOfOrder: 'inner-offsets-out-of-order',
} as const;
export type BatchRejectReason = (typeof BatchRejectReason)[keyof typeof BatchRejectReason];

/** A per-record error of a rejected batch (Produce v8+ `RecordErrors`, KIP-467). */
export interface BatchRecordError {
  readonly batchIndex: number;
  readonly message: string;
}

export type BatchValidation =
  | { readonly ok: true; readonly size: number; readonly header: RecordBatchHeader; readonly records: RecordsSummary }
  | {
      readonly ok: false;
      readonly code: number;
      readonly reason: BatchRejectReason;
      readonly message: string;
      readonly recordErrors?: readonly BatchRecordError[];
    };

export interface ValidateBatchOptions {
  readonly origin?: AppendOrigin;
  /** The topic's `max.message.bytes`; larger batches get MESSAGE_TOO_LARGE. Unchecked when absent. */
  readonly maxMessageBytes?: number;
  /** The topic's `message.timestamp.type` (default CreateTime), for `LogValidator.validateTimestamp`. */
  readonly timestampType?: 'CreateTime' | 'LogAppendTime';
  /** Cap on a compressed batch's records once decompressed (default 64 MiB); beyond it: UNKNOWN_SERVER_ERROR. */
  readonly maxDecompressedBytes?: number;
  /**
   * CreateTime range check (`LogValidator.validateTimestamp`): the broker's clock, and the topic's
   * `message.timestamp.before.max.ms` / `message.timestamp.after.max.ms`. Unchecked without `nowMs`.
   */
  readonly nowMs?: number;
  readonly timestampBeforeMaxMs?: bigint;
  readonly timestampAfterMaxMs?: bigint;
  /**
   * Set for a topic whose `cleanup.policy` includes compact: a record without a key is then INVALID_RECORD
   * (`LogValidator.validateKey`), named by its `topicPartition` ("topic-0") in the message.
   */
  readonly compacted?: { readonly topicPartition: string };
}

function reject(code: number, reason: BatchRejectReason, message: string): BatchValidation {
  return { ok: false, code, reason, message };
}

/** Validates `bytes`, which must hold exactly one record batch (a Produce partition's records). */
export function validateBatchForAppend(bytes: Buffer, options: ValidateBatchOptions = {}): BatchValidation {
  const available = bytes.length;
  if (available < BatchField.magic + 1) {
    return reject(ErrorCode.CORRUPT_MESSAGE, BatchRejectReason.truncated, `records of ${available} bytes hold no batch header`);
  }
  const size = bytes.readInt32BE(BatchField.batchLength) + LOG_OVERHEAD;
  if (size > available) {
    return reject(
      ErrorCode.INVALID_RECORD,
      BatchRejectReason.sizeMismatch,
      `batchLength declares a ${size}-byte batch but only ${available} bytes were sent`,
    );
  }
  const magic = bytes.readInt8(BatchField.magic);
  if (magic !== CURRENT_MAGIC) {
    return magic === 0 || magic === 1
      ? reject(
          ErrorCode.INVALID_RECORD,
          BatchRejectReason.oldMessageFormat,
          `unsupported old message format: magic ${magic}; produce requests must carry magic 2 record batches`,
        )
      : reject(ErrorCode.INVALID_RECORD, BatchRejectReason.unknownMagic, `unknown record batch magic ${magic}`);
  }
  if (size < RECORD_BATCH_OVERHEAD) {
    return reject(
      ErrorCode.CORRUPT_MESSAGE,
      BatchRejectReason.tooSmall,
      `record batch size ${size} is smaller than the minimum batch overhead ${RECORD_BATCH_OVERHEAD}`,
    );
  }
  if (size < available) {
    return reject(
      ErrorCode.INVALID_RECORD,
      BatchRejectReason.notOneBatch,
      `produce records must be exactly one record batch; ${available - size} bytes follow the first`,
    );
  }
  const attributes = bytes.readInt16BE(BatchField.attributes);
  const compression = attributes & BatchAttribute.compressionMask;
  if (!isKnownCompressionType(compression)) {
    return reject(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, BatchRejectReason.unknownCompression, `unknown compression type id ${compression}`);
  }
  const fromClient = (options.origin ?? AppendOrigin.client) === AppendOrigin.client;
  if (fromClient && bytes.readBigInt64BE(BatchField.baseOffset) !== 0n) {
    return reject(
      ErrorCode.INVALID_RECORD,
      BatchRejectReason.nonZeroBaseOffset,
      `the baseOffset of a client record batch must be 0, but it is ${bytes.readBigInt64BE(BatchField.baseOffset)}`,
    );
  }
  if (options.maxMessageBytes !== undefined && size > options.maxMessageBytes) {
    return reject(
      ErrorCode.MESSAGE_TOO_LARGE,
      BatchRejectReason.tooLarge,
      `record batch of ${size} bytes is larger than max.message.bytes ${options.maxMessageBytes}`,
    );
  }
  const storedCrc = bytes.readUInt32BE(BatchField.crc);
  const computedCrc = crc32c(bytes.subarray(CRC_START, size));
  if (storedCrc !== computedCrc) {
    return reject(
      ErrorCode.CORRUPT_MESSAGE,
      BatchRejectReason.crcMismatch,
      `record batch is corrupt (stored crc = ${storedCrc}, computed crc = ${computedCrc})`,
    );
  }
  const header = readBatchHeader(bytes, 0);
  if (fromClient) {
    const countFromOffsets = header.lastOffsetDelta + 1;
    if (countFromOffsets <= 0) {
      return reject(
        ErrorCode.INVALID_RECORD,
        BatchRejectReason.invalidOffsetRange,
        `batch has an invalid offset range: lastOffsetDelta ${header.lastOffsetDelta}`,
      );
    }
    if (header.recordsCount <= 0) {
      return reject(ErrorCode.INVALID_RECORD, BatchRejectReason.invalidCount, `invalid reported count for record batch: ${header.recordsCount}`);
    }
    if (countFromOffsets !== header.recordsCount) {
      return reject(
        ErrorCode.INVALID_RECORD,
        BatchRejectReason.countMismatch,
        `inconsistent batch offset range [0, ${header.lastOffsetDelta}] and count of records ${header.recordsCount}`,
      );
    }
    if ((attributes & BatchAttribute.control) !== 0) {
      return reject(ErrorCode.INVALID_RECORD, BatchRejectReason.controlFromClient, 'clients are not allowed to write control records');
    }
    if (header.producerId >= 0n && header.baseSequence < 0) {
      return reject(
        ErrorCode.INVALID_RECORD,
        BatchRejectReason.missingSequence,
        `invalid sequence number ${header.baseSequence} in record batch with producerId ${header.producerId}`,
      );
    }
  }
  return validateRecords(bytes, size, header, options);
}

function validateRecords(bytes: Buffer, size: number, header: RecordBatchHeader, options: ValidateBatchOptions): BatchValidation {
  const compression = header.attributes & BatchAttribute.compressionMask;
  const logAppendTime = (header.attributes & BatchAttribute.timestampTypeLogAppendTime) !== 0;
  let section = bytes;
  let start = RECORD_BATCH_OVERHEAD;
  let end = size;
  if (compression !== 0) {
    try {
      section = codecFor(compression).decompress(bytes.subarray(RECORD_BATCH_OVERHEAD, size), options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES);
    } catch (error) {
      if (!(error instanceof RecordBatchError)) throw error;
      if (error.code === ErrorCode.UNSUPPORTED_COMPRESSION_TYPE) return reject(error.code, BatchRejectReason.codecUnavailable, error.message);
      // Kafka's decompressing record iterator wraps a stream error in a KafkaException, which the produce path
      // answers with UNKNOWN_SERVER_ERROR (not retriable: the same bytes fail again). The same answer covers a
      // stream that expands beyond the cap, a limit Kafka's streaming validation does not need.
      return reject(ErrorCode.UNKNOWN_SERVER_ERROR, BatchRejectReason.undecompressable, error.message);
    }
    start = 0;
    end = section.length;
  }
  let records: RecordsSummary;
  try {
    records = walkRecords(section, start, end, { ...header, logAppendTime, compressed: compression !== 0 });
  } catch (error) {
    if (!(error instanceof RecordBatchError)) throw error;
    return reject(error.code, BatchRejectReason.invalidRecords, error.message);
  }
  const timestampErrors = timestampErrorsOf(bytes, header, records, logAppendTime, options);
  if (timestampErrors !== null) {
    return {
      ok: false,
      code: ErrorCode.INVALID_TIMESTAMP,
      reason: BatchRejectReason.invalidTimestamp,
      message: timestampErrors[0]?.message ?? 'invalid record timestamp',
      recordErrors: timestampErrors,
    };
  }
  if (options.compacted !== undefined && records.nullKeys > 0) return missingKeyErrors(bytes, options);
  // Kafka wants to rebuild such a batch, but its in-place record iterator skipped the keys the rebuild needs
  // (`PartialDefaultRecord`): the append fails with an UnsupportedOperationException, UNKNOWN_SERVER_ERROR.
  if (compression !== 0 && !records.offsetDeltasInOrder) {
    return reject(ErrorCode.UNKNOWN_SERVER_ERROR, BatchRejectReason.innerOffsetsOutOfOrder, 'the inner offsets of a compressed record batch must be 0..n-1');
  }
  return { ok: true, size, header, records };
}

/** `LogValidator.validateKey` for every record, as the record errors of one INVALID_RECORD (`processRecordErrors`). */
function missingKeyErrors(bytes: Buffer, options: ValidateBatchOptions): BatchValidation {
  const message = `Compacted topic cannot accept message without key in topic partition ${options.compacted?.topicPartition ?? ''}.`;
  const recordErrors: BatchRecordError[] = [];
  decodeRecordBatch(bytes, { verifyCrc: false, maxDecompressedBytes: options.maxDecompressedBytes }).records.forEach((record, batchIndex) => {
    if (record.key === null) recordErrors.push({ batchIndex, message });
  });
  const shown = recordErrors.slice(0, 3).map((error) => `RecordError(batchIndex=${error.batchIndex}, message='${error.message}')`);
  return {
    ok: false,
    code: ErrorCode.INVALID_RECORD,
    reason: BatchRejectReason.missingKey,
    message: `One or more records have been rejected due to ${recordErrors.length} record errors in total, and only showing the first three errors at most: [${shown.join(', ')}]`,
    recordErrors,
  };
}

const WRAP_FREE = 2n ** 62n;

/**
 * `LogValidator.validateTimestamp` for every record, or null when all pass. The walk's min and max timestamps
 * decide whether anything can fail; only then are the records decoded to name the failing ones.
 */
function timestampErrorsOf(
  bytes: Buffer,
  header: RecordBatchHeader,
  records: RecordsSummary,
  logAppendTime: boolean,
  options: ValidateBatchOptions,
): BatchRecordError[] | null {
  const lateTopic = options.timestampType === 'LogAppendTime';
  const lateBitMessage = 'invalid timestamp type in the record batch: producers must not set the timestamp type to LogAppendTime';
  if (lateTopic) {
    // Only the producer-set bit can fail: LogAppendTime topics do not range-check (the broker stamps the time).
    return logAppendTime ? Array.from({ length: header.recordsCount }, (_, batchIndex) => ({ batchIndex, message: lateBitMessage })) : null;
  }
  const now = options.nowMs === undefined ? null : BigInt(options.nowMs);
  const before = options.timestampBeforeMaxMs ?? INT64_MAX;
  const after = options.timestampAfterMaxMs ?? INT64_MAX;
  // `recordHasInvalidTimestamp`, in Kafka's int64 arithmetic (differences wrap as Java longs do).
  const outOfRange = (timestamp: bigint) => {
    if (now === null || timestamp === -1n) return false;
    const diff = BigInt.asIntN(64, now - timestamp);
    return diff > before || BigInt.asIntN(64, -diff) > after;
  };
  // Within +-2^62 no difference wraps, so the extremes decide; beyond, every record is looked at.
  const extreme = records.minTimestamp < -WRAP_FREE || records.maxTimestamp > WRAP_FREE;
  const mayFail =
    (logAppendTime && header.maxTimestamp === -1n) ||
    (now !== null && header.recordsCount > 0 && (extreme || outOfRange(records.maxTimestamp) || outOfRange(records.minTimestamp)));
  if (!mayFail) return null;
  const errors: BatchRecordError[] = [];
  decodeRecordBatch(bytes, { verifyCrc: false, maxDecompressedBytes: options.maxDecompressedBytes }).records.forEach((record, batchIndex) => {
    if (outOfRange(record.timestamp)) {
      const low = now === null ? 0n : now - before;
      const high = now === null ? 0n : now + after;
      errors.push({ batchIndex, message: `timestamp ${record.timestamp} of the record at index ${batchIndex} is out of range: it should be within [${low}, ${high}]` });
    } else if (record.timestamp === -1n && logAppendTime) {
      errors.push({ batchIndex, message: lateBitMessage });
    }
  });
  return errors.length === 0 ? null : errors;
}
