// KIP-848 with Apache Kafka's own consumer: the Java console consumer of Kafka 4.4 (kafka-tools'
// `ConsoleConsumer`, kafka-clients 4.4) with `group.protocol=consumer` against seqlog. Two members share the
// partitions; one leaves and its partitions move to the other; everything is consumed; the committed offsets
// survive the members, so a third member starting later reads only what was produced after. Then a broker restart
// in the middle of consumption by a group of a Java member and a seqlog member: both carry on with their member
// ids and epochs (the group is in the offsets log, as Kafka keeps it in __consumer_offsets), nothing is lost and
// the Java consumer meets no error.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { BrokerConnection, Consumer, Producer } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { kafkaLibsDir, setupHint } from '../reference/layout.ts';
import { stopGroup } from '../reference/reaper.ts';
import { startConsoleConsumer, type ConsoleConsumer } from './java-console-consumer.ts';
import { committedOffsetTotal, waitFor } from './group-probes.ts';

const TOPIC = 'kip848-java';
const GROUP = 'kip848-java-group';
const PARTITIONS = 6;
const RECORDS = 600;

let broker: RunningBroker;
let admin: BrokerConnection;

function startMember(bootstrap = broker.bootstrap, topic = TOPIC, group = GROUP): ConsoleConsumer {
  return startConsoleConsumer({ bootstrap, topic, group, groupProtocol: 'consumer', values: /^[a-z]+-\d+$/ });
}

async function describeGroup(connection = admin, group = GROUP) {
  const response = await connection.send(ApiKey.ConsumerGroupDescribe, 0, { groupIds: [group], includeAuthorizedOperations: false });
  return response.groups[0];
}



async function produce(values: string[], bootstrap = broker.bootstrap, topic = TOPIC): Promise<void> {
  const producer = new Producer({ bootstrap, lingerMs: 1 });
  try {
    await Promise.all(values.map((value, i) => producer.send({ topic, partition: i % PARTITIONS, value })));
  } finally {
    await producer.close();
  }
}

