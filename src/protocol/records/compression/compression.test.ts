import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync, gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import snappy from 'snappy';
import { compressFrameSync } from 'lz4-napi';
import { Encoder as ZstdStreamEncoder } from '@toondepauw/node-zstd';
import fc from 'fast-check';
import { ErrorCode } from '../../errors/error-table.ts';
import { CompressionType } from '../batch-header.ts';
import { RecordBatchError } from '../record-batch-error.ts';
import { codecByName, codecFor, isKnownCompressionType } from './codec-registry.ts';
import { gzipCodec } from './gzip-codec.ts';
import { snappyCodec, SNAPPY_BLOCK_SIZE } from './snappy-codec.ts';
import { LZ4_BLOCK_SIZE, LZ4_KAFKA_FRAME_HEADER, lz4Codec, lz4FrameOutputBound } from './lz4-codec.ts';
import { zstdCodec } from './zstd-codec.ts';

const all = [gzipCodec, snappyCodec, lz4Codec, zstdCodec];

function jsonish(bytes: number): Buffer {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = JSON.stringify({ id: i, user: `user-${i % 97}`, action: i % 3 ? 'click' : 'view', at: 1_700_000_000_000 + i });
    parts.push(line);
    size += line.length;
  }
  return Buffer.from(parts.join('')).subarray(0, bytes);
}

function corrupt(fn: () => unknown, pattern?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof RecordBatchError, `expected RecordBatchError, got ${String(error)}`);
    assert.equal(error.code, ErrorCode.CORRUPT_MESSAGE);
    if (pattern) assert.match(error.message, pattern);
    return true;
  });
}

test('registry: ids and names match Kafka CompressionType, unknown ids are UNSUPPORTED_COMPRESSION_TYPE', () => {
  assert.deepEqual([0, 1, 2, 3, 4].map((id) => codecFor(id).name), ['none', 'gzip', 'snappy', 'lz4', 'zstd']);
  assert.equal(codecByName('zstd')?.id, CompressionType.zstd);
  assert.equal(isKnownCompressionType(5), false);
  for (const id of [0, 1, 2, 3, 4]) codecFor(id).ensureAvailable();
  assert.throws(() => codecFor(5), (e: unknown) => e instanceof RecordBatchError && e.code === ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
});

for (const codec of all) {
  test(`${codec.name}: sync and async round trips of random data`, async () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), (data) => {
        assert.deepEqual(new Uint8Array(codec.decompress(codec.compress(data))), data);
      }),
      { numRuns: 30 },
    );
    const big = jsonish(300_000);
    assert.ok(codec.decompress(codec.compress(big)).equals(big));
    assert.ok((await codec.decompressAsync(await codec.compressAsync(big))).equals(big));
    assert.ok(codec.decompress(await codec.compressAsync(big)).equals(big));
    assert.ok(codec.compress(big).length < big.length / 2, 'JSON-ish data compresses');
  });

  test(`${codec.name}: output cap refuses a decompression bomb`, async () => {
    const bomb = codec.compress(Buffer.alloc(4 * 1024 * 1024));
    assert.ok(bomb.length < 300_000);
    corrupt(() => codec.decompress(bomb, 1024 * 1024), /beyond|allowed/);
    await assert.rejects(codec.decompressAsync(bomb, 1024 * 1024), (e: unknown) => e instanceof RecordBatchError && e.code === ErrorCode.CORRUPT_MESSAGE);
    assert.equal(codec.decompress(bomb, 4 * 1024 * 1024).length, 4 * 1024 * 1024);
  });

  test(`${codec.name}: garbage and truncated streams are CORRUPT_MESSAGE`, () => {
    const good = codec.compress(jsonish(100_000));
    corrupt(() => codec.decompress(good.subarray(0, good.length - 7)));
    corrupt(() => codec.decompress(Buffer.from([0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa, 0xf9, 0xf8, 0xf7, 0xf6, 0xf5, 0xf4, 0xf3, 0xf2, 0xf1, 0xf0, 0x00])));
  });
}

test('gzip: a standard gzip stream, concatenated members accepted', () => {
  const data = jsonish(10_000);
  assert.ok(gunzipSync(gzipCodec.compress(data)).equals(data));
  const twoMembers = Buffer.concat([gzipSync(data.subarray(0, 4000)), gzipSync(data.subarray(4000))]);
  assert.ok(gzipCodec.decompress(twoMembers).equals(data));
});

