// Evaluates one SASL token of a connection and moves its session on: shared by SaslAuthenticate (KIP-152) and the
// pre-KIP-152 raw-token flow. Mirrors Kafka's `SaslServerAuthenticator`: on completion the session lifetime is the
// smaller of `connections.max.reauth.ms` and the credential's remaining life (KIP-368); a re-authentication
// must keep the principal; a failure leaves the session Failed so the connection closes after its answer.
import type { BrokerSecurity } from './broker-security.ts';
import { SessionState, type ConnectionSession } from './connection-session.ts';
import { principalToString } from './principal.ts';

export type TokenOutcome =
  | { readonly kind: 'challenge'; readonly bytes: Buffer }
  | { readonly kind: 'complete'; readonly bytes: Buffer; readonly sessionLifetimeMs: number }
  | { readonly kind: 'failed'; readonly message: string };

export async function evaluateSaslToken(security: BrokerSecurity, session: ConnectionSession, token: Buffer, nowMs: () => number): Promise<TokenOutcome> {
  const server = session.server;
  if (server === null) return fail(session, 'no SASL mechanism selected');
  let step;
  try {
    step = await server.evaluate(token);
  } catch (error) {
    return fail(session, `Authentication failed: ${(error as Error).message}`);
  }
  if (step.kind === 'challenge') return step;
  if (step.kind === 'failed') return fail(session, step.message);
  if (session.reauthenticating && (step.principal.type !== session.principal.type || step.principal.name !== session.principal.name)) {
    return fail(session, `Cannot change principals during re-authentication from ${principalToString(session.principal)}: ${principalToString(step.principal)}`);
  }
  const now = nowMs();
  let lifetimeMs: number | null = security.connectionsMaxReauthMs > 0 ? security.connectionsMaxReauthMs : null;
  if (step.credentialExpiresAtMs !== undefined) lifetimeMs = Math.min(lifetimeMs ?? Infinity, Math.max(0, step.credentialExpiresAtMs - now));
  session.principal = step.principal;
  session.mechanism = server.mechanism;
  session.server = null;
  session.reauthenticating = false;
  session.state = SessionState.Authenticated;
  session.sessionExpiresAtMs = lifetimeMs === null ? null : now + lifetimeMs;
  return { kind: 'complete', bytes: step.bytes, sessionLifetimeMs: lifetimeMs ?? 0 };
}

function fail(session: ConnectionSession, message: string): TokenOutcome {
  session.state = SessionState.Failed;
  session.server = null;
  return { kind: 'failed', message };
}

/** Resolves after `connection.failed.authentication.delay.ms`: a brute-force client waits, nobody else does. */
export function afterFailureDelay<T>(security: BrokerSecurity, value: T): Promise<T> {
  if (security.failedAuthenticationDelayMs <= 0) return Promise.resolve(value);
  return new Promise((resolve) => setTimeout(() => resolve(value), security.failedAuthenticationDelayMs));
}
