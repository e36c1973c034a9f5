// TLS for SSL and SASL_SSL listeners from Kafka's `ssl.*` settings with PEM material (`ssl.keystore.type=PEM`):
// the key and certificate chain inline (`ssl.keystore.key`, `ssl.keystore.certificate.chain`) or in one PEM file
// (`ssl.keystore.location`), trusted CAs inline or in a file (`ssl.truststore.certificates`,
// `ssl.truststore.location`), and client certificates per `ssl.client.auth`.
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import type { TlsOptions, TLSSocket } from 'node:tls';
import { ConfigError } from '../config.ts';
import { ANONYMOUS_PRINCIPAL, userPrincipal, type KafkaPrincipal } from './principal.ts';

export const SslClientAuth = { none: 'none', requested: 'requested', required: 'required' } as const;
export type SslClientAuth = (typeof SslClientAuth)[keyof typeof SslClientAuth];

export interface SslConfig {
  /** `ssl.keystore.type`: only PEM. */
  sslKeystoreType: string;
  /** `ssl.keystore.key`: the private key, PEM (PKCS#8, possibly encrypted with `ssl.key.password`). */
  sslKeystoreKey: string | null;
  /** `ssl.keystore.certificate.chain`: the certificate chain, PEM. */
  sslKeystoreCertificateChain: string | null;
  /** `ssl.keystore.location`: a PEM file holding the private key and the certificate chain. */
  sslKeystoreLocation: string | null;
  /** `ssl.key.password` */
  sslKeyPassword: string | null;
  /** `ssl.truststore.certificates`: trusted CA certificates, PEM (checks client certificates). */
  sslTruststoreCertificates: string | null;
  /** `ssl.truststore.location`: a PEM file of trusted CA certificates. */
  sslTruststoreLocation: string | null;
  /** `ssl.client.auth`: none (default), requested or required. */
  sslClientAuth: SslClientAuth;
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${what}: cannot read ${path}: ${(error as Error).message}`);
  }
}

/** Node's TLS server options for a listener; ConfigError when the keystore is missing or not PEM. */
export function tlsServerOptions(config: SslConfig): TlsOptions {
  if (config.sslKeystoreType.toUpperCase() !== 'PEM') throw new ConfigError(`ssl.keystore.type ${config.sslKeystoreType} is not supported: use PEM`);
  let key = config.sslKeystoreKey;
  let cert = config.sslKeystoreCertificateChain;
  if (config.sslKeystoreLocation !== null) {
    const pem = readPem(config.sslKeystoreLocation, 'ssl.keystore.location');
    key ??= pem;
    cert ??= pem;
  }
  if (key === null || cert === null) {
    throw new ConfigError('an SSL or SASL_SSL listener needs ssl.keystore.key and ssl.keystore.certificate.chain (or ssl.keystore.location)');
  }
  const ca = config.sslTruststoreCertificates ?? (config.sslTruststoreLocation === null ? null : readPem(config.sslTruststoreLocation, 'ssl.truststore.location'));
  const clientAuth = config.sslClientAuth;
  if (clientAuth !== 'none' && ca === null) throw new ConfigError(`ssl.client.auth=${clientAuth} needs ssl.truststore.certificates or ssl.truststore.location`);
  return {
    key,
    cert,
    ...(config.sslKeyPassword === null ? {} : { passphrase: config.sslKeyPassword }),
    ...(ca === null ? {} : { ca }),
    requestCert: clientAuth !== 'none',
    // `requested` lets a client without a certificate in (as ANONYMOUS); one with an untrusted certificate is
    // refused by the check in `sslPrincipal`, as Java's SSLEngine with `setWantClientAuth` refuses it.
    rejectUnauthorized: clientAuth === 'required',
    minVersion: 'TLSv1.2',
  };
}

/**
 * The principal of a TLS connection, as Kafka's `DefaultKafkaPrincipalBuilder` builds it: the client
 * certificate's subject in RFC 2253 form (`CN=client,O=example`) when one was presented and verified, otherwise
 * ANONYMOUS. Returns null when a certificate was presented but did not verify (the connection must be refused).
 */
export function sslPrincipal(socket: TLSSocket): KafkaPrincipal | null {
  const peer = socket.getPeerX509Certificate?.();
  if (peer === undefined) return ANONYMOUS_PRINCIPAL;
  if (!socket.authorized) return null;
  return userPrincipal(rfc2253Name(peer));
}

/** Node prints the subject one attribute per line, most significant first; RFC 2253 reverses that order. */
function rfc2253Name(certificate: X509Certificate): string {
  return certificate.subject
    .split('\n')
    .filter((line) => line !== '')
    .reverse()
    .map((line) => line.replace(/([,+"\\<>;])/g, '\\$1'))
    .join(',');
}
