// The one error class the client hands to applications. `kind` follows the Java TransactionManager's and
// librdkafka's model: 'retriable' (the operation may succeed if tried again), 'abortable' (this operation failed
// for good but the producer stays usable; in a transaction it means "abort"), 'fatal' (the producer is unusable
// and must be closed). `code`/`errorName` are Kafka's (`Errors.java`), or -1/UNKNOWN_SERVER_ERROR for local faults.
import { errorName as nameOfCode } from '../../protocol/errors/index.ts';

export const ErrorKind = { retriable: 'retriable', abortable: 'abortable', fatal: 'fatal' } as const;
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind];

export interface KafkaClientErrorOptions {
  readonly code: number;
  readonly kind: ErrorKind;
  readonly message: string;
  readonly cause?: unknown;
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
    this.errorName = nameOfCode(options.code);
    this.kind = options.kind;
    this.retriable = options.kind === ErrorKind.retriable;
  }

  /** A configuration mistake: Java's ConfigException (INVALID_CONFIG, fatal for the object being built). */
  static config(message: string, what = 'producer'): KafkaClientError {
    return new KafkaClientError({ code: 40, kind: ErrorKind.fatal, message: `invalid ${what} configuration: ${message}` });
  }
}
