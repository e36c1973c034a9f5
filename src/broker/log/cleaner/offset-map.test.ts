// The cleaner's bounded key -> offset map (Kafka's `SkimpyOffsetMapTest`).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OffsetMap } from './offset-map.ts';

const key = (i: number) => Buffer.from(`key-${i}`);

describe('OffsetMap', () => {
  it('testBasicValidation: keeps the latest offset per key, -1 for a key never put', () => {
    const map = new OffsetMap(28 * 1000);
    for (let i = 0; i < 500; i++) map.put(key(i), BigInt(i));
    map.put(key(7), 900n);
    assert.equal(map.size, 500);
    assert.equal(map.get(key(7)), 900n);
    assert.equal(map.get(key(499)), 499n);
    assert.equal(map.get(key(500)), -1n);
    assert.equal(map.latestOffset, 900n);
    assert.equal(map.utilization, 0.5);
  });

  it('testClear: a cleared map holds nothing of before, and fills again', () => {
    const map = new OffsetMap(28 * 64);
    for (let i = 0; i < map.capacity; i++) map.put(key(i), BigInt(i));
    assert.ok(map.isFull);
    map.clear();
    assert.equal(map.size, 0);
    assert.equal(map.latestOffset, -1n);
    assert.ok(!map.isFull);
    for (let i = 0; i < map.capacity; i++) assert.equal(map.get(key(i)), -1n, `key-${i} survived clear()`);
    for (let i = 0; i < map.capacity; i++) map.put(key(i + 1000), BigInt(i));
    assert.equal(map.size, map.capacity);
    assert.equal(map.get(key(1000)), 0n);
    assert.equal(map.get(key(0)), -1n);
  });
});
