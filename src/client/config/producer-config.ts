// Producer options: the camelCase names and Kafka's own config names, normalised and validated the way
// `ProducerConfig.postProcessAndValidateIdempotenceConfigs` and `KafkaProducer.configureDeliveryTimeout` do
// (KIP-679 made idempotence the default). Defaults are Kafka 4's, including linger.ms = 5 (KIP-1030).
import { KafkaClientError } from '../errors/kafka-client-error.ts';
import { checkListenerPrefixes, resolveSecurityOptions, type ClientSslOptions, type ConnectionSecurityOptions, type SaslOptions } from '../connection/security-options.ts';
import type { ClientLogger } from '../client-logger.ts';
import { unknownOptionMessage } from '../../protocol/option-names.ts';
import { reconnectBackoffOptionNames, resolveReconnectBackoff, type ReconnectBackoffOptions } from './reconnect-backoff.ts';
import { INT32_MAX } from '../../protocol/wire/int-limits.ts';
import { booleanOption } from './boolean-option.ts';

export type Acks = 'all' | -1 | 0 | 1;
export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/**
 * Options of `new Producer(options)`. Each setting has a camelCase name and Kafka's dotted name (either works; the
 * camelCase one wins when both are given); defaults are Apache Kafka 4's producer defaults. An option name that is
 * not listed here is an error (`KafkaClientError` INVALID_CONFIG naming the nearest valid name).
 */
export interface ProducerOptions extends ReconnectBackoffOptions {
  /**
   * The brokers to ask for metadata first: `'host:port'`, a comma-separated list, or an array
   * (`bootstrap.servers`). A listener prefix (`SASL_SSL://host:port`) is accepted and ignored: `ssl` and `sasl`
   * decide how to connect.
   */
  bootstrap: string | readonly string[];
  /** TLS to the brokers (`security.protocol` SSL or SASL_SSL): `true` or `{ ca, cert, key, rejectUnauthorized }`. */
  ssl?: ClientSslOptions | true;
  /** SASL (`security.protocol` SASL_PLAINTEXT or SASL_SSL): `{ mechanism, username, password }` or OAUTHBEARER `{ mechanism, token }`. */
  sasl?: SaslOptions;
  /** Sent with every request, shown in broker logs and quotas (`client.id`). Default `'seqlog-producer'`. */
  clientId?: string;
  /**
   * Idempotent production (`enable.idempotence`): the broker drops retried duplicates and keeps order. Default
   * true; when left unset it turns itself off if `acks`, `retries` or `maxInFlight` conflict, as Kafka's does.
   */
  idempotent?: boolean;
  /** How many acknowledgements a write needs: `'all'`/-1 (every in-sync replica), 1 (the leader), 0 (none). Default `'all'`. */
  acks?: Acks | '-1' | '0' | '1';
  /**
   * How long a batch waits for more records before it is sent (`linger.ms`). Set explicitly, it means what it
   * means in Java. Left unset (5, KIP-1030), it is an upper bound under load: once batch.size (16 KiB) is queued
   * for a broker with fewer than two of this producer's requests in flight, it goes without waiting, so the broker
   * never idles while a linger runs out; a large queue found with nothing in flight is split across two requests.
   */
  lingerMs?: number;
  /**
   * Largest batch, and the size at which a partition's batch is sent without waiting for linger.ms (`batch.size`).
   * Set explicitly, it means what it means in Java. Left unset (16384 as Java's default for the partitioner), a
   * batch fills up to 1 MiB (capped by max.request.size) and leaves at linger.ms or when that full, as librdkafka's
   * does, and waits while its broker already has two requests in flight.
   */
  batchSize?: number;
  /** Batch compression (`compression.type`). Default `'none'`. */
  compression?: CompressionName;
  /** Upper bound on the time from `send` to success or failure, retries included (`delivery.timeout.ms`). Default 120000. */
  deliveryTimeoutMs?: number;
  /** How long to wait for a broker's answer before retrying (`request.timeout.ms`). Default 30000. */
  requestTimeoutMs?: number;
  /** First wait before a retry (`retry.backoff.ms`). Default 100. */
  retryBackoffMs?: number;
  /** Longest wait between retries, the backoff growing exponentially up to it (`retry.backoff.max.ms`). Default 1000. */
  retryBackoffMaxMs?: number;
  /** Retries per batch (`retries`); `deliveryTimeoutMs` is the real bound. Default 2147483647. */
  retries?: number;
  /** Unacknowledged requests per broker connection (`max.in.flight.requests.per.connection`); at most 5 with idempotence. Default 5. */
  maxInFlight?: number;
  /** Bytes of records buffered before `send` waits for room (`buffer.memory`). Default 33554432 (32 MiB). */
  bufferMemory?: number;
  /** Largest request, and so largest record, in bytes (`max.request.size`). Default 1048576. */
  maxRequestSize?: number;
  /** How long `send` may wait for metadata or buffer space (`max.block.ms`). Default 60000. */
  maxBlockMs?: number;
  /** How often metadata is refreshed even without errors (`metadata.max.age.ms`). Default 300000. */
  metadataMaxAgeMs?: number;
  /**
   * A pino (or pino-compatible: `warn(fields, message)`) logger for connection failures and recoveries.
   * Default: silent.
   */
  logger?: ClientLogger;
  /**
   * Makes the producer transactional (`transactional.id`): one id per logical producer instance; a new
   * instance with the same id fences the old one. Needs idempotence.
   */
  transactionalId?: string;
  /**
   * How long the coordinator lets a transaction stay open before aborting it (`transaction.timeout.ms`). Default
   * 60000; at most the broker's transaction.max.timeout.ms (900000).
   */
  transactionTimeoutMs?: number;
  'transactional.id'?: string;
  'transaction.timeout.ms'?: number;
  'enable.idempotence'?: boolean | 'true' | 'false';
  'linger.ms'?: number;
  'batch.size'?: number;
  'compression.type'?: CompressionName;
  'delivery.timeout.ms'?: number;
  'request.timeout.ms'?: number;
  'retry.backoff.ms'?: number;
  'retry.backoff.max.ms'?: number;
  'max.in.flight.requests.per.connection'?: number;
  'buffer.memory'?: number;
  'max.request.size'?: number;
  'max.block.ms'?: number;
  'metadata.max.age.ms'?: number;
  'client.id'?: string;
}

