// Options of `new Admin(...)`, checked by name like the producer's (a misspelt key is refused, naming the nearest
// one). Defaults follow Kafka's AdminClientConfig where one exists.
import { unknownOptionMessage } from '../../protocol/option-names.ts';
import { parseAddress } from '../config/producer-config.ts';
import type { ClientLogger } from '../client-logger.ts';
import { silentClientLogger } from '../client-logger.ts';
import { ErrorKind, KafkaClientError } from '../errors/kafka-client-error.ts';
import { checkListenerPrefixes, resolveSecurityOptions, type ClientSslOptions, type ConnectionSecurityOptions, type SaslOptions } from '../connection/security-options.ts';

export interface AdminOptions {
  /** `host:port` of one or more brokers, as a comma-separated string or a list (`bootstrap.servers`). */
  bootstrap: string | readonly string[];
  /** TLS to the brokers (SSL, SASL_SSL): `true` or `{ ca, cert, key, rejectUnauthorized }`. */
  ssl?: ClientSslOptions | true;
  /** SASL (SASL_PLAINTEXT, SASL_SSL): `{ mechanism, username, password }` or OAUTHBEARER `{ mechanism, token }`. */
  sasl?: SaslOptions;
  /** `client.id` sent with every request. Default `seqlog-admin`. */
  clientId?: string;
  /**
   * How long one operation may take, retries included (`default.api.timeout.ms`). Default 60000. Retriable
   * errors (a coordinator loading, a connection that dropped) are retried until then.
   */
  timeoutMs?: number;
  /** Connect timeout per attempt (`socket.connection.setup.timeout.ms`). Default 10000. */
  connectTimeoutMs?: number;
  /** Pino-compatible logger; silent by default. */
  logger?: ClientLogger;
}

const adminOptionNames: ReadonlySet<string> = new Set(['bootstrap', 'ssl', 'sasl', 'clientId', 'timeoutMs', 'connectTimeoutMs', 'logger']);

export interface ResolvedAdminOptions {
  readonly bootstrap: readonly { host: string; port: number }[];
  readonly security: ConnectionSecurityOptions;
  readonly clientId: string;
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly logger: ClientLogger;
}

/** Kafka's INVALID_CONFIG, raised before anything is sent. */
export function adminConfigError(message: string): KafkaClientError {
  return new KafkaClientError({ code: 40, kind: ErrorKind.fatal, message: `invalid admin configuration: ${message}` });
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw adminConfigError(`${name} must be a positive number, got ${String(value)}`);
  return Math.floor(value);
}

export function resolveAdminOptions(options: AdminOptions): ResolvedAdminOptions {
  if (typeof options !== 'object' || options === null) throw adminConfigError('options must be an object with at least { bootstrap }');
  const unknown = unknownOptionMessage(options, adminOptionNames, 'admin');
  if (unknown !== null) throw adminConfigError(unknown);
  if (options.bootstrap === undefined) throw adminConfigError("'bootstrap' is required: 'host:port' of a broker");
  const list = typeof options.bootstrap === 'string' ? options.bootstrap.split(',') : options.bootstrap;
  let bootstrap;
  try {
    bootstrap = list.map((entry) => entry.trim()).filter((entry) => entry.length > 0).map(parseAddress);
  } catch (error) {
    throw adminConfigError((error as Error).message.replace(/^invalid producer configuration: /, ''));
  }
  if (bootstrap.length === 0) throw adminConfigError('bootstrap needs at least one host:port');
  const security = resolveSecurityOptions(options, 'admin');
  checkListenerPrefixes(list, security, 'admin');
  if (options.clientId !== undefined && typeof options.clientId !== 'string') throw adminConfigError('clientId must be a string');
  return {
    bootstrap,
    security,
    clientId: options.clientId ?? 'seqlog-admin',
    timeoutMs: positive('timeoutMs', options.timeoutMs, 60000),
    connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs, 10000),
    logger: options.logger ?? silentClientLogger,
  };
}
