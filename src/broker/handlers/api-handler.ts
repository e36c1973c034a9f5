// What a request handler is: decode -> call the domain -> build the response. Handlers hold no business rules
// of their own beyond mapping the request onto the broker's domain objects and errors onto Kafka codes.
import type { ApiKey, RequestByApiKey, ResponseByApiKey } from '../../protocol/messages/generated/index.ts';
import type { ConnectionInfo } from '../connection.ts';
import type { BrokerContext } from '../broker-context.ts';
import type { KafkaPrincipal } from '../security/principal.ts';

export interface RequestContext {
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  readonly connection: ConnectionInfo;
  /** Who sent the request (ANONYMOUS on PLAINTEXT, the SASL or certificate identity otherwise). */
  readonly principal: KafkaPrincipal;
  /** The client's IP address. */
  readonly clientHost: string;
  /**
   * Runs `callback` once the answer's bytes have been handed to the kernel, never if they are not (the connection
   * closed first): what lets Fetch reuse the buffers its answer was read into. Absent when there is no socket.
   */
  readonly afterAnswerWritten?: (callback: () => void) => void;
  /**
   * Present when the request was decoded from a frame whose memory is used again for later requests (Produce):
   * its byte fields (record batches) may be read during `handle`, and afterwards only by work registered here,
   * until that work settles. A handler must copy any bytes it keeps beyond that.
   */
  readonly readsRequestUntil?: (work: Promise<unknown>) => void;
}

/**
 * No response, and the connection is closed once the answers to earlier requests are out: Kafka's way of telling
 * an acks=0 producer that a batch failed (`KafkaApis.handleProduceRequest` closes the connection).
 */
export const CLOSE_CONNECTION: unique symbol = Symbol('close connection');

/** A response, null when none is sent (acks=0 Produce), or CLOSE_CONNECTION. */
export type HandlerResult<K extends ApiKey> = ResponseByApiKey[K] | null | typeof CLOSE_CONNECTION;

export interface ApiHandler<K extends ApiKey> {
  readonly apiKey: K;
  /** The versions served; ApiVersions advertises exactly these. */
  readonly minVersion: number;
  readonly maxVersion: number;
  /**
   * True when the next request on the connection may start as soon as `handle` returns, before its promise
   * settles. Only for handlers whose state changes all happen synchronously inside `handle` (Produce).
   */
  readonly pipelined?: boolean;
  /**
   * Byte fields of at least this many bytes in the answer (stored record batches) are written to the socket
   * from where they lie instead of being copied into the encoded answer (Fetch). Absent: copied.
   */
  readonly spliceBytesAtLeast?: number;
  handle(
    broker: BrokerContext,
    request: RequestByApiKey[K],
    context: RequestContext,
  ): HandlerResult<K> | Promise<HandlerResult<K>>;
}

/** Lets a registry hold handlers of every API key. */
export type AnyApiHandler = { [K in ApiKey]: ApiHandler<K> }[ApiKey];
