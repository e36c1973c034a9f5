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
import type { RequestMetric } from './metrics/broker-metric-registry.ts';
import type { ConnectionInfo, Dispatched } from './connection.ts';
import { CLOSE_CONNECTION, type ApiHandler, type HandlerResult } from './handlers/api-handler.ts';
import { apiVersionsResponse } from './handlers/18-api-versions.ts';

export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError';
}

/**
 * One request's answer and the timestamps Kafka's `RequestChannel.Request` keeps (read, handler started, answer
 * encoded, answer sent), so that `TotalTimeMs` ends when the answer's bytes are handed to the socket, as Kafka's
 * ends when the response is sent. The connection calls `sent` once per request; the object is the `Dispatched`
 * itself, so timing costs no allocation of its own.
 */
class TimedRequest implements Dispatched {
  response: Buffer | null | Promise<Buffer | null> = null;
  pipelined = false;
  closeAfter = false;
  private readyAtMs = -1;
  private done = false;

  constructor(
    private readonly metric: RequestMetric,
    private readonly receivedAtMs: number,
    private readonly startedAtMs: number,
  ) {}

  /** The answer is final (encoded, or known to be none). */
  ready(): void {
    this.readyAtMs = performance.now();
  }

  sent(): void {
    if (this.done) return;
    this.done = true;
    const now = performance.now();
    this.metric.completed(this.receivedAtMs, this.startedAtMs, this.readyAtMs < 0 ? now : this.readyAtMs, now);
  }
}

export function dispatchRequest(broker: BrokerContext, frame: Buffer, connection: ConnectionInfo, receivedAtMs: number = performance.now()): Dispatched {
  const request = decodeRequestFrameForBroker(broker, frame);
  if (request.kind === 'api-versions-fallback') {
    const body = apiVersionsResponse(broker, 0);
    body.errorCode = ErrorCode.UNSUPPORTED_VERSION;
    return { response: encodeResponseFrame(ApiKey.ApiVersions, 0, request.correlationId, body), pipelined: false };
  }
  const { handler, decoded } = request;
  const requestMetric = broker.metrics.request(decoded.apiKey);
  const timed = new TimedRequest(requestMetric, receivedAtMs, performance.now());
  const context = {
    apiVersion: decoded.apiVersion,
    correlationId: decoded.correlationId,
    clientId: decoded.clientId,
    connection,
  };
  // The handler runs synchronously up to its first await: for a pipelined handler (Produce) that is where the
  // batch is validated and appended, so requests of one connection are appended in the order they arrived.
  const result = (handler as ApiHandler<ApiKeyType>).handle(broker, decoded.body, context);
  if (result === CLOSE_CONNECTION) {
    timed.ready();
    timed.closeAfter = true;
    return timed;
  }
  const encode = (body: HandlerResult<ApiKeyType>): Buffer | null => {
    if (body === null || body === CLOSE_CONNECTION) {
      timed.ready();
      return null;
    }
    // Kafka's `ErrorsPerSec` counts the error codes of every answer (`RequestChannel.updateErrorMetrics`).
    requestMetric.answered(body);
    const frame = encodeResponseFrame(decoded.apiKey, decoded.apiVersion, decoded.correlationId, body as ResponseByApiKey[ApiKeyType]);
    timed.ready();
    return frame;
  };
  timed.response = result instanceof Promise ? result.then(encode) : encode(result);
  timed.pipelined = handler.pipelined === true;
  return timed;
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
