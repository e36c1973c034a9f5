import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DefaultPartitioner, murmur2, partitionForKey, toPositive } from './default-partitioner.ts';

describe('default partitioner', () => {
  it('murmur2 matches Kafka UtilsTest.testMurmur2 vectors', () => {
    const cases: [Uint8Array, number][] = [
      [Buffer.from('21'), -973932308],
      [Buffer.from('foobar'), -790332482],
      [Buffer.from('a-little-bit-long-string'), -985981536],
      [Buffer.from('a-little-bit-longer-string'), -1486304829],
      [Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'), -58897971],
      [Buffer.from([0x61, 0x62, 0x63]), 479470107],
    ];
    for (const [bytes, expected] of cases) assert.equal(murmur2(bytes), expected, Buffer.from(bytes).toString());
  });

  it('toPositive clears the sign bit like Utils.toPositive', () => {
    assert.equal(toPositive(-1), 0x7fffffff);
    assert.equal(toPositive(-2147483648), 0);
    assert.equal(toPositive(5), 5);
  });

  it('keyed records use toPositive(murmur2) % n', () => {
    assert.equal(partitionForKey(Buffer.from('foobar'), 7), toPositive(-790332482) % 7);
    const partitioner = new DefaultPartitioner(100);
    assert.equal(partitioner.partition('t', Buffer.from('21'), 3, [0, 1, 2]), toPositive(-973932308) % 3);
  });

  it('null keys stick to one partition until a batch worth of bytes, then move', () => {
    const partitioner = new DefaultPartitioner(100);
    const first = partitioner.partition('t', null, 4, [0, 1, 2, 3]);
    for (let i = 0; i < 9; i++) {
      partitioner.onAppend('t', first, 10, 4, [0, 1, 2, 3]);
      if (i < 8) assert.equal(partitioner.partition('t', null, 4, [0, 1, 2, 3]), first);
    }
    partitioner.onAppend('t', first, 10, 4, [0, 1, 2, 3]);
    assert.notEqual(partitioner.partition('t', null, 4, [0, 1, 2, 3]), first);
  });
});
