// Turns one request frame into one response frame: header first, then the handler for the API key and
// version, then the body. Mirrors Kafka's `SocketServer`/`KafkaApis` split of what closes a connection and what
// becomes an error response:
// - a malformed frame, an unknown API key or a version we do not serve closes the connection (Kafka's
//   `RequestContext.parseRequest` throws `InvalidRequestException`);
// - except ApiVersions at a version we do not know, which is answered at v0 with UNSUPPORTED_VERSION and our full
//   list, so that a newer client can retry at a version we speak (KIP-511, `ApiVersionsResponse`);
// - on a SASL listener, before authentication only ApiVersions, SaslHandshake and SaslAuthenticate are served and
//   anything else closes the connection (`SaslServerAuthenticator`: "Unexpected Kafka request of type ... during
//   SASL handshake"); after a v0 SaslHandshake the next frame is a raw SASL token; a request arriving after the
//   session expired closes the connection (KIP-368), unless it is the SaslHandshake of a re-authentication.
import { decodeRequestFrame, encodeResponseFrame, encodeResponseFrameChunks } from '../protocol/framing.ts';
import { ApiKey, type ApiKey as ApiKeyType, type ResponseByApiKey } from '../protocol/messages/generated/index.ts';
import { ErrorCode } from '../protocol/errors/index.ts';
import type { BrokerContext } from './broker-context.ts';
import type { RequestMetric } from './metrics/broker-metric-registry.ts';
import type { ConnectionInfo, Dispatched } from './connection.ts';
import { CLOSE_CONNECTION, type ApiHandler, type HandlerResult } from './handlers/api-handler.ts';
import { apiVersionsResponse } from './handlers/18-api-versions.ts';
import { SessionState, type ConnectionSession } from './security/connection-session.ts';
import { afterFailureDelay, evaluateSaslToken } from './security/sasl-authentication.ts';

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
  response: Dispatched['response'] = null;
  pipelined = false;
  closeAfter = false;
  closeAfterAnswer?: () => boolean;
  frameDone: Promise<unknown> = FRAME_DONE;
  private readyAtMs = -1;
  private done = false;
  /** Run once the answer's bytes are in the kernel (`RequestContext.afterAnswerWritten`). */
  private afterWritten: (() => void)[] | null = null;

  constructor(
    private readonly metric: RequestMetric,
    private readonly receivedAtMs: number,
    private readonly startedAtMs: number,
  ) {}

  /** The answer is final (encoded, or known to be none). */
  ready(): void {
    this.readyAtMs = performance.now();
  }

  onWritten(callback: () => void): void {
    (this.afterWritten ??= []).push(callback);
  }

  written(): void {
    const callbacks = this.afterWritten;
    this.afterWritten = null;
    if (callbacks !== null) for (const callback of callbacks) callback();
  }

  sent(): void {
    if (this.done) return;
    this.done = true;
    const now = performance.now();
    this.metric.completed(this.receivedAtMs, this.startedAtMs, this.readyAtMs < 0 ? now : this.readyAtMs, now);
  }
}

/** `Dispatched.frameDone` of a request whose frame nothing reads once `dispatchRequest` has returned. */
const FRAME_DONE: Promise<void> = Promise.resolve();

/**
 * Whether a request is handled on its frame's bytes where they were read (Produce: its record batches are
 * validated and rewritten in place, then written to the log); any other request gets a copy of its own, since its
 * handler may keep views of its byte fields (a JoinGroup member's metadata) for as long as it likes.
 */
function readsFrameInPlace(frame: Buffer, session: ConnectionSession): boolean {
  return session.state !== SessionState.LegacyToken && frame.length >= 2 && frame.readInt16BE(0) === ApiKey.Produce;
}

