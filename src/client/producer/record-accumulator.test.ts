// Batch size with batch.size unset: a partition's batch fills up to 1 MiB (capped by max.request.size) and is
// ready at linger.ms or when that full (librdkafka's batch.size); a lone growing batch is held while its partition
// is backed up; an explicit batch.size stays Java's hard limit and readiness threshold.
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
  it('fills one batch past batch.size, ready only at linger.ms or 1 MiB', () => {
    const accumulator = accumulatorWith({}, false);
    appendRecords(accumulator, 100);
    assert.deepEqual(batchSizes(accumulator), [100]);
    assert.equal(accumulator.ready(() => 0, 0).readyNodes.size, 0, 'not ready before linger.ms');
    assert.equal(accumulator.ready(() => 0, 5).readyNodes.size, 1, 'ready at linger.ms');
  });

  it('starts a second batch at 1 MiB, and the full one is ready at once', () => {
    const accumulator = accumulatorWith({}, false);
    appendRecords(accumulator, 3000);
    const sizes = batchSizes(accumulator);
    assert.ok(sizes.length === 3 && sizes[0] > 1000, `batches of ${sizes.join(', ')} records`);
    for (const batch of accumulator.deques.values().next().value?.batches ?? []) assert.ok(batch.estimatedSizeInBytes <= 1 << 20);
    assert.equal(accumulator.ready(() => 0, 0).readyNodes.size, 1);
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
    // A response frees the node: the grown batch leaves.
    accumulator.backedUp = () => false;
    const grown = accumulator.drain(0, () => 0, null, 0);
    assert.equal(grown[0]?.recordCount, 200);
    appendRecords(accumulator, 1);
    const next = accumulator.deques.values().next().value?.batches[0];
    // Room for the 200 records again without growing (and copying) the buffer at each doubling.
    assert.ok((next?.records.capacity ?? 0) >= (grown[0]?.estimatedSizeInBytes ?? Infinity));
    // Once a small batch leaves, the next one is back to batch.size.
    accumulator.drain(0, () => 0, null, 0);
    appendRecords(accumulator, 1);
    const small = accumulator.deques.values().next().value?.batches[0];
    assert.equal(small?.records.capacity, 16384);
  });

  it('holds a lone growing batch while the partition is backed up, until freed, full or flushed', () => {
    const accumulator = accumulatorWith({}, true);
    appendRecords(accumulator, 100);
    assert.deepEqual(accumulator.drain(0, () => 0, null, 0), [], 'backed up: the open batch keeps filling');
    accumulator.flushesInProgress = 1;
    assert.equal(accumulator.drain(0, () => 0, null, 0)[0]?.recordCount, 100, 'a flush sends it at once');
    accumulator.flushesInProgress = 0;
    // A batch that reached the growth limit leaves even while backed up.
    appendRecords(accumulator, 1100);
    const full = accumulator.drain(0, () => 0, null, 0);
    assert.equal(full.length, 1);
    assert.ok((full[0]?.estimatedSizeInBytes ?? 0) > (1 << 20) - 1100, `a full batch of ${full[0]?.estimatedSizeInBytes} bytes`);
    assert.deepEqual(accumulator.drain(0, () => 0, null, 0), [], 'the open batch behind it waits again');
    accumulator.backedUp = () => false;
    assert.equal(accumulator.drain(0, () => 0, null, 0).length, 1, 'freed: it leaves');
  });

  it('never holds a batch when batch.size was set explicitly', () => {
    const accumulator = accumulatorWith({ batchSize: 16384 }, true);
    appendRecords(accumulator, 10);
    assert.equal(accumulator.drain(0, () => 0, null, 0)[0]?.recordCount, 10);
  });

  it('keeps an explicit batch.size as a hard limit and readiness threshold', () => {
    const accumulator = accumulatorWith({ batchSize: 16384 }, true);
    appendRecords(accumulator, 17);
    assert.equal(accumulator.ready(() => 0, 0).readyNodes.size, 1, 'a full 16 KiB batch is ready before linger.ms');
    appendRecords(accumulator, 143);
    assert.deepEqual(batchSizes(accumulator), Array.from({ length: 10 }, () => 16));
  });
});

describe('RecordAccumulator early sending and request shares', () => {
  function appendAcross(accumulator: RecordAccumulator, partitions: number, perPartition: number): void {
    const size = estimateRecordSize(null, value, undefined);
    for (let i = 0; i < partitions * perPartition; i++) accumulator.append('t', i % partitions, 0n, null, value, undefined, size, sink, i, 0);
  }

  it("reports each node's queued bytes and makes a lingering node ready when the Sender says it may go early", () => {
    const accumulator = accumulatorWith({}, false);
    appendAcross(accumulator, 4, 10);
    const leaderFor = (_topic: string, partition: number): number => partition % 2;
    const lingering = accumulator.ready(leaderFor, 0);
    assert.equal(lingering.readyNodes.size, 0, 'nothing is ready before linger.ms');
    assert.equal(lingering.nextReadyCheckDelayMs, 5);
    const perNode = [...lingering.queuedBytes.values()];
    assert.equal(perNode.length, 2);
    assert.ok(perNode.every((bytes) => bytes > 20 * 1000), `queued ${perNode.join(', ')} bytes`);
    const asked: number[] = [];
    accumulator.sendsEarly = (nodeId) => {
      asked.push(nodeId);
      return nodeId === 1;
    };
    assert.deepEqual([...accumulator.ready(leaderFor, 0).readyNodes], [1], 'only the node the Sender lets go early');
    assert.deepEqual(asked.sort(), [0, 1]);
  });

  it('drains at most maxBytes of batches, leaving the others open to keep filling', () => {
    const accumulator = accumulatorWith({}, false);
    appendAcross(accumulator, 8, 20);
    const perBatch = accumulator.deques.values().next().value?.batches[0]?.estimatedSizeInBytes ?? 0;
    const first = accumulator.drain(0, () => 0, null, 0, perBatch * 4);
    assert.equal(first.length, 4, 'the first request takes its share');
    const left = [...accumulator.deques.values()].flatMap((deque) => deque.batches);
    assert.equal(left.length, 4);
    assert.ok(left.every((batch) => !batch.closed), 'batches not taken are not encoded, so they may still grow');
    assert.equal(accumulator.drain(0, () => 0, null, 0).length, 4, 'the next request takes the rest');
  });

  it('still sends one oversized batch alone when it exceeds the share', () => {
    const accumulator = accumulatorWith({}, false);
    appendAcross(accumulator, 2, 20);
    assert.equal(accumulator.drain(0, () => 0, null, 0, 1000).length, 1);
  });
});
