// lz4 as Kafka writes it: the LZ4 frame format exactly as `Lz4BlockOutputStream` emits it — FLG 0x60
// (version 1, independent blocks, no block checksum, no content size, no content checksum), BD 0x40 (64 KiB
// blocks), the correct header checksum (magic 2), then 64 KiB input chunks as compressed blocks (or stored
// raw, high bit set, when compression does not shrink them), then a zero end mark.
// Kafka's reader (`Lz4BlockInputStream`, `FLG.validate`/`BD.validate`) rejects dependent blocks, a version
// other than 1, non-zero reserved bits (so no dictionary id) and block sizes outside 64 KiB..4 MiB. lz4-napi's
// own frame writer picks block sizes up to 4 MiB by input size, so we frame the blocks ourselves and only use
// its raw block compressor. Reading uses lz4-napi's frame decoder (any conforming frame, e.g. librdkafka's),
// after walking the frame ourselves so that one whose blocks could expand past the cap is refused first.
import type * as Lz4 from 'lz4-napi';
import { corruptMessage } from '../record-batch-error.ts';
import { CompressionType } from '../batch-header.ts';
import { asBuffer, DEFAULT_MAX_DECOMPRESSED_BYTES, type CompressionCodec } from './compression-codec.ts';
import { lazyPackage } from './lazy-package.ts';

const lz4 = lazyPackage<typeof Lz4>('lz4', 'lz4-napi');

export const LZ4_FRAME_MAGIC = 0x184d2204;
const FLG_VERSION_MASK = 0xc0;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_DICTIONARY_ID = 0x01;
const BLOCK_UNCOMPRESSED = 0x80000000;
const LZ4_SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const LZ4_SKIPPABLE_MAGIC = 0x184d2a50;

/**
 * Upper bound of the decompressed size of the frame(s) in `buf`, from the frame descriptors and block sizes
 * alone. Throws CORRUPT_MESSAGE on framing a conforming reader would reject.
 */
export function lz4FrameOutputBound(buf: Buffer): number {
  let bound = 0;
  let at = 0;
  while (at < buf.length) {
    if (buf.length - at < 7) throw corruptMessage('truncated lz4 frame header');
    const magic = buf.readUInt32LE(at);
    if (((magic & LZ4_SKIPPABLE_MAGIC_MASK) >>> 0) === LZ4_SKIPPABLE_MAGIC) {
      at += 8 + buf.readUInt32LE(at + 4);
      continue;
    }
    if (magic !== LZ4_FRAME_MAGIC) throw corruptMessage(`not an lz4 frame (magic 0x${magic.toString(16)})`);
    const flg = buf[at + 4];
    const bd = buf[at + 5];
    if ((flg & FLG_VERSION_MASK) !== 0x40) throw corruptMessage(`unsupported lz4 frame version in FLG 0x${flg.toString(16)}`);
    const blockSizeId = (bd >> 4) & 0x07;
    if (blockSizeId < 4) throw corruptMessage(`invalid lz4 block size id ${blockSizeId}`);
    const blockMax = 1 << (2 * blockSizeId + 8);
    let descriptorEnd = at + 6;
    let contentSize = -1;
    if (flg & FLG_CONTENT_SIZE) {
      if (buf.length - descriptorEnd < 8) throw corruptMessage('truncated lz4 frame header');
      contentSize = Number(buf.readBigUInt64LE(descriptorEnd));
      descriptorEnd += 8;
    }
    if (flg & FLG_DICTIONARY_ID) descriptorEnd += 4;
    at = descriptorEnd + 1; // header checksum byte; lz4_flex verifies it
    let blocks = 0;
    for (;;) {
      if (buf.length - at < 4) throw corruptMessage('truncated lz4 block');
      const word = buf.readUInt32LE(at);
      at += 4;
      if (word === 0) break;
      const size = (word & ~BLOCK_UNCOMPRESSED) >>> 0;
      if (size > blockMax) throw corruptMessage(`lz4 block of ${size} bytes exceeds the frame's ${blockMax}`);
      at += size + (flg & FLG_BLOCK_CHECKSUM ? 4 : 0);
      if (at > buf.length) throw corruptMessage('truncated lz4 block');
      blocks++;
    }
    if (flg & FLG_CONTENT_CHECKSUM) at += 4;
    if (at > buf.length) throw corruptMessage('truncated lz4 content checksum');
    bound += contentSize >= 0 ? Math.min(contentSize, blocks * blockMax) : blocks * blockMax;
  }
  return bound;
}

