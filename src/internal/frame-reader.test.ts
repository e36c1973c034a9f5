import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FrameError } from '../protocol/framing.ts';
import { FrameReader, type ReadFrame } from './frame-reader.ts';
import { RequestSlabPool } from './request-slabs.ts';

function sizePrefixed(payload: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length);
  return Buffer.concat([size, payload]);
}

/** `count` payloads of `size` bytes, each filled with its own byte value. */
function payloads(count: number, size: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => Buffer.alloc(size, i + 1));
}

describe('FrameReader', () => {
  it('returns the same frames however the stream is cut into chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 20 }),
        (frames, cuts) => {
          const stream = Buffer.concat(frames.map((f) => sizePrefixed(Buffer.from(f))));
          // Slabs smaller than some frames, so frames land in slabs, in buffers of their own, and across reuse.
          const reader = new FrameReader(new RequestSlabPool(256, 4, 2), 1 << 20);
          const out: Buffer[] = [];
          let pos = 0;
          for (let i = 0; pos < stream.length; i++) {
            const n = cuts[i % cuts.length];
            for (const frame of reader.push(stream.subarray(pos, pos + n))) {
              out.push(Buffer.from(frame.bytes));
              frame.release();
            }
            pos += n;
          }
          assert.deepEqual(out, frames.map((f) => Buffer.from(f)));
          assert.equal(reader.buffered, 0);
        },
      ),
    );
  });

  it('never places a frame over one that is still held, and reuses slabs once frames are released', () => {
    const pool = new RequestSlabPool(1024, 8, 8);
    const reader = new FrameReader(pool, 1 << 20);
    const sent = payloads(40, 300);
    const held: ReadFrame[] = [];
    // Every third frame is held; the others are released at once, as a Produce append does.
    for (const [i, payload] of sent.entries()) {
      for (const frame of reader.push(sizePrefixed(payload))) {
        if (i % 3 === 0) held.push(frame);
        else frame.release();
      }
    }
    assert.equal(held.length, 14);
    for (const [k, frame] of held.entries()) assert.deepEqual(frame.bytes, sent[k * 3], `held frame ${k} kept its bytes`);
    for (const frame of held) frame.release();
    reader.close();
    assert.ok(pool.slabs <= 8, `the pool stays within its bound (${pool.slabs} slabs)`);
    assert.equal(pool.idleSlabs, pool.slabs, 'every slab is back once all frames and the reader let go');
  });

  it('starts its slab over when every frame in it was released', () => {
    const pool = new RequestSlabPool(1024, 2, 2);
    const reader = new FrameReader(pool, 1 << 20);
    for (const payload of payloads(100, 700)) {
      const [frame] = reader.push(sizePrefixed(payload));
      assert.deepEqual(frame.bytes, payload);
      frame.release();
    }
    assert.equal(pool.slabs, 1, 'one slab serves a connection whose frames are released before the next arrives');
  });

  it('does not reuse the slab of an abandoned frame', () => {
    const pool = new RequestSlabPool(1024, 4, 4);
    const reader = new FrameReader(pool, 1 << 20);
    const [kept] = reader.push(sizePrefixed(Buffer.alloc(600, 7)));
    kept.abandon();
    for (const payload of payloads(20, 600)) for (const frame of reader.push(sizePrefixed(payload))) frame.release();
    assert.deepEqual(kept.bytes, Buffer.alloc(600, 7));
  });

  it('falls back to buffers of their own when the pool is at its bound', () => {
    const pool = new RequestSlabPool(1024, 1, 1);
    const first = new FrameReader(pool, 1 << 20);
    const second = new FrameReader(pool, 1 << 20);
    const [a] = first.push(sizePrefixed(Buffer.alloc(500, 1)));
    const [b] = second.push(sizePrefixed(Buffer.alloc(500, 2)));
    assert.equal(pool.slabs, 1);
    assert.deepEqual([a.bytes, b.bytes], [Buffer.alloc(500, 1), Buffer.alloc(500, 2)]);
  });

  it('holds memory in proportion to the bytes received, not to a huge declared size', () => {
    const pool = new RequestSlabPool(1024, 4, 4);
    const reader = new FrameReader(pool, 2 ** 31 - 1);
    const before = process.memoryUsage().arrayBuffers;
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(1_000_000_000);
    assert.deepEqual(reader.push(Buffer.concat([prefix, Buffer.alloc(10)])), []);
    assert.equal(reader.buffered, 14);
    const grown = process.memoryUsage().arrayBuffers - before;
    assert.ok(grown < 16 * 1024 * 1024, `a 1 GB frame announced with 10 bytes sent holds ${grown} bytes`);
    assert.equal(pool.slabs, 0, 'a frame larger than a slab takes none');
    reader.close();
  });

  it('holds about what was sent for frames announced on many connections once the slabs are taken', () => {
    // A slowloris client: many connections, each announcing a large frame and sending a few bytes. Once the pool is
    // at its bound their frames get buffers of their own, which must hold what arrived, not a fixed start size.
    const pool = new RequestSlabPool(1024 * 1024, 1, 1);
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(1_000_000);
    const sent = Buffer.concat([prefix, Buffer.alloc(10, 7)]);
    const holder = new FrameReader(pool, 100 * 1024 * 1024);
    holder.push(sent);
    assert.equal(pool.slabs, 1, 'the first connection takes the only slab');
    const readers = Array.from({ length: 200 }, () => new FrameReader(pool, 100 * 1024 * 1024));
    const before = process.memoryUsage().arrayBuffers;
    for (const reader of readers) {
      assert.deepEqual(reader.push(sent), []);
      // A socket with `onread` asks where its next read goes after every read: not into room reserved ahead.
      assert.equal(reader.directReadBuffer(), null);
    }
    const grown = process.memoryUsage().arrayBuffers - before;
    assert.ok(grown < 512 * 1024, `200 connections that sent 14 bytes each hold ${grown} bytes`);
    for (const reader of [holder, ...readers]) reader.close();
  });

  it('refuses negative and oversized size prefixes before reserving anything', () => {
    const negative = new FrameReader(new RequestSlabPool(1024, 4, 4), 100);
    assert.throws(() => negative.push(Buffer.from([0xff, 0xff, 0xff, 0xfe])), FrameError);
    const pool = new RequestSlabPool(1024, 4, 4);
    const oversized = new FrameReader(pool, 100);
    assert.throws(() => oversized.push(Buffer.from([0, 0, 0, 101, 1, 2, 3])), FrameError);
    assert.equal(pool.slabs, 0);
    assert.throws(() => oversized.push(Buffer.from([0])), FrameError, 'a failed reader stays failed');
  });

  it('copies what it is given: a chunk reused by the caller does not change frames already read', () => {
    const reader = new FrameReader(new RequestSlabPool(1024, 4, 4), 1 << 20);
    const chunk = sizePrefixed(Buffer.alloc(100, 5));
    const [frame] = reader.push(chunk);
    chunk.fill(0);
    assert.deepEqual(frame.bytes, Buffer.alloc(100, 5));
  });
});

