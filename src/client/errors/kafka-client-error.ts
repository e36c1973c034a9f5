// The one error class the client hands to applications. `kind` follows the Java TransactionManager's and
// librdkafka's model: 'retriable' (the operation may succeed if tried again), 'abortable' (this operation failed
// for good but the producer stays usable; in a transaction it means "abort"), 'fatal' (the producer is unusable
// and must be closed). `code`/`errorName` are Kafka's (`Errors.java`); a mistake caught in the client before
// anything is sent (a closed producer, a record of the wrong type) has code -1 and a name of its own
// (`PRODUCER_CLOSED`, `INVALID_RECORD_TYPE`), the way the Java client throws its own exceptions for them.
import { errorName as nameOfCode } from '../../protocol/errors/index.ts';

export const ErrorKind = { retriable: 'retriable', abortable: 'abortable', fatal: 'fatal' } as const;
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind];

export interface KafkaClientErrorOptions {
  readonly code: number;
  readonly kind: ErrorKind;
  readonly message: string;
  readonly cause?: unknown;
  /** For client-side errors (code -1): the name to report instead of UNKNOWN_SERVER_ERROR. */
  readonly errorName?: string;
}

export class KafkaClientError extends Error {
  override readonly name = 'KafkaClientError';
  readonly code: number;
  readonly errorName: string;
  readonly kind: ErrorKind;
  readonly retriable: boolean;

  constructor(options: KafkaClientErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.errorName = options.errorName ?? nameOfCode(options.code);
    this.kind = options.kind;
    this.retriable = options.kind === ErrorKind.retriable;
  }

  /** The producer was closed: nothing more can be sent with it (Java: IllegalStateException). */
  static producerClosed(message: string): KafkaClientError {
    return new KafkaClientError({ code: -1, errorName: 'PRODUCER_CLOSED', kind: ErrorKind.fatal, message });
  }

  /** A record field of the wrong type, refused before anything is sent (Java: SerializationException). */
  static invalidRecordType(message: string): KafkaClientError {
    return new KafkaClientError({ code: -1, errorName: 'INVALID_RECORD_TYPE', kind: ErrorKind.abortable, message });
  }

  /** A configuration mistake: Java's ConfigException (INVALID_CONFIG, fatal for the object being built). */
  static config(message: string, what = 'producer'): KafkaClientError {
    return new KafkaClientError({ code: 40, kind: ErrorKind.fatal, message: `invalid ${what} configuration: ${message}` });
  }
}
