// Consumer groups with @platformatic/kafka 1.x (flexible versions: JoinGroup v9, SyncGroup v5, Heartbeat v4,
// LeaveGroup v5, OffsetCommit v9, OffsetFetch v9 with several groups) against the real broker: consume through
// a group, commit, resume from the committed offset after a restart of the consumer; two members split the
// partitions; admin offsets (commit with generation -1, fetch, delete) and group listing with a state filter.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers, type MessagesStream } from '@platformatic/kafka';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';

let broker: RunningBroker;
const clients: { close(): Promise<void> }[] = [];

function track<T extends { close(): Promise<void> }>(client: T): T {
  clients.push(client);
  return client;
}

function newConsumer(groupId: string): Consumer<string, string, string, string> {
  return track(
    new Consumer({
      groupId,
      clientId: `consumer-${groupId}`,
      bootstrapBrokers: [broker.bootstrap],
      deserializers: stringDeserializers,
      sessionTimeout: 6000,
      rebalanceTimeout: 6000,
      heartbeatInterval: 100,
      maxWaitTime: 50,
    }),
  );
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function consumeAndCommit(
  stream: MessagesStream<string, string, string, string>,
  count: number,
): Promise<string[]> {
  const values: string[] = [];
  for await (const message of stream) {
    values.push(message.value);
    await message.commit();
    if (values.length === count) break;
  }
  return values;
}

before(async () => {
  broker = await startBroker();
});

after(async () => {
  for (const client of clients.reverse()) await client.close().catch(() => undefined);
  await broker.close();
});

describe('consumer groups with @platformatic/kafka', () => {
  // @platformatic/kafka 1.x cannot skip tagged fields in a Fetch response, so this also guards that a successful
  // fetch carries no CurrentLeader tagged field (Kafka sets it only with NOT_LEADER_OR_FOLLOWER, KIP-951).
  it('consumes through a group, commits, and resumes from the committed offset', async () => {
    const admin = track(new Admin({ clientId: 'admin', bootstrapBrokers: [broker.bootstrap] }));
    await admin.createTopics({ topics: ['pl-resume'], partitions: 2 });
    const producer = track(new Producer({ clientId: 'producer', bootstrapBrokers: [broker.bootstrap], serializers: stringSerializers }));
    const first = Array.from({ length: 12 }, (_, i) => `first-${i}`);
    await producer.send({ messages: first.map((value, i) => ({ topic: 'pl-resume', value, partition: i % 2 })) });

    const consumer1 = newConsumer('pl-resume-group');
    const stream1 = await consumer1.consume({ topics: ['pl-resume'], mode: 'committed', fallbackMode: 'earliest', autocommit: false });
    const values1 = await consumeAndCommit(stream1, first.length);
    assert.deepEqual([...values1].sort(), [...first].sort());
    await stream1.close();
    await consumer1.close();

    const [offsets] = await admin.listConsumerGroupOffsets({ groups: ['pl-resume-group'] });
    const committed = offsets.topics.flatMap((topic) => topic.partitions.map((p) => [topic.name, p.partitionIndex, p.committedOffset]));
    assert.deepEqual(committed.sort(), [
      ['pl-resume', 0, 6n],
      ['pl-resume', 1, 6n],
    ]);

    const second = ['second-0', 'second-1'];
    await producer.send({ messages: second.map((value) => ({ topic: 'pl-resume', value, partition: 1 })) });
    const consumer2 = newConsumer('pl-resume-group');
    const stream2 = await consumer2.consume({ topics: ['pl-resume'], mode: 'committed', fallbackMode: 'earliest', autocommit: false });
    const values2 = await consumeAndCommit(stream2, second.length);
    assert.deepEqual(values2, second);
    await stream2.close();
    await consumer2.close();
  });

  it('splits partitions between two members', async () => {
    const admin = track(new Admin({ clientId: 'admin-split', bootstrapBrokers: [broker.bootstrap] }));
    await admin.createTopics({ topics: ['pl-split'], partitions: 2 });
    const owned = (consumer: Consumer<string, string, string, string>) =>
      (consumer.assignments ?? []).flatMap((assignment) => assignment.partitions.map((partition) => `${assignment.topic}-${partition}`)).sort();

    const a = newConsumer('pl-split-group');
    const streamA = await a.consume({ topics: ['pl-split'], mode: 'earliest', autocommit: false });
    await waitFor(() => owned(a).length === 2, 'the first member to own both partitions');
    const b = newConsumer('pl-split-group');
    const streamB = await b.consume({ topics: ['pl-split'], mode: 'earliest', autocommit: false });
    await waitFor(() => owned(a).length === 1 && owned(b).length === 1, 'one partition each');
    assert.deepEqual([...owned(a), ...owned(b)].sort(), ['pl-split-0', 'pl-split-1']);

    const groups = await admin.describeGroups({ groups: ['pl-split-group'], includeAuthorizedOperations: true });
    const group = groups.get('pl-split-group');
    assert.equal(group?.state, 'STABLE');
    assert.equal(group?.members.size, 2);
    assert.ok((group?.authorizedOperations ?? 0) > 0);
    const stable = await admin.listGroups({ states: ['STABLE'] });
    assert.ok(stable.has('pl-split-group'));
    const empty = await admin.listGroups({ states: ['EMPTY'] });
    assert.ok(!empty.has('pl-split-group'));

    await streamB.close();
    await b.close();
    await waitFor(() => owned(a).length === 2, 'the survivor to take both partitions');
    await streamA.close();
    await a.close();
  });

  it('commits offsets from an admin (generation -1), fetches several groups at once and deletes offsets', async () => {
    const admin = track(new Admin({ clientId: 'admin-offsets', bootstrapBrokers: [broker.bootstrap] }));
    await admin.createTopics({ topics: ['pl-admin'], partitions: 2 });
    await admin.alterConsumerGroupOffsets({
      groupId: 'pl-simple-a',
      topics: [{ name: 'pl-admin', partitionOffsets: [{ partition: 0, offset: 5n }, { partition: 1, offset: 7n }] }],
    });
    await admin.alterConsumerGroupOffsets({
      groupId: 'pl-simple-b',
      topics: [{ name: 'pl-admin', partitionOffsets: [{ partition: 1, offset: 3n }] }],
    });
    const fetched = await admin.listConsumerGroupOffsets({ groups: ['pl-simple-a', 'pl-simple-b', 'pl-missing'] });
    const flat = (groupId: string) =>
      fetched
        .find((group) => group.groupId === groupId)
        ?.topics.flatMap((topic) => topic.partitions.map((p) => [p.partitionIndex, p.committedOffset]))
        .sort();
    assert.deepEqual(flat('pl-simple-a'), [
      [0, 5n],
      [1, 7n],
    ]);
    assert.deepEqual(flat('pl-simple-b'), [[1, 3n]]);
    assert.deepEqual(flat('pl-missing'), []);

    await admin.deleteConsumerGroupOffsets({ groupId: 'pl-simple-a', topics: [{ name: 'pl-admin', partitionIndexes: [0] }] });
    const afterDelete = await admin.listConsumerGroupOffsets({ groups: ['pl-simple-a'] });
    assert.deepEqual(afterDelete[0].topics.flatMap((topic) => topic.partitions.map((p) => [p.partitionIndex, p.committedOffset])), [[1, 7n]]);

    const listed = await admin.listGroups();
    assert.equal(listed.get('pl-simple-a')?.protocolType, '');
    await admin.deleteGroups({ groups: ['pl-simple-a', 'pl-simple-b'] });
    const gone = await admin.listConsumerGroupOffsets({ groups: ['pl-simple-a'] });
    assert.deepEqual(gone[0].topics, []);
  });
});