describe('FrameReader direct reads', () => {
  /** Feeds `stream` as a socket with `onread` would: into the region the reader asks for, else into a scratch buffer. */
  function feed(reader: FrameReader, stream: Buffer, readSizes: number[]): ReadFrame[] {
    const scratch = Buffer.alloc(64);
    const frames: ReadFrame[] = [];
    let pos = 0;
    for (let i = 0; pos < stream.length; i++) {
      const into = reader.directReadBuffer() ?? scratch;
      const n = Math.min(into.length, readSizes[i % readSizes.length], stream.length - pos);
      stream.copy(into, 0, pos, pos + n);
      pos += n;
      frames.push(...reader.readInto(n, into));
    }
    return frames;
  }

  it('returns the same frames whether bytes land in place or in a scratch buffer', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 200_000 }), { maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 150_000 }), { minLength: 1, maxLength: 8 }),
        (sizes, reads) => {
          const sent = sizes.map((size, i) => Buffer.alloc(size, i + 1));
          const reader = new FrameReader(new RequestSlabPool(128 * 1024, 4, 2), 1 << 20);
          const frames = feed(reader, Buffer.concat(sent.map(sizePrefixed)), reads);
          assert.deepEqual(frames.map((f) => Buffer.from(f.bytes)), sent);
          for (const frame of frames) frame.release();
        },
      ),
      { numRuns: 40 },
    );
  });

  it('hands out only the missing part of a large frame, never past its end', () => {
    const reader = new FrameReader(new RequestSlabPool(1 << 20, 4, 4), 1 << 20);
    assert.equal(reader.directReadBuffer(), null, 'no frame started: read into scratch');
    assert.deepEqual(reader.push(Buffer.concat([Buffer.from([0, 1, 0, 0]), Buffer.alloc(1000, 9)])), []);
    const region = reader.directReadBuffer();
    assert.equal(region?.length, 65536 - 1000);
    region?.fill(9);
    const [frame] = reader.readInto(region?.length ?? 0, region ?? Buffer.alloc(0));
    assert.deepEqual(frame.bytes, Buffer.alloc(65536, 9));
  });

  it('gives the slab of a frame cut short back to the pool at close (the socket reads no more by then)', () => {
    const pool = new RequestSlabPool(1 << 20, 4, 4);
    // A client that reconnects and closes mid-frame, again and again, keeps reusing one slab.
    for (let attempt = 0; attempt < 10; attempt++) {
      const reader = new FrameReader(pool, 1 << 20);
      reader.push(Buffer.from([0, 1, 0, 0, 7, 7]));
      assert.notEqual(reader.directReadBuffer(), null);
      reader.close();
      assert.equal(pool.idleSlabs, 1);
      assert.equal(pool.slabs, 1);
    }
  });

  describe('without slabs, at the announced size (a client reading its broker\'s answers)', () => {
    it('returns the same frames however the stream is cut, whether bytes are pushed or read in place', () => {
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 0, max: 200_000 }), { maxLength: 6 }),
          fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 20 }),
          (sizes, cuts) => {
            const frames = sizes.map((size, i) => Buffer.alloc(size, i + 1));
            const stream = Buffer.concat(frames.map(sizePrefixed));
            const reader = new FrameReader(null, 1 << 20, { allocateDeclaredSize: true });
            const out: Buffer[] = [];
            let pos = 0;
            for (let i = 0; pos < stream.length; i++) {
              const region = reader.directReadBuffer();
              const n = Math.min(cuts[i % cuts.length], region?.length ?? Infinity, stream.length - pos);
              // A socket with `onread` reads into the region handed out when there is one, else into scratch.
              let read: ReadFrame[];
              if (region !== null) {
                stream.copy(region, 0, pos, pos + n);
                read = reader.readInto(n, region);
              } else read = reader.push(stream.subarray(pos, pos + n));
              for (const frame of read) out.push(Buffer.from(frame.bytes));
              pos += n;
            }
            assert.deepEqual(out, frames);
            assert.equal(reader.buffered, 0);
          },
        ),
        { numRuns: 60 },
      );
    });

    it('reads a large answer in place from the first read after its size prefix', () => {
      const reader = new FrameReader(null, 1 << 20, { allocateDeclaredSize: true });
      reader.push(Buffer.from([0, 0, 0x80, 0]));
      assert.equal(reader.directReadBuffer()?.length, 32768);
    });

    it('refuses a size above the maximum before the body arrives, and stays failed', () => {
      const reader = new FrameReader(null, 10, { allocateDeclaredSize: true });
      assert.deepEqual(reader.push(Buffer.from([0, 0, 0, 10])), []);
      assert.deepEqual(reader.push(Buffer.alloc(10)).map((frame) => frame.bytes), [Buffer.alloc(10)]);
      assert.throws(() => reader.push(Buffer.from([0, 0, 0, 11])), FrameError);
      assert.throws(() => reader.push(Buffer.alloc(1)), FrameError);
      assert.throws(() => new FrameReader(null, 100).push(Buffer.from([0xff, 0xff, 0xff, 0xff])), /invalid frame size -1/);
    });
  });
});
