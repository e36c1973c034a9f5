// Offset and time index behaviour (Kafka's `OffsetIndexTest`, `TimeIndexTest`) and the in-batch timestamp search.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync, gzipSync } from 'node:zlib';
import { BatchField, RECORD_BATCH_OVERHEAD, writeCrc } from '../../protocol/records/batch-header.ts';
import { OffsetIndex } from './offset-index.ts';
import { TimeIndex } from './time-index.ts';
import { findRecordAtOrAfter } from './record-timestamps.ts';
import { makeBatch } from './test-support.ts';

describe('OffsetIndex', () => {
  it('looks up the largest entry at or below the target, and round-trips through its file image', () => {
    const index = new OffsetIndex(100n);
    for (let i = 0; i < 200; i++) index.append(100n + BigInt(i * 10 + 9), i * 4096);
    assert.deepEqual(index.lookup(99n), { offset: 100n, position: 0 });
    assert.deepEqual(index.lookup(108n), { offset: 100n, position: 0 });
    assert.deepEqual(index.lookup(109n), { offset: 109n, position: 0 });
    assert.deepEqual(index.lookup(1005n), { offset: 999n, position: 89 * 4096 });
    assert.deepEqual(index.lookup(1n << 40n), { offset: 2099n, position: 199 * 4096 });
    const loaded = OffsetIndex.fromBytes(100n, index.toBytes(), 200 * 4096);
    assert.ok(loaded);
    assert.equal(loaded.entries, 200);
    assert.deepEqual(loaded.lookup(1005n), index.lookup(1005n));
    loaded.truncateTo(1000n);
    assert.deepEqual(loaded.lastEntry, { offset: 999n, position: 89 * 4096 });
  });

  it('rejects file images that fail the sanity check', () => {
    const index = new OffsetIndex(0n);
    index.append(5n, 100);
    index.append(9n, 200);
    assert.equal(OffsetIndex.fromBytes(0n, index.toBytes().subarray(0, 12), 1000), null, 'partial entry');
    assert.equal(OffsetIndex.fromBytes(0n, index.toBytes(), 150), null, 'position past the segment');
    const swapped = Buffer.concat([index.toBytes().subarray(8), index.toBytes().subarray(0, 8)]);
    assert.equal(OffsetIndex.fromBytes(0n, swapped, 1000), null, 'not increasing');
  });

  // Kafka's `OffsetIndexTest.testReopen`: an index read back from its file keeps taking entries. An empty file
  // (a segment closed cleanly before its first index entry) used to load with no room, and growing a zero-size
  // buffer by doubling left it empty, so the first append after a restart threw.
  it('testReopen: an index loaded from its file, even an empty one, keeps taking entries', () => {
    for (const image of [new OffsetIndex(0n).toBytes(), (() => {
      const index = new OffsetIndex(0n);
      index.append(5n, 100);
      return index.toBytes();
    })()]) {
      const loaded = OffsetIndex.fromBytes(0n, image, 1 << 20);
      assert.ok(loaded);
      const first = loaded.entries;
      for (let i = 0; i < 200; i++) loaded.append(10n + BigInt(i), 200 + i * 100);
      assert.equal(loaded.entries, first + 200);
      assert.deepEqual(loaded.lastEntry, { offset: 209n, position: 200 + 199 * 100 });
      assert.deepEqual(OffsetIndex.fromBytes(0n, loaded.toBytes(), 1 << 20)?.lookup(105n), { offset: 105n, position: 200 + 95 * 100 });
    }
  });
});

