// SaslHandshake (key 17), versions 0-1: picks the SASL mechanism (KIP-43; v1 = tokens follow in SaslAuthenticate,
// KIP-152; v0 = raw tokens follow). As Kafka:
// - on a PLAINTEXT or SSL listener, or on an authenticated connection without a session end, the answer is
//   ILLEGAL_SASL_STATE (`KafkaApis.handleSaslHandshakeRequest`);
// - a mechanism that is not enabled gets UNSUPPORTED_SASL_MECHANISM with the enabled list, then the connection
//   closes;
// - on an authenticated connection whose session ends (KIP-368), it starts a re-authentication, which must use
//   the same mechanism.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { createSaslServer } from '../security/broker-security.ts';
import { SessionState } from '../security/connection-session.ts';
import type { ApiHandler } from './api-handler.ts';

export const saslHandshakeHandler: ApiHandler<typeof ApiKey.SaslHandshake> = {
  apiKey: ApiKey.SaslHandshake,
  minVersion: 0,
  maxVersion: 1,
  handle(broker, request, context) {
    const session = context.connection.session;
    const mechanisms = [...broker.security.enabledMechanisms];
    if (!session.isSaslListener) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
    if (session.state === SessionState.Authenticated) {
      if (session.sessionExpiresAtMs === null || context.apiVersion < 1) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms };
      if (request.mechanism !== session.mechanism) {
        session.state = SessionState.Failed;
        return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms };
      }
      session.server = createSaslServer(broker.security, request.mechanism);
      session.reauthenticating = true;
      session.state = SessionState.Authenticate;
      return { errorCode: ErrorCode.NONE, mechanisms };
    }
    const server = createSaslServer(broker.security, request.mechanism);
    if (server === null) {
      session.state = SessionState.Failed;
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms };
    }
    session.server = server;
    session.state = context.apiVersion === 0 ? SessionState.LegacyToken : SessionState.Authenticate;
    return { errorCode: ErrorCode.NONE, mechanisms };
  },
};
