// Online migration between classic and KIP-848 consumer groups, driven through the coordinator with a manual
// timer: the paths the differential test against Kafka cannot time (session, join and sync timeouts, a downgrade
// by a timer), `group.consumer.migration.policy`, and a classic member joining a live consumer group. Scenarios
// follow Kafka's `GroupMetadataManagerTest` (testClassicGroup*ToConsumerGroup*, testOnlineDowngrade*).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { applyKafkaProperties, defaultBrokerConfig } from '../config.ts';
import { encodeConsumerProtocolSubscription } from '../../protocol/messages/generated/data/consumer-protocol-subscription.ts';
import { Writer } from '../../protocol/wire/writer.ts';
import { decodeConsumerAssignment, encodeConsumerAssignment } from './consumer-protocol.ts';
import { GroupCoordinator } from './group-coordinator.ts';
import type { ConsumerGroupHeartbeatParams, TopicImage } from './consumer-group-manager.ts';
import type { ConsumerGroupMigrationPolicy } from './group-coordinator-config.ts';
import { ManualGroupTimer } from './test-support.ts';

const root = mkdtempSync(join(tmpdir(), 'seqlog-migration-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;

const orders: TopicImage = { name: 'orders', topicId: Buffer.from('orders..........'), partitions: 4 };
const topics = {
  listTopics: () => [orders],
  topic: (name: string) => (name === 'orders' ? orders : undefined),
  topicById: (topicId: Buffer) => (topicId.equals(orders.topicId) ? orders : undefined),
};

function setup(policy: ConsumerGroupMigrationPolicy = 'bidirectional') {
  const timer = new ManualGroupTimer();
  const dataDir = join(root, `data-${dirs++}`);
  const open = () =>
    GroupCoordinator.open({
      dataDir,
      timer,
      clock: timer.clock,
      topics,
      config: { consumerGroupAssignmentIntervalMs: 0, initialRebalanceDelayMs: 0, consumerGroupMigrationPolicy: policy },
    });
  return { timer, coordinator: open(), reopen: open };
}

/** An eager member's subscription (v3, owning nothing). */
function subscription(): Buffer {
  const writer = new Writer();
  writer.int16(3);
  encodeConsumerProtocolSubscription(writer, { topics: ['orders'], userData: null, ownedPartitions: [], generationId: -1, rackId: null }, 3);
  return writer.finish();
}

const SESSION_MS = 10_000;
const REBALANCE_MS = 20_000;

/** A classic member of protocol type "consumer" (eager "range") joining with `memberId` ('' for a new one). */
function joinParams(memberId: string) {
  return {
    groupId: 'group', memberId, groupInstanceId: null, sessionTimeoutMs: SESSION_MS, rebalanceTimeoutMs: REBALANCE_MS,
    protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription() }],
    reason: null, clientId: 'classic', clientHost: '/127.0.0.1', requireKnownMemberId: true, supportsSkippingAssignment: true,
  };
}

/** A classic member forms a classic group on its own and assigns itself every partition. */
async function classicGroupOfOne(coordinator: GroupCoordinator, timer: ManualGroupTimer): Promise<{ memberId: string; generationId: number }> {
  const first = await coordinator.joinGroup(joinParams(''));
  assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  const joining = coordinator.joinGroup(joinParams(first.memberId));
  timer.advance(0);
  const joined = await joining;
  assert.equal(joined.errorCode, ErrorCode.NONE);
  const synced = await coordinator.syncGroup({
    groupId: 'group', generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range',
    assignments: [{ memberId: joined.memberId, assignment: encodeConsumerAssignment(new Map([['orders', [0, 1, 2, 3]]]), 3) }],
  });
  assert.equal(synced.errorCode, ErrorCode.NONE);
  return { memberId: joined.memberId, generationId: joined.generationId };
}

function consumerJoin(memberId = 'modern'): ConsumerGroupHeartbeatParams {
  return {
    groupId: 'group', memberId, memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: REBALANCE_MS, subscribedTopicNames: ['orders'],
    subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [], clientId: 'modern', clientHost: '/127.0.0.1', memberIdRequired: true,
  };
}

const heartbeat = (coordinator: GroupCoordinator, memberId: string, generationId: number) => coordinator.heartbeat({ groupId: 'group', generationId, memberId, groupInstanceId: null });

