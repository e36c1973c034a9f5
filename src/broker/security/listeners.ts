// Kafka's `listeners`, `advertised.listeners` and `listener.security.protocol.map`: several named listeners, each
// with its own security protocol. A listener's name is what ties a bound socket to the address Metadata
// advertises for it (Kafka answers each client with the endpoints of the listener it connected through).
import { ConfigError } from '../config.ts';

export const SecurityProtocol = {
  PLAINTEXT: 'PLAINTEXT',
  SSL: 'SSL',
  SASL_PLAINTEXT: 'SASL_PLAINTEXT',
  SASL_SSL: 'SASL_SSL',
} as const;
export type SecurityProtocol = (typeof SecurityProtocol)[keyof typeof SecurityProtocol];

export interface ListenerAddress {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

export interface Listener extends ListenerAddress {
  readonly securityProtocol: SecurityProtocol;
}

export function isTlsProtocol(protocol: SecurityProtocol): boolean {
  return protocol === SecurityProtocol.SSL || protocol === SecurityProtocol.SASL_SSL;
}

export function isSaslProtocol(protocol: SecurityProtocol): boolean {
  return protocol === SecurityProtocol.SASL_PLAINTEXT || protocol === SecurityProtocol.SASL_SSL;
}

/** `NAME://host:port,...`; a missing name means PLAINTEXT (seqlog's older `--listeners host:port` form). */
export function parseListenerAddresses(value: string): ListenerAddress[] {
  const addresses: ListenerAddress[] = [];
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const match = /^(?:([A-Za-z0-9_-]+):\/\/)?(\[[^\]]*\]|[^:/]*):(\d+)$/.exec(entry);
    if (match === null) throw new ConfigError(`expected NAME://host:port, got '${entry}'`);
    const name = (match[1] ?? SecurityProtocol.PLAINTEXT).toUpperCase();
    if (addresses.some((address) => address.name === name)) throw new ConfigError(`listener name ${name} is used twice`);
    const host = match[2].replace(/^\[|\]$/g, '');
    const port = Number(match[3]);
    if (port > 65535) throw new ConfigError(`port ${port} out of range in '${entry}'`);
    addresses.push({ name, host: host === '' ? '0.0.0.0' : host, port });
  }
  if (addresses.length === 0) throw new ConfigError('no listener given');
  return addresses;
}

/** `NAME:PROTOCOL,...`; Kafka's default maps each protocol name to itself. */
export function parseSecurityProtocolMap(value: string | null): Map<string, SecurityProtocol> {
  const map = new Map<string, SecurityProtocol>(Object.values(SecurityProtocol).map((protocol) => [protocol, protocol]));
  if (value === null || value.trim() === '') return map;
  map.clear();
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const [name, protocol] = entry.split(':').map((part) => part.trim().toUpperCase());
    if (name === undefined || protocol === undefined || !(protocol in SecurityProtocol)) throw new ConfigError(`expected NAME:PROTOCOL with PROTOCOL one of ${Object.values(SecurityProtocol).join(', ')}, got '${entry}'`);
    map.set(name, protocol as SecurityProtocol);
  }
  return map;
}

/** The listeners to bind, each with its security protocol. */
export function resolveListeners(listeners: string, protocolMap: string | null): Listener[] {
  const map = parseSecurityProtocolMap(protocolMap);
  return parseListenerAddresses(listeners).map((address) => {
    const securityProtocol = map.get(address.name);
    if (securityProtocol === undefined) throw new ConfigError(`listener ${address.name} has no security protocol in listener.security.protocol.map`);
    return { ...address, securityProtocol };
  });
}

/**
 * Where clients reach each listener: its `advertised.listeners` entry, else its bound address (a wildcard host
 * becomes 127.0.0.1, and port 0 the port actually bound). An advertised listener that is not bound is an error,
 * as in Kafka's `KafkaConfig` validation.
 */
export function advertisedAddresses(bound: readonly ListenerAddress[], advertised: string | null): Map<string, ListenerAddress> {
  const byName = new Map<string, ListenerAddress>();
  const given = advertised === null || advertised.trim() === '' ? [] : parseListenerAddresses(advertised);
  for (const entry of given) {
    const listener = bound.find((candidate) => candidate.name === entry.name);
    if (listener === undefined) throw new ConfigError(`advertised listener ${entry.name} is not among the listeners (${bound.map((b) => b.name).join(', ')})`);
  }
  for (const listener of bound) {
    const entry = given.find((candidate) => candidate.name === listener.name);
    const host = entry?.host ?? (listener.host === '0.0.0.0' || listener.host === '::' ? '127.0.0.1' : listener.host);
    const port = entry === undefined || entry.port === 0 ? listener.port : entry.port;
    byName.set(listener.name, { name: listener.name, host, port });
  }
  return byName;
}
