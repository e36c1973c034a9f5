// SASL/PLAIN (RFC 4616) against configured users, as Kafka's `PlainSaslServer` with the JAAS `user_<name>`
// entries of `PlainLoginModule`: one message `[authzid] NUL authcid NUL password`. PLAIN sends the password in
// the clear: use it on SASL_SSL listeners.
import { createHash, timingSafeEqual } from 'node:crypto';
import { userPrincipal } from '../principal.ts';
import type { SaslServer, SaslStep } from './sasl-server.ts';

function sameSecret(a: string, b: string): boolean {
  // Comparing digests keeps the comparison's time independent of where the strings differ and of their lengths.
  const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

export class PlainSaslServer implements SaslServer {
  readonly mechanism = 'PLAIN';

  constructor(private readonly users: ReadonlyMap<string, string>) {}

  evaluate(token: Buffer): SaslStep {
    const parts = token.toString('utf8').split('\u0000');
    if (parts.length !== 3) return { kind: 'failed', message: 'Invalid SASL/PLAIN response: expected 3 tokens' };
    const [authorizationId, username, password] = parts;
    if (username === '') return { kind: 'failed', message: 'Authentication failed: username not specified' };
    if (password === '') return { kind: 'failed', message: 'Authentication failed: password not specified' };
    const expected = this.users.get(username);
    // The digest comparison runs for unknown users too, so timing does not tell which users exist.
    const matches = sameSecret(password, expected ?? '\u0000unknown user');
    if (expected === undefined || !matches) return { kind: 'failed', message: 'Authentication failed: Invalid username or password' };
    if (authorizationId !== '' && authorizationId !== username) {
      return { kind: 'failed', message: 'Authentication failed: Client requested an authorization id that is different from username' };
    }
    return { kind: 'complete', bytes: Buffer.alloc(0), principal: userPrincipal(username) };
  }
}
