// Consumer groups with KafkaJS 2.2.4 (JoinGroup v5 with MEMBER_ID_REQUIRED, SyncGroup v3, Heartbeat v3,
// OffsetCommit v5, OffsetFetch v4, LeaveGroup v2) against the real broker over 127.0.0.1: consume everything
// through a group, commit, resume from the committed offset after the consumer restarts and after the broker
// restarts, split partitions between two members, and the admin views of groups.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Consumer, type EachMessagePayload, type Producer } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'seqlog-groups-kafkajs-'));
let broker: RunningBroker;

function client(): Kafka {
  return new Kafka({ clientId: 'group-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 50 } });
}

/** Short timeouts so that rebalances and long polls take milliseconds, not seconds. */
function newConsumer(kafka: Kafka, groupId: string): Consumer {
  return kafka.consumer({ groupId, sessionTimeout: 6000, rebalanceTimeout: 5000, heartbeatInterval: 100, maxWaitTimeInMs: 50 });
}

async function produce(producer: Producer, topic: string, values: string[], partition?: number): Promise<void> {
  await producer.send({ topic, messages: values.map((value) => ({ value, ...(partition === undefined ? {} : { partition }) })) });
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs a consumer until `count` messages arrived; returns their values in arrival order. */
async function consume(kafka: Kafka, groupId: string, topic: string, count: number): Promise<{ consumer: Consumer; values: string[] }> {
  const consumer = newConsumer(kafka, groupId);
  const values: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ message, partition }: EachMessagePayload) => {
      values.push(message.value?.toString() ?? '');
      await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
    },
  });
  await waitFor(() => values.length >= count, `${count} messages`);
  return { consumer, values };
}

before(async () => {
  broker = await startBroker({ dataDir });
});

after(async () => {
  await broker.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('consumer groups with KafkaJS', () => {
  it('consumes through a group, commits, and resumes from the committed offset after a consumer restart', async () => {
    const kafka = client();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'resume', numPartitions: 2 }] });
    const producer = kafka.producer({ idempotent: false });
    await producer.connect();
    const first = Array.from({ length: 20 }, (_, i) => `first-${i}`);
    await produce(producer, 'resume', first.slice(0, 10), 0);
    await produce(producer, 'resume', first.slice(10), 1);

    const run1 = await consume(kafka, 'resume-group', 'resume', first.length);
    assert.deepEqual([...run1.values].sort(), [...first].sort());
    await run1.consumer.disconnect();

    const committed = await admin.fetchOffsets({ groupId: 'resume-group', topics: ['resume'] });
    assert.deepEqual(
      committed[0].partitions.map((p) => [p.partition, p.offset]).sort(),
      [
        [0, '10'],
        [1, '10'],
      ],
    );

    const second = ['second-0', 'second-1', 'second-2'];
    await produce(producer, 'resume', second, 0);
    const run2 = await consume(kafka, 'resume-group', 'resume', second.length);
    // Give a wrongly reset consumer the chance to deliver old records too.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(run2.values, second);
    await run2.consumer.disconnect();
    await producer.disconnect();
    await admin.disconnect();
  });

  it('keeps committed offsets across a broker restart', async () => {
    let kafka = client();
    let admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'durable', numPartitions: 1 }] });
    const producer = kafka.producer({ idempotent: false });
    await producer.connect();
    await produce(producer, 'durable', ['a', 'b', 'c']);
    const run1 = await consume(kafka, 'durable-group', 'durable', 3);
    await run1.consumer.disconnect();
    await producer.disconnect();
    await admin.disconnect();

    await broker.close();
    broker = await startBroker({ dataDir });
    kafka = client();
    admin = kafka.admin();
    await admin.connect();
    const committed = await admin.fetchOffsets({ groupId: 'durable-group', topics: ['durable'] });
    assert.deepEqual(committed[0].partitions, [{ partition: 0, offset: '3', metadata: null }]);

    const restartedProducer = kafka.producer({ idempotent: false });
    await restartedProducer.connect();
    await produce(restartedProducer, 'durable', ['d']);
    const run2 = await consume(kafka, 'durable-group', 'durable', 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(run2.values, ['d']);
    await run2.consumer.disconnect();
    await restartedProducer.disconnect();
    await admin.disconnect();
  });

  it('splits the partitions between two members and hands them all to the survivor when one leaves', async () => {
    const kafka = client();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'split', numPartitions: 2 }] });
    const assignments = new Map<string, number[]>();
    const received = new Map<string, string[]>();
    const start = async (name: string) => {
      const consumer = newConsumer(kafka, 'split-group');
      received.set(name, []);
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        assignments.set(name, [...(event.payload.memberAssignment.split ?? [])].sort());
      });
      await consumer.connect();
      await consumer.subscribe({ topic: 'split', fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void received.get(name)?.push(message.value?.toString() ?? '') });
      return consumer;
    };
    const a = await start('a');
    await waitFor(() => assignments.get('a')?.length === 2, 'the first member to own both partitions');
    const b = await start('b');
    await waitFor(
      () => assignments.get('a')?.length === 1 && assignments.get('b')?.length === 1,
      'the two members to own one partition each',
    );
    assert.notDeepEqual(assignments.get('a'), assignments.get('b'));

    const described = await admin.describeGroups(['split-group']);
    assert.equal(described.groups[0].state, 'Stable');
    assert.equal(described.groups[0].protocolType, 'consumer');
    assert.equal(described.groups[0].members.length, 2);

    const producer = kafka.producer({ idempotent: false });
    await producer.connect();
    await produce(producer, 'split', ['p0-0', 'p0-1'], 0);
    await produce(producer, 'split', ['p1-0', 'p1-1'], 1);
    await waitFor(() => (received.get('a')?.length ?? 0) + (received.get('b')?.length ?? 0) === 4, 'all four messages');
    // Each member saw exactly the records of its own partition.
    for (const name of ['a', 'b']) {
      const [partition] = assignments.get(name) ?? [];
      assert.deepEqual(received.get(name), [`p${partition}-0`, `p${partition}-1`]);
    }

    await b.disconnect();
    await waitFor(() => assignments.get('a')?.length === 2, 'the survivor to own both partitions again');
    await a.disconnect();
    await producer.disconnect();

    const groups = await admin.listGroups();
    assert.ok(groups.groups.some((group) => group.groupId === 'split-group' && group.protocolType === 'consumer'));
    const empty = await admin.describeGroups(['split-group']);
    assert.equal(empty.groups[0].state, 'Empty');
    await admin.deleteGroups(['split-group']);
    const afterDelete = await admin.listGroups();
    assert.ok(!afterDelete.groups.some((group) => group.groupId === 'split-group'));
    await admin.disconnect();
  });
});
