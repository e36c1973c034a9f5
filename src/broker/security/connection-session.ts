// One connection's authentication state, as Kafka's `SaslServerAuthenticator` and `KafkaChannel` keep it:
// - on a SASL listener a connection starts unauthenticated and may send only ApiVersions, SaslHandshake and then
//   SaslAuthenticate; any other request closes it (Kafka: "Unexpected Kafka request of type ... during SASL
//   handshake");
// - a v0 SaslHandshake switches to the pre-KIP-152 flow, where the next frames are raw SASL tokens without a
//   Kafka header;
// - after authentication, the session may have an end (`connections.max.reauth.ms`, a token's expiry, KIP-368):
//   a SaslHandshake before it starts a re-authentication (same mechanism, same principal), and once it has passed
//   the connection is closed;
// - on PLAINTEXT and SSL listeners a connection is authenticated from the start (ANONYMOUS or its certificate).
import type { Listener } from './listeners.ts';
import { isSaslProtocol } from './listeners.ts';
import type { KafkaPrincipal } from './principal.ts';
import type { SaslServer } from './sasl/sasl-server.ts';

export const SessionState = {
  /** Waiting for SaslHandshake (ApiVersions allowed). */
  Handshake: 'handshake',
  /** Handshake done; waiting for SaslAuthenticate. */
  Authenticate: 'authenticate',
  /** v0 handshake done; the next frames are raw tokens. */
  LegacyToken: 'legacy-token',
  Authenticated: 'authenticated',
  /** Authentication failed; the connection closes after the failure delay. */
  Failed: 'failed',
} as const;
export type SessionState = (typeof SessionState)[keyof typeof SessionState];

export class ConnectionSession {
  state: SessionState;
  principal: KafkaPrincipal;
  /** The mechanism of the current (or last completed) authentication. */
  mechanism: string | null = null;
  server: SaslServer | null = null;
  /** When the authenticated session ends (KIP-368); null = never. */
  sessionExpiresAtMs: number | null = null;
  /** True between a re-authentication's SaslHandshake and its completion. */
  reauthenticating = false;

  constructor(
    readonly listener: Listener,
    principal: KafkaPrincipal,
  ) {
    this.principal = principal;
    this.state = isSaslProtocol(listener.securityProtocol) ? SessionState.Handshake : SessionState.Authenticated;
  }

  get isSaslListener(): boolean {
    return isSaslProtocol(this.listener.securityProtocol);
  }

  get authenticated(): boolean {
    return this.state === SessionState.Authenticated;
  }

  expired(nowMs: number): boolean {
    return this.state === SessionState.Authenticated && this.sessionExpiresAtMs !== null && nowMs >= this.sessionExpiresAtMs;
  }
}
