// gzip as Kafka writes it: a plain gzip stream (`GzipCompression`, java.util.zip), level 6 by default.
// Readers accept concatenated members, as `GZIPInputStream` does; Node's gunzip does too.
import { constants, gunzip, gunzipSync, gzip, gzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import { corruptMessage } from '../record-batch-error.ts';
import { CompressionType } from '../batch-header.ts';
import { DEFAULT_MAX_DECOMPRESSED_BYTES, type CompressionCodec } from './compression-codec.ts';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

function failure(error: unknown, maxOutputBytes: number): Error {
  const tooLarge = (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
  return corruptMessage(
    tooLarge ? `gzip stream expands beyond ${maxOutputBytes} bytes` : `invalid gzip stream: ${(error as Error).message}`,
    error,
  );
}

export const gzipCodec: CompressionCodec = {
  name: 'gzip',
  id: CompressionType.gzip,
  ensureAvailable() {},
  compress(data) {
    return gzipSync(data, { level: constants.Z_DEFAULT_COMPRESSION });
  },
  decompress(data, maxOutputBytes = DEFAULT_MAX_DECOMPRESSED_BYTES) {
    try {
      // maxOutputLength makes zlib stop (ERR_BUFFER_TOO_LARGE) instead of growing past the cap.
      return gunzipSync(data, { maxOutputLength: Math.max(1, maxOutputBytes) });
    } catch (error) {
      throw failure(error, maxOutputBytes);
    }
  },
  compressAsync(data) {
    return gzipAsync(data, { level: constants.Z_DEFAULT_COMPRESSION });
  },
  async decompressAsync(data, maxOutputBytes = DEFAULT_MAX_DECOMPRESSED_BYTES) {
    try {
      return await gunzipAsync(data, { maxOutputLength: Math.max(1, maxOutputBytes) });
    } catch (error) {
      throw failure(error, maxOutputBytes);
    }
  },
};
