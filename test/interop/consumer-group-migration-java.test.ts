// Online migration with Apache Kafka's own consumer: two Java console consumers of Kafka 4.4 share one group on
// seqlog, the first with `group.protocol=classic`, the second with `group.protocol=consumer`. The second one's
// first ConsumerGroupHeartbeat upgrades the live classic group to a KIP-848 consumer group, in which the classic
// member keeps speaking JoinGroup/SyncGroup/Heartbeat and gets its partitions from the server-side assignor;
// when the KIP-848 member leaves, the group downgrades to a classic group and the classic member takes every
// partition again. Records are produced throughout: every one of them is consumed, and the committed offsets
// carried across both conversions cover all of them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { BrokerConnection, Producer } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { kafkaLibsDir, setupHint } from '../reference/layout.ts';
import { stopGroup } from '../reference/reaper.ts';
import { startConsoleConsumer, type ConsoleConsumer } from './java-console-consumer.ts';
import { committedOffsetTotal, waitFor } from './group-probes.ts';

const TOPIC = 'migration-java';
const GROUP = 'migration-java-group';
const PARTITIONS = 6;

let broker: RunningBroker;
let admin: BrokerConnection;

function startMember(groupProtocol: 'classic' | 'consumer'): ConsoleConsumer {
  return startConsoleConsumer({
    bootstrap: broker.bootstrap,
    topic: TOPIC,
    group: GROUP,
    groupProtocol,
    // Short classic heartbeats, so that the member hears of a rebalance within a fraction of a second.
    properties: groupProtocol === 'classic' ? ['heartbeat.interval.ms=250', 'session.timeout.ms=10000'] : [],
    values: /^record-\d+$/,
  });
}

async function listedGroup() {
  const response = await admin.send(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: [] });
  return response.groups.find((group) => group.groupId === GROUP);
}

async function describeClassic() {
  const response = await admin.send(ApiKey.DescribeGroups, 5, { groups: [GROUP], includeAuthorizedOperations: false });
  return response.groups[0];
}

async function describeConsumerGroup() {
  const response = await admin.send(ApiKey.ConsumerGroupDescribe, 0, { groupIds: [GROUP], includeAuthorizedOperations: false });
  return response.groups[0];
}



/** Produces `record-N` values round-robin over the partitions until stopped; returns how many were acknowledged. */
function produceContinuously(): { stop: () => Promise<number> } {
  const producer = new Producer({ bootstrap: broker.bootstrap, lingerMs: 1 });
  let running = true;
  let sent = 0;
  const loop = (async () => {
    while (running) {
      const batch = Array.from({ length: 10 }, (_, i) => sent + i);
      await Promise.all(batch.map((n) => producer.send({ topic: TOPIC, partition: n % PARTITIONS, value: `record-${n}` })));
      sent += batch.length;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await producer.close();
      return sent;
    },
  };
}

const ownedCount = (member: { assignment: { topicPartitions: { partitions: number[] }[] } }) => member.assignment.topicPartitions.reduce((n, topic) => n + topic.partitions.length, 0);

describe('Java consumers, classic and KIP-848, in one group across an upgrade and a downgrade', { timeout: 120_000 }, () => {
  const running: ConsoleConsumer[] = [];

  before(async () => {
    // A missing peer fails the test: it is never skipped.
    assert.ok(existsSync(join(kafkaLibsDir, 'kafka-tools-4.4.0.jar')), `Kafka 4.4 libs missing: ${setupHint}`);
    broker = await startBroker({
      topics: [{ name: TOPIC, partitions: PARTITIONS }],
      groupConsumerHeartbeatIntervalMs: 250,
      groupConsumerSessionTimeoutMs: 10_000,
    });
    admin = await BrokerConnection.open({ host: broker.host, port: broker.port, clientId: 'migration-test' });
  });

  after(async () => {
    for (const consumer of running) await stopGroup(consumer.child, 5_000);
    admin?.close();
    await broker?.close();
  });

  it('no record is lost and the committed offsets carry across both conversions', async (t) => {
    const producing = produceContinuously();
    let produced = 0;
    try {
      const classic = startMember('classic');
      running.push(classic);
      await waitFor(listedGroup, (group) => group?.groupType === 'classic' && group.groupState === 'Stable', 'a stable classic group');
      await waitFor(() => classic.values.length, (n) => n > 0, 'the classic member consuming');
      const classicMemberId = (await describeClassic()).members[0]?.memberId;
      assert.ok(classicMemberId !== undefined);

      // Upgrade: the KIP-848 member's first heartbeat converts the live classic group.
      const modern = startMember('consumer');
      running.push(modern);
      const shared = await waitFor(
        describeConsumerGroup,
        (group) => group.errorCode === 0 && group.groupState === 'Stable' && group.members.length === 2 && group.members.every((member) => ownedCount(member) === PARTITIONS / 2),
        'the upgraded group with three partitions per member',
      );
      const owned = shared.members.flatMap((member) => member.assignment.topicPartitions.flatMap((topic) => topic.partitions));
      assert.deepEqual([...owned].sort(), [0, 1, 2, 3, 4, 5], 'no partition owned twice');
      assert.equal((await listedGroup())?.groupType, 'consumer');
      assert.ok(shared.members.some((member) => member.memberId === classicMemberId), 'the classic member was carried into the consumer group');
      await waitFor(() => modern.values.length, (n) => n > 0, 'the KIP-848 member consuming');
      const classicBefore = classic.values.length;
      await waitFor(() => classic.values.length, (n) => n > classicBefore, 'the classic member consuming inside the consumer group');

      // Downgrade: the KIP-848 member leaves (the console consumer sends epoch -1 on SIGTERM).
      await stopGroup(modern.child, 10_000);
      const downgraded = await waitFor(
        describeClassic,
        (group) => group.groupState === 'Stable' && group.members.length === 1 && group.protocolType === 'consumer',
        'a stable classic group with the classic member alone',
      );
      assert.equal((await listedGroup())?.groupType, 'classic');
      assert.equal(downgraded.members[0].memberId, classicMemberId, 'the classic member was carried back into the classic group');
      const classicMid = classic.values.length;
      await waitFor(() => classic.values.length, (n) => n > classicMid, 'the classic member consuming after the downgrade');
    } finally {
      produced = await producing.stop();
    }

    t.diagnostic(`${produced} records produced during the upgrade and the downgrade`);
    assert.ok(produced > 0);
    const expected = new Set(Array.from({ length: produced }, (_, i) => `record-${i}`));
    const classic = running[0];
    const modern = running[1];
    const consumed = () => new Set([...classic.values, ...modern.values]);
    await waitFor(() => consumed().size, (n) => n === produced, `every one of the ${produced} records consumed`);
    assert.deepEqual([...consumed()].filter((value) => !expected.has(value)), []);
    await waitFor(() => committedOffsetTotal(admin, GROUP, TOPIC, PARTITIONS), (total) => total === BigInt(produced), 'every offset committed');
    assert.equal(classic.child.exitCode, null, 'the classic consumer is still running');
    assert.doesNotMatch(classic.stderr.join(''), /GroupIdNotFound|InconsistentGroupProtocol|IllegalGeneration.*fatal|ERROR/i, 'no group error in the classic consumer');
  });
});
