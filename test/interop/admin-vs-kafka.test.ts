// seqlog's admin client against a real one-node Apache Kafka: the same scenario test/component/admin.test.ts runs
// against seqlog (create/describe/alter/delete topics and configs, offsets, delete records, producers, groups),
// and the transaction listing calls against a transaction Kafka's coordinator holds open.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startReferenceKafka, type ReferenceKafka } from '../reference/kafka.ts';
import { runAdminScenario } from '../component/admin-scenario.ts';
import { Admin, BrokerConnection, KafkaClientError } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { defaultAddPartitionsToTxnRequest } from '../../src/protocol/messages/generated/24-add-partitions-to-txn.ts';

/** Retries `step` while it throws (the transaction state topic is created on first use). */
async function eventually<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (attempt >= 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

describe('admin client against reference Apache Kafka, one node', { timeout: 300_000 }, () => {
  let kafka: ReferenceKafka;

  before(async () => {
    kafka = await startReferenceKafka({ brokers: 1 });
  });

  after(async () => {
    await kafka?.stop();
  });

  it('runs the shared admin scenario', async () => {
    await runAdminScenario(kafka.bootstrap, 'kafka');
  });

  it('lists and describes an open transaction', async () => {
    const [host, port] = kafka.bootstrap.split(',')[0].split(':');
    const connection = await BrokerConnection.open({ host, port: Number(port), clientId: 'admin-txn-test' });
    const admin = new Admin({ bootstrap: kafka.bootstrap });
    const transactionalId = 'admin-open-txn';
    try {
      await connection.negotiateApiVersions();
      await admin.createTopics([{ name: 'admin-txn-topic', partitions: 1 }]);
      // A transaction with one partition added and nothing committed: Ongoing at the coordinator (single node).
      // FindCoordinator is what makes Kafka create its transaction state topic.
      await eventually(async () => {
        const response = await connection.send(ApiKey.FindCoordinator, 4, { key: '', keyType: 1, coordinatorKeys: [transactionalId] });
        assert.equal(response.coordinators[0]?.errorCode, 0);
      });
      const initialized = await eventually(async () => {
        const response = await connection.send(ApiKey.InitProducerId, connection.versionFor(ApiKey.InitProducerId, 0, 5) ?? 0, {
          transactionalId, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1,
        });
        assert.equal(response.errorCode, 0);
        return response;
      });
      await eventually(async () => {
        const response = await connection.send(ApiKey.AddPartitionsToTxn, connection.versionFor(ApiKey.AddPartitionsToTxn, 0, 3) ?? 0, {
          ...defaultAddPartitionsToTxnRequest(),
          v3AndBelowTransactionalId: transactionalId,
          v3AndBelowProducerId: initialized.producerId,
          v3AndBelowProducerEpoch: initialized.producerEpoch,
          v3AndBelowTopics: [{ name: 'admin-txn-topic', partitions: [0] }],
        });
        assert.equal(response.resultsByTopicV3AndBelow[0]?.resultsByPartition[0]?.partitionErrorCode, 0);
      });
      const listed = await admin.listTransactions();
      const entry = listed.find((t) => t.transactionalId === transactionalId);
      assert.equal(entry?.state, 'Ongoing');
      assert.equal(entry?.producerId, initialized.producerId);
      assert.deepEqual((await admin.listTransactions({ states: ['PrepareCommit'] })).filter((t) => t.transactionalId === transactionalId), []);
      const [described] = await admin.describeTransactions([transactionalId]);
      assert.equal(described.state, 'Ongoing');
      assert.equal(described.producerEpoch, initialized.producerEpoch);
      assert.equal(described.transactionTimeoutMs, 60000);
      assert.deepEqual(described.partitions, [{ topic: 'admin-txn-topic', partition: 0 }]);
      await assert.rejects(admin.describeTransactions(['no-such-transactional-id']), (error: unknown) => error instanceof KafkaClientError && error.errorName === 'TRANSACTIONAL_ID_NOT_FOUND');
    } finally {
      connection.close();
      await admin.close();
    }
  });
});
