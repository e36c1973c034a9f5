// Batch growth under load: a partition's open batch fills past batch.size only while it could not be sent now
// (full batches queued ahead of it, or the partition backed up), never past max.request.size / 1 MiB, and an
// explicit batch.size stays a hard limit (Java's meaning).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveProducerConfig, type ProducerOptions } from '../config/producer-config.ts';
import { estimateRecordSize, type RecordSink } from './producer-batch.ts';
import { RecordAccumulator } from './record-accumulator.ts';

const sink: RecordSink = { complete: () => undefined, fail: () => undefined };
const value = Buffer.alloc(1000, 0x61);

function accumulatorWith(options: Partial<ProducerOptions>, backedUp: boolean): RecordAccumulator {
  const accumulator = new RecordAccumulator(resolveProducerConfig({ bootstrap: '127.0.0.1:9092', ...options }));
  accumulator.backedUp = () => backedUp;
  return accumulator;
}

function appendRecords(accumulator: RecordAccumulator, count: number): void {
  const size = estimateRecordSize(null, value, undefined);
  for (let i = 0; i < count; i++) accumulator.append('t', 0, BigInt(i), null, value, undefined, size, sink, i, 0);
}

function batchSizes(accumulator: RecordAccumulator): number[] {
  return (accumulator.deques.get([...accumulator.deques.keys()][0])?.batches ?? []).map((batch) => batch.recordCount);
}

describe('RecordAccumulator batch growth', () => {
  it('closes a batch at batch.size when nothing holds it back', () => {
    const accumulator = accumulatorWith({}, false);
    appendRecords(accumulator, 16);
    assert.deepEqual(batchSizes(accumulator), [16]);
    appendRecords(accumulator, 1);
    // The 17th record does not fit in 16 KiB: a second batch, as in Java.
    assert.equal(batchSizes(accumulator).length, 2);
  });

  it('lets the open batch grow behind full batches, up to 1 MiB', () => {
    const accumulator = accumulatorWith({}, false);
    appendRecords(accumulator, 3000);
    const sizes = batchSizes(accumulator);
    // One batch of batch.size, then batches grown to about 1 MiB each.
    assert.equal(sizes[0], 16);
    assert.ok(sizes[1] > 1000, `second batch holds ${sizes[1]} records`);
    for (const batch of accumulator.deques.values().next().value?.batches ?? []) assert.ok(batch.estimatedSizeInBytes <= 1 << 20);
  });

  it('lets a lone open batch grow while the partition is backed up', () => {
    const accumulator = accumulatorWith({}, true);
    appendRecords(accumulator, 500);
    assert.deepEqual(batchSizes(accumulator), [500]);
  });

  it('never grows past max.request.size', () => {
    const accumulator = accumulatorWith({ maxRequestSize: 100_000 }, true);
    appendRecords(accumulator, 500);
    for (const batch of accumulator.deques.values().next().value?.batches ?? []) assert.ok(batch.estimatedSizeInBytes <= 100_000);
    assert.ok(batchSizes(accumulator).length >= 5);
  });

  it("starts a partition's next batch with the room its last drained batch needed", () => {
    const accumulator = accumulatorWith({}, true);
    appendRecords(accumulator, 200);
    const grown = accumulator.drain(0, () => 0, null, 0);
    assert.equal(grown[0]?.recordCount, 200);
    appendRecords(accumulator, 1);
    const next = accumulator.deques.values().next().value?.batches[0];
    // Room for the 200 records again without growing (and copying) the buffer at each doubling.
    assert.ok((next?.records.finish().buffer.byteLength ?? 0) >= (grown[0]?.estimatedSizeInBytes ?? Infinity));
    // Once a small batch leaves, the next one is back to batch.size.
    accumulator.drain(0, () => 0, null, 0);
    appendRecords(accumulator, 1);
    const small = accumulator.deques.values().next().value?.batches[0];
    assert.equal(small?.records.finish().buffer.byteLength, 16384);
  });

  it('keeps an explicit batch.size as a hard limit', () => {
    const accumulator = accumulatorWith({ batchSize: 16384 }, true);
    appendRecords(accumulator, 160);
    assert.deepEqual(batchSizes(accumulator), Array.from({ length: 10 }, () => 16));
  });
});
