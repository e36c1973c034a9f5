import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BatchField,
  decrementSequence,
  incrementSequence,
  isCrcValid,
  readBatchHeader,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
} from './batch-header.ts';
import { encodeRecordBatch } from './record-batch-encoder.ts';

const MAX = 0x7fffffff;

const sequences: ReadonlyArray<readonly [number, number, number]> = [
  [0, 1, 1],
  [10, 5, 15],
  [MAX - 1, 1, MAX],
  [MAX, 1, 0],
  [MAX - 1, 2, 0],
  [MAX, 5, 4],
  [MAX - 2, 10, 7],
  [0, MAX, MAX],
  [1, MAX, 0],
];

for (const [sequence, increment, expected] of sequences) {
  test(`incrementSequence(${sequence}, ${increment}) === ${expected}`, () => {
    assert.equal(incrementSequence(sequence, increment), expected);
    assert.equal(decrementSequence(expected, increment), sequence);
  });
}

test('decrementSequence wraps below 0 (DefaultRecordBatch.decrementSequence)', () => {
  assert.equal(decrementSequence(0, 1), MAX);
  assert.equal(decrementSequence(2, 5), MAX - 2);
  assert.equal(decrementSequence(5, 5), 0);
});

test('increment and decrement are inverse and never negative', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: MAX }), fc.integer({ min: 0, max: MAX }), (sequence, delta) => {
      const next = incrementSequence(sequence, delta);
      assert.ok(next >= 0 && next <= MAX);
      assert.equal(decrementSequence(next, delta), sequence);
    }),
    { numRuns: 500 },
  );
});

test('assigning offsets and leader epoch keeps the CRC valid; LogAppendTime recomputes it', () => {
  const batch = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('x'), timestamp: 10n }] });
  setBaseOffset(batch, 0, 500n);
  setPartitionLeaderEpoch(batch, 0, 3);
  assert.ok(isCrcValid(batch, 0, batch.length));
  setLogAppendTime(batch, 0, batch.length, 777n);
  assert.ok(isCrcValid(batch, 0, batch.length));
  const header = readBatchHeader(batch);
  assert.equal(header.baseOffset, 500n);
  assert.equal(header.partitionLeaderEpoch, 3);
  assert.equal(header.maxTimestamp, 777n);
  assert.equal(batch.readInt16BE(BatchField.attributes) & 0x08, 0x08);
});