describe('online migration between classic and consumer groups', () => {
  it('group.consumer.migration.policy is read as Kafka spells it (any case); anything else is refused', () => {
    assert.equal(defaultBrokerConfig.groupConsumerMigrationPolicy, 'bidirectional');
    assert.equal(applyKafkaProperties(defaultBrokerConfig, { 'group.consumer.migration.policy': 'UPGRADE' }).groupConsumerMigrationPolicy, 'upgrade');
    assert.equal(applyKafkaProperties(defaultBrokerConfig, { 'group.consumer.migration.policy': 'disabled' }).groupConsumerMigrationPolicy, 'disabled');
    assert.throws(() => applyKafkaProperties(defaultBrokerConfig, { 'group.consumer.migration.policy': 'sideways' }), /bidirectional/);
  });


  it('group.consumer.migration.policy=disabled: a KIP-848 member cannot enter a live classic group', async () => {
    const { coordinator, timer } = setup('disabled');
    const classic = await classicGroupOfOne(coordinator, timer);
    const result = await coordinator.consumerGroupHeartbeat(consumerJoin(), topics);
    assert.equal(result.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    assert.equal(heartbeat(coordinator, classic.memberId, classic.generationId), ErrorCode.NONE);
    assert.deepEqual(coordinator.listGroups([], []).map((group) => group.groupType), ['classic']);
    await coordinator.close();
  });

  it('upgrade policy only: the last KIP-848 member leaving does not downgrade the group', async () => {
    const { coordinator, timer } = setup('upgrade');
    await classicGroupOfOne(coordinator, timer);
    const joined = await coordinator.consumerGroupHeartbeat(consumerJoin(), topics);
    assert.equal(joined.errorCode, ErrorCode.NONE);
    await coordinator.consumerGroupHeartbeat({ ...consumerJoin(), memberEpoch: -1 }, topics);
    assert.deepEqual(coordinator.listGroups([], []).map((group) => group.groupType), ['consumer']);
    await coordinator.close();
  });

  it('the KIP-848 member\'s session expires: the group downgrades and the classic member rebalances alone', async () => {
    const { coordinator, timer } = setup();
    const classic = await classicGroupOfOne(coordinator, timer);
    assert.equal((await coordinator.consumerGroupHeartbeat(consumerJoin(), topics)).errorCode, ErrorCode.NONE);
    // The classic member rejoins and syncs: the server-side assignor gives it half the partitions.
    assert.equal(heartbeat(coordinator, classic.memberId, classic.generationId), ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoined = await coordinator.joinGroup(joinParams(classic.memberId));
    assert.equal(rejoined.errorCode, ErrorCode.NONE);
    assert.equal(rejoined.leader, '');
    const synced = await coordinator.syncGroup({ groupId: 'group', generationId: rejoined.generationId, memberId: classic.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] });
    assert.equal(synced.errorCode, ErrorCode.NONE);
    assert.equal(decodeConsumerAssignment(synced.assignment).get('orders')?.length, 2);
    // Only the classic member keeps heartbeating: the KIP-848 member's session (45 s) runs out.
    for (let elapsed = 0; elapsed < 50_000; elapsed += 5_000) {
      timer.advance(5_000);
      const code = heartbeat(coordinator, classic.memberId, rejoined.generationId);
      if (code !== ErrorCode.NONE) {
        assert.equal(code, ErrorCode.REBALANCE_IN_PROGRESS);
        break;
      }
    }
    assert.deepEqual(coordinator.listGroups([], []).map((group) => [group.groupType, group.groupState]), [['classic', 'PreparingRebalance']]);
    const again = await coordinator.joinGroup(joinParams(classic.memberId));
    assert.equal(again.errorCode, ErrorCode.NONE);
    assert.equal(again.generationId, rejoined.generationId + 1);
    assert.equal(again.leader, classic.memberId);
    await coordinator.close();
  });

  it('a classic member told to rejoin that never does is fenced after its rebalance timeout', async () => {
    const { coordinator, timer } = setup();
    const classic = await classicGroupOfOne(coordinator, timer);
    const joined = await coordinator.consumerGroupHeartbeat(consumerJoin(), topics);
    assert.equal(heartbeat(coordinator, classic.memberId, classic.generationId), ErrorCode.REBALANCE_IN_PROGRESS);
    // The KIP-848 member keeps heartbeating; the classic member keeps its session alive but never rejoins.
    let epoch = joined.memberEpoch;
    let owned = joined.assignment;
    for (let elapsed = 0; elapsed <= REBALANCE_MS; elapsed += 2_000) {
      timer.advance(2_000);
      heartbeat(coordinator, classic.memberId, classic.generationId);
      const answer = await coordinator.consumerGroupHeartbeat({ ...consumerJoin(), memberEpoch: epoch, rebalanceTimeoutMs: -1, subscribedTopicNames: null, topicPartitions: owned?.topicPartitions ?? [] }, topics);
      epoch = answer.memberEpoch;
      owned = answer.assignment ?? owned;
    }
    assert.equal(heartbeat(coordinator, classic.memberId, classic.generationId), ErrorCode.UNKNOWN_MEMBER_ID);
    // Its partitions went to the KIP-848 member.
    assert.equal(owned?.topicPartitions[0]?.partitions.length, 4);
    await coordinator.close();
  });

  it('an upgrade during a classic rebalance answers the parked JoinGroup with REBALANCE_IN_PROGRESS', async () => {
    const { coordinator, timer } = setup();
    const classic = await classicGroupOfOne(coordinator, timer);
    // A second classic member starts a rebalance; the first has not rejoined, the second is parked.
    const second = await coordinator.joinGroup(joinParams(''));
    const parked = coordinator.joinGroup(joinParams(second.memberId));
    assert.deepEqual(coordinator.listGroups([], []).map((group) => group.groupState), ['PreparingRebalance']);
    const joined = await coordinator.consumerGroupHeartbeat(consumerJoin(), topics);
    assert.equal(joined.errorCode, ErrorCode.NONE);
    assert.equal((await parked).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
    // Both classic members are carried over (the parked one with no assignment) and asked to rejoin.
    assert.equal(heartbeat(coordinator, classic.memberId, classic.generationId), ErrorCode.REBALANCE_IN_PROGRESS);
    assert.equal(heartbeat(coordinator, second.memberId, classic.generationId), ErrorCode.REBALANCE_IN_PROGRESS);
    assert.equal(coordinator.consumerGroupDescribe(['group'], topics)[0].members.length, 3);
    timer.advance(0);
    await coordinator.close();
  });

  it('a classic member joins a live consumer group with JoinGroup and gets its partitions in SyncGroup; it survives a restart', async () => {
    const { coordinator, timer, reopen } = setup();
    const modern = await coordinator.consumerGroupHeartbeat(consumerJoin(), topics);
    assert.equal(modern.assignment?.topicPartitions[0]?.partitions.length, 4);
    const first = await coordinator.joinGroup(joinParams(''));
    assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
    const joined = await coordinator.joinGroup(joinParams(first.memberId));
    assert.equal(joined.errorCode, ErrorCode.NONE);
    assert.equal(joined.protocolName, 'range');
    // Every partition is still the KIP-848 member's: the classic member gets none until they are released.
    const empty = await coordinator.syncGroup({ groupId: 'group', generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] });
    assert.deepEqual([...decodeConsumerAssignment(empty.assignment)], []);
    // The KIP-848 member revokes two partitions; the classic member is told to rejoin and gets them.
    const revoking = await coordinator.consumerGroupHeartbeat({ ...consumerJoin(), memberEpoch: modern.memberEpoch, rebalanceTimeoutMs: -1, subscribedTopicNames: null, topicPartitions: modern.assignment?.topicPartitions ?? [] }, topics);
    const kept = revoking.assignment?.topicPartitions ?? [];
    await coordinator.consumerGroupHeartbeat({ ...consumerJoin(), memberEpoch: revoking.memberEpoch, rebalanceTimeoutMs: -1, subscribedTopicNames: null, topicPartitions: kept }, topics);
    assert.equal(heartbeat(coordinator, joined.memberId, joined.generationId), ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoined = await coordinator.joinGroup(joinParams(joined.memberId));
    const synced = await coordinator.syncGroup({ groupId: 'group', generationId: rejoined.generationId, memberId: joined.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] });
    assert.equal(decodeConsumerAssignment(synced.assignment).get('orders')?.length, 2);
    assert.equal(heartbeat(coordinator, joined.memberId, rejoined.generationId), ErrorCode.NONE);
    // The classic member's JoinGroup metadata is in the offsets log: after a restart it carries on.
    await coordinator.close();
    const restarted = reopen();
    assert.equal(heartbeat(restarted, joined.memberId, rejoined.generationId), ErrorCode.NONE);
    const resynced = await restarted.syncGroup({ groupId: 'group', generationId: rejoined.generationId, memberId: joined.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] });
    assert.deepEqual(resynced.assignment, synced.assignment);
    timer.advance(0);
    await restarted.close();
  });
});
