// What the broker's authentication needs beyond one connection: the enabled mechanisms and their credentials,
// the session bound (`connections.max.reauth.ms`) and the delay before a failed authentication is closed.
import { isScramMechanism } from '../../protocol/sasl/scram.ts';
import type { ScramCredentialStore } from './scram-store.ts';
import { OAuthBearerSaslServer, type OAuthBearerValidator } from './sasl/oauthbearer-server.ts';
import { PlainSaslServer } from './sasl/plain-server.ts';
import { ScramSaslServer } from './sasl/scram-server.ts';
import type { SaslServer } from './sasl/sasl-server.ts';

export interface BrokerSecurity {
  /** `sasl.enabled.mechanisms` */
  readonly enabledMechanisms: readonly string[];
  /** PLAIN users and passwords (`sasl.plain.users`). */
  readonly plainUsers: ReadonlyMap<string, string>;
  readonly scramCredentials: ScramCredentialStore;
  readonly oauthBearerValidator: OAuthBearerValidator;
  /** `connections.max.reauth.ms`; 0 = sessions do not expire (unless a token does). */
  readonly connectionsMaxReauthMs: number;
  /** `connection.failed.authentication.delay.ms` */
  readonly failedAuthenticationDelayMs: number;
}

/** A SASL server for an enabled mechanism, or null when the mechanism is not enabled. */
export function createSaslServer(security: BrokerSecurity, mechanism: string): SaslServer | null {
  if (!security.enabledMechanisms.includes(mechanism)) return null;
  if (mechanism === 'PLAIN') return new PlainSaslServer(security.plainUsers);
  if (mechanism === 'OAUTHBEARER') return new OAuthBearerSaslServer(security.oauthBearerValidator);
  if (isScramMechanism(mechanism)) return new ScramSaslServer(mechanism, (user) => security.scramCredentials.get(user, mechanism));
  return null;
}
