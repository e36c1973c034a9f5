// KIP-848 consumer groups driven through the coordinator with a manual timer. Scenarios follow Kafka's
// `GroupMetadataManagerTest` (testConsumerGroup*) and `CurrentAssignmentBuilderTest`.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { GroupCoordinator } from './group-coordinator.ts';
import type { ConsumerGroupHeartbeatParams, ConsumerGroupHeartbeatResult, TopicImage, TopicsImage } from './consumer-group-manager.ts';
import { ManualGroupTimer } from './test-support.ts';

const root = mkdtempSync(join(tmpdir(), 'seqlog-consumer-group-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;

/** Topic metadata as plain data (the broker passes its LogManager). */
class Topics implements TopicsImage {
  readonly byName = new Map<string, TopicImage>();
  add(name: string, partitions: number): TopicImage {
    const topicId = Buffer.alloc(16);
    topicId.write(name.padEnd(16, '.').slice(0, 16));
    const topic = { name, topicId, partitions };
    this.byName.set(name, topic);
    return topic;
  }
  listTopics(): TopicImage[] {
    return [...this.byName.values()];
  }
  topic(name: string): TopicImage | undefined {
    return this.byName.get(name);
  }
  topicById(topicId: Buffer): TopicImage | undefined {
    return this.listTopics().find((topic) => topic.topicId.equals(topicId));
  }
}

/** Target assignments at once (`group.consumer.assignment.interval.ms` = 0) unless a test says otherwise. */
function setup(assignmentIntervalMs = 0) {
  const timer = new ManualGroupTimer();
  const coordinator = GroupCoordinator.open({
    dataDir: join(root, `data-${dirs++}`),
    timer,
    clock: timer.clock,
    config: { consumerGroupAssignmentIntervalMs: assignmentIntervalMs },
  });
  const topics = new Topics();
  const orders = topics.add('orders', 4);
  return { timer, coordinator, topics, orders };
}

function request(overrides: Partial<ConsumerGroupHeartbeatParams>): ConsumerGroupHeartbeatParams {
  return {
    groupId: 'group',
    memberId: 'm1',
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: ['orders'],
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: [],
    clientId: 'client',
    clientHost: '/127.0.0.1',
    memberIdRequired: true,
    ...overrides,
  };
}

/** A steady heartbeat: current epoch, owned partitions, nothing else (what the Java client sends). */
function steady(memberId: string, memberEpoch: number, owned: ConsumerGroupHeartbeatResult['assignment'] | null): Partial<ConsumerGroupHeartbeatParams> {
  return {
    memberId,
    memberEpoch,
    rebalanceTimeoutMs: -1,
    subscribedTopicNames: null,
    topicPartitions: owned === null ? null : owned.topicPartitions,
  };
}

const partitionsOf = (result: ConsumerGroupHeartbeatResult): number[] => result.assignment?.topicPartitions.flatMap((topic) => topic.partitions) ?? [];

describe('ConsumerGroupHeartbeat', () => {
  it('a first member joins: epoch 2 (a group starts at 1), every partition at once', async () => {
    const { coordinator, topics } = setup();
    const joined = await coordinator.consumerGroupHeartbeat(request({}), topics);
    assert.equal(joined.errorCode, ErrorCode.NONE);
    assert.equal(joined.memberId, 'm1');
    assert.equal(joined.memberEpoch, 2);
    assert.equal(joined.heartbeatIntervalMs, 5000);
    assert.deepEqual(partitionsOf(joined), [0, 1, 2, 3]);
    // A steady heartbeat with nothing changed carries no assignment.
    const again = await coordinator.consumerGroupHeartbeat(request(steady('m1', 2, joined.assignment)), topics);
    assert.equal(again.memberEpoch, 2);
    assert.equal(again.assignment, null);
  });

  it('a partition is revoked from its owner, acknowledged, and only then given to the new member', async () => {
    const { coordinator, topics } = setup();
    const first = await coordinator.consumerGroupHeartbeat(request({ memberId: 'm1' }), topics);
    const second = await coordinator.consumerGroupHeartbeat(request({ memberId: 'm2' }), topics);
    // m2 is at the new epoch but every target partition of it is still owned by m1.
    assert.equal(second.memberEpoch, 3);
    assert.deepEqual(partitionsOf(second), []);
    // m1 heartbeats: it must revoke two partitions and stays at epoch 2 until it confirms.
    const revoking = await coordinator.consumerGroupHeartbeat(request(steady('m1', 2, first.assignment)), topics);
    assert.equal(revoking.memberEpoch, 2);
    const kept = partitionsOf(revoking);
    assert.equal(kept.length, 2);
    // m2 still gets nothing: m1 has not confirmed.
    const waiting = await coordinator.consumerGroupHeartbeat(request(steady('m2', 3, second.assignment)), topics);
    assert.deepEqual(partitionsOf(waiting), []);
    let described = coordinator.consumerGroupDescribe(['group'], topics)[0];
    assert.equal(described.groupState, 'Reconciling');
    // m1 confirms (its owned partitions are the kept ones): epoch 3.
    const confirmed = await coordinator.consumerGroupHeartbeat(request(steady('m1', 2, revoking.assignment)), topics);
    assert.equal(confirmed.memberEpoch, 3);
    // Now m2 receives the released partitions.
    const received = await coordinator.consumerGroupHeartbeat(request(steady('m2', 3, waiting.assignment ?? { topicPartitions: [] })), topics);
    assert.deepEqual(
      [...partitionsOf(received), ...kept].sort((a, b) => a - b),
      [0, 1, 2, 3],
    );
    assert.equal(partitionsOf(received).filter((partition) => kept.includes(partition)).length, 0);
    described = coordinator.consumerGroupDescribe(['group'], topics)[0];
    assert.equal(described.groupState, 'Stable');
    assert.equal(described.groupEpoch, 3);
    assert.equal(described.assignmentEpoch, 3);
    assert.equal(described.assignorName, 'uniform');
  });

  it('a member that leaves (epoch -1) gives its partitions to the others at their next heartbeat', async () => {
    const { coordinator, topics } = setup();
    await coordinator.consumerGroupHeartbeat(request({ memberId: 'm1' }), topics);
    const left = await coordinator.consumerGroupHeartbeat(request({ memberId: 'm1', memberEpoch: -1 }), topics);
    assert.equal(left.errorCode, ErrorCode.NONE);
    assert.equal(left.memberEpoch, -1);
    const second = await coordinator.consumerGroupHeartbeat(request({ memberId: 'm2' }), topics);
    assert.deepEqual(partitionsOf(second), [0, 1, 2, 3]);
    assert.equal(second.memberEpoch, 4);
    const unknown = await coordinator.consumerGroupHeartbeat(request(steady('m1', 2, null)), topics);
    assert.equal(unknown.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('fences an epoch ahead of the coordinator and a stale one (FENCED_MEMBER_EPOCH)', async () => {
    const { coordinator, topics } = setup();
    const joined = await coordinator.consumerGroupHeartbeat(request({}), topics);
    assert.equal((await coordinator.consumerGroupHeartbeat(request(steady('m1', 5, joined.assignment)), topics)).errorCode, ErrorCode.FENCED_MEMBER_EPOCH);
    await coordinator.consumerGroupHeartbeat(request({ memberId: 'm2' }), topics);
    const revoking = await coordinator.consumerGroupHeartbeat(request(steady('m1', 2, joined.assignment)), topics);
    const moved = await coordinator.consumerGroupHeartbeat(request(steady('m1', 2, revoking.assignment)), topics);
    assert.equal(moved.memberEpoch, 3);
    // The previous epoch with a subset of the current partitions: the bump's answer may have been lost.
    assert.equal((await coordinator.consumerGroupHeartbeat(request(steady('m1', 2, revoking.assignment)), topics)).errorCode, ErrorCode.NONE);
    // The previous epoch while claiming partitions it no longer has: fenced.
    assert.equal((await coordinator.consumerGroupHeartbeat(request(steady('m1', 2, joined.assignment)), topics)).errorCode, ErrorCode.FENCED_MEMBER_EPOCH);
  });

  it('an unknown group is GROUP_ID_NOT_FOUND; bad requests are INVALID_REQUEST / UNSUPPORTED_ASSIGNOR', async () => {
    const { coordinator, topics } = setup();
    assert.equal((await coordinator.consumerGroupHeartbeat(request(steady('m1', 3, null)), topics)).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    assert.equal((await coordinator.consumerGroupHeartbeat(request({ memberId: '' }), topics)).errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal((await coordinator.consumerGroupHeartbeat(request({ rebalanceTimeoutMs: -1 }), topics)).errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal((await coordinator.consumerGroupHeartbeat(request({ memberEpoch: -3 }), topics)).errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal((await coordinator.consumerGroupHeartbeat(request({ serverAssignor: 'sticky' }), topics)).errorCode, ErrorCode.UNSUPPORTED_ASSIGNOR);
    assert.equal((await coordinator.consumerGroupHeartbeat(request({ subscribedTopicNames: null, subscribedTopicRegex: '(' }), topics)).errorCode, ErrorCode.INVALID_REGULAR_EXPRESSION);
    // v0: the broker generates the member id.
    const generated = await coordinator.consumerGroupHeartbeat(request({ memberId: '', memberIdRequired: false }), topics);
    assert.equal(generated.errorCode, ErrorCode.NONE);
    assert.match(generated.memberId ?? '', /^[0-9a-f-]{36}$/);
  });

  it('a member whose session expires is removed and the group epoch moves on', async () => {
    const { coordinator, topics, timer } = setup();
    await coordinator.consumerGroupHeartbeat(request({ memberId: 'm1' }), topics);
    timer.advance(44_000);
    const second = await coordinator.consumerGroupHeartbeat(request({ memberId: 'm2' }), topics);
    assert.deepEqual(partitionsOf(second), []);
    timer.advance(2_000);
    const described = coordinator.consumerGroupDescribe(['group'], topics)[0];
    assert.deepEqual(described.members.map((member) => member.memberId), ['m2']);
    const after = await coordinator.consumerGroupHeartbeat(request(steady('m2', 3, second.assignment)), topics);
    assert.deepEqual(partitionsOf(after), [0, 1, 2, 3]);
  });

  it('a member that does not revoke within its rebalance timeout is fenced and its partitions move', async () => {
    const { coordinator, topics, timer } = setup();
    const first = await coordinator.consumerGroupHeartbeat(request({ memberId: 'm1', rebalanceTimeoutMs: 30_000 }), topics);
    const second = await coordinator.consumerGroupHeartbeat(request({ memberId: 'm2' }), topics);
    const revoking = await coordinator.consumerGroupHeartbeat(request(steady('m1', 2, first.assignment)), topics);
    assert.equal(partitionsOf(revoking).length, 2);
    // m1 keeps heartbeating while still owning the revoked partitions: the timeout is not extended.
    timer.advance(20_000);
    await coordinator.consumerGroupHeartbeat(request(steady('m1', 2, first.assignment)), topics);
    await coordinator.consumerGroupHeartbeat(request(steady('m2', 3, second.assignment)), topics);
    timer.advance(10_001);
    assert.equal((await coordinator.consumerGroupHeartbeat(request(steady('m1', 2, first.assignment)), topics)).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    const everything = await coordinator.consumerGroupHeartbeat(request(steady('m2', 3, second.assignment)), topics);
    assert.deepEqual(partitionsOf(everything), [0, 1, 2, 3]);
  });

  it('a static member leaving with epoch -2 gets its assignment back under a new member id, without a rebalance', async () => {
    const { coordinator, topics } = setup();
    await coordinator.consumerGroupHeartbeat(request({ memberId: 'a', instanceId: 'instance-a' }), topics);
    await coordinator.consumerGroupHeartbeat(request({ memberId: 'b', instanceId: 'instance-b' }), topics);
    const before = coordinator.consumerGroupDescribe(['group'], topics)[0];
    const targetOfA = before.members.find((member) => member.memberId === 'a')?.targetAssignment;
    const left = await coordinator.consumerGroupHeartbeat(request({ memberId: 'a', instanceId: 'instance-a', memberEpoch: -2 }), topics);
    assert.equal(left.memberEpoch, -2);
    const unreleased = await coordinator.consumerGroupHeartbeat(request({ memberId: 'b2', instanceId: 'instance-b' }), topics);
    assert.equal(unreleased.errorCode, ErrorCode.UNRELEASED_INSTANCE_ID);
    const back = await coordinator.consumerGroupHeartbeat(request({ memberId: 'a2', instanceId: 'instance-a' }), topics);
    assert.equal(back.errorCode, ErrorCode.NONE);
    const after = coordinator.consumerGroupDescribe(['group'], topics)[0];
    assert.equal(after.groupEpoch, before.groupEpoch);
    assert.deepEqual(after.members.find((member) => member.memberId === 'a2')?.targetAssignment, targetOfA);
    assert.equal((await coordinator.consumerGroupHeartbeat(request(steady('a', 2, null)), topics)).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(
      (await coordinator.consumerGroupHeartbeat(request({ ...steady('a', 2, null), instanceId: 'instance-a' }), topics)).errorCode,
      ErrorCode.FENCED_INSTANCE_ID,
    );
  });

  it('group.consumer.assignment.interval.ms: a member joining soon after is assigned at the next heartbeat past the interval', async () => {
    const { coordinator, topics, timer } = setup(1_000);
    const first = await coordinator.consumerGroupHeartbeat(request({ memberId: 'm1' }), topics);
    assert.equal(first.memberEpoch, 2);
    // Kafka 4.4 answers the same: the new member is at the assignment epoch with nothing, the group Assigning.
    const second = await coordinator.consumerGroupHeartbeat(request({ memberId: 'm2' }), topics);
    assert.equal(second.memberEpoch, 2);
    assert.deepEqual(partitionsOf(second), []);
    assert.equal(coordinator.consumerGroupDescribe(['group'], topics)[0].groupState, 'Assigning');
    assert.equal((await coordinator.consumerGroupHeartbeat(request(steady('m1', 2, first.assignment)), topics)).assignment, null);
    timer.advance(1_000);
    const revoking = await coordinator.consumerGroupHeartbeat(request(steady('m1', 2, first.assignment)), topics);
    assert.equal(partitionsOf(revoking).length, 2);
    assert.equal(coordinator.consumerGroupDescribe(['group'], topics)[0].groupState, 'Reconciling');
  });

  it('the range assignor gives contiguous ranges; a regex subscription follows new topics', async () => {
    const { coordinator, topics } = setup();
    const m1 = await coordinator.consumerGroupHeartbeat(request({ memberId: 'm1', serverAssignor: 'range', subscribedTopicNames: null, subscribedTopicRegex: 'ord.*' }), topics);
    assert.deepEqual(partitionsOf(m1), [0, 1, 2, 3]);
    const other = topics.add('ordinals', 2);
    topics.add('payments', 2);
    const grown = await coordinator.consumerGroupHeartbeat(request(steady('m1', 2, m1.assignment)), topics);
    assert.equal(grown.memberEpoch, 3);
    const ordinals = grown.assignment?.topicPartitions.find((topic) => topic.topicId.equals(other.topicId));
    assert.deepEqual(ordinals?.partitions, [0, 1]);
    assert.equal(grown.assignment?.topicPartitions.length, 2);
    const described = coordinator.consumerGroupDescribe(['group'], topics)[0];
    assert.equal(described.assignorName, 'range');
  });
});

describe('consumer groups across a restart (state in the offsets log, as Kafka keeps it in __consumer_offsets)', () => {
  function open(dataDir: string) {
    const timer = new ManualGroupTimer();
    const coordinator = GroupCoordinator.open({ dataDir, timer, clock: timer.clock, config: { consumerGroupAssignmentIntervalMs: 0 } });
    return { timer, coordinator };
  }

  it('members keep their ids, epochs and assignments; revocations in progress carry on; unknown members rejoin', async () => {
    const dataDir = join(root, `data-${dirs++}`);
    const topics = new Topics();
    topics.add('orders', 4);
    const before = open(dataDir);
    const first = await before.coordinator.consumerGroupHeartbeat(request({ memberId: 'm1', rebalanceTimeoutMs: 30_000 }), topics);
    const second = await before.coordinator.consumerGroupHeartbeat(request({ memberId: 'm2' }), topics);
    // m1 is told to give up two partitions, then the broker restarts before it confirms.
    const revoking = await before.coordinator.consumerGroupHeartbeat(request(steady('m1', 2, first.assignment)), topics);
    assert.equal(partitionsOf(revoking).length, 2);
    const described = before.coordinator.consumerGroupDescribe(['group'], topics)[0];
    await before.coordinator.close();

    const afterRestart = open(dataDir);
    const restored = afterRestart.coordinator.consumerGroupDescribe(['group'], topics)[0];
    assert.equal(restored.errorCode, ErrorCode.NONE);
    assert.deepEqual(
      { groupEpoch: restored.groupEpoch, assignmentEpoch: restored.assignmentEpoch, state: restored.groupState, members: restored.members },
      { groupEpoch: described.groupEpoch, assignmentEpoch: described.assignmentEpoch, state: described.groupState, members: described.members },
    );
    // m1 confirms the revocation with its epoch from before the restart; m2 then gets the released partitions.
    const confirmed = await afterRestart.coordinator.consumerGroupHeartbeat(request(steady('m1', 2, revoking.assignment)), topics);
    assert.equal(confirmed.errorCode, ErrorCode.NONE);
    assert.equal(confirmed.memberEpoch, 3);
    const received = await afterRestart.coordinator.consumerGroupHeartbeat(request(steady('m2', 3, second.assignment ?? { topicPartitions: [] })), topics);
    assert.equal(received.errorCode, ErrorCode.NONE);
    // A steady heartbeat changes nothing and writes nothing.
    const logFile = join(dataDir, '__consumer_offsets', 'offsets.log');
    const bytes = statSync(logFile).size;
    const steadyAgain = await afterRestart.coordinator.consumerGroupHeartbeat(request(steady('m2', received.memberEpoch, received.assignment)), topics);
    assert.equal(steadyAgain.errorCode, ErrorCode.NONE);
    assert.equal(statSync(logFile).size, bytes);
    const owned = afterRestart.coordinator.consumerGroupDescribe(['group'], topics)[0].members.map((member) => member.assignment.topicPartitions.flatMap((topic) => topic.partitions));
    assert.deepEqual(owned.map((partitions) => partitions.length), [2, 2]);
    assert.deepEqual(owned.flat().sort(), [0, 1, 2, 3]);
    // A member the group does not know: UNKNOWN_MEMBER_ID, upon which a client rejoins with epoch 0.
    const stranger = await afterRestart.coordinator.consumerGroupHeartbeat(request(steady('m9', 3, { topicPartitions: [] })), topics);
    assert.equal(stranger.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    // Session timeouts restart with the load: a member that never comes back is removed.
    afterRestart.timer.advance(30_000);
    await afterRestart.coordinator.consumerGroupHeartbeat(request(steady('m1', 3, confirmed.assignment)), topics);
    afterRestart.timer.advance(20_000);
    assert.deepEqual(afterRestart.coordinator.consumerGroupDescribe(['group'], topics)[0].members.map((member) => member.memberId), ['m1']);
    await afterRestart.coordinator.close();

    // Removals are durable too.
    const third = open(dataDir);
    assert.deepEqual(third.coordinator.consumerGroupDescribe(['group'], topics)[0].members.map((member) => member.memberId), ['m1']);
    await third.coordinator.close();
  });

  it('a consumer group emptied by its last member stays a consumer group (Empty) after a restart', async () => {
    const dataDir = join(root, `data-${dirs++}`);
    const topics = new Topics();
    topics.add('orders', 4);
    const before = open(dataDir);
    const joined = await before.coordinator.consumerGroupHeartbeat(request({ memberId: 'm1' }), topics);
    await before.coordinator.consumerGroupHeartbeat(request({ memberId: 'm1', memberEpoch: -1 }), topics);
    assert.equal(joined.errorCode, ErrorCode.NONE);
    await before.coordinator.close();
    const afterRestart = open(dataDir);
    assert.equal(afterRestart.coordinator.consumerGroupDescribe(['group'], topics)[0].groupState, 'Empty');
    await afterRestart.coordinator.close();
  });
});

describe('consumer groups and the classic coordinator', () => {
  it('offset commits check the member epoch (STALE_MEMBER_EPOCH) and the offsets are shared', async () => {
    const { coordinator, topics } = setup();
    const joined = await coordinator.consumerGroupHeartbeat(request({}), topics);
    const commit = (memberId: string, epoch: number, v9 = true) =>
      coordinator.commitOffsets({
        groupId: 'group',
        generationId: epoch,
        memberId,
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: -1, committedMetadata: null }] }],
        groupIdNotFoundForUnknownGroup: v9,
      }, topics);
    const codeOf = (results: Awaited<ReturnType<typeof commit>>) => results[0].partitions[0].errorCode;
    assert.equal(codeOf(await commit('m1', joined.memberEpoch + 1)), ErrorCode.STALE_MEMBER_EPOCH);
    assert.equal(codeOf(await commit('nobody', 1)), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(codeOf(await commit('', -1)), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(codeOf(await commit('m1', 1, false)), ErrorCode.UNSUPPORTED_VERSION);
    assert.equal(codeOf(await commit('m1', joined.memberEpoch)), ErrorCode.NONE);
    const fetched = await coordinator.fetchOffsets([{ groupId: 'group', topics: null }], false);
    assert.equal(fetched[0].topics[0].partitions[0].committedOffset, 42n);
    // ListGroups reports the type; a classic JoinGroup of the embedded consumer protocol enters the live consumer
    // group as a classic member (first asked for a member id, KIP-394); another protocol type cannot.
    assert.deepEqual(coordinator.listGroups([], ['consumer']), [{ groupId: 'group', protocolType: 'consumer', groupState: 'Stable', groupType: 'consumer' }]);
    assert.deepEqual(coordinator.listGroups([], ['classic']), []);
    const join = (protocolType: string) => coordinator.joinGroup({
      groupId: 'group', memberId: '', groupInstanceId: null, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000,
      protocolType, protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], reason: null, clientId: 'c', clientHost: 'h',
      requireKnownMemberId: true, supportsSkippingAssignment: true,
    });
    assert.equal((await join('consumer')).errorCode, ErrorCode.MEMBER_ID_REQUIRED);
    assert.equal((await join('connect')).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    // Once empty, the group can be deleted; its offsets go with it.
    assert.equal((await coordinator.deleteGroups(['group']))[0].errorCode, ErrorCode.NON_EMPTY_GROUP);
    await coordinator.consumerGroupHeartbeat(request({ memberEpoch: -1 }), topics);
    assert.equal((await coordinator.deleteGroups(['group']))[0].errorCode, ErrorCode.NONE);
    const gone = await coordinator.fetchOffsets([{ groupId: 'group', topics: null }], false);
    assert.deepEqual(gone[0].topics, []);
    await coordinator.close();
  });

  it('TxnOffsetCommit checks the member epoch of a consumer group member (KIP-447 with KIP-848)', async () => {
    const { coordinator, topics } = setup();
    const joined = await coordinator.consumerGroupHeartbeat(request({}), topics);
    const commit = (memberId: string, generationId: number) =>
      coordinator.commitTransactionalOffsets({
        transactionalId: 'txn', groupId: 'group', producerId: 7n, producerEpoch: 0, generationId, memberId, groupInstanceId: null,
        topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: null }] }],
      }, topics);
    // No STALE_MEMBER_EPOCH in TxnOffsetCommit: a wrong epoch is ILLEGAL_GENERATION (`validateTransactionalOffsetCommit`).
    assert.equal((await commit('m1', joined.memberEpoch - 1))[0].partitions[0].errorCode, ErrorCode.ILLEGAL_GENERATION);
    assert.equal((await commit('m1', joined.memberEpoch + 1))[0].partitions[0].errorCode, ErrorCode.ILLEGAL_GENERATION);
    assert.equal((await commit('', -1))[0].partitions[0].errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal((await commit('m1', joined.memberEpoch))[0].partitions[0].errorCode, ErrorCode.NONE);
    await coordinator.close();
  });

  it('an empty classic group with committed offsets becomes a consumer group on the first heartbeat, offsets kept', async () => {
    const { coordinator, topics } = setup();
    await coordinator.commitOffsets({
      groupId: 'group', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, committedOffset: 7n, committedLeaderEpoch: -1, committedMetadata: null }] }],
      groupIdNotFoundForUnknownGroup: true,
    }, topics);
    const joined = await coordinator.consumerGroupHeartbeat(request({}), topics);
    assert.equal(joined.errorCode, ErrorCode.NONE);
    const fetched = await coordinator.fetchOffsets([{ groupId: 'group', topics: null }], false);
    assert.equal(fetched[0].topics[0].partitions[0].committedOffset, 7n);
    assert.deepEqual(coordinator.listGroups([], []).map((group) => group.groupType), ['consumer']);
    await coordinator.close();
  });
});

describe('KIP-1251: commits with an older member epoch (assignment epochs)', () => {
  it('accept partitions held since that epoch, refuse others as a whole, for OffsetCommit and TxnOffsetCommit, across a restart', async () => {
    const dataDir = join(root, `data-${dirs++}`);
    const topics = new Topics();
    topics.add('orders', 4);
    const open = () => {
      const timer = new ManualGroupTimer();
      return GroupCoordinator.open({ dataDir, timer, clock: timer.clock, config: { consumerGroupAssignmentIntervalMs: 0 } });
    };
    let coordinator = open();
    const commit = async (epoch: number, partitions: readonly number[]) =>
      (
        await coordinator.commitOffsets(
          {
            groupId: 'group', generationId: epoch, memberId: 'm1', groupInstanceId: null, retentionTimeMs: -1n, groupIdNotFoundForUnknownGroup: true,
            topics: [{ name: 'orders', partitions: partitions.map((partitionIndex) => ({ partitionIndex, committedOffset: BigInt(epoch), committedLeaderEpoch: -1, committedMetadata: null })) }],
          },
          topics,
        )
      ).flatMap((topic) => topic.partitions.map((partition) => partition.errorCode));
    const txnCommit = async (epoch: number, partitions: readonly number[]) =>
      (
        await coordinator.commitTransactionalOffsets(
          {
            transactionalId: 'txn', groupId: 'group', producerId: 7n, producerEpoch: 0, generationId: epoch, memberId: 'm1', groupInstanceId: null,
            topics: [{ name: 'orders', partitions: partitions.map((partitionIndex) => ({ partitionIndex, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null })) }],
          },
          topics,
        )
      ).flatMap((topic) => topic.partitions.map((partition) => partition.errorCode));
    const every = (code: number, count: number) => Array.from({ length: count }, () => code);

    const first = await coordinator.consumerGroupHeartbeat(request({ memberId: 'm1' }), topics);
    assert.equal(first.memberEpoch, 2);
    const second = await coordinator.consumerGroupHeartbeat(request({ memberId: 'm2' }), topics);
    const revoking = await coordinator.consumerGroupHeartbeat(request(steady('m1', 2, first.assignment)), topics);
    const kept = partitionsOf(revoking);
    const given = [0, 1, 2, 3].filter((partition) => !kept.includes(partition));
    // Still at epoch 2 while revoking: an older epoch predates every partition.
    assert.deepEqual(await commit(1, kept), every(ErrorCode.STALE_MEMBER_EPOCH, 2));
    const confirmed = await coordinator.consumerGroupHeartbeat(request(steady('m1', 2, revoking.assignment)), topics);
    assert.equal(confirmed.memberEpoch, 3);
    // Epoch 3 now; epoch 2 is fine for the partitions kept since then, not for the ones given away.
    assert.deepEqual(await commit(2, kept), every(ErrorCode.NONE, 2));
    assert.deepEqual(await commit(2, given), every(ErrorCode.STALE_MEMBER_EPOCH, 2));
    assert.deepEqual(await commit(2, [...kept, ...given]), every(ErrorCode.STALE_MEMBER_EPOCH, 4));
    assert.deepEqual(await commit(4, kept), every(ErrorCode.STALE_MEMBER_EPOCH, 2));
    // m2 leaves: m1 takes everything at epoch 4; the partitions it gets now need epoch 4.
    await coordinator.consumerGroupHeartbeat(request({ memberId: 'm2', memberEpoch: -1 }), topics);
    assert.equal(second.errorCode, ErrorCode.NONE);
    const all = await coordinator.consumerGroupHeartbeat(request(steady('m1', 3, confirmed.assignment)), topics);
    assert.equal(all.memberEpoch, 4);
    assert.deepEqual(partitionsOf(all).sort(), [0, 1, 2, 3]);
    assert.deepEqual(await commit(3, given), every(ErrorCode.STALE_MEMBER_EPOCH, 2));
    assert.deepEqual(await commit(2, kept), every(ErrorCode.NONE, 2));
    assert.deepEqual(await txnCommit(2, kept), every(ErrorCode.NONE, 2));
    // TxnOffsetCommit answers ILLEGAL_GENERATION where OffsetCommit says STALE_MEMBER_EPOCH.
    assert.deepEqual(await txnCommit(3, given), every(ErrorCode.ILLEGAL_GENERATION, 2));
    // The assignment epochs are part of the member's durable state.
    await coordinator.close();
    coordinator = open();
    assert.deepEqual(await commit(2, kept), every(ErrorCode.NONE, 2));
    assert.deepEqual(await commit(3, given), every(ErrorCode.STALE_MEMBER_EPOCH, 2));
    assert.deepEqual(await commit(4, [0, 1, 2, 3]), every(ErrorCode.NONE, 4));
    await coordinator.close();
  });
});
