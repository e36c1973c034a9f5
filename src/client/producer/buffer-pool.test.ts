import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BufferPool } from './buffer-pool.ts';

describe('BufferPool', () => {
  it('hands a returned buffer to the next taker of its size class, and makes one only on a miss', () => {
    const pool = new BufferPool(1 << 20);
    const first = pool.take(10_000);
    assert.equal(first.length, 16_384);
    first[0] = 42;
    pool.give(first.subarray(100, 200));
    const second = pool.take(9_000);
    assert.equal(second.buffer, first.buffer);
    assert.equal(pool.allocations, 1);
    assert.equal(pool.take(9_000).buffer === first.buffer, false);
    assert.equal(pool.allocations, 2);
  });

  it('keeps a buffer idle once however often it is given back, so no two takers share memory', () => {
    const pool = new BufferPool(1 << 20);
    const buffer = pool.take(5000);
    pool.give(buffer);
    pool.give(buffer);
    const a = pool.take(5000);
    const b = pool.take(5000);
    assert.notEqual(a.buffer, b.buffer);
  });

  it('ignores memory it did not hand out', () => {
    const pool = new BufferPool(1 << 20);
    pool.give(Buffer.allocUnsafeSlow(8192));
    pool.give(Buffer.from('small, from the shared slab'));
    assert.equal(pool.idleByteCount, 0);
  });

  it('lets no more than its limit wait idle', () => {
    const pool = new BufferPool(40_000);
    const taken = [pool.take(16_384), pool.take(16_384), pool.take(16_384)];
    for (const buffer of taken) pool.give(buffer);
    assert.equal(pool.idleByteCount, 32_768);
  });

  it('serves sizes above its largest class without keeping them', () => {
    const pool = new BufferPool(1 << 30);
    const big = pool.take((16 << 20) + 1);
    assert.equal(big.length, (16 << 20) + 1);
    pool.give(big);
    assert.equal(pool.idleByteCount, 0);
  });
});
