// zstd as Kafka writes it: one standard zstd frame (`ZstdCompression`, zstd-jni), level 3 by default.
// Decompression streams into bounded chunks through the native context so a frame that lies about (or omits)
// its content size still cannot grow the output past the cap.
import { compress as zstdCompress } from 'zstd-napi';
import binding from 'zstd-napi/binding.js';
import { corruptMessage } from '../record-batch-error.ts';
import { CompressionType } from '../batch-header.ts';
import { DEFAULT_MAX_DECOMPRESSED_BYTES, type CompressionCodec } from './compression-codec.ts';

/** Kafka's `CompressionType.ZSTD` default level (`ZstdCompression.DEFAULT_LEVEL`). */
export const ZSTD_DEFAULT_LEVEL = 3;
const CHUNK = binding.dStreamOutSize();

let context: InstanceType<typeof binding.DCtx> | undefined;

function decompressCapped(data: Uint8Array, maxOutputBytes: number): Buffer {
  context ??= new binding.DCtx();
  const dctx = context;
  try {
    // Fast path: one frame that declares its size (zstd-jni and zstd-napi both write it) decodes into one
    // exactly-sized buffer. A frame that under-declares fails with "destination too small" instead of growing.
    const declared = data.length > 0 ? binding.getFrameContentSize(data) : null;
    if (declared !== null && declared <= maxOutputBytes && binding.findFrameCompressedSize(data) === data.length) {
      const out = Buffer.allocUnsafe(declared);
      const written = dctx.decompress(out, data);
      return written === declared ? out : out.subarray(0, written);
    }
    if (declared !== null && declared > maxOutputBytes) {
      throw corruptMessage(`zstd frame declares ${declared} bytes, beyond the ${maxOutputBytes} allowed`);
    }
    return decompressStreaming(dctx, data, maxOutputBytes);
  } catch (error) {
    dctx.reset(binding.ResetDirective.sessionOnly);
    if (error instanceof Error && error.name === 'RecordBatchError') throw error;
    throw corruptMessage(`invalid zstd frame: ${(error as Error).message}`, error);
  }
}

function decompressStreaming(dctx: InstanceType<typeof binding.DCtx>, data: Uint8Array, maxOutputBytes: number): Buffer {
  dctx.reset(binding.ResetDirective.sessionOnly);
  const parts: Buffer[] = [];
  let total = 0;
  let input = data;
  let hint = 1;
  for (;;) {
    // One byte more than the cap allows is enough to prove the cap is exceeded.
    const out = Buffer.allocUnsafe(Math.max(1, Math.min(CHUNK, maxOutputBytes - total + 1)));
    const [nextHint, produced, consumed] = dctx.decompressStream(out, input);
    hint = nextHint;
    input = input.subarray(consumed);
    total += produced;
    if (total > maxOutputBytes) throw corruptMessage(`zstd frame expands beyond ${maxOutputBytes} bytes`);
    if (produced > 0) parts.push(out.subarray(0, produced));
    const outputFull = produced === out.length;
    if (input.length === 0 && !outputFull) break;
    if (consumed === 0 && produced === 0) break;
  }
  // A non-zero hint means the decoder is still inside a frame: the input ended early.
  if (hint !== 0) throw corruptMessage('truncated zstd frame');
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, total);
}

export const zstdCodec: CompressionCodec = {
  name: 'zstd',
  id: CompressionType.zstd,
  compress(data) {
    return zstdCompress(data, { compressionLevel: ZSTD_DEFAULT_LEVEL });
  },
  decompress(data, maxOutputBytes = DEFAULT_MAX_DECOMPRESSED_BYTES) {
    return decompressCapped(data, maxOutputBytes);
  },
  async compressAsync(data) {
    return zstdCompress(data, { compressionLevel: ZSTD_DEFAULT_LEVEL });
  },
  async decompressAsync(data, maxOutputBytes = DEFAULT_MAX_DECOMPRESSED_BYTES) {
    return decompressCapped(data, maxOutputBytes);
  },
};
