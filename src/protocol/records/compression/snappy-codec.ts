// snappy as Kafka writes it: the xerial `SnappyOutputStream` framing, not the official snappy framing format.
//   header  : 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00, int32 version (1), int32 minimum compatible version (1)
//   chunks  : int32 compressed length, then one raw snappy block (Kafka's default block is 32 KiB of input)
// On read we also accept a bare raw snappy block without the xerial header (what xerial's
// `SnappyInputStream` falls back to, and what some non-Java clients send), and concatenated xerial streams.
import type * as Snappy from 'snappy';
import { corruptMessage } from '../record-batch-error.ts';
import { CompressionType } from '../batch-header.ts';
import { asBuffer, DEFAULT_MAX_DECOMPRESSED_BYTES, type CompressionCodec } from './compression-codec.ts';
import { lazyPackage } from './lazy-package.ts';

const snappy = lazyPackage<typeof Snappy>('snappy', 'snappy');

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;
const XERIAL_VERSION = 1;
const XERIAL_COMPATIBLE_VERSION = 1;
/** xerial's default block size, which Kafka's `SnappyFactory` keeps. */
export const SNAPPY_BLOCK_SIZE = 32 * 1024;

function hasXerialMagic(buf: Buffer, at: number): boolean {
  return buf.length - at >= XERIAL_HEADER_SIZE && buf.compare(XERIAL_MAGIC, 0, 8, at, at + 8) === 0;
}

/** The uncompressed length a raw snappy block declares in its leading unsigned varint. */
function declaredLength(block: Buffer): number {
  let value = 0;
  for (let i = 0, shift = 0; i < 5 && i < block.length; i++, shift += 7) {
    const b = block[i];
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return value;
  }
  throw corruptMessage('snappy block has an invalid length preamble');
}

/** Splits a stream into its raw snappy blocks, checking framing and the total declared size against the cap. */
function blocksOf(buf: Buffer, maxOutputBytes: number): Buffer[] {
  if (!hasXerialMagic(buf, 0)) {
    if (declaredLength(buf) > maxOutputBytes) {
      throw corruptMessage(`snappy block expands beyond ${maxOutputBytes} bytes`);
    }
    return [buf];
  }
  const blocks: Buffer[] = [];
  let total = 0;
  let at = 0;
  while (at < buf.length) {
    if (hasXerialMagic(buf, at)) {
      if (buf.readInt32BE(at + 12) > XERIAL_VERSION) {
        throw corruptMessage(`unsupported xerial snappy compatible version ${buf.readInt32BE(at + 12)}`);
      }
      at += XERIAL_HEADER_SIZE;
      continue;
    }
    if (buf.length - at < 4) throw corruptMessage('truncated xerial snappy chunk length');
    const length = buf.readInt32BE(at);
    at += 4;
    if (length < 0 || length > buf.length - at) {
      throw corruptMessage(`xerial snappy chunk of ${length} bytes but ${buf.length - at} remain`);
    }
    const block = buf.subarray(at, at + length);
    at += length;
    total += declaredLength(block);
    if (total > maxOutputBytes) throw corruptMessage(`snappy stream expands beyond ${maxOutputBytes} bytes`);
    blocks.push(block);
  }
  return blocks;
}

function frame(compressedBlocks: Buffer[]): Buffer {
  let size = XERIAL_HEADER_SIZE;
  for (const block of compressedBlocks) size += 4 + block.length;
  const out = Buffer.allocUnsafe(size);
  XERIAL_MAGIC.copy(out, 0);
  out.writeInt32BE(XERIAL_VERSION, 8);
  out.writeInt32BE(XERIAL_COMPATIBLE_VERSION, 12);
  let at = XERIAL_HEADER_SIZE;
  for (const block of compressedBlocks) {
    out.writeInt32BE(block.length, at);
    block.copy(out, at + 4);
    at += 4 + block.length;
  }
  return out;
}

function chunksOf(data: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < data.length; at += SNAPPY_BLOCK_SIZE) chunks.push(data.subarray(at, at + SNAPPY_BLOCK_SIZE));
  return chunks;
}

function join(parts: Buffer[]): Buffer {
  if (parts.length === 1) return parts[0];
  return Buffer.concat(parts);
}

function decodeFailure(error: unknown): Error {
  return error instanceof Error && error.name === 'RecordBatchError'
    ? error
    : corruptMessage(`invalid snappy block: ${(error as Error).message}`, error);
}

export const snappyCodec: CompressionCodec = {
  name: 'snappy',
  id: CompressionType.snappy,
  ensureAvailable() {
    snappy();
  },
  compress(data) {
    return frame(chunksOf(asBuffer(data)).map((chunk) => snappy().compressSync(chunk)));
  },
  decompress(data, maxOutputBytes = DEFAULT_MAX_DECOMPRESSED_BYTES) {
    try {
      const parts = blocksOf(asBuffer(data), maxOutputBytes).map((block) => snappy().uncompressSync(block) as Buffer);
      return join(parts);
    } catch (error) {
      throw decodeFailure(error);
    }
  },
  async compressAsync(data) {
    return frame(await Promise.all(chunksOf(asBuffer(data)).map((chunk) => snappy().compress(chunk))));
  },
  async decompressAsync(data, maxOutputBytes = DEFAULT_MAX_DECOMPRESSED_BYTES) {
    try {
      const blocks = blocksOf(asBuffer(data), maxOutputBytes);
      return join((await Promise.all(blocks.map((block) => snappy().uncompress(block)))) as Buffer[]);
    } catch (error) {
      throw decodeFailure(error);
    }
  },
};
