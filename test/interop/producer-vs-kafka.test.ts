// seqlog's producer against a real one-node Apache Kafka: idempotent by default, and every record stored
// exactly once, in send order, with Kafka's producer id and sequences.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startReferenceKafka, type ReferenceKafka } from '../reference/kafka.ts';
import { Producer } from '../../src/client/index.ts';
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
});
