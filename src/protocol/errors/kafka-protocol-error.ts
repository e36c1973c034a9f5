// The one error class for an error code a broker returned (or that our broker is about to return): Kafka's
// `ApiException` reduced to data. `name` stays the class name so stack traces read normally; the Kafka name
// of the code is `errorName`.
import { errorName, isRetriable } from './error-table.ts';

export interface KafkaProtocolErrorOptions {
  /** The request's API key, when the error came back in a response. */
  apiKey?: number;
  apiVersion?: number;
  /** The broker's own error message (e.g. a response's `ErrorMessage` field), if it sent one. */
  brokerMessage?: string | null;
  cause?: unknown;
}

export class KafkaProtocolError extends Error {
  override readonly name: string = 'KafkaProtocolError';
  /** The raw code, kept even when it is outside our table. */
  readonly code: number;
  /** Kafka's name for the code (`OUT_OF_ORDER_SEQUENCE_NUMBER`), or `UNKNOWN_ERROR_CODE(<n>)`. */
  readonly errorName: string;
  /** Kafka's classification (`RetriableException`), not a client policy decision. */
  readonly retriable: boolean;
  readonly apiKey: number | undefined;
  readonly apiVersion: number | undefined;
  readonly brokerMessage: string | null;

  constructor(code: number, options: KafkaProtocolErrorOptions = {}) {
    const name = errorName(code);
    const where = options.apiKey === undefined ? '' : ` (apiKey ${options.apiKey} v${options.apiVersion ?? '?'})`;
    const detail = options.brokerMessage ? `: ${options.brokerMessage}` : '';
    super(`${name} [${code}]${where}${detail}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.errorName = name;
    this.retriable = isRetriable(code);
    this.apiKey = options.apiKey;
    this.apiVersion = options.apiVersion;
    this.brokerMessage = options.brokerMessage ?? null;
  }
}
