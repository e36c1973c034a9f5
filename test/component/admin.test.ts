// The admin client against seqlog: the shared scenario (also run against Apache Kafka in test/interop), plus what
// only seqlog answers (compaction refused until it exists, option checks).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { Admin, KafkaClientError, Producer } from '../../src/client/index.ts';
import { runAdminScenario } from './admin-scenario.ts';

describe('admin client against seqlog', () => {
  let broker: RunningBroker;
  before(async () => {
    broker = await startBroker();
  });
  after(() => broker.close());

  it('runs the shared admin scenario', async () => {
    await runAdminScenario(broker.bootstrap, 'seqlog');
  });

  it('accepts cleanup.policy=compact at create and at alter (the log cleaner implements it), refuses an unknown policy', async () => {
    const admin = new Admin({ bootstrap: broker.bootstrap });
    try {
      await admin.createTopics([{ name: 'compacted', configs: { 'cleanup.policy': 'compact' } }]);
      await assert.rejects(admin.createTopics([{ name: 'shredded', configs: { 'cleanup.policy': 'shred' } }]), (error: unknown) => {
        assert.ok(error instanceof KafkaClientError);
        assert.equal(error.errorName, 'INVALID_CONFIG');
        assert.match(error.message, /Invalid value shred for configuration cleanup\.policy/);
        return true;
      });
      await admin.createTopics([{ name: 'deleting', configs: { 'cleanup.policy': 'delete' } }]);
      await admin.incrementalAlterConfigs({ type: 'topic', name: 'deleting' }, [{ name: 'cleanup.policy', operation: 'append', value: 'compact' }]);
      const [described] = await admin.describeConfigs([{ type: 'topic', name: 'deleting' }], { names: ['cleanup.policy'] });
      assert.equal(described.entries[0].value, 'delete,compact');
      assert.equal(described.entries[0].source, 'DYNAMIC_TOPIC_CONFIG');
    } finally {
      await admin.close();
    }
  });

  it('refuses altering a broker config (none is dynamic here) with INVALID_REQUEST', async () => {
    const admin = new Admin({ bootstrap: broker.bootstrap });
    try {
      await assert.rejects(
        admin.incrementalAlterConfigs({ type: 'broker', name: '1' }, [{ name: 'log.retention.ms', operation: 'set', value: '1000' }]),
        (error: unknown) => error instanceof KafkaClientError && error.errorName === 'INVALID_REQUEST' && /Cannot update these configs dynamically/.test(error.message),
      );
    } finally {
      await admin.close();
    }
  });

  it('checks its options by name', () => {
    assert.throws(() => new Admin({ bootstrap: 'localhost:9092', timeoutMS: 5 } as never), /unknown admin option 'timeoutMS'; did you mean 'timeoutMs'\?/);
    assert.throws(() => new Admin({ bootstrap: 'nohost' }), /not host:port/);
  });
});

describe('admin client transactions against seqlog', () => {
  it('lists and describes an open transaction, and sees it gone once aborted', async () => {
    const broker = await startBroker({ topics: [{ name: 'txn-admin' }] });
    const admin = new Admin({ bootstrap: broker.bootstrap });
    const producer = new Producer({ bootstrap: broker.bootstrap, transactionalId: 'admin-open' });
    try {
      await producer.beginTransaction();
      await producer.send({ topic: 'txn-admin', partition: 0, value: 'pending' });
      const listed = await admin.listTransactions();
      assert.deepEqual(listed.map((t) => [t.transactionalId, t.state]), [['admin-open', 'Ongoing']]);
      assert.equal(listed[0].producerId, producer.producerIdAndEpoch?.producerId);
      const [described] = await admin.describeTransactions(['admin-open']);
      assert.equal(described.state, 'Ongoing');
      assert.deepEqual(described.partitions, [{ topic: 'txn-admin', partition: 0 }]);
      assert.ok(described.transactionStartTimeMs > 0n);
      await producer.abortTransaction();
      const ongoing = await admin.listTransactions({ states: ['Ongoing'] });
      assert.deepEqual(ongoing, []);
      await assert.rejects(admin.describeTransactions(['no-such-id']), (error: unknown) => error instanceof KafkaClientError && error.errorName === 'TRANSACTIONAL_ID_NOT_FOUND');
    } finally {
      await producer.close();
      await admin.close();
      await broker.close();
    }
  });
});
