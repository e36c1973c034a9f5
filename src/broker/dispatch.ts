// Turns one request frame into one response frame: header first, then the handler for the API key and
// version, then the body. Mirrors Kafka's `SocketServer`/`KafkaApis` split of what closes a connection and what
// becomes an error response:
// - a malformed frame, an unknown API key or a version we do not serve closes the connection (Kafka's
//   `RequestContext.parseRequest` throws `InvalidRequestException`);
// - except ApiVersions at a version we do not know, which is answered at v0 with UNSUPPORTED_VERSION and our full
//   list, so that a newer client can retry at a version we speak (KIP-511, `ApiVersionsResponse`).
import { decodeRequestFrame, encodeResponseFrame } from '../protocol/framing.ts';
import { ApiKey, type ApiKey as ApiKeyType, type ResponseByApiKey } from '../protocol/messages/generated/index.ts';
import { ErrorCode } from '../protocol/errors/index.ts';
import type { BrokerContext } from './broker-context.ts';
import type { ConnectionInfo, Dispatched } from './connection.ts';
import { CLOSE_CONNECTION, type ApiHandler, type HandlerResult } from './handlers/api-handler.ts';
import { apiVersionsResponse } from './handlers/18-api-versions.ts';
import { ANONYMOUS_PRINCIPAL } from './security/principal.ts';

export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError';
}

export function dispatchRequest(broker: BrokerContext, frame: Buffer, connection: ConnectionInfo): Dispatched {
  const request = decodeRequestFrameForBroker(broker, frame);
  if (request.kind === 'api-versions-fallback') {
    const body = apiVersionsResponse(broker, 0);
    body.errorCode = ErrorCode.UNSUPPORTED_VERSION;
    return { response: encodeResponseFrame(ApiKey.ApiVersions, 0, request.correlationId, body), pipelined: false };
  }
  const { handler, decoded } = request;
  const started = performance.now();
  const requestMetric = broker.metrics.request(decoded.apiKey);
  const context = {
    apiVersion: decoded.apiVersion,
    correlationId: decoded.correlationId,
    clientId: decoded.clientId,
    connection,
    principal: connection.principal ?? ANONYMOUS_PRINCIPAL,
    clientHost: connection.clientHost ?? '',
  };
  // The handler runs synchronously up to its first await: for a pipelined handler (Produce) that is where the
  // batch is validated and appended, so requests of one connection are appended in the order they arrived.
  const result = (handler as ApiHandler<ApiKeyType>).handle(broker, decoded.body, context);
  if (result === CLOSE_CONNECTION) {
    requestMetric.completed(performance.now() - started);
    return { response: null, pipelined: false, closeAfter: true };
  }
  // Kafka's TotalTimeMs runs until the answer is sent; here it ends when the answer is encoded (its send is the
  // connection's business and is mostly the client's reading speed).
  const encode = (body: HandlerResult<ApiKeyType>): Buffer | null => {
    requestMetric.completed(performance.now() - started);
    return body === null || body === CLOSE_CONNECTION ? null : encodeResponseFrame(decoded.apiKey, decoded.apiVersion, decoded.correlationId, body as ResponseByApiKey[ApiKeyType]);
  };
  const response = result instanceof Promise ? result.then(encode) : encode(result);
  return { response, pipelined: handler.pipelined === true };
}

type BrokerRequest =
  | { kind: 'api-versions-fallback'; correlationId: number }
  | { kind: 'request'; handler: ApiHandler<ApiKeyType>; decoded: Extract<ReturnType<typeof decodeRequestFrame>, { kind: 'request' }> };

function decodeRequestFrameForBroker(broker: BrokerContext, frame: Buffer): BrokerRequest {
  const decoded = decodeRequestFrame(frame);
  const handler = broker.handlers.get(decoded.apiKey) as ApiHandler<ApiKeyType> | undefined;
  const served = handler !== undefined && decoded.apiVersion >= handler.minVersion && decoded.apiVersion <= handler.maxVersion;
  if (decoded.kind === 'request' && served) return { kind: 'request', handler, decoded };
  if (decoded.apiKey === ApiKey.ApiVersions) return { kind: 'api-versions-fallback', correlationId: decoded.correlationId };
  if (handler === undefined) throw new InvalidRequestError(`unsupported API key ${decoded.apiKey}`);
  throw new InvalidRequestError(`unsupported version ${decoded.apiVersion} of API key ${decoded.apiKey} (served: ${handler.minVersion}-${handler.maxVersion})`);
}
