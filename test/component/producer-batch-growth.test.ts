// Batch growth under load against the real broker: a burst of 1 KiB records leaves in batches far larger than
// batch.size (the records behind the first full batch keep filling one batch up to 1 MiB), every record is stored
// once and in send order; with batch.size set explicitly no batch exceeds it (Java's meaning). With linger.ms
// unset, a burst across partitions with nothing in flight is split across two requests.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { Producer } from '../../src/client/index.ts';
import { readLog } from '../../src/testkit/log-reader.ts';
import { createTopic } from '../../src/testkit/topics.ts';

const records = 3000;

describe('producer batch growth', { timeout: 120_000 }, () => {
  let broker: RunningBroker;

  before(async () => {
    broker = await startBroker();
  });

  after(async () => {
    await broker?.close();
  });

  async function burst(topic: string, options: { batchSize?: number }): Promise<ReturnType<Producer['metrics']>> {
    const producer = new Producer({ bootstrap: broker.bootstrap, ...options });
    try {
      await producer.send({ topic, partition: 0, value: 'warm-up' });
      const padding = 'x'.repeat(1000);
      await Promise.all(Array.from({ length: records }, (_, i) => producer.send({ topic, partition: 0, value: `${i}:${padding}` })));
      return producer.metrics();
    } finally {
      await producer.close();
    }
  }

  async function storedOrder(topic: string): Promise<number[]> {
    const scan = await readLog({ bootstrap: broker.bootstrap, topic, partitions: [0] });
    return (scan.get(0) ?? []).map((record) => record.value ?? '').filter((value) => value !== 'warm-up').map((value) => Number(value.split(':')[0]));
  }

  it('sends a burst in batches larger than batch.size, every record once and in order', async () => {
    const metrics = await burst('growth-default', {});
    assert.ok(metrics.batchSizeMax > 16384, `largest batch ${metrics.batchSizeMax} bytes`);
    assert.ok(metrics.batchSizeMax <= 1 << 20, `largest batch ${metrics.batchSizeMax} bytes`);
    assert.ok(metrics.requestsSent < records / 16, `${metrics.requestsSent} requests for ${records} records`);
    assert.deepEqual(await storedOrder('growth-default'), Array.from({ length: records }, (_, i) => i));
  });

  // A window-bounded sender's burst, across 8 partitions, with nothing in flight: with linger.ms unset it leaves
  // at once in two requests (one for the broker to handle while the other waits), with an explicit linger.ms in
  // one, at linger.ms (Java's meaning). Either way every record is stored once, in send order per partition.
  async function spread(topic: string, options: { lingerMs?: number }): Promise<number> {
    const producer = new Producer({ bootstrap: broker.bootstrap, ...options });
    try {
      await producer.send({ topic, partition: 0, value: 'warm-up' });
      const before = producer.metrics().requestsSent;
      await Promise.all(Array.from({ length: 2000 }, (_, i) => producer.send({ topic, partition: i % 8, value: `${i}:${'y'.repeat(100)}` })));
      return producer.metrics().requestsSent - before;
    } finally {
      await producer.close();
    }
  }

  async function storedPerPartition(topic: string): Promise<number[][]> {
    const scan = await readLog({ bootstrap: broker.bootstrap, topic, partitions: [0, 1, 2, 3, 4, 5, 6, 7] });
    return Array.from({ length: 8 }, (_, p) => (scan.get(p) ?? []).map((record) => record.value ?? '').filter((value) => value !== 'warm-up').map((value) => Number(value.split(':')[0])));
  }

  function sentPerPartition(): number[][] {
    return Array.from({ length: 8 }, (_, p) => Array.from({ length: 250 }, (_, j) => j * 8 + p));
  }

  it('splits a burst across two requests when nothing is in flight and linger.ms is unset', async () => {
    await createTopic(broker.bootstrap, 'spread-default', 8);
    assert.equal(await spread('spread-default', {}), 2);
    assert.deepEqual(await storedPerPartition('spread-default'), sentPerPartition());
  });

  it('sends the same burst in one request with an explicit linger.ms', async () => {
    await createTopic(broker.bootstrap, 'spread-linger', 8);
    assert.equal(await spread('spread-linger', { lingerMs: 5 }), 1);
    assert.deepEqual(await storedPerPartition('spread-linger'), sentPerPartition());
  });

  it('keeps an explicit batch.size as a hard limit', async () => {
    const metrics = await burst('growth-explicit', { batchSize: 16384 });
    assert.ok(metrics.batchSizeMax <= 16384, `largest batch ${metrics.batchSizeMax} bytes`);
    assert.deepEqual(await storedOrder('growth-explicit'), Array.from({ length: records }, (_, i) => i));
  });
});
