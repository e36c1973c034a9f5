// The shape every codec implements. Decompression always takes an output cap: a batch of a few KiB can
// otherwise expand to gigabytes (a "decompression bomb"), so each codec refuses before allocating past it.

/** Default cap on one batch's decompressed records: generous next to Kafka's 1 MiB default batch limit. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

export interface CompressionCodec {
  /** Kafka's `compression.type` name. */
  readonly name: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
  /** The id stored in the batch attributes' low three bits. */
  readonly id: number;
  compress(data: Uint8Array): Buffer;
  /** Throws a CORRUPT_MESSAGE `RecordBatchError` on a bad stream or when the output would exceed `maxOutputBytes`. */
  decompress(data: Uint8Array, maxOutputBytes?: number): Buffer;
  compressAsync(data: Uint8Array): Promise<Buffer>;
  /**
   * Loads the codec's package now (codecs load on first use); throws the UNSUPPORTED_COMPRESSION_TYPE
   * `RecordBatchError` that any use would throw when it cannot be loaded. For a client to fail at set-up.
   */
  ensureAvailable(): void;
  decompressAsync(data: Uint8Array, maxOutputBytes?: number): Promise<Buffer>;
}

export function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