const producerOptionNames = [
  'bootstrap', 'ssl', 'sasl', 'clientId', 'idempotent', 'acks', 'lingerMs', 'batchSize', 'compression', 'deliveryTimeoutMs',
  'requestTimeoutMs', 'retryBackoffMs', 'retryBackoffMaxMs', 'retries', 'maxInFlight', 'bufferMemory',
  'maxRequestSize', 'maxBlockMs', 'metadataMaxAgeMs', 'logger', 'enable.idempotence', 'linger.ms', 'batch.size',
  'compression.type', 'delivery.timeout.ms', 'request.timeout.ms', 'retry.backoff.ms', 'retry.backoff.max.ms',
  'max.in.flight.requests.per.connection', 'buffer.memory', 'max.request.size', 'max.block.ms',
  'metadata.max.age.ms', 'client.id', 'transactionalId', 'transactionTimeoutMs', 'transactional.id',
  'transaction.timeout.ms', ...reconnectBackoffOptionNames,
] as const satisfies readonly (keyof ProducerOptions)[];
// Compile-time guard: every ProducerOptions key is in the list above.
const everyOptionListed: [Exclude<keyof ProducerOptions, (typeof producerOptionNames)[number]>] extends [never] ? true : never = true;
void everyOptionListed;
const knownProducerOptions: ReadonlySet<string> = new Set(producerOptionNames);

/** librdkafka's default batch.size, and Kafka's default max.message.bytes less the log overhead. */
const MAX_GROWN_BATCH_BYTES = 1 << 20;

export interface ResolvedProducerConfig {
  readonly bootstrap: readonly { host: string; port: number }[];
  readonly security: ConnectionSecurityOptions;
  readonly clientId: string;
  readonly idempotent: boolean;
  /** -1, 0 or 1 as sent on the wire. */
  readonly acks: -1 | 0 | 1;
  readonly lingerMs: number;
  /** linger.ms was left unset: batches go before it ends when the broker would otherwise wait (see Sender). */
  readonly adaptiveLinger: boolean;
  readonly batchSize: number;
  /** How far a batch may grow while it cannot be sent (batch.size when batch.size was set explicitly). */
  readonly maxBatchSize: number;
  readonly compression: CompressionName;
  readonly deliveryTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
  readonly reconnectBackoffMs: number;
  readonly reconnectBackoffMaxMs: number;
  readonly retries: number;
  readonly maxInFlight: number;
  readonly bufferMemory: number;
  readonly maxRequestSize: number;
  readonly maxBlockMs: number;
  readonly metadataMaxAgeMs: number;
  /** null for a non-transactional producer. */
  readonly transactionalId: string | null;
  readonly transactionTimeoutMs: number;
}

