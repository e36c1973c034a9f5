// One SASL exchange on the broker side (Java's `javax.security.sasl.SaslServer` as Kafka uses it): each client
// token is evaluated into a challenge to send back, a completed authentication, or a failure whose message goes
// to the client in SaslAuthenticate's error message.
import type { KafkaPrincipal } from '../principal.ts';

export type SaslStep =
  | { readonly kind: 'challenge'; readonly bytes: Buffer }
  | {
      readonly kind: 'complete';
      readonly bytes: Buffer;
      readonly principal: KafkaPrincipal;
      /** When the credential stops being valid (an OAUTHBEARER token's `exp`); caps the session (KIP-368). */
      readonly credentialExpiresAtMs?: number;
    }
  | { readonly kind: 'failed'; readonly message: string };

export interface SaslServer {
  readonly mechanism: string;
  evaluate(token: Buffer): SaslStep | Promise<SaslStep>;
}

export const SaslMechanism = {
  PLAIN: 'PLAIN',
  SCRAM_SHA_256: 'SCRAM-SHA-256',
  SCRAM_SHA_512: 'SCRAM-SHA-512',
  OAUTHBEARER: 'OAUTHBEARER',
} as const;
export type SaslMechanism = (typeof SaslMechanism)[keyof typeof SaslMechanism];

export const SUPPORTED_SASL_MECHANISMS: readonly string[] = Object.values(SaslMechanism);

/** The message Kafka's `SaslServerAuthenticator` sends for a `SaslException` (wrong SCRAM proof, unknown user). */
export function invalidCredentialsMessage(mechanism: string): string {
  return `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`;
}
