// The shape of one entry of the generated API registry (`generated/index.ts`). Mirrors what Kafka's
// `ApiMessageType` and `ApiKeys` expose: version ranges, flexible versions, header versions and codecs.
import type { Reader } from '../wire/reader.ts';
import type { Writer } from '../wire/writer.ts';

export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

export interface ApiDescriptor<Request, Response, Key extends number = number> {
  readonly apiKey: Key;
  /** Kafka's `ApiKeys` name without spaces, e.g. `Produce`, `ApiVersions`. */
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** First flexible version of the request, or null when no version is flexible. */
  readonly flexibleMinVersion: number | null;
  readonly deprecatedVersions: VersionRange | null;
  /** The highest version is still under development in Kafka and is not advertised by default. */
  readonly latestVersionUnstable: boolean;
  /** Kafka's `listeners` for the API (`broker`, `controller`, `zkBroker`). */
  readonly listeners: readonly string[];
  /** Request header version for a request version (2 if flexible, else 1; ControlledShutdown v0 uses 0). */
  requestHeaderVersion(version: number): number;
  /** Response header version (1 if flexible, else 0; ApiVersions always 0). */
  responseHeaderVersion(version: number): number;
  encodeRequest(w: Writer, message: Request, version: number): void;
  decodeRequest(r: Reader, version: number): Request;
  encodeResponse(w: Writer, message: Response, version: number): void;
  decodeResponse(r: Reader, version: number): Response;
  defaultRequest(): Request;
  defaultResponse(): Response;
}

/** Any registry entry: codecs typed loosely for code that dispatches on a runtime API key. */
export type AnyApiDescriptor = ApiDescriptor<unknown, unknown>;
