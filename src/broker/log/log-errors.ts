// Errors raised by the storage layer, carrying the Kafka error code a handler should answer with.
import { BrokerError } from '../broker-error.ts';
import { ErrorCode } from '../../protocol/errors/error-table.ts';

/** OFFSET_OUT_OF_RANGE: a fetch or DeleteRecords offset outside [logStartOffset, logEndOffset]. */
export class OffsetOutOfRangeError extends BrokerError {
  constructor(
    readonly offset: bigint,
    readonly logStartOffset: bigint,
    readonly logEndOffset: bigint,
  ) {
    super(
      ErrorCode.OFFSET_OUT_OF_RANGE,
      `offset ${offset} is out of range [${logStartOffset}, ${logEndOffset}]`,
    );
  }
}

/**
 * KAFKA_STORAGE_ERROR: an I/O failure. After a failed fsync the log goes offline for good (the page cache's
 * state is unknowable, so it must never be fsynced again as if nothing happened); a reopen recovers from disk.
 */
export class KafkaStorageError extends BrokerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.KAFKA_STORAGE_ERROR, message);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}