test('snappy: xerial framing with 32 KiB blocks, raw and concatenated streams accepted', () => {
  const data = jsonish(100_000);
  const framed = snappyCodec.compress(data);
  assert.equal(framed.subarray(0, 16).toString('hex'), '82534e41505059000000000100000001');
  let at = 16;
  const blockSizes: number[] = [];
  while (at < framed.length) {
    const length = framed.readInt32BE(at);
    const block = snappy.uncompressSync(framed.subarray(at + 4, at + 4 + length)) as Buffer;
    blockSizes.push(block.length);
    at += 4 + length;
  }
  assert.equal(at, framed.length);
  assert.deepEqual(blockSizes, [SNAPPY_BLOCK_SIZE, SNAPPY_BLOCK_SIZE, SNAPPY_BLOCK_SIZE, 100_000 - 3 * SNAPPY_BLOCK_SIZE]);

  assert.ok(snappyCodec.decompress(snappy.compressSync(data)).equals(data), 'raw snappy without xerial header');
  const concatenated = Buffer.concat([snappyCodec.compress(data.subarray(0, 50)), snappyCodec.compress(data.subarray(50))]);
  assert.ok(snappyCodec.decompress(concatenated).equals(data));
  assert.equal(snappyCodec.decompress(snappyCodec.compress(Buffer.alloc(0))).length, 0);
  corrupt(() => snappyCodec.decompress(Buffer.concat([framed.subarray(0, 16), Buffer.from([0x7f, 0, 0, 0, 1])])), /chunk/);
});

// xxHash32 for inputs shorter than 16 bytes: enough to check an LZ4 frame descriptor's checksum independently.
function xxh32Short(input: Uint8Array, seed = 0): number {
  const P1 = 2654435761, P2 = 2246822519, P3 = 3266489917, P4 = 668265263, P5 = 374761393;
  assert.ok(input.length < 16);
  const rotl = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;
  let h = (seed + P5 + input.length) >>> 0;
  let i = 0;
  for (; i + 4 <= input.length; i += 4) {
    const word = (input[i] | (input[i + 1] << 8) | (input[i + 2] << 16) | (input[i + 3] << 24)) >>> 0;
    h = Math.imul(rotl((h + Math.imul(word, P3)) >>> 0, 17), P4) >>> 0;
  }
  for (; i < input.length; i++) h = Math.imul(rotl((h + Math.imul(input[i], P5)) >>> 0, 11), P1) >>> 0;
  h = Math.imul(h ^ (h >>> 15), P2) >>> 0;
  h = Math.imul(h ^ (h >>> 13), P3) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

test('lz4: frame header is exactly what Kafka writes, with a correct header checksum', () => {
  const frame = lz4Codec.compress(jsonish(200_000));
  assert.equal(frame.readUInt32LE(0), 0x184d2204);
  assert.equal(frame[4], 0x60, 'FLG: version 1, independent blocks, no checksums, no content size, no dict id');
  assert.equal(frame[5], 0x40, 'BD: 64 KiB blocks');
  assert.equal(frame[6], (xxh32Short(frame.subarray(4, 6)) >>> 8) & 0xff);
  assert.ok(frame.subarray(0, 7).equals(LZ4_KAFKA_FRAME_HEADER));
  // Blocks: each at most 64 KiB of input, then a zero end mark and nothing else.
  let at = 7;
  let blocks = 0;
  for (;;) {
    const word = frame.readUInt32LE(at);
    at += 4;
    if (word === 0) break;
    assert.ok((word & 0x7fffffff) <= LZ4_BLOCK_SIZE);
    at += word & 0x7fffffff;
    blocks++;
  }
  assert.equal(at, frame.length);
  assert.equal(blocks, Math.ceil(200_000 / LZ4_BLOCK_SIZE));
});

test('lz4: incompressible blocks are stored raw with the high bit, like Kafka', () => {
  const random = randomBytes(1000);
  const frame = lz4Codec.compress(random);
  const word = frame.readUInt32LE(7);
  assert.equal(word >>> 31, 1);
  assert.equal(word & 0x7fffffff, 1000);
  assert.ok(lz4Codec.decompress(frame).equals(random));
});

test('lz4: reads frames with other legal options (content size/checksum, block checksums)', () => {
  const data = jsonish(150_000);
  const other = compressFrameSync(data, { contentChecksum: true, blockChecksums: true });
  assert.notEqual(other[4], 0x60);
  assert.ok(lz4Codec.decompress(other).equals(data));
  assert.ok(lz4FrameOutputBound(other) >= data.length);
});

test('lz4: a wrong header checksum or a bad block size is CORRUPT_MESSAGE', () => {
  const frame = Buffer.from(lz4Codec.compress(jsonish(1000)));
  frame[6] ^= 0xff;
  corrupt(() => lz4Codec.decompress(frame));
  const oversized = Buffer.from(lz4Codec.compress(jsonish(1000)));
  oversized.writeUInt32LE(LZ4_BLOCK_SIZE + 1, 7);
  corrupt(() => lz4Codec.decompress(oversized), /exceeds/);
});

/** zstd frame header descriptor: bit 5 single-segment, bits 6-7 the content-size field's size (0: none). */
function hasContentSize(frame: Buffer): boolean {
  assert.equal(frame.readUInt32LE(0), 0xfd2fb528, 'zstd magic');
  const descriptor = frame[4];
  return (descriptor & 0xc0) !== 0 || (descriptor & 0x20) !== 0;
}

/**
 * A zstd frame with no content size, made of raw (stored) blocks of at most 128 KiB: the shape of a streamed
 * frame whose output ends exactly on a block boundary.
 */
function rawBlockFrame(data: Buffer): Buffer {
  const BLOCK = 128 * 1024;
  // Magic; descriptor 0 (no content size, not single-segment, no checksum, no dictionary); window 2^17.
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38])];
  for (let at = 0; at < data.length; at += BLOCK) {
    const block = data.subarray(at, at + BLOCK);
    const last = at + BLOCK >= data.length ? 1 : 0;
    const header = (block.length << 3) | last; // block type 0: raw
    parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff]), block);
  }
  return Buffer.concat(parts);
}