function checkBound(buf: Buffer, maxOutputBytes: number): void {
  if (lz4FrameOutputBound(buf) > maxOutputBytes) throw corruptMessage(`lz4 frame expands beyond ${maxOutputBytes} bytes`);
}

function decodeFailure(error: unknown): Error {
  return error instanceof Error && error.name === 'RecordBatchError'
    ? error
    : corruptMessage(`invalid lz4 frame: ${(error as Error).message}`, error);
}

/** Kafka's `Lz4BlockOutputStream.BLOCKSIZE_64KB`. */
export const LZ4_BLOCK_SIZE = 64 * 1024;
/**
 * Magic, FLG 0x60, BD 0x40 and the header checksum: (xxHash32(FLG BD, seed 0) >> 8) & 0xff = 0x82. The
 * descriptor never varies, so neither does its checksum (the tests recompute it).
 */
export const LZ4_KAFKA_FRAME_HEADER: Buffer = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82]);
/** lz4-napi's block compressor prefixes the block with its uncompressed size (uint32 LE); the frame has none. */
const SIZE_PREFIX = 4;

function chunksOf(data: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < data.length; at += LZ4_BLOCK_SIZE) chunks.push(data.subarray(at, at + LZ4_BLOCK_SIZE));
  return chunks;
}

function frame(chunks: Buffer[], compressedBlocks: Buffer[]): Buffer {
  let size = LZ4_KAFKA_FRAME_HEADER.length + 4;
  const blocks = chunks.map((chunk, i) => {
    const compressed = compressedBlocks[i].subarray(SIZE_PREFIX);
    // Like Kafka, store the block raw when compression does not make it smaller.
    const stored = compressed.length >= chunk.length;
    const block = stored ? chunk : compressed;
    size += 4 + block.length;
    return { block, stored };
  });
  const out = Buffer.allocUnsafe(size);
  LZ4_KAFKA_FRAME_HEADER.copy(out, 0);
  let at = LZ4_KAFKA_FRAME_HEADER.length;
  for (const { block, stored } of blocks) {
    out.writeUInt32LE((block.length | (stored ? BLOCK_UNCOMPRESSED : 0)) >>> 0, at);
    block.copy(out, at + 4);
    at += 4 + block.length;
  }
  out.writeUInt32LE(0, at);
  return out;
}

export const lz4Codec: CompressionCodec = {
  name: 'lz4',
  id: CompressionType.lz4,
  ensureAvailable() {
    lz4();
  },
  compress(data) {
    const chunks = chunksOf(asBuffer(data));
    return frame(chunks, chunks.map((chunk) => lz4().compressSync(chunk)));
  },
  decompress(data, maxOutputBytes = DEFAULT_MAX_DECOMPRESSED_BYTES) {
    const buf = asBuffer(data);
    try {
      checkBound(buf, maxOutputBytes);
      return lz4().decompressFrameSync(buf);
    } catch (error) {
      throw decodeFailure(error);
    }
  },
  async compressAsync(data) {
    const chunks = chunksOf(asBuffer(data));
    return frame(chunks, await Promise.all(chunks.map((chunk) => lz4().compress(chunk))));
  },
  async decompressAsync(data, maxOutputBytes = DEFAULT_MAX_DECOMPRESSED_BYTES) {
    const buf = asBuffer(data);
    try {
      checkBound(buf, maxOutputBytes);
      return await lz4().decompressFrame(buf);
    } catch (error) {
      throw decodeFailure(error);
    }
  },
};
