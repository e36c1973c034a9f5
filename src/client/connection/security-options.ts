// How a client secures its connections: TLS (`security.protocol` SSL / SASL_SSL) and SASL (SASL_PLAINTEXT /
// SASL_SSL) with PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER. Shared by the producer, consumer and admin.
import { KafkaClientError } from '../errors/kafka-client-error.ts';

/** TLS settings (Node's `tls.connect` options under Kafka's meaning). `ssl: true` = TLS with the system CAs. */
export interface ClientSslOptions {
  /** Trusted CA certificates, PEM (Kafka's `ssl.truststore.certificates`). Default: Node's bundled CAs. */
  ca?: string | Buffer | readonly (string | Buffer)[];
  /** Client certificate chain, PEM, for brokers with `ssl.client.auth` (`ssl.keystore.certificate.chain`). */
  cert?: string | Buffer;
  /** Client private key, PEM (`ssl.keystore.key`). */
  key?: string | Buffer;
  /** Passphrase of an encrypted `key` (`ssl.key.password`). */
  passphrase?: string;
  /** Verify the broker's certificate. Default true; false is for tests only. */
  rejectUnauthorized?: boolean;
  /** Server name checked against the certificate (and sent as SNI). Default: the broker's host. */
  servername?: string;
}

/** An OAUTHBEARER token and optional SASL extensions (RFC 7628 section 3.1). */
export interface OAuthBearerToken {
  readonly value: string;
  readonly extensions?: Readonly<Record<string, string>>;
}

export type SaslOptions =
  | { readonly mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; readonly username: string; readonly password: string }
  | {
      readonly mechanism: 'OAUTHBEARER';
      /** Called for every authentication and re-authentication, so it can hand out a fresh token. */
      readonly token: () => string | OAuthBearerToken | Promise<string | OAuthBearerToken>;
    };

export interface ConnectionSecurityOptions {
  /** TLS to the brokers (SSL, SASL_SSL). */
  readonly ssl?: ClientSslOptions | true;
  /** SASL authentication (SASL_PLAINTEXT, SASL_SSL). */
  readonly sasl?: SaslOptions;
}

const MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'];

/** Checks `ssl` and `sasl` options; a mistake is INVALID_CONFIG for the client being built. */
export function resolveSecurityOptions(options: { ssl?: unknown; sasl?: unknown }, what: string): ConnectionSecurityOptions {
  const resolved: { ssl?: ClientSslOptions | true; sasl?: SaslOptions } = {};
  if (options.ssl !== undefined && options.ssl !== false) {
    if (options.ssl !== true && (typeof options.ssl !== 'object' || options.ssl === null)) throw KafkaClientError.config('ssl must be true or an object { ca, cert, key, rejectUnauthorized }', what);
    resolved.ssl = options.ssl as ClientSslOptions | true;
  }
  if (options.sasl !== undefined) {
    const sasl = options.sasl as Partial<Record<string, unknown>> | null;
    if (typeof sasl !== 'object' || sasl === null) throw KafkaClientError.config('sasl must be an object { mechanism, username, password } or { mechanism: "OAUTHBEARER", token }', what);
    const mechanism = typeof sasl.mechanism === 'string' ? sasl.mechanism.toUpperCase() : '';
    if (!MECHANISMS.includes(mechanism)) throw KafkaClientError.config(`sasl.mechanism must be one of ${MECHANISMS.join(', ')}, got ${String(sasl.mechanism)}`, what);
    if (mechanism === 'OAUTHBEARER') {
      if (typeof sasl.token !== 'function') throw KafkaClientError.config('sasl.token must be a function returning the OAUTHBEARER token', what);
      resolved.sasl = { mechanism, token: sasl.token as () => string | OAuthBearerToken | Promise<string | OAuthBearerToken> };
    } else {
      if (typeof sasl.username !== 'string' || sasl.username === '') throw KafkaClientError.config('sasl.username must be a non-empty string', what);
      if (typeof sasl.password !== 'string') throw KafkaClientError.config('sasl.password must be a string', what);
      resolved.sasl = { mechanism: mechanism as 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512', username: sasl.username, password: sasl.password };
    }
  }
  return resolved;
}

/**
 * A bootstrap entry may carry its listener's security protocol (`SASL_SSL://host:port`, as Kafka prints
 * listeners). The `ssl` and `sasl` options decide how to connect, so a prefix that asks for what they do not
 * configure is a mistake caught here rather than a connection that fails obscurely (TLS bytes to a plain client).
 */
export function checkListenerPrefixes(entries: readonly string[], security: ConnectionSecurityOptions, what: string): void {
  for (const entry of entries) {
    const scheme = /^([A-Za-z_]+):\/\//.exec(entry.trim())?.[1].toUpperCase();
    if (scheme === undefined || scheme === 'PLAINTEXT') continue;
    if ((scheme === 'SSL' || scheme === 'SASL_SSL') && security.ssl === undefined) throw KafkaClientError.config(`bootstrap address '${entry}' is a ${scheme} listener: set the ssl option (true or { ca, ... })`, what);
    if ((scheme === 'SASL_PLAINTEXT' || scheme === 'SASL_SSL') && security.sasl === undefined) throw KafkaClientError.config(`bootstrap address '${entry}' is a ${scheme} listener: set the sasl option ({ mechanism, username, password })`, what);
  }
}
