// One admin-client scenario, run against seqlog (test/component/admin.test.ts) and Apache Kafka
// (test/interop/admin-vs-kafka.test.ts): every check holds on both brokers.
import assert from 'node:assert/strict';
import { Admin, KafkaClientError, Producer } from '../../src/client/index.ts';

async function rejectsWith(promise: Promise<unknown>, errorName: string): Promise<KafkaClientError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof KafkaClientError, `expected a KafkaClientError, got ${String(error)}`);
    assert.equal(error.errorName, errorName, error.message);
    return error;
  }
  assert.fail(`expected ${errorName}`);
}

/** Retries `check` while it throws (metadata reaching every broker takes a moment on Kafka). */
async function eventually<T>(check: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await check();
    } catch (error) {
      if (attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

export async function runAdminScenario(bootstrap: string, suffix: string): Promise<void> {
  const admin = new Admin({ bootstrap, timeoutMs: 30000 });
  const topic = `admin-${suffix}`;
  const group = `admin-group-${suffix}`;
  try {
    // cluster
    const cluster = await admin.describeCluster();
    assert.ok(cluster.clusterId.length > 0);
    assert.equal(cluster.brokers.length, 1);
    const brokerId = String(cluster.brokers[0].nodeId);

    // topics: create with configs, refused configs, list, describe, partitions
    const created = await admin.createTopics([{ name: topic, partitions: 2, configs: { 'retention.ms': '3600000' } }]);
    assert.equal(created[0].partitions, 2);
    assert.equal(created[0].replicationFactor, 1);
    assert.ok(created[0].topicId !== null);
    await rejectsWith(admin.createTopics([{ name: topic, partitions: 1 }]), 'TOPIC_ALREADY_EXISTS');
    await rejectsWith(admin.createTopics([{ name: `${topic}-bad`, configs: { 'retention.ms': 'soon' } }]), 'INVALID_CONFIG');
    await rejectsWith(admin.createTopics([{ name: `${topic}-bad`, replicationFactor: 3 }]), 'INVALID_REPLICATION_FACTOR');
    const validated = await admin.createTopics([{ name: `${topic}-dry`, partitions: 3 }], { validateOnly: true });
    assert.equal(validated[0].partitions, 3);
    const listed = await eventually(async () => {
      const topics = await admin.listTopics();
      assert.ok(topics.some((t) => t.name === topic));
      return topics;
    });
    assert.ok(!listed.some((t) => t.name === `${topic}-dry`), 'validateOnly created nothing');
    assert.ok(!listed.some((t) => t.internal), 'internal topics are listed only on request');
    const [described] = await eventually(() => admin.describeTopics([topic]));
    assert.deepEqual(described.partitions.map((p) => p.partition), [0, 1]);
    assert.deepEqual(described.partitions[0].replicas, [Number(brokerId)]);
    await rejectsWith(admin.describeTopics([`${topic}-missing`]), 'UNKNOWN_TOPIC_OR_PARTITION');
    await admin.createPartitions({ [topic]: 3 });
    await eventually(async () => assert.equal((await admin.describeTopics([topic]))[0].partitions.length, 3));
    await rejectsWith(admin.createPartitions({ [topic]: 2 }), 'INVALID_PARTITIONS');

    // configs: describe with synonyms, incremental alter (set, delete), errors
    const [topicConfigs] = await admin.describeConfigs([{ type: 'topic', name: topic }], { includeSynonyms: true, includeDocumentation: true });
    const retention = topicConfigs.entries.find((entry) => entry.name === 'retention.ms');
    assert.equal(retention?.value, '3600000');
    assert.equal(retention?.source, 'DYNAMIC_TOPIC_CONFIG');
    assert.equal(retention?.synonyms[0]?.source, 'DYNAMIC_TOPIC_CONFIG');
    const maxMessageBytes = topicConfigs.entries.find((entry) => entry.name === 'max.message.bytes');
    assert.equal(maxMessageBytes?.source, 'DEFAULT_CONFIG');
    assert.deepEqual(maxMessageBytes?.synonyms, [{ name: 'message.max.bytes', value: '1048588', source: 'DEFAULT_CONFIG' }]);
    assert.ok(!topicConfigs.entries.some((entry) => entry.name.startsWith('log.')), 'topic configs under topic names only');
    assert.ok(typeof retention?.documentation === 'string' && retention.documentation.length > 0);
    const segmentBytes = topicConfigs.entries.find((entry) => entry.name === 'segment.bytes');
    assert.equal(segmentBytes?.source, 'DEFAULT_CONFIG');
    await admin.incrementalAlterConfigs({ type: 'topic', name: topic }, [
      { name: 'retention.ms', operation: 'delete' },
      { name: 'max.message.bytes', operation: 'set', value: '200000' },
    ]);
    const [altered] = await eventually(async () => {
      const result = await admin.describeConfigs([{ type: 'topic', name: topic }], { names: ['retention.ms', 'max.message.bytes'] });
      assert.equal(result[0].entries.find((entry) => entry.name === 'max.message.bytes')?.value, '200000');
      return result;
    });
    assert.equal(altered.entries.find((entry) => entry.name === 'retention.ms')?.source, 'DEFAULT_CONFIG');
    await rejectsWith(admin.incrementalAlterConfigs({ type: 'topic', name: topic }, [{ name: 'no.such.config', operation: 'set', value: '1' }]), 'INVALID_CONFIG');
    await rejectsWith(admin.incrementalAlterConfigs({ type: 'topic', name: topic }, [{ name: 'retention.ms', operation: 'append', value: '1' }]), 'INVALID_CONFIG');
    await rejectsWith(admin.incrementalAlterConfigs({ type: 'topic', name: `${topic}-missing` }, [{ name: 'retention.ms', operation: 'set', value: '1' }]), 'UNKNOWN_TOPIC_OR_PARTITION');
    const [brokerConfigs] = await admin.describeConfigs([{ type: 'broker', name: brokerId }]);
    for (const name of ['num.partitions', 'message.max.bytes', 'log.segment.bytes', 'auto.create.topics.enable']) {
      assert.ok(brokerConfigs.entries.some((entry) => entry.name === name), `broker config ${name}`);
    }
    assert.ok(!brokerConfigs.entries.some((entry) => entry.name === 'log.flush.policy'), 'only Kafka config names');

    // offsets: produce, list, delete records
    const producer = new Producer({ bootstrap });
    try {
      for (let i = 0; i < 5; i++) await producer.send({ topic, partition: 0, value: `v${i}`, timestamp: 1000 + i });
    } finally {
      await producer.close();
    }
    const offsets = await admin.listOffsets([
      { topic, partition: 0, spec: 'earliest' },
      { topic, partition: 0, spec: 'latest' },
      { topic, partition: 0, spec: 'max-timestamp' },
      { topic, partition: 1, spec: { timestamp: 0n } },
    ]);
    const offsetOf = (partition: number, index: number) => offsets.filter((o) => o.partition === partition)[index]?.offset;
    assert.equal(offsetOf(0, 0), 0n);
    assert.equal(offsetOf(0, 1), 5n);
    assert.equal(offsetOf(0, 2), 4n);
    assert.equal(offsetOf(1, 0), -1n);
    const deleted = await admin.deleteRecords([{ topic, partition: 0, beforeOffset: 2n }]);
    assert.deepEqual(deleted, [{ topic, partition: 0, lowWatermark: 2n }]);
    const [earliest] = await admin.listOffsets([{ topic, partition: 0, spec: 'earliest' }]);
    assert.equal(earliest.offset, 2n);

    // producers
    const [producers] = await admin.describeProducers([{ topic, partition: 0 }]);
    assert.equal(producers.producers.length, 1);
    assert.equal(producers.producers[0].lastSequence, 4);

    // groups: committed offsets of an empty group, list, describe, delete
    await admin.alterConsumerGroupOffsets(group, [{ topic, partition: 0, offset: 3n }, { topic, partition: 1, offset: 0n }]);
    const committed = await admin.listConsumerGroupOffsets(group);
    assert.deepEqual(committed.map((c) => [c.topic, c.partition, c.offset]), [[topic, 0, 3n], [topic, 1, 0n]]);
    const groups = await eventually(async () => {
      const list = await admin.listGroups();
      assert.ok(list.some((g) => g.groupId === group));
      return list;
    });
    assert.equal(groups.find((g) => g.groupId === group)?.state, 'Empty');
    const [describedGroup] = await admin.describeGroups([group]);
    assert.equal(describedGroup.state, 'Empty');
    assert.deepEqual(describedGroup.members, []);
    await admin.deleteGroups([group]);
    assert.deepEqual(await admin.listConsumerGroupOffsets(group), []);

    // delete
    await admin.deleteTopics([topic]);
    await eventually(async () => assert.ok(!(await admin.listTopics()).some((t) => t.name === topic)));
    await rejectsWith(admin.deleteTopics([topic]), 'UNKNOWN_TOPIC_OR_PARTITION');
  } finally {
    await admin.close();
  }
}
