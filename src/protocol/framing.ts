// Kafka frames: an int32 size, then the request or response header, then the body. Sizes are checked before
// any allocation (Kafka's NetworkReceive: negative sizes and sizes above `socket.request.max.bytes` are refused).
// A "frame" in this module's API is the payload after the size prefix, as `FrameSplitter` yields it (the broker and
// the client read theirs with `FrameReader`, which can take socket reads in place).
import { DecodeError, Reader } from './wire/reader.ts';
import { Writer, type WriterMemory } from './wire/writer.ts';
import { UnsupportedVersionError } from './messages/runtime.ts';
import type { AnyApiDescriptor } from './messages/api-descriptor.ts';
import { ApiKey, findApi } from './messages/generated/index.ts';
import type { RequestByApiKey, ResponseByApiKey } from './messages/generated/index.ts';
import { decodeRequestHeader, encodeRequestHeader } from './messages/generated/request-header.ts';
import type { RequestHeader } from './messages/generated/request-header.ts';
import { decodeResponseHeader, encodeResponseHeader } from './messages/generated/response-header.ts';

/** Kafka's `socket.request.max.bytes` default (100 MiB). */
export const DEFAULT_MAX_FRAME_BYTES = 104_857_600;

/** The byte stream cannot be split into frames: the connection must be closed. */
export class FrameError extends Error {
  override readonly name = 'FrameError';
}

/** Kafka's `NetworkReceive` size check, before anything is allocated for the frame: why `size` is refused, or null. */
export function frameSizeError(size: number, maxFrameBytes: number): FrameError | null {
  if (size < 0) return new FrameError(`invalid frame size ${size}`);
  if (size > maxFrameBytes) return new FrameError(`frame size ${size} is larger than the maximum ${maxFrameBytes}`);
  return null;
}

/**
 * Splits a byte stream into frames. Frames that arrive within one chunk are returned as views of it (no copy);
 * a frame spread over chunks is copied once, only after all of its bytes have arrived.
 */
export class FrameSplitter {
  private readonly chunks: Buffer[] = [];
  /** Read position inside `chunks[0]`. */
  private head = 0;
  private bufferedBytes = 0;
  /** Size of the frame being assembled, or -1 while its size prefix is still incomplete. */
  private expected = -1;
  private failed = false;

  constructor(readonly maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {
    if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 0) throw new RangeError(`invalid maxFrameBytes ${maxFrameBytes}`);
  }

  /** Bytes received but not yet returned as frames. */
  get buffered(): number {
    return this.bufferedBytes;
  }

  /** Adds bytes and returns every frame they complete, in order. Throws `FrameError` on a bad size prefix. */
  push(chunk: Uint8Array): Buffer[] {
    if (this.failed) throw new FrameError('frame splitter already failed');
    const frames: Buffer[] = [];
    if (chunk.length > 0) {
      this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.bufferedBytes += chunk.length;
    }
    for (;;) {
      if (this.expected < 0) {
        if (this.bufferedBytes < 4) break;
        const size = this.take(4).readInt32BE(0);
        const refused = frameSizeError(size, this.maxFrameBytes);
        if (refused !== null) {
          this.failed = true;
          throw refused;
        }
        this.expected = size;
      }
      if (this.bufferedBytes < this.expected) break;
      frames.push(this.take(this.expected));
      this.expected = -1;
    }
    return frames;
  }

  private take(n: number): Buffer {
    this.bufferedBytes -= n;
    const first = this.chunks[0];
    if (n === 0) return Buffer.alloc(0);
    if (first.length - this.head >= n) {
      const out = first.subarray(this.head, this.head + n);
      this.head += n;
      if (this.head === first.length) {
        this.chunks.shift();
        this.head = 0;
      }
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0];
      const count = Math.min(c.length - this.head, n - filled);
      c.copy(out, filled, this.head, this.head + count);
      filled += count;
      this.head += count;
      if (this.head === c.length) {
        this.chunks.shift();
        this.head = 0;
      }
    }
    return out;
  }
}

function requireApi(apiKey: number): AnyApiDescriptor {
  const api = findApi(apiKey);
  if (api === undefined) throw new UnsupportedVersionError(`unknown API key ${apiKey}`);
  return api;
}