test('zstd: a frame without a content size streams under the same cap', async () => {
  const data = jsonish(500_000);
  const streamed = new ZstdStreamEncoder(3).encodeSync(data);
  assert.equal(hasContentSize(streamed), false, 'the streaming encoder writes no content size');
  assert.ok(zstdCodec.decompress(streamed).equals(data));
  assert.ok((await zstdCodec.decompressAsync(streamed)).equals(data));
  corrupt(() => zstdCodec.decompress(streamed, 100_000), /beyond/);
  corrupt(() => zstdCodec.decompress(streamed.subarray(0, streamed.length - 5)));
});

test('zstd: a frame without a content size whose output is an exact multiple of 128 KiB decodes', () => {
  for (const size of [128 * 1024, 256 * 1024, 1024 * 1024]) {
    const data = jsonish(size);
    const raw = rawBlockFrame(data);
    assert.equal(hasContentSize(raw), false);
    assert.ok(zstdCodec.decompress(raw).equals(data), `raw blocks, ${size} bytes`);
    assert.equal(zstdCodec.decompress(raw, size).length, size, 'a cap of exactly the output size is enough');
    corrupt(() => zstdCodec.decompress(raw, size - 1), /beyond/);
    const streamed = new ZstdStreamEncoder(3).encodeSync(data);
    assert.equal(hasContentSize(streamed), false);
    assert.ok(zstdCodec.decompress(streamed).equals(data), `streamed, ${size} bytes`);
    // Cut inside the last block: truncated, never silently short.
    corrupt(() => zstdCodec.decompress(raw.subarray(0, raw.length - 1)));
  }
});

test('zstd: a tiny frame declaring a huge window or content size is refused before anything is allocated', () => {
  // Descriptor 0 (window descriptor follows), window descriptor 0xF8: 2^41 bytes; one empty last raw block.
  const hugeWindow = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xf8, 0x01, 0x00, 0x00]);
  corrupt(() => zstdCodec.decompress(hugeWindow), /window|invalid/);
  // 2^30 window (0xA0): beyond libzstd's default 2^27 limit.
  corrupt(() => zstdCodec.decompress(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xa0, 0x01, 0x00, 0x00])), /window|invalid|memory/i);
  // Single segment with a 4-byte content size of 1 GiB.
  const hugeContent = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0x00, 0x00, 0x00, 0x40, 0x01, 0x00, 0x00]);
  corrupt(() => zstdCodec.decompress(hugeContent, 1024 * 1024), /declares|beyond|invalid/);
});

test('zstd: a frame cut at a block boundary or followed by stray bytes is CORRUPT_MESSAGE, on every runtime', () => {
  const data = jsonish(300 * 1024);
  const raw = rawBlockFrame(data);
  // Cut right after the first 128 KiB block: every remaining byte is missing, but what is there decodes cleanly
  // (Node 22's zstdDecompressSync returns such partial output without an error).
  corrupt(() => zstdCodec.decompress(raw.subarray(0, 6 + 3 + 128 * 1024)), /truncated/);
  corrupt(() => zstdCodec.decompress(Buffer.concat([zstdCodec.compress(data), Buffer.from([1, 2, 3])])));
  assert.ok(zstdCodec.decompress(Buffer.concat([zstdCodec.compress(data.subarray(0, 1000)), zstdCodec.compress(data.subarray(1000))])).equals(data), 'concatenated frames');
});
