// Who sent a request, as Kafka's `KafkaPrincipal`: `User:ANONYMOUS` on PLAINTEXT and on SSL without a client
// certificate, the SASL authorization id after SASL, the certificate's subject DN with SSL client authentication
// (Kafka's `DefaultKafkaPrincipalBuilder`). ACLs name principals in the `Type:name` text form.
export interface KafkaPrincipal {
  readonly type: 'User';
  readonly name: string;
}

export const ANONYMOUS_PRINCIPAL: KafkaPrincipal = Object.freeze({ type: 'User', name: 'ANONYMOUS' });

/**
 * The broker's own requests (the transaction coordinator's in-process WriteTxnMarkers): Kafka sends them as the
 * broker's principal, which must be a super user. The authorizer allows this object by identity, never by name,
 * so no client can claim it by authenticating as a user of the same name.
 */
export const BROKER_PRINCIPAL: KafkaPrincipal = Object.freeze({ type: 'User', name: 'seqlog-broker' });

export function userPrincipal(name: string): KafkaPrincipal {
  return { type: 'User', name };
}

/** `User:alice`, Kafka's string form. */
export function principalToString(principal: KafkaPrincipal): string {
  return `${principal.type}:${principal.name}`;
}

/**
 * The client's address as Kafka's ACL host field names it (`InetAddress.getHostAddress`): an IPv4 client on a
 * dual-stack socket reports `::ffff:1.2.3.4`, which Kafka sees as `1.2.3.4`.
 */
export function clientHostOf(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined) return '';
  return remoteAddress.startsWith('::ffff:') && remoteAddress.includes('.') ? remoteAddress.slice(7) : remoteAddress;
}
