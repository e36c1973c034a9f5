// The client side of each SASL mechanism: a sequence of tokens sent in SaslAuthenticate requests, each answered
// by a server token. PLAIN (RFC 4616), SCRAM (RFC 5802/7677, with the server signature checked so a broker that
// does not know the password is detected) and OAUTHBEARER (RFC 7628, replying 0x01 to an error challenge).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  authMessage,
  clientProof,
  credentialFromSaltedPassword,
  escapeSaslName,
  parseScramAttributes,
  saltedPassword,
  serverSignature,
  SCRAM_MIN_ITERATIONS,
  type ScramMechanismName,
} from '../../protocol/sasl/scram.ts';
import type { SaslOptions } from './security-options.ts';

/** One mechanism's exchange: `next(serverToken)` gives the next client token, or null when the client is done. */
export interface SaslClientExchange {
  /** The first token (`serverToken` null), then one per server token; null = nothing more to send. */
  next(serverToken: Buffer | null): Promise<Buffer | null>;
  /** Name used in messages: the user, or `token` for OAUTHBEARER. */
  readonly who: string;
}

export class SaslClientError extends Error {
  override readonly name = 'SaslClientError';
}

export function saslExchange(options: SaslOptions): SaslClientExchange {
  if (options.mechanism === 'PLAIN') {
    let sent = false;
    return {
      who: options.username,
      async next() {
        if (sent) return null;
        sent = true;
        return Buffer.from(`\u0000${options.username}\u0000${options.password}`, 'utf8');
      },
    };
  }
  if (options.mechanism === 'OAUTHBEARER') {
    let step = 0;
    return {
      who: 'the OAUTHBEARER token',
      async next(serverToken) {
        step++;
        if (step === 1) {
          const provided = await options.token();
          const token = typeof provided === 'string' ? { value: provided } : provided;
          const extensions = Object.entries(token.extensions ?? {}).map(([key, value]) => `${key}=${value}\u0001`).join('');
          return Buffer.from(`n,,\u0001auth=Bearer ${token.value}\u0001${extensions}\u0001`, 'utf8');
        }
        // A non-empty server token here is the RFC 7628 error challenge; acknowledging it lets the broker fail the
        // exchange with its reason.
        if (step === 2 && serverToken !== null && serverToken.length > 0) return Buffer.from('\u0001', 'utf8');
        return null;
      },
    };
  }
  return scramExchange(options.mechanism, options.username, options.password);
}

function scramExchange(mechanism: ScramMechanismName, username: string, password: string): SaslClientExchange {
  const clientNonce = randomBytes(24).toString('base64url');
  const clientFirstBare = `n=${escapeSaslName(username)},r=${clientNonce}`;
  let step = 0;
  let expectedServerSignature: Buffer | null = null;
  return {
    who: username,
    async next(serverToken) {
      step++;
      if (step === 1) return Buffer.from(`n,,${clientFirstBare}`, 'utf8');
      if (serverToken === null) throw new SaslClientError('SCRAM: no server token');
      if (step === 2) {
        const serverFirst = serverToken.toString('utf8');
        const attributes = parseScramAttributes(serverFirst);
        const nonce = attributes?.get('r');
        const salt = attributes?.get('s');
        const iterations = Number(attributes?.get('i'));
        if (attributes?.has('e') === true) throw new SaslClientError(`SCRAM: the broker answered ${attributes.get('e')}`);
        if (nonce === undefined || salt === undefined || !Number.isInteger(iterations)) throw new SaslClientError(`SCRAM: malformed server-first message '${serverFirst}'`);
        if (!nonce.startsWith(clientNonce) || nonce.length === clientNonce.length) throw new SaslClientError('SCRAM: the server nonce does not extend the client nonce');
        if (iterations < SCRAM_MIN_ITERATIONS) throw new SaslClientError(`SCRAM: ${iterations} iterations is fewer than the minimum ${SCRAM_MIN_ITERATIONS}`);
        const saltBytes = Buffer.from(salt, 'base64');
        const salted = saltedPassword(mechanism, password, saltBytes, iterations);
        const withoutProof = `c=biws,r=${nonce}`;
        const message = authMessage(clientFirstBare, serverFirst, withoutProof);
        const { serverKey } = credentialFromSaltedPassword(mechanism, salted, saltBytes, iterations);
        expectedServerSignature = serverSignature(mechanism, serverKey, message);
        return Buffer.from(`${withoutProof},p=${clientProof(mechanism, salted, message).toString('base64')}`, 'utf8');
      }
      if (step === 3) {
        const attributes = parseScramAttributes(serverToken.toString('utf8'));
        if (attributes?.has('e') === true) throw new SaslClientError(`SCRAM: the broker answered ${attributes.get('e')}`);
        const signature = Buffer.from(attributes?.get('v') ?? '', 'base64');
        const expected = expectedServerSignature as Buffer;
        if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) throw new SaslClientError('SCRAM: the broker\'s signature is wrong (it does not know the password)');
        return null;
      }
      return null;
    },
  };
}
