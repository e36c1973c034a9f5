// SASL/OAUTHBEARER (RFC 7628) as Kafka's `OAuthBearerSaslServer`: the client's one message carries
// `auth=Bearer <token>` (plus optional extensions); the token is checked by a validator. A rejected token is
// answered with the RFC's JSON error challenge, the client acknowledges it with a single 0x01, and only then is
// the authentication failed with the validator's reason.
import { userPrincipal } from '../principal.ts';
import type { SaslServer, SaslStep } from './sasl-server.ts';

export type OAuthBearerValidation =
  | { readonly valid: true; readonly principal: string; readonly expiresAtMs: number }
  | { readonly valid: false; readonly reason: string; readonly status?: string; readonly scope?: string };

/**
 * Checks a bearer token. Embedders plug their own (a JWKS-backed JWT check, say) through `startBroker`'s
 * `oauthBearerValidator`; the default is `unsecuredJwsValidator`.
 */
export type OAuthBearerValidator = (token: string, extensions: ReadonlyMap<string, string>) => OAuthBearerValidation | Promise<OAuthBearerValidation>;

function decodeJsonPart(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Kafka's `OAuthBearerUnsecuredValidatorCallbackHandler`: accepts an unsigned JWS (`alg` `none`, empty signature)
 * whose `sub` names the principal and whose `exp` (seconds) is in the future. For development only: anyone can
 * mint such a token, which is why OAUTHBEARER is not among the default `sasl.enabled.mechanisms`.
 */
export function unsecuredJwsValidator(now: () => number = Date.now): OAuthBearerValidator {
  return (token) => {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[2] !== '') return { valid: false, reason: 'not an unsecured JWS (header.payload. with an empty signature)' };
    const header = decodeJsonPart(parts[0]);
    const claims = decodeJsonPart(parts[1]);
    if (header === null || claims === null) return { valid: false, reason: 'the token header or payload is not base64url JSON' };
    if (header.alg !== 'none') return { valid: false, reason: `unsecured tokens must have alg "none", not ${JSON.stringify(header.alg)}` };
    const subject = claims.sub;
    if (typeof subject !== 'string' || subject.trim() === '') return { valid: false, reason: 'the token has no "sub" claim' };
    const expiresAt = claims.exp;
    if (typeof expiresAt !== 'number') return { valid: false, reason: 'the token has no numeric "exp" claim' };
    const expiresAtMs = Math.floor(expiresAt * 1000);
    if (expiresAtMs <= now()) return { valid: false, reason: `the token expired at ${new Date(expiresAtMs).toISOString()}` };
    return { valid: true, principal: subject, expiresAtMs };
  };
}

const SEPARATOR = '\u0001';

export class OAuthBearerSaslServer implements SaslServer {
  readonly mechanism = 'OAUTHBEARER';
  private pendingFailure: string | null = null;
  private done = false;

  constructor(private readonly validate: OAuthBearerValidator) {}

  async evaluate(token: Buffer): Promise<SaslStep> {
    const message = token.toString('utf8');
    if (this.pendingFailure !== null) {
      const reason = this.pendingFailure;
      this.pendingFailure = null;
      this.done = true;
      return { kind: 'failed', message: message === SEPARATOR ? reason : `${reason} (the client did not acknowledge the error challenge)` };
    }
    if (this.done) return { kind: 'failed', message: 'OAUTHBEARER exchange already finished' };
    this.done = true;
    // gs2-header, then key=value pairs separated by 0x01, ending with two.
    const match = /^n,(?:a=([^,]*))?,\u0001(.*)\u0001\u0001$/s.exec(message);
    if (match === null) return { kind: 'failed', message: 'Invalid OAUTHBEARER client first message' };
    const authorizationId = match[1];
    const values = new Map<string, string>();
    for (const pair of match[2].split(SEPARATOR)) {
      const at = pair.indexOf('=');
      if (at <= 0) return { kind: 'failed', message: 'Invalid OAUTHBEARER client first message' };
      values.set(pair.slice(0, at), pair.slice(at + 1));
    }
    const auth = values.get('auth');
    values.delete('auth');
    const bearer = auth === undefined ? null : /^Bearer +(\S+) *$/i.exec(auth);
    if (bearer === null) return { kind: 'failed', message: 'Invalid OAUTHBEARER client first message: no auth=Bearer value' };
    let validation: OAuthBearerValidation;
    try {
      validation = await this.validate(bearer[1], values);
    } catch (error) {
      validation = { valid: false, reason: `the token validator failed: ${(error as Error).message}` };
    }
    if (!validation.valid) {
      this.done = false;
      this.pendingFailure = `Authentication failed: ${validation.reason}`;
      const challenge: Record<string, string> = { status: validation.status ?? 'invalid_token' };
      if (validation.scope !== undefined) challenge.scope = validation.scope;
      return { kind: 'challenge', bytes: Buffer.from(JSON.stringify(challenge), 'utf8') };
    }
    if (authorizationId !== undefined && authorizationId !== '' && authorizationId !== validation.principal) {
      return { kind: 'failed', message: `Authentication failed: Authorization ID (${authorizationId}) not equal to authentication ID (${validation.principal})` };
    }
    return { kind: 'complete', bytes: Buffer.alloc(0), principal: userPrincipal(validation.principal), credentialExpiresAtMs: validation.expiresAtMs };
  }
}
