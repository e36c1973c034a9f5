// The cleaner's raw key walk agrees with the full record decoder, compressed or not, with headers, null keys,
// tombstones and long (multi-byte varint) fields.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CompressionType } from '../../../protocol/records/batch-header.ts';
import { decodeRecordBatch } from '../../../protocol/records/record-batch-decoder.ts';
import { encodeRecordBatch } from '../../../protocol/records/record-batch-encoder.ts';
import { forEachRecordKey } from './record-keys.ts';

describe('forEachRecordKey', () => {
  for (const compression of [CompressionType.none, CompressionType.gzip]) {
    it(`visits every record's key, offset delta and tombstone flag (compression ${compression})`, () => {
      const batch = encodeRecordBatch({
        compression,
        baseOffset: 100n,
        records: [
          { key: Buffer.from('a'), value: Buffer.from('1'), timestamp: 1_000n },
          { key: null, value: Buffer.from('no key'), timestamp: 1_001n },
          { key: Buffer.from('b'), value: null, timestamp: 1_000_000_000_000n, headers: [{ key: 'h', value: Buffer.from('v') }] },
          { key: Buffer.alloc(300, 7), value: Buffer.alloc(70_000, 1), timestamp: 5n },
        ],
      });
      const seen: { key: string | null; offsetDelta: number; tombstone: boolean }[] = [];
      const count = forEachRecordKey(batch, (key, offsetDelta, tombstone) => seen.push({ key: key?.toString('hex') ?? null, offsetDelta, tombstone }));
      const decoded = decodeRecordBatch(batch);
      assert.equal(count, decoded.records.length);
      assert.deepEqual(
        seen,
        decoded.records.map((record) => ({ key: record.key === null ? null : Buffer.from(record.key).toString('hex'), offsetDelta: Number(record.offset - 100n), tombstone: record.value === null })),
      );
    });
  }

  it('throws on a batch whose records run past its end instead of reading beyond it', () => {
    const batch = encodeRecordBatch({ records: [{ key: Buffer.from('key'), value: Buffer.from('value'), timestamp: 1n }] });
    assert.throws(() => forEachRecordKey(batch.subarray(0, batch.length - 4), () => undefined), RangeError);
  });
});
