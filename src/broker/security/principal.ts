// Who sent a request, as Kafka's `KafkaPrincipal`: `User:ANONYMOUS` on PLAINTEXT and on SSL without a client
// certificate, the SASL authorization id after SASL, the certificate's subject DN with SSL client authentication
// (Kafka's `DefaultKafkaPrincipalBuilder`).
export interface KafkaPrincipal {
  readonly type: 'User';
  readonly name: string;
}

export const ANONYMOUS_PRINCIPAL: KafkaPrincipal = Object.freeze({ type: 'User', name: 'ANONYMOUS' });

export function userPrincipal(name: string): KafkaPrincipal {
  return { type: 'User', name };
}

/** `User:alice`, Kafka's string form. */
export function principalToString(principal: KafkaPrincipal): string {
  return `${principal.type}:${principal.name}`;
}
