import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ReadBufferPool } from './read-buffer-pool.ts';

describe('ReadBufferPool', () => {
  it('reuses a slab only after the lease holding it is released', () => {
    const pool = new ReadBufferPool(1024, 4);
    const first = pool.lease();
    const a = first.acquire(1000);
    const second = pool.lease();
    const b = second.acquire(1000);
    assert.notEqual(a.buffer, b.buffer, 'two leases never share a slab');
    first.release();
    assert.equal(pool.freeSlabs, 1);
    const third = pool.lease();
    assert.equal(third.acquire(900).buffer, a.buffer, 'the released slab is handed out again');
    assert.equal(pool.freeSlabs, 0);
  });

  it('a second release of a lease gives nothing back twice', () => {
    const pool = new ReadBufferPool(1024, 4);
    const lease = pool.lease();
    lease.acquire(1024);
    lease.release();
    lease.release();
    assert.equal(pool.freeSlabs, 1);
    const a = pool.lease().acquire(1024);
    const b = pool.lease().acquire(1024);
    assert.notEqual(a.buffer, b.buffer);
  });

  it('serves reads below half a slab, above a slab and after release with buffers of their own', () => {
    const pool = new ReadBufferPool(1024, 4);
    const lease = pool.lease();
    const small = lease.acquire(100);
    const big = lease.acquire(4000);
    assert.equal(small.length, 100);
    assert.equal(big.length, 4000);
    lease.release();
    assert.equal(pool.freeSlabs, 0, 'no slab was taken for them');
    const late = lease.acquire(1000);
    lease.release();
    assert.equal(late.length, 1000);
    assert.equal(pool.freeSlabs, 0, 'a read after the release is not tracked');
  });

  it('keeps at most maxFreeSlabs', () => {
    const pool = new ReadBufferPool(64, 2);
    const leases = [pool.lease(), pool.lease(), pool.lease()];
    for (const lease of leases) lease.acquire(64);
    for (const lease of leases) lease.release();
    assert.equal(pool.freeSlabs, 2);
  });
});
