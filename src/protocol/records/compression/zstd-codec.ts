// zstd as Kafka writes it: one standard zstd frame (`ZstdCompression`, zstd-jni), level 3 by default.
//
// Node's own zstd (`zlib.zstdCompressSync`, Node >= 22.15 / 23.8) is used where the runtime has it. Elsewhere
// compression uses @toondepauw/node-zstd (the zstd library, prebuilt per platform inside npm packages) and
// decompression fzstd (plain JavaScript, no binary at all). Both decoders stream, so a frame that omits its
// content size (Java's `ZstdOutputStream` writes such frames) decodes whatever its length, and both stop at the
// output cap: zlib through `maxOutputLength`, fzstd through the chunk callback, before the output grows past it.
import * as zlib from 'node:zlib';
import type * as NodeZstd from '@toondepauw/node-zstd';
import type * as Fzstd from 'fzstd';
import { corruptMessage } from '../record-batch-error.ts';
import { CompressionType } from '../batch-header.ts';
import { asBuffer, DEFAULT_MAX_DECOMPRESSED_BYTES, type CompressionCodec } from './compression-codec.ts';
import { lazyPackage } from './lazy-package.ts';

/** Kafka's `CompressionType.ZSTD` default level (`ZstdCompression.DEFAULT_LEVEL`). */
export const ZSTD_DEFAULT_LEVEL = 3;

/** The zstd functions of `node:zlib` on runtimes that have them (absent from older Node and its types). */
interface ZlibZstd {
  zstdCompressSync(data: Uint8Array, options: { params: Record<number, number> }): Buffer;
  zstdDecompressSync(data: Uint8Array, options: { maxOutputLength: number }): Buffer;
  constants: { ZSTD_c_compressionLevel: number };
}

function builtInZstd(): ZlibZstd | undefined {
  const candidate = zlib as unknown as Partial<ZlibZstd>;
  return typeof candidate.zstdCompressSync === 'function' && typeof candidate.zstdDecompressSync === 'function'
    ? (candidate as ZlibZstd)
    : undefined;
}

const builtIn = builtInZstd();
const nodeZstd = lazyPackage<typeof NodeZstd>('zstd', '@toondepauw/node-zstd');
const fzstd = lazyPackage<typeof Fzstd>('zstd', 'fzstd');

/** Which implementation this runtime uses, for benchmarks and diagnostics. */
export const ZSTD_IMPLEMENTATION: 'node:zlib' | 'packages' = builtIn ? 'node:zlib' : 'packages';

let encoder: InstanceType<typeof NodeZstd.Encoder> | undefined;

function compressSync(data: Uint8Array): Buffer {
  if (builtIn) return builtIn.zstdCompressSync(data, { params: { [builtIn.constants.ZSTD_c_compressionLevel]: ZSTD_DEFAULT_LEVEL } });
  encoder ??= new (nodeZstd().Encoder)(ZSTD_DEFAULT_LEVEL);
  return encoder.encodeSync(asBuffer(data));
}

function decompressCapped(data: Uint8Array, maxOutputBytes: number): Buffer {
  if (data.length === 0) throw corruptMessage('empty zstd stream');
  if (builtIn) {
    try {
      // maxOutputLength makes zlib stop (ERR_BUFFER_TOO_LARGE) instead of growing past the cap.
      return builtIn.zstdDecompressSync(data, { maxOutputLength: Math.max(1, maxOutputBytes) });
    } catch (error) {
      const tooLarge = (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
      throw corruptMessage(tooLarge ? `zstd frame expands beyond ${maxOutputBytes} bytes` : `invalid zstd frame: ${(error as Error).message}`, error);
    }
  }
  const { Decompress } = fzstd();
  const parts: Buffer[] = [];
  let total = 0;
  let ended = false;
  const stream = new Decompress((chunk, final) => {
    total += chunk.length;
    if (total > maxOutputBytes) throw corruptMessage(`zstd frame expands beyond ${maxOutputBytes} bytes`);
    // fzstd may hand out views of its window, which later input overwrites: keep a copy.
    if (chunk.length > 0) parts.push(Buffer.from(chunk));
    if (final === true) ended = true;
  });
  try {
    stream.push(data, true);
  } catch (error) {
    if (error instanceof Error && error.name === 'RecordBatchError') throw error;
    throw corruptMessage(`invalid zstd frame: ${(error as Error).message}`, error);
  }
  if (!ended) throw corruptMessage('truncated zstd frame');
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, total);
}

export const zstdCodec: CompressionCodec = {
  name: 'zstd',
  id: CompressionType.zstd,
  compress: compressSync,
  decompress(data, maxOutputBytes = DEFAULT_MAX_DECOMPRESSED_BYTES) {
    return decompressCapped(data, maxOutputBytes);
  },
  async compressAsync(data) {
    return compressSync(data);
  },
  async decompressAsync(data, maxOutputBytes = DEFAULT_MAX_DECOMPRESSED_BYTES) {
    return decompressCapped(data, maxOutputBytes);
  },
};
