// seqlog's producer against a real one-node Apache Kafka: idempotent by default, and every record stored
// exactly once, in send order, with Kafka's producer id and sequences; a trickle to many partitions of a topic
// created a moment before keeps every partition moving.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startReferenceKafka, type ReferenceKafka } from '../reference/kafka.ts';
import { Admin, Producer, type RecordMetadata } from '../../src/client/index.ts';
import { openConnection, readPartition } from '../component/producer-read-back.ts';

describe('producer against reference Apache Kafka, one node', { timeout: 300_000 }, () => {
  let kafka: ReferenceKafka;

  before(async () => {
    kafka = await startReferenceKafka({ brokers: 1 });
  });

  after(async () => {
    await kafka?.stop();
  });

  it('produces N records idempotently; they read back exactly once, in order', async () => {
    const producer = new Producer({ bootstrap: kafka.bootstrap, batchSize: 4096, compression: 'lz4' });
    const count = 2000;
    try {
      const metas = await Promise.all(Array.from({ length: count }, (_, i) => producer.send({ topic: 'seqlog-producer-interop', partition: 0, key: `k${i % 7}`, value: `v-${i}` })));
      assert.deepEqual(metas.map((m) => m.offset), Array.from({ length: count }, (_, i) => BigInt(i)));
      assert.ok(producer.producerIdAndEpoch !== null && producer.producerIdAndEpoch.producerId >= 0n);
    } finally {
      await producer.close();
    }
    const connection = await openConnection(kafka.bootstrap);
    try {
      const stored = await readPartition(connection, 'seqlog-producer-interop');
      assert.deepEqual(stored.map((r) => r.value), Array.from({ length: count }, (_, i) => `v-${i}`));
      assert.deepEqual(stored.map((r) => r.sequence), Array.from({ length: count }, (_, i) => i));
      assert.equal(new Set(stored.map((r) => r.producerId)).size, 1);
    } finally {
      connection.close();
    }
  });

  it('a trickle to 24 fresh partitions: every send resolves, each partition holds its records once, in order', async () => {
    // A topic created just before: the first Produce to a partition can meet a leader that is not ready yet
    // (NOT_LEADER_OR_FOLLOWER) while a later request for it succeeds; the producer must not let a later batch
    // overtake the first, or the first is refused as out of order until delivery.timeout.ms.
    const topic = 'seqlog-producer-trickle';
    const partitions = 24;
    const rounds = 40;
    const admin = new Admin({ bootstrap: kafka.bootstrap });
    try {
      await admin.createTopics([{ name: topic, partitions }]);
    } finally {
      await admin.close();
    }
    const producer = new Producer({ bootstrap: kafka.bootstrap, lingerMs: 1 });
    const sends: Promise<RecordMetadata>[] = [];
    try {
      for (let round = 0; round < rounds; round++) {
        for (let partition = 0; partition < partitions; partition++) {
          // Liveness, not speed: a stalled partition would hold its sends for the 120 s delivery timeout.
          sends.push(withinMs(20_000, producer.send({ topic, partition, value: `p${partition}-${round}` }), `send ${partition}/${round}`));
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const metas = await Promise.all(sends);
      for (let partition = 0; partition < partitions; partition++) {
        const offsets = metas.filter((m) => m.partition === partition).map((m) => m.offset);
        assert.deepEqual(offsets, Array.from({ length: rounds }, (_, i) => BigInt(i)), `offsets of partition ${partition}`);
      }
    } finally {
      await producer.close();
    }
    const connection = await openConnection(kafka.bootstrap);
    try {
      for (let partition = 0; partition < partitions; partition++) {
        const stored = await readPartition(connection, topic, partition);
        assert.deepEqual(stored.map((r) => r.value), Array.from({ length: rounds }, (_, i) => `p${partition}-${i}`), `partition ${partition}`);
        assert.deepEqual(stored.map((r) => r.sequence), Array.from({ length: rounds }, (_, i) => i));
      }
    } finally {
      connection.close();
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