const COMPRESSIONS: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

function pick<T>(a: T | undefined, b: T | undefined): T | undefined {
  return a !== undefined ? a : b;
}

/** Kafka's INT configs stop at INT32_MAX (a millisecond value past it would also overflow a timer); `buffer.memory` is a LONG. */
function nonNegative(name: string, value: number | undefined, fallback: number, max = INT32_MAX): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0 || value > max) throw KafkaClientError.config(`${name} must be a number from 0 to ${max}, got ${value}`);
  return Math.floor(value);
}

export function parseAddress(entry: string): { host: string; port: number } {
  // Kafka's listener form `NAME://host:port` (what `listeners` and Metadata-savvy tools print) is accepted; the
  // `ssl` and `sasl` options, not the name, decide the security protocol.
  const scheme = /^([A-Za-z_]+):\/\//.exec(entry);
  const address = scheme === null ? entry : entry.slice(scheme[0].length);
  const at = address.lastIndexOf(':');
  const port = Number(address.slice(at + 1));
  if (at <= 0 || !/^\d+$/.test(address.slice(at + 1)) || port <= 0 || port > 65535) {
    throw KafkaClientError.config(`bootstrap address '${entry}' is not host:port`);
  }
  return { host: address.slice(0, at).replace(/^\[|\]$/g, ''), port };
}

function parseAcks(value: ProducerOptions['acks']): -1 | 0 | 1 {
  if (value === undefined || value === 'all' || value === -1 || value === '-1') return -1;
  if (value === 0 || value === '0') return 0;
  if (value === 1 || value === '1') return 1;
  throw KafkaClientError.config(`acks must be 'all', -1, 0 or 1, got ${String(value)}`);
}

