// Who sent a request (Kafka's `KafkaPrincipal`). PLAINTEXT and SSL without client authentication give
// `User:ANONYMOUS`; SASL gives `User:<authorization id>`; SSL with client authentication gives the certificate's
// subject DN (Kafka's `DefaultKafkaPrincipalBuilder`). ACLs name principals in the `Type:name` text form.

export interface KafkaPrincipal {
  readonly type: string;
  readonly name: string;
}

/** Kafka's `KafkaPrincipal.USER_TYPE`. */
export const USER_PRINCIPAL_TYPE = 'User';

/** Kafka's `KafkaPrincipal.ANONYMOUS`. */
export const ANONYMOUS_PRINCIPAL: KafkaPrincipal = Object.freeze({ type: USER_PRINCIPAL_TYPE, name: 'ANONYMOUS' });

/**
 * The broker's own requests (the transaction coordinator's in-process WriteTxnMarkers): Kafka sends them as the
 * broker's principal, which must be a super user. The authorizer allows this object by identity, never by name,
 * so no client can claim it by authenticating as a user of the same name.
 */
export const BROKER_PRINCIPAL: KafkaPrincipal = Object.freeze({ type: USER_PRINCIPAL_TYPE, name: 'seqlog-broker' });

/** `User:alice` */
export function principalText(principal: KafkaPrincipal): string {
  return `${principal.type}:${principal.name}`;
}

/**
 * Kafka's `SecurityUtils.parseKafkaPrincipal`: `Type:name`, split at the first colon. Returns null when the text
 * has no colon (Kafka: "expected a string in format principalType:principalName").
 */
export function parsePrincipal(text: string): KafkaPrincipal | null {
  const colon = text.indexOf(':');
  if (colon <= 0) return null;
  return { type: text.slice(0, colon), name: text.slice(colon + 1) };
}

/**
 * The client's address as Kafka's ACL host field names it (`InetAddress.getHostAddress`): an IPv4 client on a
 * dual-stack socket reports `::ffff:1.2.3.4`, which Kafka sees as `1.2.3.4`.
 */
export function clientHostOf(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined) return '';
  return remoteAddress.startsWith('::ffff:') && remoteAddress.includes('.') ? remoteAddress.slice(7) : remoteAddress;
}
