// seqlog bounds the producers it tracks per partition (`producer.id.max.per.partition`; Kafka has no bound and
// relies on expiration alone): past the bound the least recently used producer is forgotten, and the broker's
// metrics show how many are tracked and how many were evicted.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../../src/broker/index.ts';
import { BrokerConnection } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { encodeRecordBatch } from '../../src/protocol/records/index.ts';

it('tracks at most producer.id.max.per.partition producers and counts evictions', async () => {
  const broker = await startBroker({ maxProducerIdsPerPartition: 2 });
  const connection = await BrokerConnection.open({ host: '127.0.0.1', port: broker.port });
  try {
    await connection.send(ApiKey.CreateTopics, 7, { topics: [{ name: 'bounded', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
    for (let i = 0; i < 3; i++) {
      const { producerId } = await connection.send(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
      const records = encodeRecordBatch({ records: [{ key: null, value: Buffer.from(`p${i}`), timestamp: BigInt(Date.now()) }], producerId, producerEpoch: 0, baseSequence: 0 });
      const response = await connection.send(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'bounded', partitionData: [{ index: 0, records }] }] });
      assert.equal(response.responses[0].partitionResponses[0].errorCode, 0);
    }
    const metrics = broker.metrics();
    assert.equal(metrics.producerIdCount, 2);
    assert.equal(metrics.evictedProducerIds, 1);
    assert.equal(metrics.connections, 1);
    const described = await connection.send(ApiKey.DescribeProducers, 0, { topics: [{ name: 'bounded', partitionIndexes: [0] }] });
    assert.equal(described.topics[0].partitions[0].activeProducers.length, 2);
  } finally {
    connection.close();
    await broker.close();
  }
});
