// ProducerBatch encoding: the header is written into the space left in front of the records (no copy of the
// batch without compression), the result is a valid record batch v2 (CRC included) with every record appended,
// and a later producer state rewrites the header and its CRC in place (`ProducerBatch.setProducerState`).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CompressionType } from '../../protocol/records/batch-header.ts';
import { decodeRecordBatch } from '../../protocol/records/record-batch-decoder.ts';
import { BufferPool } from './buffer-pool.ts';
import { ProducerBatch, type RecordMetadata, type RecordSink } from './producer-batch.ts';

const completed: RecordMetadata[] = [];
const sink: RecordSink = { complete: (_index, metadata) => completed.push(metadata), fail: () => undefined };

function batchOf(compression: number, count: number): ProducerBatch {
  const batch = new ProducerBatch('orders', 3, 0, compression, 256);
  for (let i = 0; i < count; i++) batch.append(1_700_000_000_000n + BigInt(i), Buffer.from(`k${i}`), Buffer.from(`value-${i}`.repeat(20)), [{ key: 'h', value: Buffer.from([i]) }], sink, i);
  return batch;
}

describe('ProducerBatch', () => {
  it('encodes an uncompressed batch in the buffer its records were written to', () => {
    const batch = batchOf(CompressionType.none, 50);
    const encoded = batch.encoded();
    assert.equal(encoded.buffer, batch.records.finish().buffer, 'the encoded batch is a view of the records buffer, not a copy');
    assert.equal(encoded.length, batch.estimatedSizeInBytes);
    const decoded = decodeRecordBatch(encoded);
    assert.equal(decoded.records.length, 50);
    assert.equal(decoded.compression, CompressionType.none);
    assert.deepEqual(decoded.records.map((r) => r.value?.toString()), Array.from({ length: 50 }, (_, i) => `value-${i}`.repeat(20)));
    assert.deepEqual(decoded.records.map((r) => r.timestamp), Array.from({ length: 50 }, (_, i) => 1_700_000_000_000n + BigInt(i)));
    assert.deepEqual(decoded.records.map((r) => r.headers[0]?.value?.[0]), Array.from({ length: 50 }, (_, i) => i));
  });

  it('compresses the record section behind the same header', () => {
    const batch = batchOf(CompressionType.gzip, 50);
    const encoded = batch.encoded();
    assert.ok(encoded.length < batch.estimatedSizeInBytes, `compressed ${encoded.length} < ${batch.estimatedSizeInBytes}`);
    const decoded = decodeRecordBatch(encoded);
    assert.equal(decoded.compression, CompressionType.gzip);
    assert.deepEqual(decoded.records.map((r) => r.key?.toString()), Array.from({ length: 50 }, (_, i) => `k${i}`));
  });

  it('rewrites producer id, epoch, sequence and CRC after encoding', () => {
    for (const compression of [CompressionType.none, CompressionType.lz4]) {
      const batch = batchOf(compression, 10);
      batch.encoded();
      batch.setProducerState({ producerId: 42n, epoch: 7 }, 100);
      // decodeRecordBatch checks the CRC: a stale one would throw.
      const decoded = decodeRecordBatch(batch.encoded());
      assert.equal(decoded.producerId, 42n);
      assert.equal(decoded.producerEpoch, 7);
      assert.equal(decoded.baseSequence, 100);
      assert.equal(decoded.records.length, 10);
    }
  });

  it('knows its size before its producer state, and checksums the state it has when its bytes are taken', () => {
    // The drain's order: the size decides whether the batch goes, then it gets its sequence, then its bytes go out.
    for (const compression of [CompressionType.none, CompressionType.zstd]) {
      const batch = batchOf(compression, 10);
      const size = batch.encodedSize();
      batch.isTransactional = true;
      batch.setProducerState({ producerId: 9n, epoch: 2 }, 30);
      const encoded = batch.encoded();
      assert.equal(encoded.length, size);
      const decoded = decodeRecordBatch(encoded);
      assert.deepEqual([decoded.producerId, decoded.producerEpoch, decoded.baseSequence, decoded.isTransactional], [9n, 2, 30, true]);
    }
  });

  it('completes records with consecutive offsets from the base offset', () => {
    completed.length = 0;
    batchOf(CompressionType.none, 3).complete(500n, -1n);
    assert.deepEqual(completed.map((m) => m.offset), [500n, 501n, 502n]);
    completed.length = 0;
    batchOf(CompressionType.none, 2).complete(-1n, -1n);
    assert.deepEqual(completed.map((m) => m.offset), [-1n, -1n]);
  });

  it('gives its memory back to the pool when done, except when a request may still be writing it', () => {
    // A Produce frame writes an uncompressed batch from the batch's own memory (a chunk of a gathered write), so
    // memory that went back to the pool while a request still waited in a socket's queue could be overwritten by
    // another batch before it was written.
    const pool = new BufferPool(1 << 20);
    const fill = (batch: ProducerBatch): ProducerBatch => {
      for (let i = 0; i < 20; i++) batch.append(1n, null, Buffer.alloc(1000, i), undefined, sink, i);
      return batch;
    };
    const answered = fill(new ProducerBatch('orders', 0, 0, CompressionType.none, 32_768, pool));
    answered.encoded();
    answered.complete(0n, -1n);
    assert.equal(pool.idleByteCount, 32_768, 'an answered batch returns its memory');

    const unanswered = fill(new ProducerBatch('orders', 0, 0, CompressionType.none, 32_768, pool));
    const bytes = Buffer.from(unanswered.encoded());
    assert.equal(pool.idleByteCount, 0, 'the second batch took the idle buffer');
    const view = unanswered.encoded();
    unanswered.fail(new Error('fatal'), false);
    assert.equal(pool.idleByteCount, 0, 'memory a socket may still write is not returned');
    fill(new ProducerBatch('orders', 0, 0, CompressionType.none, 32_768, pool));
    assert.deepEqual(view, bytes, 'the failed batch\'s bytes are unchanged by the next batch');
  });
});
