// SASL/SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka's `ScramSaslServer`: client-first ->
// server-first (nonce, salt, iterations) -> client-final with the proof -> server-final with the server
// signature. Channel binding is not offered (gs2 header `n` or `y`), as in Kafka.
import { randomBytes } from 'node:crypto';
import {
  authMessage,
  parseScramAttributes,
  serverSignature,
  unescapeSaslName,
  verifyClientProof,
  type ScramCredential,
  type ScramMechanismName,
} from '../../../protocol/sasl/scram.ts';
import { userPrincipal } from '../principal.ts';
import { invalidCredentialsMessage, type SaslServer, type SaslStep } from './sasl-server.ts';

type State =
  | { kind: 'initial' }
  | { kind: 'sent-first'; user: string; gs2Header: string; nonce: string; clientFirstBare: string; serverFirst: string; credential: ScramCredential }
  | { kind: 'done' };

export class ScramSaslServer implements SaslServer {
  private state: State = { kind: 'initial' };

  constructor(
    readonly mechanism: ScramMechanismName,
    private readonly lookup: (user: string) => ScramCredential | undefined,
  ) {}

  evaluate(token: Buffer): SaslStep {
    const state = this.state;
    this.state = { kind: 'done' };
    const failed: SaslStep = { kind: 'failed', message: invalidCredentialsMessage(this.mechanism) };
    const message = token.toString('utf8');
    if (state.kind === 'initial') {
      // gs2-header: `n,,` / `y,,` / `n,a=authzid,`, then the bare message `n=user,r=nonce[,extensions]`.
      const match = /^([ny]),(?:a=([^,]*))?,(n=([^,]*),r=([^,]+)(?:,.*)?)$/s.exec(message);
      if (match === null) return failed;
      const [, , authorizationId, clientFirstBare, escapedUser, clientNonce] = match;
      const user = unescapeSaslName(escapedUser);
      if (user === null || user === '') return failed;
      if (authorizationId !== undefined && authorizationId !== '' && unescapeSaslName(authorizationId) !== user) {
        return { kind: 'failed', message: 'Authentication failed: Client requested an authorization id that is different from username' };
      }
      const credential = this.lookup(user);
      if (credential === undefined) return failed;
      const nonce = clientNonce + randomBytes(24).toString('base64url');
      const serverFirst = `r=${nonce},s=${credential.salt.toString('base64')},i=${credential.iterations}`;
      const gs2Header = message.slice(0, message.length - clientFirstBare.length);
      this.state = { kind: 'sent-first', user, gs2Header, nonce, clientFirstBare, serverFirst, credential };
      return { kind: 'challenge', bytes: Buffer.from(serverFirst, 'utf8') };
    }
    if (state.kind === 'sent-first') {
      const proofAt = message.lastIndexOf(',p=');
      if (proofAt < 0) return failed;
      const withoutProof = message.slice(0, proofAt);
      const attributes = parseScramAttributes(withoutProof);
      if (attributes === null) return failed;
      if (attributes.get('c') !== Buffer.from(state.gs2Header, 'utf8').toString('base64')) return failed;
      // Kafka's `ScramSaslServer` only checks that the echoed nonce ends with the one it sent, and librdkafka
      // (2.0 at least) relies on that: it sends its own nonce followed by the server's whole nonce.
      if (!(attributes.get('r') ?? '').endsWith(state.nonce)) return failed;
      const proof = Buffer.from(message.slice(proofAt + 3), 'base64');
      const signed = authMessage(state.clientFirstBare, state.serverFirst, withoutProof);
      if (!verifyClientProof(this.mechanism, state.credential, signed, proof)) return failed;
      const signature = serverSignature(this.mechanism, state.credential.serverKey, signed);
      return { kind: 'complete', bytes: Buffer.from(`v=${signature.toString('base64')}`, 'utf8'), principal: userPrincipal(state.user) };
    }
    return { kind: 'failed', message: 'SCRAM exchange already finished' };
  }
}
