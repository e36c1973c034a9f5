// Domain code raises a BrokerError carrying the Kafka error code the client should get; request handlers turn it
// into that request's per-partition (or top-level) error field. Anything else thrown is unexpected and becomes
// UNKNOWN_SERVER_ERROR (or KAFKA_STORAGE_ERROR for I/O), as Kafka's `Errors.forException` does.
import { ErrorCode, errorName } from '../protocol/errors/error-table.ts';

export class BrokerError extends Error {
  override readonly name = 'BrokerError';
  constructor(
    readonly code: number,
    message?: string,
  ) {
    super(message ?? errorName(code));
  }
}


/** The Kafka error code for `error`; unexpected errors are logged and become UNKNOWN_SERVER_ERROR. */
export function errorCodeOf(error: unknown, log: { error(fields: object, message: string): void }): number {
  if (error instanceof BrokerError) return error.code;
  log.error({ err: error instanceof Error ? { message: error.message, stack: error.stack } : String(error) }, 'unexpected error');
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}

/** The message of a BrokerError for the response's errorMessage field; null for anything else. */
export function errorMessageOf(error: unknown): string | null {
  return error instanceof BrokerError ? error.message : null;
}