describe('TimeIndex', () => {
  it('only appends growing timestamps and finds the largest entry at or below a target', () => {
    const index = new TimeIndex(50n);
    index.maybeAppend(1000n, 52n);
    index.maybeAppend(1000n, 55n); // not larger: ignored
    index.maybeAppend(2000n, 60n);
    assert.equal(index.entries, 2);
    assert.deepEqual(index.lookup(999n), { timestamp: -1n, offset: 50n });
    assert.deepEqual(index.lookup(1500n), { timestamp: 1000n, offset: 52n });
    assert.deepEqual(index.lookup(5000n), { timestamp: 2000n, offset: 60n });
    assert.deepEqual(TimeIndex.fromBytes(50n, index.toBytes(), 61n)?.lastEntry, { timestamp: 2000n, offset: 60n });
    assert.equal(TimeIndex.fromBytes(50n, index.toBytes(), 60n), null, 'offset past the segment end');
  });

  // Kafka's `TimeIndexTest.testReopen`, including an empty file (see the OffsetIndex case).
  it('testReopen: an index loaded from its file, even an empty one, keeps taking entries', () => {
    const one = new TimeIndex(0n);
    one.maybeAppend(1000n, 3n);
    for (const image of [new TimeIndex(0n).toBytes(), one.toBytes()]) {
      const loaded = TimeIndex.fromBytes(0n, image, 1n << 20n);
      assert.ok(loaded);
      const first = loaded.entries;
      for (let i = 0; i < 100; i++) loaded.maybeAppend(2000n + BigInt(i), 10n + BigInt(i));
      assert.equal(loaded.entries, first + 100);
      assert.deepEqual(loaded.lastEntry, { timestamp: 2099n, offset: 109n });
      assert.deepEqual(TimeIndex.fromBytes(0n, loaded.toBytes(), 1n << 20n)?.lookup(2050n), { timestamp: 2050n, offset: 60n });
    }
  });
});

describe('findRecordAtOrAfter', () => {
  const records = [
    { timestamp: 100n, value: 'a' },
    { timestamp: 300n, value: 'b' },
    { timestamp: 200n, value: 'c' },
  ];

  it('returns the first record at or after the timestamp, at or after the minimum offset', () => {
    const batch = makeBatch(records);
    batch.writeBigInt64BE(40n, BatchField.baseOffset);
    assert.deepEqual(findRecordAtOrAfter(batch, 150n, 0n), { timestamp: 300n, offset: 41n });
    assert.deepEqual(findRecordAtOrAfter(batch, 150n, 42n), { timestamp: 200n, offset: 42n });
    assert.deepEqual(findRecordAtOrAfter(batch, 50n, 0n), { timestamp: 100n, offset: 40n });
    assert.equal(findRecordAtOrAfter(batch, 301n, 0n), null);
  });

  it('uses the batch max timestamp for every record under LogAppendTime', () => {
    const batch = makeBatch(records, { attributes: 0x08 });
    batch.writeBigInt64BE(10n, BatchField.baseOffset);
    assert.deepEqual(findRecordAtOrAfter(batch, 150n, 0n), { timestamp: 300n, offset: 10n });
  });

  it('decompresses with the given codec, and is batch-grained without one', () => {
    const plain = makeBatch(records);
    const compressed = Buffer.concat([plain.subarray(0, RECORD_BATCH_OVERHEAD), gzipSync(plain.subarray(RECORD_BATCH_OVERHEAD))]);
    compressed.writeInt32BE(compressed.length - 12, BatchField.batchLength);
    compressed.writeInt16BE(1, BatchField.attributes);
    writeCrc(compressed, 0, compressed.length);
    const gunzip = (codec: number, data: Buffer) => {
      assert.equal(codec, 1);
      return gunzipSync(data);
    };
    assert.deepEqual(findRecordAtOrAfter(compressed, 150n, 0n, gunzip), { timestamp: 300n, offset: 1n });
    assert.deepEqual(findRecordAtOrAfter(compressed, 150n, 0n), { timestamp: 300n, offset: 0n });
  });
});

describe('OffsetIndex.fetchUpperBoundOffset (the READ_COMMITTED aborted-transaction bound)', () => {
  it('answers as Kafka’s index search does, including an equal first entry answered by the next one', () => {
    const index = new OffsetIndex(0n);
    index.append(1n, 100);
    index.append(3n, 300);
    index.append(5n, 500);
    const bound = (position: number, size: number) => index.fetchUpperBoundOffset(position, size)?.offset ?? null;
    assert.equal(bound(0, 50), 1n);
    assert.equal(bound(0, 100), 3n); // equal to the first entry, which the search never probes
    assert.equal(bound(0, 250), 3n);
    assert.equal(bound(0, 300), 3n); // equal to a probed entry
    assert.equal(bound(100, 400), 5n);
    assert.equal(bound(0, 600), null);
    assert.equal(new OffsetIndex(0n).fetchUpperBoundOffset(0, 10), null);
  });
});