export function resolveProducerConfig(options: ProducerOptions): ResolvedProducerConfig {
  if (typeof options !== 'object' || options === null) throw KafkaClientError.config('options must be an object with at least { bootstrap }');
  const unknown = unknownOptionMessage(options, knownProducerOptions, 'producer');
  if (unknown !== null) throw KafkaClientError.config(unknown);
  if (options.bootstrap === undefined) throw KafkaClientError.config("'bootstrap' is required: 'host:port' of a broker");
  const bootstrapList = typeof options.bootstrap === 'string' ? options.bootstrap.split(',') : options.bootstrap;
  const bootstrap = bootstrapList.map((entry) => entry.trim()).filter((entry) => entry.length > 0).map(parseAddress);
  if (bootstrap.length === 0) throw KafkaClientError.config('bootstrap needs at least one host:port');
  const security = resolveSecurityOptions(options, 'producer');
  checkListenerPrefixes(bootstrapList, security, 'producer');

  const acks = parseAcks(options.acks);
  const idempotenceRaw = pick(options.idempotent, options['enable.idempotence']);
  const idempotenceExplicit = idempotenceRaw !== undefined;
  const idempotenceAsked = booleanOption('enable.idempotence', idempotenceRaw, true, 'producer');
  let idempotent = idempotenceAsked;
  const retries = nonNegative('retries', options.retries, INT32_MAX);
  const maxInFlight = nonNegative('max.in.flight.requests.per.connection', pick(options.maxInFlight, options['max.in.flight.requests.per.connection']), 5);
  if (maxInFlight < 1) throw KafkaClientError.config('max.in.flight.requests.per.connection must be at least 1');

  // ProducerConfig.postProcessAndValidateIdempotenceConfigs: conflicts are errors when idempotence was asked for,
  // and silently turn the default idempotence off otherwise.
  if (idempotent) {
    const conflicts: string[] = [];
    if (acks !== -1) conflicts.push("acks must be 'all' (-1)");
    if (retries === 0) conflicts.push('retries must be greater than 0');
    if (maxInFlight > 5) conflicts.push('max.in.flight.requests.per.connection must be at most 5');
    if (conflicts.length > 0) {
      if (idempotenceExplicit) throw KafkaClientError.config(`enable.idempotence=true needs: ${conflicts.join('; ')}`);
      idempotent = false;
    }
  }

  // ProducerConfig: "Cannot set a transactional.id without also enabling idempotence".
  const transactionalId = pick(options.transactionalId, options['transactional.id']) ?? null;
  if (transactionalId !== null) {
    if (typeof transactionalId !== 'string' || transactionalId.length === 0) throw KafkaClientError.config('transactional.id must be a non-empty string');
    if (!idempotent) {
      throw KafkaClientError.config(
        idempotenceExplicit && !idempotenceAsked
          ? 'cannot set a transactional.id without also enabling idempotence'
          : "a transactional.id needs idempotence: acks 'all', retries > 0 and max.in.flight.requests.per.connection <= 5",
      );
    }
  }
  const transactionTimeoutMs = nonNegative('transaction.timeout.ms', pick(options.transactionTimeoutMs, options['transaction.timeout.ms']), 60000);
  if (transactionTimeoutMs < 1) throw KafkaClientError.config('transaction.timeout.ms must be at least 1');

  const compression = pick(options.compression, options['compression.type']) ?? 'none';
  if (!COMPRESSIONS.includes(compression)) throw KafkaClientError.config(`compression.type must be one of ${COMPRESSIONS.join(', ')}`);

  const explicitLingerMs = pick(options.lingerMs, options['linger.ms']);
  const lingerMs = nonNegative('linger.ms', explicitLingerMs, 5);
  const requestTimeoutMs = nonNegative('request.timeout.ms', pick(options.requestTimeoutMs, options['request.timeout.ms']), 30000);
  const deliveryExplicit = pick(options.deliveryTimeoutMs, options['delivery.timeout.ms']);
  let deliveryTimeoutMs = nonNegative('delivery.timeout.ms', deliveryExplicit, 120000);
  // KafkaProducer.configureDeliveryTimeout.
  if (deliveryTimeoutMs < lingerMs + requestTimeoutMs) {
    if (deliveryExplicit !== undefined) {
      throw KafkaClientError.config('delivery.timeout.ms must be at least linger.ms + request.timeout.ms');
    }
    deliveryTimeoutMs = lingerMs + requestTimeoutMs;
  }
  const explicitBatchSize = pick(options.batchSize, options['batch.size']);
  const batchSize = Math.max(nonNegative('batch.size', explicitBatchSize, 16384), 1);
  const maxRequestSize = nonNegative('max.request.size', pick(options.maxRequestSize, options['max.request.size']), 1048576);
  if (maxRequestSize < 128) throw KafkaClientError.config('max.request.size is too small');
  // Growth under load (see RecordAccumulator): up to librdkafka's 1 MiB batch.size, which is also Kafka's default
  // max.message.bytes; an explicit batch.size keeps Java's meaning of a hard limit.
  const maxBatchSize = explicitBatchSize === undefined ? Math.max(batchSize, Math.min(maxRequestSize, MAX_GROWN_BATCH_BYTES)) : batchSize;

  return {
    bootstrap,
    security,
    clientId: pick(options.clientId, options['client.id']) ?? 'seqlog-producer',
    idempotent,
    acks,
    lingerMs,
    // acks=0 gets no answers, so "in flight" says nothing about the broker: linger.ms stays a fixed wait.
    adaptiveLinger: explicitLingerMs === undefined && acks !== 0,
    batchSize,
    maxBatchSize,
    compression,
    deliveryTimeoutMs,
    requestTimeoutMs,
    retryBackoffMs: nonNegative('retry.backoff.ms', pick(options.retryBackoffMs, options['retry.backoff.ms']), 100),
    retryBackoffMaxMs: nonNegative('retry.backoff.max.ms', pick(options.retryBackoffMaxMs, options['retry.backoff.max.ms']), 1000),
    ...resolveReconnectBackoff(options, nonNegative),
    retries,
    maxInFlight,
    bufferMemory: nonNegative('buffer.memory', pick(options.bufferMemory, options['buffer.memory']), 33554432, Number.MAX_SAFE_INTEGER),
    maxRequestSize,
    maxBlockMs: nonNegative('max.block.ms', pick(options.maxBlockMs, options['max.block.ms']), 60000),
    metadataMaxAgeMs: nonNegative('metadata.max.age.ms', pick(options.metadataMaxAgeMs, options['metadata.max.age.ms']), 300000),
    transactionalId,
    transactionTimeoutMs,
  };
}
