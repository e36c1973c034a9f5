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

/** libzstd's default decoder window limit (`ZSTD_WINDOWLOG_LIMIT_DEFAULT` = 27): larger windows fail in Kafka too. */
const MAX_WINDOW_BYTES = 2 ** 27;
/** Windows up to this size are accepted even under a smaller output cap (streaming compressors pick 2-8 MiB). */
const SMALL_WINDOW_BYTES = 8 * 1024 * 1024;
const ZSTD_MAGIC = 0xfd2fb528;

/**
 * Walks the frames of `data` by their headers and block sizes, before any decoder sees them:
 *  - a frame cut short (input ending before its last block or checksum) is "truncated zstd frame": Node 22's
 *    `zstdDecompressSync` returns the partial output of such a frame without an error;
 *  - a frame declaring more content than the cap, or (with `checkWindow`) a window beyond `windowLimit`, is
 *    refused: the JavaScript decoder allocates a frame's whole window (or, single-segment, its declared content
 *    size) up front, so a 20-byte frame declaring a 2 GiB window would otherwise allocate 2 GiB.
 * Block contents are not decoded here; the decoder checks them. Returns where each (non-skippable) frame ends:
 * Node 22's `zstdDecompressSync` also decodes only the first of several concatenated frames.
 */
function checkFrames(data: Buffer, maxOutputBytes: number, checkWindow: boolean): number[] {
  const frameEnds: number[] = [];
  const windowLimit = Math.min(MAX_WINDOW_BYTES, Math.max(maxOutputBytes, SMALL_WINDOW_BYTES));
  const truncated = () => corruptMessage('truncated zstd frame');
  let at = 0;
  while (at < data.length) {
    if (data.length - at < 4) throw truncated();
    const magic = data.readUInt32LE(at);
    if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) {
      if (data.length - at < 8) throw truncated();
      at += 8 + data.readUInt32LE(at + 4); // skippable frame
      if (at > data.length) throw truncated();
      continue;
    }
    if (magic !== ZSTD_MAGIC) throw corruptMessage(`invalid zstd frame: magic 0x${magic.toString(16)} at byte ${at}`);
    if (data.length - at < 5) throw truncated();
    const descriptor = data[at + 4];
    const singleSegment = (descriptor & 0x20) !== 0;
    const contentSizeFlag = descriptor >> 6;
    const dictionaryBytes = [0, 1, 2, 4][descriptor & 0x03];
    let headerEnd = at + 5;
    let windowBytes = 0;
    if (!singleSegment) {
      if (headerEnd >= data.length) throw truncated();
      const windowDescriptor = data[headerEnd++];
      const base = 2 ** (10 + (windowDescriptor >> 3));
      windowBytes = base + (base / 8) * (windowDescriptor & 0x07);
    }
    headerEnd += dictionaryBytes;
    const contentSizeBytes = contentSizeFlag === 0 ? (singleSegment ? 1 : 0) : 1 << contentSizeFlag;
    if (headerEnd + contentSizeBytes > data.length) throw truncated();
    let contentSize = -1;
    if (contentSizeBytes === 1) contentSize = data[headerEnd];
    else if (contentSizeBytes === 2) contentSize = data.readUInt16LE(headerEnd) + 256;
    else if (contentSizeBytes === 4) contentSize = data.readUInt32LE(headerEnd);
    else if (contentSizeBytes === 8) contentSize = Number(data.readBigUInt64LE(headerEnd));
    if (contentSize > maxOutputBytes) {
      throw corruptMessage(`zstd frame declares ${contentSize} bytes, beyond the ${maxOutputBytes} allowed`);
    }
    if (checkWindow && windowBytes > windowLimit) {
      throw corruptMessage(`zstd frame needs a ${windowBytes}-byte window, beyond the ${windowLimit} allowed`);
    }
    at = headerEnd + contentSizeBytes;
    for (;;) {
      if (data.length - at < 3) throw truncated();
      const blockHeader = data[at] | (data[at + 1] << 8) | (data[at + 2] << 16);
      const type = (blockHeader >> 1) & 0x03;
      at += 3 + (type === 1 ? 1 : blockHeader >>> 3);
      if (at > data.length) throw truncated();
      if ((blockHeader & 1) === 1) break;
    }
    if ((descriptor & 0x04) !== 0) at += 4; // content checksum
    if (at > data.length) throw truncated();
    frameEnds.push(at);
  }
  return frameEnds;
}

let encoder: InstanceType<typeof NodeZstd.Encoder> | undefined;

function compressSync(data: Uint8Array): Buffer {
  if (builtIn) return builtIn.zstdCompressSync(data, { params: { [builtIn.constants.ZSTD_c_compressionLevel]: ZSTD_DEFAULT_LEVEL } });
  encoder ??= new (nodeZstd().Encoder)(ZSTD_DEFAULT_LEVEL);
  return encoder.encodeSync(asBuffer(data));
}

function decompressCapped(data: Uint8Array, maxOutputBytes: number): Buffer {
  if (data.length === 0) throw corruptMessage('empty zstd stream');
  const frameEnds = checkFrames(asBuffer(data), maxOutputBytes, builtIn === undefined);
  if (builtIn) {
    try {
      // maxOutputLength makes zlib stop (ERR_BUFFER_TOO_LARGE) instead of growing past the cap.
      if (frameEnds.length <= 1) return builtIn.zstdDecompressSync(data, { maxOutputLength: Math.max(1, maxOutputBytes) });
      const parts: Buffer[] = [];
      let total = 0;
      let start = 0;
      for (const end of frameEnds) {
        const part = builtIn.zstdDecompressSync(data.subarray(start, end), { maxOutputLength: Math.max(1, maxOutputBytes - total) });
        total += part.length;
        parts.push(part);
        start = end;
      }
      return Buffer.concat(parts, total);
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
  ensureAvailable() {
    if (builtIn) return;
    nodeZstd();
    fzstd();
  },
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
