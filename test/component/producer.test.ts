// The producer against the seqlog broker over real sockets: round trips with keys, headers and every codec;
// Java's partition for keyed records; 1,000 concurrent sends kept in order; a broker restart mid-stream with
// nothing lost and nothing duplicated.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { Admin, KafkaClientError, Producer, partitionForKey } from '../../src/client/index.ts';
import type { BrokerConnection, CompressionName } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { openConnection, readPartition } from './producer-read-back.ts';

describe('producer against the seqlog broker', { timeout: 120_000 }, () => {
  let broker: RunningBroker;
  let reader: BrokerConnection;

  before(async () => {
    broker = await startBroker();
    reader = await openConnection(broker.bootstrap);
  });

  after(async () => {
    reader?.close();
    await broker?.close();
  });

  for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const satisfies readonly CompressionName[]) {
    it(`round-trips keys, values, headers and timestamps with compression ${compression}`, async () => {
      const producer = new Producer({ bootstrap: broker.bootstrap, compression });
      const topic = `round-trip-${compression}`;
      try {
        const metas = await producer.send(
          Array.from({ length: 20 }, (_, i) => ({
            topic,
            partition: 0,
            key: i % 5 === 0 ? null : `key-${i}`,
            value: i === 7 ? null : `value-${i}`.repeat(10),
            headers: [{ key: 'h', value: `${i}` }, { key: 'null-header', value: null }],
            timestamp: 1_700_000_000_000 + i,
          })),
        );
        assert.deepEqual(metas.map((m) => m.offset), Array.from({ length: 20 }, (_, i) => BigInt(i)));
        assert.ok(metas.every((m) => m.topic === topic && m.partition === 0));
        const stored = await readPartition(reader, topic);
        assert.equal(stored.length, 20);
        stored.forEach((record, i) => {
          assert.equal(record.key, i % 5 === 0 ? null : `key-${i}`);
          assert.equal(record.value, i === 7 ? null : `value-${i}`.repeat(10));
          assert.deepEqual(record.headers, [{ key: 'h', value: `${i}` }, { key: 'null-header', value: null }]);
          assert.equal(record.timestamp, 1_700_000_000_000n + BigInt(i));
          assert.equal(record.compression, ['none', 'gzip', 'snappy', 'lz4', 'zstd'].indexOf(compression));
          assert.ok(record.producerId >= 0n, 'idempotent by default: the batch carries a producer id');
          assert.equal(record.sequence, i);
        });
      } finally {
        await producer.close();
      }
    });
  }

  it("puts keyed records on Java's partition (murmur2) and acknowledges each send with its offset", async () => {
    const admin = await openConnection(broker.bootstrap);
    const created = await admin.send(ApiKey.CreateTopics, 7, { topics: [{ name: 'keyed', numPartitions: 6, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    admin.close();
    assert.equal(created.topics[0].errorCode, 0);
    const producer = new Producer({ bootstrap: broker.bootstrap });
    try {
      const keys = Array.from({ length: 60 }, (_, i) => `user-${i}`);
      const metas = await Promise.all(keys.map((key) => producer.send({ topic: 'keyed', key, value: key })));
      metas.forEach((meta, i) => assert.equal(meta.partition, partitionForKey(Buffer.from(keys[i]), 6), keys[i]));
      // Known Java outputs (UtilsTest.testMurmur2): "foobar" -> -790332482 -> toPositive % 6 = 1.
      const foobar = await producer.send({ topic: 'keyed', key: 'foobar', value: 'x' });
      assert.equal(foobar.partition, (-790332482 & 0x7fffffff) % 6);
      let total = 0;
      for (let p = 0; p < 6; p++) {
        const stored = await readPartition(reader, 'keyed', p);
        total += stored.length;
        for (const record of stored) if (record.key !== 'foobar') assert.equal(partitionForKey(Buffer.from(record.key as string), 6), p);
      }
      assert.equal(total, 61);
    } finally {
      await producer.close();
    }
  });

  it('1,000 concurrent sends on one partition store 1,000 distinct records in send order', async () => {
    const producer = new Producer({ bootstrap: broker.bootstrap, batchSize: 2048, lingerMs: 1 });
    try {
      const metas = await Promise.all(Array.from({ length: 1000 }, (_, i) => producer.send({ topic: 'concurrent', partition: 0, value: `m-${i}` })));
      assert.deepEqual(metas.map((m) => m.offset), Array.from({ length: 1000 }, (_, i) => BigInt(i)));
      const stored = await readPartition(reader, 'concurrent');
      assert.deepEqual(stored.map((r) => r.value), Array.from({ length: 1000 }, (_, i) => `m-${i}`));
      assert.ok(producer.metrics().requestsSent > 1, 'the records went in several requests');
    } finally {
      await producer.close();
    }
  });

  it('a caller sending 300,000 records without waiting, far past buffer.memory, gets every one stored in order', async () => {
    // Sends beyond buffer.memory wait in the producer's queue, here about 290,000 of them at once. Taken off the
    // queue with Array#shift this stalled for many minutes (quadratic); the timeout below only guards a hang.
    const producer = new Producer({ bootstrap: broker.bootstrap, bufferMemory: 1 << 20 });
    const count = 300_000;
    try {
      let last = -1n;
      let inOrder = true;
      await Promise.all(
        Array.from({ length: count }, (_, i) =>
          producer.send({ topic: 'unawaited', partition: 0, value: `u-${i}` }).then((meta) => {
            if (meta.offset !== last + 1n) inOrder = false;
            last = meta.offset;
          }),
        ),
      );
      assert.equal(last, BigInt(count - 1));
      assert.ok(inOrder, 'acknowledged in send order, at consecutive offsets');
      const stored = await readPartition(reader, 'unawaited');
      assert.equal(stored.length, count);
      assert.equal(stored[count - 1].value, `u-${count - 1}`);
    } finally {
      await producer.close();
    }
  });

  it('null keys stick to a partition; flush sends without waiting for linger', async () => {
    const producer = new Producer({ bootstrap: broker.bootstrap, lingerMs: 60_000 });
    try {
      const pending = Array.from({ length: 10 }, (_, i) => producer.send({ topic: 'sticky', value: `s-${i}` }));
      await producer.flush();
      const metas = await Promise.all(pending);
      assert.equal(new Set(metas.map((m) => m.partition)).size, 1);
      assert.deepEqual(metas.map((m) => m.offset), metas.map((_, i) => metas[0].offset + BigInt(i)));
      const metrics = producer.metrics();
      assert.equal(metrics.recordsSent, 10);
      assert.match(await producer.metricsPrometheus(), /kafka_producer_producer_metrics_record_send_total\{client_id="seqlog-producer"\} 10/);
    } finally {
      await producer.close();
    }
  });

  it('refuses explicit idempotence with acks=1 and turns default idempotence off instead', async () => {
    assert.throws(() => new Producer({ bootstrap: broker.bootstrap, idempotent: true, acks: 1 }), (error: unknown) => error instanceof KafkaClientError && error.kind === 'fatal' && /acks/.test(error.message));
    const producer = new Producer({ bootstrap: broker.bootstrap, acks: 1 });
    try {
      assert.equal(producer.idempotent, false);
      const meta = await producer.send({ topic: 'acks-one', partition: 0, value: 'v' });
      assert.equal(meta.offset, 0n);
      const stored = await readPartition(reader, 'acks-one');
      assert.equal(stored[0].producerId, -1n);
      assert.equal(stored[0].sequence, -1);
    } finally {
      await producer.close();
    }
  });

  it('an aborted signal rejects a send that is still waiting, and close refuses later sends', async () => {
    const producer = new Producer({ bootstrap: broker.bootstrap });
    const controller = new AbortController();
    controller.abort(new Error('caller gave up'));
    await assert.rejects(producer.send({ topic: 'abort', value: 'x' }, { signal: controller.signal }), /caller gave up/);
    await producer.close();
    await assert.rejects(producer.send({ topic: 'abort', value: 'x' }), (error: unknown) => error instanceof KafkaClientError && error.kind === 'fatal');
  });
  it('a trickle to 24 fresh partitions: every send resolves, each partition holds its records once, in order', async () => {
    // Each partition sends one batch alone until its first acknowledgement, then pipelines: sequences stay
    // contiguous per partition and no partition is left waiting.
    const topic = 'trickle-24';
    const partitions = 24;
    const rounds = 30;
    const admin = new Admin({ bootstrap: broker.bootstrap });
    try {
      await admin.createTopics([{ name: topic, partitions }]);
    } finally {
      await admin.close();
    }
    const producer = new Producer({ bootstrap: broker.bootstrap, lingerMs: 1 });
    const sends: Promise<unknown>[] = [];
    try {
      for (let round = 0; round < rounds; round++) {
        for (let partition = 0; partition < partitions; partition++) {
          // Liveness, not speed: a stalled partition would hold its sends for the 120 s delivery timeout.
          sends.push(withinMs(20_000, producer.send({ topic, partition, value: `p${partition}-${round}` }), `send ${partition}/${round}`));
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await Promise.all(sends);
    } finally {
      await producer.close();
    }
    for (let partition = 0; partition < partitions; partition++) {
      const stored = await readPartition(reader, topic, partition);
      assert.deepEqual(stored.map((r) => r.value), Array.from({ length: rounds }, (_, i) => `p${partition}-${i}`), `partition ${partition}`);
      assert.deepEqual(stored.map((r) => r.sequence), Array.from({ length: rounds }, (_, i) => i));
    }
  });
});

describe('producer across a broker restart', { timeout: 180_000 }, () => {
  // The broker goes down between flushes and stays down while sends continue: the producer must reconnect to the
  // same port, refresh metadata and deliver everything once, in order.
  it('loses nothing and duplicates nothing when the broker restarts mid-stream', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'seqlog-producer-restart-'));
    let broker = await startBroker({ dataDir });
    const port = broker.port;
    const producer = new Producer({ bootstrap: broker.bootstrap, lingerMs: 2, batchSize: 1024, retryBackoffMs: 50 });
    try {
      const total = 3000;
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < 1500; i++) sends.push(producer.send({ topic: 'restart', partition: 0, value: `r-${i}` }));
      await producer.flush();
      await broker.close();
      for (let i = 1500; i < total; i++) {
        sends.push(producer.send({ topic: 'restart', partition: 0, value: `r-${i}` }));
        if (i === 2000) await new Promise((resolve) => setTimeout(resolve, 300));
      }
      broker = await startBroker({ dataDir, port });
      const results = await Promise.allSettled(sends);
      const failed = results.filter((r) => r.status === 'rejected');
      assert.equal(failed.length, 0, `failed sends: ${failed.slice(0, 3).map((r) => String((r as PromiseRejectedResult).reason)).join('; ')}`);
      const connection = await openConnection(broker.bootstrap);
      const stored = await readPartition(connection, 'restart');
      connection.close();
      assert.deepEqual(stored.map((r) => r.value), Array.from({ length: total }, (_, i) => `r-${i}`));
      assert.ok(producer.metrics().recordRetries > 0, 'the producer had to retry while the broker was down');
    } finally {
      await producer.close();
      await broker.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  // The topic exists but has no record when the broker stops cleanly (the "in flight" test below hits this when
  // the producer's metadata request auto-created the topic and no Produce arrived before the shutdown): the
  // partition's index files are written empty, and the restarted broker must still append past the first index
  // entry. It used to fail that append with KAFKA_STORAGE_ERROR forever, and the batch expired.
  it('keeps producing after a restart that found the topic created and still empty', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'seqlog-producer-empty-restart-'));
    let broker = await startBroker({ dataDir });
    const port = broker.port;
    let producer: Producer | null = null;
    try {
      const creator = await openConnection(broker.bootstrap);
      const metadata = await creator.send(ApiKey.Metadata, creator.versionFor(ApiKey.Metadata, 4, 12) ?? 4, {
        topics: [{ topicId: Buffer.alloc(16), name: 'empty-restart' }],
        allowAutoTopicCreation: true,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      });
      creator.close();
      assert.ok((metadata.topics[0]?.partitions.length ?? 0) > 0, 'the topic was created');
      await broker.close();
      broker = await startBroker({ dataDir, port });
      const active = new Producer({ bootstrap: broker.bootstrap, lingerMs: 0, batchSize: 512, deliveryTimeoutMs: 10_000, requestTimeoutMs: 5_000 });
      producer = active;
      const total = 1000;
      const sends = Array.from({ length: total }, (_, i) => active.send({ topic: 'empty-restart', partition: 0, value: `r-${i}` }));
      const results = await Promise.allSettled(sends);
      const failed = results.filter((r) => r.status === 'rejected');
      assert.equal(failed.length, 0, `failed sends: ${failed.slice(0, 3).map((r) => String((r as PromiseRejectedResult).reason)).join('; ')}`);
      const connection = await openConnection(broker.bootstrap);
      const stored = await readPartition(connection, 'empty-restart');
      connection.close();
      assert.deepEqual(stored.map((r) => r.value), Array.from({ length: total }, (_, i) => `r-${i}`));
    } finally {
      await producer?.close();
      await broker.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  // The broker shuts down cleanly while batches are in flight: it answers what it already read before closing
  // (a clean shutdown drains), so no appended batch is left for a retry to meet after the restart.
  it('loses nothing and duplicates nothing when the broker shuts down with sends in flight', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'seqlog-producer-inflight-'));
    let broker = await startBroker({ dataDir });
    const port = broker.port;
    const producer = new Producer({ bootstrap: broker.bootstrap, lingerMs: 0, batchSize: 512, retryBackoffMs: 50 });
    try {
      const total = 3000;
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < total; i++) {
        sends.push(producer.send({ topic: 'inflight', partition: 0, value: `r-${i}` }));
        if (i === 1000) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          await broker.close();
          broker = await startBroker({ dataDir, port });
        }
      }
      const results = await Promise.allSettled(sends);
      const failed = results.filter((r) => r.status === 'rejected');
      assert.equal(failed.length, 0, `failed sends: ${failed.slice(0, 3).map((r) => String((r as PromiseRejectedResult).reason)).join('; ')}`);
      const connection = await openConnection(broker.bootstrap);
      const stored = await readPartition(connection, 'inflight');
      connection.close();
      assert.deepEqual(stored.map((r) => r.value), Array.from({ length: total }, (_, i) => `r-${i}`));
    } finally {
      await producer.close();
      await broker.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

function withinMs<T>(ms: number, pending: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not resolve within ${ms} ms`)), ms);
  });
  return Promise.race([pending, limit]).finally(() => clearTimeout(timer));
}