function finishFrame(w: Writer, sizeAt: number): Buffer {
  w.patchInt32(sizeAt, w.length - sizeAt - 4);
  return w.finish();
}

/** A complete request in one buffer: int32 size, request header (version chosen as Kafka does), body. */
export function encodeRequestFrame<K extends ApiKey>(apiKey: K, version: number, correlationId: number, clientId: string | null, body: RequestByApiKey[K]): Buffer {
  const api = requireApi(apiKey);
  const w = new Writer(256);
  writeRequestFrame(w, api, apiKey, version, correlationId, clientId, body);
  return w.finish();
}

/**
 * How a large request is laid out (the producer's Produce requests): the header and fields are written into
 * memory from `memory` (`sizeHint` bytes to start with), and byte arrays of at least `spliceAtLeast` bytes (the
 * record batches) are referenced, not copied, to be written from their own memory with one gathered write.
 */
export interface RequestFrameLayout {
  readonly memory: WriterMemory;
  readonly sizeHint: number;
  readonly spliceAtLeast: number;
}

/**
 * A complete request as consecutive chunks (see `RequestFrameLayout`). The first chunk views the memory taken
 * from `layout.memory`; giving it back returns that memory. The other chunks' memory belongs to the body.
 */
export function encodeRequestFrameChunks<K extends ApiKey>(apiKey: K, version: number, correlationId: number, clientId: string | null, body: RequestByApiKey[K], layout: RequestFrameLayout): Uint8Array[] {
  const api = requireApi(apiKey);
  const w = new Writer(layout.sizeHint, layout.spliceAtLeast, layout.memory);
  writeRequestFrame(w, api, apiKey, version, correlationId, clientId, body);
  return w.finishChunks();
}

function writeRequestFrame<K extends ApiKey>(w: Writer, api: AnyApiDescriptor, apiKey: K, version: number, correlationId: number, clientId: string | null, body: RequestByApiKey[K]): void {
  const sizeAt = w.reserve(4);
  encodeRequestHeader(w, { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId }, api.requestHeaderVersion(version));
  api.encodeRequest(w, body, version);
  // The size counts spliced bytes too (`Writer.length`); nothing is spliced before `sizeAt`.
  w.patchInt32(sizeAt, w.length - sizeAt - 4);
}

/** A complete response: int32 size, response header (v0 always for ApiVersions), body. */
export function encodeResponseFrame<K extends ApiKey>(apiKey: K, version: number, correlationId: number, body: ResponseByApiKey[K]): Buffer {
  const api = requireApi(apiKey);
  const w = new Writer(256);
  const sizeAt = w.reserve(4);
  encodeResponseHeader(w, { correlationId }, api.responseHeaderVersion(version));
  api.encodeResponse(w, body, version);
  return finishFrame(w, sizeAt);
}

/**
 * A complete response as consecutive chunks: byte arrays of at least `spliceAtLeast` bytes in the body (a Fetch
 * answer's stored record batches) are referenced, not copied, so the answer can be written with one gathered
 * write and never assembled in memory (what Kafka's `FileRecords.writeTo` achieves with sendfile).
 */
export function encodeResponseFrameChunks<K extends ApiKey>(apiKey: K, version: number, correlationId: number, body: ResponseByApiKey[K], spliceAtLeast: number): Uint8Array[] {
  const api = requireApi(apiKey);
  const w = new Writer(256, spliceAtLeast);
  const sizeAt = w.reserve(4);
  encodeResponseHeader(w, { correlationId }, api.responseHeaderVersion(version));
  api.encodeResponse(w, body, version);
  w.patchInt32(sizeAt, w.length - sizeAt - 4);
  return w.finishChunks();
}

export interface RequestHeaderInfo {
  readonly header: RequestHeader;
  readonly headerVersion: number;
  /** The registry entry, or null for an API key this build does not know. */
  readonly api: AnyApiDescriptor | null;
  /** True when the API is known and the version is inside its valid range. */
  readonly supported: boolean;
  /** Where the body starts in the frame. */
  readonly bodyOffset: number;
}

/**
 * Reads the request header only. The header version follows from the API key and version, which come first in
 * every header version, so this works for versions newer than ours too (Kafka's `RequestHeader.parse`). For an
 * unknown API key the header is read as v1 (key, version, correlation id, client id), best effort.
 * Throws `DecodeError` when the header itself is malformed.
 */
