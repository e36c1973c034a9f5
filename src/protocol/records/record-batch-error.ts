// A record batch that cannot be decoded or accepted, tagged with the Kafka error code that applies:
// CORRUPT_MESSAGE mirrors Kafka's `CorruptRecordException` (bad CRC, undecodable compressed stream, sizes
// that cannot be framed), INVALID_RECORD mirrors `InvalidRecordException` (a well-framed batch whose contents
// are inconsistent), UNSUPPORTED_COMPRESSION_TYPE an attributes codec id we do not know or cannot load.
// UNKNOWN_SERVER_ERROR is what Kafka answers where an exception other than these escapes its validator (an
// overlong record-length varint, out-of-order inner offsets of a compressed batch, a compressed stream that does
// not decompress); the broker mirrors it.
import { ErrorCode } from '../errors/error-table.ts';

export type RecordBatchErrorCode =
  | typeof ErrorCode.CORRUPT_MESSAGE
  | typeof ErrorCode.INVALID_RECORD
  | typeof ErrorCode.UNSUPPORTED_COMPRESSION_TYPE
  | typeof ErrorCode.UNKNOWN_SERVER_ERROR;

export class RecordBatchError extends Error {
  override readonly name: string = 'RecordBatchError';
  readonly code: RecordBatchErrorCode;

  constructor(code: RecordBatchErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function corruptMessage(message: string, cause?: unknown): RecordBatchError {
  return new RecordBatchError(ErrorCode.CORRUPT_MESSAGE, message, cause === undefined ? undefined : { cause });
}

export function invalidRecord(message: string, cause?: unknown): RecordBatchError {
  return new RecordBatchError(ErrorCode.INVALID_RECORD, message, cause === undefined ? undefined : { cause });
}