export function dispatchRequest(broker: BrokerContext, readFrame: Buffer, connection: ConnectionInfo, receivedAtMs: number = performance.now()): Dispatched {
  const session = connection.session;
  const inPlace = readsFrameInPlace(readFrame, session);
  const frame = inPlace ? readFrame : Buffer.from(readFrame);
  if (session.state === SessionState.LegacyToken) return legacySaslToken(broker, session, frame);
  const request = decodeRequestFrameForBroker(broker, frame);
  // The clock is read only for connections whose session has an end (KIP-368).
  if (!session.authenticated || (session.sessionExpiresAtMs !== null && session.expired(broker.clock()))) refuseUnlessAuthenticationRequest(session, request, broker.clock());
  if (request.kind === 'api-versions-fallback') {
    const body = apiVersionsResponse(broker, 0);
    body.errorCode = ErrorCode.UNSUPPORTED_VERSION;
    return { response: encodeResponseFrame(ApiKey.ApiVersions, 0, request.correlationId, body), pipelined: false, frameDone: FRAME_DONE };
  }
  const { handler, decoded } = request;
  const requestMetric = broker.metrics.request(decoded.apiKey);
  const timed = new TimedRequest(requestMetric, receivedAtMs, performance.now());
  // What the handler still does with the request's bytes after returning (an append queued behind another).
  let readsRequest: Promise<unknown>[] | null = null;
  const context = {
    apiVersion: decoded.apiVersion,
    correlationId: decoded.correlationId,
    clientId: decoded.clientId,
    connection,
    principal: session.principal,
    clientHost: connection.clientHost,
    afterAnswerWritten: (callback: () => void) => timed.onWritten(callback),
    readsRequestUntil: inPlace ? (work: Promise<unknown>) => (readsRequest ??= []).push(work) : undefined,
  };
  // The handler runs synchronously up to its first await: for a pipelined handler (Produce) that is where the
  // batch is validated and appended, so requests of one connection are appended in the order they arrived.
  const result = (handler as ApiHandler<ApiKeyType>).handle(broker, decoded.body, context);
  if (readsRequest !== null) timed.frameDone = Promise.allSettled(readsRequest);
  if (result === CLOSE_CONNECTION) {
    timed.ready();
    timed.closeAfter = true;
    return timed;
  }
  const spliceAtLeast = handler.spliceBytesAtLeast;
  const encode = (body: HandlerResult<ApiKeyType>): Buffer | Uint8Array[] | null => {
    if (body === null || body === CLOSE_CONNECTION) {
      timed.ready();
      return null;
    }
    // Kafka's `ErrorsPerSec` counts the error codes of every answer (`RequestChannel.updateErrorMetrics`).
    requestMetric.answered(body);
    const frame =
      spliceAtLeast === undefined
        ? encodeResponseFrame(decoded.apiKey, decoded.apiVersion, decoded.correlationId, body as ResponseByApiKey[ApiKeyType])
        : encodeResponseFrameChunks(decoded.apiKey, decoded.apiVersion, decoded.correlationId, body as ResponseByApiKey[ApiKeyType], spliceAtLeast);
    timed.ready();
    return frame;
  };
  timed.response = result instanceof Promise ? result.then(encode) : encode(result);
  if (decoded.apiKey === ApiKey.SaslHandshake || decoded.apiKey === ApiKey.SaslAuthenticate) {
    timed.closeAfterAnswer = () => session.state === SessionState.Failed;
    return timed;
  }
  timed.pipelined = handler.pipelined === true;
  return timed;
}

const SASL_STATE_REQUESTS: Readonly<Record<string, readonly number[]>> = {
  [SessionState.Handshake]: [ApiKey.ApiVersions, ApiKey.SaslHandshake],
  [SessionState.Authenticate]: [ApiKey.SaslAuthenticate],
  [SessionState.Authenticated]: [ApiKey.SaslHandshake],
};

function refuseUnlessAuthenticationRequest(session: ConnectionSession, request: BrokerRequest, nowMs: number): void {
  const apiKey = request.kind === 'request' ? request.decoded.apiKey : ApiKey.ApiVersions;
  if ((SASL_STATE_REQUESTS[session.state] ?? []).includes(apiKey)) return;
  if (session.state === SessionState.Authenticated && session.expired(nowMs)) throw new InvalidRequestError('authentication session expired (connections.max.reauth.ms or credential lifetime); re-authenticate before it ends');
  throw new InvalidRequestError(`unexpected request of API key ${apiKey} during SASL ${session.state === SessionState.Authenticate ? 'authentication' : 'handshake'}`);
}

/**
 * The pre-KIP-152 flow: after SaslHandshake v0, each frame is a bare SASL token and each answer a bare token
 * (length-prefixed, no Kafka header). A failure has no way to be told: the connection closes after the delay.
 */
function legacySaslToken(broker: BrokerContext, session: ConnectionSession, frame: Buffer): Dispatched {
  const response = evaluateSaslToken(broker.security, session, frame, broker.clock).then((outcome) => {
    if (outcome.kind === 'failed') return afterFailureDelay(broker.security, null);
    // A v0 exchange that completes returns to Kafka requests; one that continues stays in raw tokens. Every
    // token the mechanism produces is sent, an empty one too (PLAIN's), as Kafka's server does.
    const out = Buffer.allocUnsafe(4 + outcome.bytes.length);
    out.writeInt32BE(outcome.bytes.length, 0);
    outcome.bytes.copy(out, 4);
    return out;
  });
  return { response, pipelined: false, closeAfterAnswer: () => session.state === SessionState.Failed, frameDone: FRAME_DONE };
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