export function readRequestHeader(frame: Buffer): RequestHeaderInfo {
  const r = new Reader(frame);
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const api = findApi(apiKey) ?? null;
  const headerVersion = api === null ? 1 : api.requestHeaderVersion(apiVersion);
  const headerReader = new Reader(frame);
  let header: RequestHeader;
  if (api === null) {
    headerReader.skip(4);
    const correlationId = headerReader.int32();
    let clientId: string | null = null;
    try {
      clientId = headerReader.string();
    } catch {
      // An unknown API's header may be anything after the correlation id; the id alone is enough to log.
    }
    header = { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId };
  } else {
    header = decodeRequestHeader(headerReader, headerVersion);
  }
  const supported = api !== null && apiVersion >= api.minVersion && apiVersion <= api.maxVersion;
  return { header, headerVersion, api, supported, bodyOffset: headerReader.offset };
}

/** A decoded request, discriminated by `apiKey` so that `body` has the right type in each branch. */
export type DecodedRequest = {
  [K in ApiKey]: {
    readonly kind: 'request';
    readonly apiKey: K;
    readonly apiVersion: number;
    readonly correlationId: number;
    readonly clientId: string | null;
    readonly header: RequestHeader;
    readonly headerVersion: number;
    readonly api: AnyApiDescriptor;
    readonly body: RequestByApiKey[K];
  };
}[ApiKey];

/**
 * A request this build cannot decode, told apart from a malformed one (which throws `DecodeError`).
 * For `unsupported-version` of ApiVersions, Kafka answers with an ApiVersions v0 response carrying
 * UNSUPPORTED_VERSION (use `encodeResponseFrame(ApiKey.ApiVersions, 0, correlationId, ...)`).
 */
export interface UnsupportedRequest {
  readonly kind: 'unknown-api-key' | 'unsupported-version';
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  readonly header: RequestHeader;
  readonly api: AnyApiDescriptor | null;
}

/** Header, then API lookup, then body. Throws `DecodeError` for a malformed header or body. */
export function decodeRequestFrame(frame: Buffer): DecodedRequest | UnsupportedRequest {
  const info = readRequestHeader(frame);
  const { header } = info;
  const base = {
    apiKey: header.requestApiKey,
    apiVersion: header.requestApiVersion,
    correlationId: header.correlationId,
    clientId: header.clientId,
    header,
  };
  if (info.api === null) return { kind: 'unknown-api-key', ...base, api: null };
  if (!info.supported) return { kind: 'unsupported-version', ...base, api: info.api };
  const r = new Reader(frame, info.bodyOffset);
  const body = info.api.decodeRequest(r, header.requestApiVersion);
  const decoded = { kind: 'request' as const, ...base, headerVersion: info.headerVersion, api: info.api, body };
  return decoded as DecodedRequest;
}

/** The correlation id of a response frame: the first field of every response header version. */
export function peekCorrelationId(frame: Buffer): number {
  return new Reader(frame).int32();
}

export interface DecodedResponse<K extends ApiKey> {
  readonly correlationId: number;
  /** The version the body was decoded at; differs from the requested one only for the ApiVersions fallback. */
  readonly version: number;
  readonly body: ResponseByApiKey[K];
}

/**
 * Decodes a response to a request sent at `version`. As Kafka's `ApiVersionsResponse.parse` does, an ApiVersions
 * response that does not parse at `version` is retried at v0: a broker that does not know our version answers v0.
 */
export function decodeResponseFrame<K extends ApiKey>(apiKey: K, version: number, frame: Buffer): DecodedResponse<K> {
  const api = requireApi(apiKey);
  const r = new Reader(frame);
  const { correlationId } = decodeResponseHeader(r, api.responseHeaderVersion(version));
  const bodyOffset = r.offset;
  try {
    return { correlationId, version, body: api.decodeResponse(r, version) as ResponseByApiKey[K] };
  } catch (error) {
    if (apiKey !== ApiKey.ApiVersions || version === 0 || !(error instanceof DecodeError)) throw error;
    const fallback = new Reader(frame, bodyOffset);
    return { correlationId, version: 0, body: api.decodeResponse(fallback, 0) as ResponseByApiKey[K] };
  }
}
