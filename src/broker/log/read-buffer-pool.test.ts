import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ReadBufferPool } from './read-buffer-pool.ts';

describe('ReadBufferPool', () => {
  it('reuses a buffer only after the lease holding it is released', () => {
    const pool = new ReadBufferPool(1024, 4096);
    const first = pool.lease();
    const a = first.acquire(1000);
    const second = pool.lease();
    const b = second.acquire(1000);
    assert.notEqual(a.buffer, b.buffer, 'two leases never share a buffer');
    first.release();
    assert.equal(pool.freeSlabs, 1);
    const third = pool.lease();
    assert.equal(third.acquire(900).buffer, a.buffer, 'the released buffer is handed out again');
    assert.equal(pool.freeSlabs, 0);
  });

  it('a second release of a lease gives nothing back twice', () => {
    const pool = new ReadBufferPool(1024, 4096);
    const lease = pool.lease();
    lease.acquire(1024);
    lease.release();
    lease.release();
    assert.equal(pool.freeSlabs, 1);
    const a = pool.lease().acquire(1024);
    const b = pool.lease().acquire(1024);
    assert.notEqual(a.buffer, b.buffer);
  });

  it('serves a read from the smallest size class that holds it, never more than twice its length', () => {
    const pool = new ReadBufferPool(1024, 4096);
    for (const [length, size] of [[33, 64], [64, 64], [65, 128], [100, 128], [600, 1024], [1024, 1024]]) {
      assert.equal(pool.sizeFor(length), size, `${length} bytes`);
      const read = pool.lease().acquire(length);
      assert.equal(read.length, length);
      assert.equal(read.buffer.byteLength, size, `${length} bytes are read into a buffer of ${size}`);
    }
  });

  it('serves reads of half the smallest class or less, above a slab and after release with buffers of their own', () => {
    const pool = new ReadBufferPool(1024, 4096);
    assert.equal(pool.sizeFor(32), -1);
    assert.equal(pool.sizeFor(1025), -1);
    const lease = pool.lease();
    const small = lease.acquire(32);
    const big = lease.acquire(4000);
    assert.equal(small.length, 32);
    assert.equal(big.length, 4000);
    lease.release();
    assert.equal(pool.freeSlabs, 0, 'no buffer was taken for them');
    const late = lease.acquire(1000);
    lease.release();
    assert.equal(late.length, 1000);
    assert.equal(pool.freeSlabs, 0, 'a read after the release is not tracked');
  });

  it('keeps at most maxIdleBytes', () => {
    const pool = new ReadBufferPool(64, 128);
    const leases = [pool.lease(), pool.lease(), pool.lease()];
    for (const lease of leases) lease.acquire(64);
    for (const lease of leases) lease.release();
    assert.equal(pool.freeSlabs, 2);
  });

  it('trims an answer into a buffer of its size and gives the read buffer back at once', () => {
    // A 1 KiB read whose answer is the 200 bytes before a batch too large to send: the answer must not pin the
    // 1 KiB buffer, and the copy comes from the pool rather than from fresh memory.
    const pool = new ReadBufferPool(1024, 4096);
    const lease = pool.lease();
    const read = lease.acquire(1024);
    for (let i = 0; i < read.length; i++) read[i] = i & 0xff;
    const expected = Buffer.from(read.subarray(0, 200));
    const answer = lease.trim(read, 200);
    assert.deepEqual(answer, expected);
    assert.equal(answer.buffer.byteLength, 256, 'the answer sits in the smallest class that holds it');
    assert.equal(pool.freeSlabs, 1, 'the read buffer is back before the lease is released');
    assert.notEqual(pool.lease().acquire(1024).buffer, answer.buffer);
    lease.release();
    assert.equal(pool.freeSlabs, 1, 'the answer buffer comes back with the lease');
    assert.equal(pool.lease().acquire(200).buffer, answer.buffer);
  });

  it('refuses a slab size that is not a power of two', () => {
    assert.throws(() => new ReadBufferPool(1000, 4096), RangeError);
  });
});
