// SaslAuthenticate (key 36), versions 0-2 (KIP-152): one SASL token each way. A failure is answered with
// SASL_AUTHENTICATION_FAILED and the mechanism's message after `connection.failed.authentication.delay.ms`, then
// the connection closes (Kafka's `Selector` delays the close the same way). v1+ carries the session lifetime
// (KIP-368). Outside an authentication (a PLAINTEXT listener, an authenticated connection) the answer is
// ILLEGAL_SASL_STATE, as `KafkaApis.handleSaslAuthenticateRequest` gives.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { SaslAuthenticateResponse } from '../../protocol/messages/generated/36-sasl-authenticate.ts';
import { SessionState } from '../security/connection-session.ts';
import { afterFailureDelay, evaluateSaslToken } from '../security/sasl-authentication.ts';
import type { ApiHandler } from './api-handler.ts';

export const saslAuthenticateHandler: ApiHandler<typeof ApiKey.SaslAuthenticate> = {
  apiKey: ApiKey.SaslAuthenticate,
  minVersion: 0,
  maxVersion: 2,
  async handle(broker, request, context) {
    const session = context.connection.session;
    if (session.state !== SessionState.Authenticate) {
      return {
        errorCode: ErrorCode.ILLEGAL_SASL_STATE,
        errorMessage: 'SaslAuthenticate request received after successful authentication',
        authBytes: Buffer.alloc(0),
        sessionLifetimeMs: 0n,
      };
    }
    const outcome = await evaluateSaslToken(broker.security, session, request.authBytes, broker.clock);
    if (outcome.kind === 'failed') {
      broker.logger.info({ connection: context.connection.id, remote: context.connection.remoteAddress, err: outcome.message }, 'failed authentication');
      const response: SaslAuthenticateResponse = { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: outcome.message, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
      return afterFailureDelay(broker.security, response);
    }
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      authBytes: outcome.bytes,
      sessionLifetimeMs: outcome.kind === 'complete' ? BigInt(outcome.sessionLifetimeMs) : 0n,
    };
  },
};
