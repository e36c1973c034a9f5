// The admin client against seqlog: the shared scenario (also run against Apache Kafka in test/interop), plus what
// only seqlog answers (compaction refused until it exists, option checks).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

describe('dynamic broker configs against seqlog', () => {
  const rejectsWith = (promise: Promise<unknown>, errorName: string, message: RegExp) =>
    assert.rejects(promise, (error: unknown) => error instanceof KafkaClientError && error.errorName === errorName && message.test(error.message));

  it('sets per-broker and cluster-default log configs that apply at once and survive a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'seqlog-dynamic-configs-'));
    let broker = await startBroker({ dataDir, topics: [{ name: 'dyn' }] });
    try {
      let admin = new Admin({ bootstrap: broker.bootstrap });
      try {
        await admin.incrementalAlterConfigs({ type: 'broker', name: '1' }, [{ name: 'log.retention.ms', operation: 'set', value: '3600000' }]);
        await admin.incrementalAlterConfigs({ type: 'broker', name: '' }, [{ name: 'message.max.bytes', operation: 'set', value: '2000' }]);
        const [perBroker] = await admin.describeConfigs([{ type: 'broker', name: '1' }], { names: ['log.retention.ms', 'message.max.bytes'], includeSynonyms: true });
        assert.deepEqual(perBroker.entries.map((entry) => [entry.name, entry.value, entry.source, entry.readOnly, entry.synonyms.map((s) => `${s.source}:${s.name}=${s.value}`)]), [
          ['log.retention.ms', '3600000', 'DYNAMIC_BROKER_CONFIG', false, ['DYNAMIC_BROKER_CONFIG:log.retention.ms=3600000', 'DEFAULT_CONFIG:log.retention.hours=168']],
          ['message.max.bytes', '2000', 'DYNAMIC_DEFAULT_BROKER_CONFIG', false, ['DYNAMIC_DEFAULT_BROKER_CONFIG:message.max.bytes=2000', 'DEFAULT_CONFIG:message.max.bytes=1048588']],
        ]);
        const [clusterDefault] = await admin.describeConfigs([{ type: 'broker', name: '' }]);
        assert.deepEqual(clusterDefault.entries.map((entry) => [entry.name, entry.value, entry.source]), [['message.max.bytes', '2000', 'DYNAMIC_DEFAULT_BROKER_CONFIG']]);
        const [topic] = await admin.describeConfigs([{ type: 'topic', name: 'dyn' }], { names: ['retention.ms', 'max.message.bytes'] });
        assert.deepEqual(topic.entries.map((entry) => [entry.name, entry.value, entry.source]), [['max.message.bytes', '2000', 'DYNAMIC_DEFAULT_BROKER_CONFIG'], ['retention.ms', '3600000', 'DYNAMIC_BROKER_CONFIG']]);

        // Taken at once by the topic's logs: a batch above the new message.max.bytes is refused.
        const producer = new Producer({ bootstrap: broker.bootstrap });
        try {
          await producer.send({ topic: 'dyn', partition: 0, value: 'small' });
          await rejectsWith(producer.send({ topic: 'dyn', partition: 0, value: 'x'.repeat(3000) }), 'MESSAGE_TOO_LARGE', /./);
        } finally {
          await producer.close();
        }

        await rejectsWith(admin.incrementalAlterConfigs({ type: 'broker', name: '1' }, [{ name: 'node.id', operation: 'set', value: '7' }, { name: 'num.partitions', operation: 'set', value: '3' }]), 'INVALID_REQUEST', /Cannot update these configs dynamically: Set\(node.id, num.partitions\)/);
        await rejectsWith(admin.incrementalAlterConfigs({ type: 'broker', name: '1' }, [{ name: 'log.segment.bytes', operation: 'set', value: 'abc' }]), 'INVALID_REQUEST', /./);
      } finally {
        await admin.close();
      }

      await broker.close();
      broker = await startBroker({ dataDir });
      admin = new Admin({ bootstrap: broker.bootstrap });
      try {
        const [afterRestart] = await admin.describeConfigs([{ type: 'topic', name: 'dyn' }], { names: ['retention.ms', 'max.message.bytes'] });
        assert.deepEqual(afterRestart.entries.map((entry) => [entry.name, entry.value, entry.source]), [['max.message.bytes', '2000', 'DYNAMIC_DEFAULT_BROKER_CONFIG'], ['retention.ms', '3600000', 'DYNAMIC_BROKER_CONFIG']]);
        await admin.incrementalAlterConfigs({ type: 'broker', name: '1' }, [{ name: 'log.retention.ms', operation: 'delete' }]);
        await admin.incrementalAlterConfigs({ type: 'broker', name: '' }, [{ name: 'message.max.bytes', operation: 'delete' }]);
        const [reverted] = await admin.describeConfigs([{ type: 'topic', name: 'dyn' }], { names: ['retention.ms', 'max.message.bytes'] });
        assert.deepEqual(reverted.entries.map((entry) => [entry.name, entry.value, entry.source]), [['max.message.bytes', '1048588', 'DEFAULT_CONFIG'], ['retention.ms', '604800000', 'DEFAULT_CONFIG']]);
        const producer = new Producer({ bootstrap: broker.bootstrap });
        try {
          await producer.send({ topic: 'dyn', partition: 0, value: 'x'.repeat(3000) });
        } finally {
          await producer.close();
        }
      } finally {
        await admin.close();
      }
    } finally {
      await broker.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