describe('Java console consumer with group.protocol=consumer against seqlog', { timeout: 240_000 }, () => {
  const running: ConsoleConsumer[] = [];

  before(async () => {
    // A missing peer fails the test: it is never skipped.
    assert.ok(existsSync(join(kafkaLibsDir, 'kafka-tools-4.4.0.jar')), `Kafka 4.4 libs missing: ${setupHint}`);
    broker = await startBroker({
      topics: [{ name: TOPIC, partitions: PARTITIONS }],
      // Short heartbeats so that partitions move within a second or two, not Kafka's 5 s.
      groupConsumerHeartbeatIntervalMs: 250,
      groupConsumerSessionTimeoutMs: 10_000,
    });
    admin = await BrokerConnection.open({ host: broker.host, port: broker.port, clientId: 'kip848-test' });
    await produce(Array.from({ length: RECORDS }, (_, i) => `first-${i}`));
  });

  after(async () => {
    for (const consumer of running) await stopGroup(consumer.child, 5_000);
    admin?.close();
    await broker?.close();
  });

  it('two members share the partitions, one leaves and its partitions move, offsets survive', async () => {
    const a = startMember();
    const b = startMember();
    running.push(a, b);
    const shared = await waitFor(
      describeGroup,
      (group) =>
        group.errorCode === 0 &&
        group.groupState === 'Stable' &&
        group.members.length === 2 &&
        group.members.every((member) => member.assignment.topicPartitions.reduce((n, topic) => n + topic.partitions.length, 0) === PARTITIONS / 2),
      'two members with three partitions each',
    );
    assert.equal(shared.assignorName, 'uniform');
    // No partition is owned twice.
    const owned = shared.members.flatMap((member) => member.assignment.topicPartitions.flatMap((topic) => topic.partitions));
    assert.deepEqual([...owned].sort(), [0, 1, 2, 3, 4, 5]);

    // Member b leaves (the console consumer closes its KafkaConsumer on SIGTERM: a heartbeat with epoch -1).
    await stopGroup(b.child, 10_000);
    const alone = await waitFor(
      describeGroup,
      (group) => group.groupState === 'Stable' && group.members.length === 1 && group.members[0].assignment.topicPartitions[0]?.partitions.length === PARTITIONS,
      'the remaining member owning every partition',
    );
    assert.ok(alone.groupEpoch > shared.groupEpoch);

    // Everything is consumed (at least once) and committed.
    await waitFor(() => new Set([...a.values, ...b.values]).size, (n) => n === RECORDS, 'every record consumed');
    await waitFor(() => committedOffsetTotal(admin, GROUP, TOPIC, PARTITIONS), (total) => total === BigInt(RECORDS), 'every offset committed');
    await stopGroup(a.child, 10_000);
    const empty = await waitFor(describeGroup, (group) => group.groupState === 'Empty', 'the group empty');
    assert.equal(empty.members.length, 0);

    // A new member resumes from the committed offsets: it sees only the new records.
    await produce(Array.from({ length: 12 }, (_, i) => `second-${i}`));
    const c = startMember();
    running.push(c);
    await waitFor(() => c.values.length, (n) => n >= 12, 'the new records');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.deepEqual([...c.values].sort(), Array.from({ length: 12 }, (_, i) => `second-${i}`).sort());
  });
  it('a broker restart mid-consumption: the Java and the seqlog member keep their ids and epochs, nothing lost, no error', async () => {
    const topic = 'kip848-java-restart';
    const group = 'kip848-java-restart-group';
    const dataDir = mkdtempSync(join(tmpdir(), 'seqlog-kip848-java-restart-'));
    const settings = { dataDir, topics: [{ name: topic, partitions: PARTITIONS }], groupConsumerHeartbeatIntervalMs: 250, groupConsumerSessionTimeoutMs: 10_000 };
    let restartable = await startBroker(settings);
    const port = restartable.port;
    let connection = await BrokerConnection.open({ host: restartable.host, port, clientId: 'kip848-restart-test' });
    const java = startMember(restartable.bootstrap, topic, group);
    running.push(java);
    const seqlog = new Consumer({ bootstrap: restartable.bootstrap, groupId: group, groupProtocol: 'consumer', autoOffsetReset: 'earliest', fetchMaxWaitMs: 50, retryBackoffMs: 50 });
    const seqlogValues: string[] = [];
    const lost: number[] = [];
    const failures: unknown[] = [];
    const controller = new AbortController();
    seqlog.subscribe(topic, { onPartitionsLost: (tps) => void lost.push(...tps.map((tp) => tp.partition)) });
    const loop = async (): Promise<void> => {
      // The run loop surfaces connection errors while the broker is down; the application runs it again.
      while (!controller.signal.aborted) {
        try {
          await seqlog.run({ signal: controller.signal, eachRecord: (record) => void seqlogValues.push(record.valueString() ?? '') });
        } catch (error) {
          failures.push(error);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    };
    const run = loop();
    try {
      const before = Array.from({ length: 300 }, (_, i) => `before-${i}`);
      await produce(before, restartable.bootstrap, topic);
      const consumed = () => new Set([...java.values, ...seqlogValues]);
      const shared = await waitFor(
        () => describeGroup(connection, group),
        (described) => described.groupState === 'Stable' && described.members.length === 2 && described.members.every((member) => member.assignment.topicPartitions.reduce((n, t) => n + t.partitions.length, 0) === PARTITIONS / 2),
        'a Java and a seqlog member with three partitions each',
      );
      await waitFor(() => consumed().size, (n) => n === before.length, 'every record before the restart');
      await seqlog.commit();

      connection.close();
      await restartable.close();
      restartable = await startBroker({ ...settings, port });
      connection = await BrokerConnection.open({ host: restartable.host, port, clientId: 'kip848-restart-test' });
      const restored = await describeGroup(connection, group);
      const identity = (described: typeof shared) => described.members.map((member) => `${member.memberId}@${member.memberEpoch}`).sort();
      assert.deepEqual(identity(restored), identity(shared), 'the restarted broker knows both members with their epochs');

      const afterValues = Array.from({ length: 300 }, (_, i) => `after-${i}`);
      await produce(afterValues, restartable.bootstrap, topic);
      await waitFor(() => consumed().size, (n) => n === before.length + afterValues.length, 'every record after the restart');
      assert.ok(java.values.some((value) => value.startsWith('after-')), 'the Java member consumes after the restart');
      assert.ok(seqlogValues.some((value) => value.startsWith('after-')), 'the seqlog member consumes after the restart');
      const settled = await describeGroup(connection, group);
      assert.deepEqual(identity(settled), identity(shared), 'nobody was fenced or rejoined');
      assert.equal(java.child.exitCode, null, 'the Java consumer is still running');
      const javaLog = java.stderr.join('');
      assert.doesNotMatch(javaLog, /GroupIdNotFound|FencedMemberEpoch|UnknownMemberId|fatal/i, 'no membership error in the Java consumer');
      assert.deepEqual(lost, [], 'the seqlog member lost no partition');
      assert.ok(failures.every((error) => !String(error).includes('ConsumerGroupHeartbeat')), `no heartbeat failure reaches the application: ${failures.map(String).join('; ')}`);
    } finally {
      controller.abort();
      await run;
      await seqlog.close();
      await stopGroup(java.child, 10_000);
      connection.close();
      await restartable.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
