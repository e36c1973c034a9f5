// Offset expiry (KIP-211) rules with a manual clock, after Kafka's `OffsetMetadataManagerTest`
// (testCleanupExpiredOffsets*) and `ClassicGroupTest.testOffsetExpirationCondition`: what each group state lets
// expire, from when, and when the group itself goes.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { Writer } from '../../protocol/wire/writer.ts';
import { GroupCoordinator, type CommitPartition } from './group-coordinator.ts';
import type { TopicImage, TopicsImage } from './consumer-group-manager.ts';
import { ManualGroupTimer } from './test-support.ts';

const root = mkdtempSync(join(tmpdir(), 'seqlog-offset-expiry-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;

const RETENTION = 60_000;
const CHECK_INTERVAL = 10_000;
/** Longer than every test: members stay without heartbeating. */
const SESSION_TIMEOUT = 1_800_000;

class Topics implements TopicsImage {
  private readonly byName = new Map<string, TopicImage>();
  constructor(names: readonly string[]) {
    for (const name of names) this.byName.set(name, { name, topicId: Buffer.alloc(16, name), partitions: 2 });
  }
  listTopics(): TopicImage[] {
    return [...this.byName.values()];
  }
  topic(name: string): TopicImage | undefined {
    return this.byName.get(name);
  }
}

const topics = new Topics(['orders', 'other']);

function setup(dataDir = join(root, `data-${dirs++}`), startMs?: number) {
  const timer = new ManualGroupTimer(startMs);
  const coordinator = GroupCoordinator.open({
    dataDir,
    timer,
    clock: timer.clock,
    config: { initialRebalanceDelayMs: 0, offsetsRetentionMs: RETENTION, offsetsRetentionCheckIntervalMs: CHECK_INTERVAL, consumerGroupAssignmentIntervalMs: 0, consumerGroupSessionTimeoutMs: SESSION_TIMEOUT },
  });
  return { timer, coordinator, dataDir };
}

const partition = (partitionIndex: number, committedOffset = 5n): CommitPartition => ({ partitionIndex, committedOffset, committedLeaderEpoch: -1, committedMetadata: null });

async function commit(coordinator: GroupCoordinator, groupId: string, entries: readonly [string, number][], member: { generationId: number; memberId: string } = { generationId: -1, memberId: '' }): Promise<void> {
  const results = await coordinator.commitOffsets({
    groupId,
    generationId: member.generationId,
    memberId: member.memberId,
    groupInstanceId: null,
    retentionTimeMs: -1n,
    groupIdNotFoundForUnknownGroup: true,
    topics: entries.map(([name, index]) => ({ name, partitions: [partition(index)] })),
  }, topics);
  assert.ok(results.every((topic) => topic.partitions.every((p) => p.errorCode === ErrorCode.NONE)), 'committed');
}

async function committed(coordinator: GroupCoordinator, groupId: string): Promise<string[]> {
  const [group] = await coordinator.fetchOffsets([{ groupId, topics: null }], false);
  return group.topics.flatMap((topic) => topic.partitions.map((p) => `${topic.name}-${p.partitionIndex}`)).sort();
}

const listed = (coordinator: GroupCoordinator): string[] => coordinator.listGroups([], []).map((group) => `${group.groupId}:${group.groupState}`).sort();

/** A classic consumer-protocol group of one member subscribed to `orders`, Stable. */
async function stableClassicMember(coordinator: GroupCoordinator, timer: ManualGroupTimer, groupId: string): Promise<{ memberId: string; generationId: number }> {
  const metadata = new Writer();
  metadata.int16(0).int32(1).string('orders').bytes(null);
  const params = {
    groupId, groupInstanceId: null, sessionTimeoutMs: SESSION_TIMEOUT, rebalanceTimeoutMs: 30_000, protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from(metadata.finish()) }], reason: null, clientId: 'client', clientHost: '/127.0.0.1',
    requireKnownMemberId: false, supportsSkippingAssignment: true,
  };
  const joining = coordinator.joinGroup({ ...params, memberId: '' });
  timer.advance(0);
  const joined = await joining;
  assert.equal(joined.errorCode, ErrorCode.NONE);
  const synced = await coordinator.syncGroup({ groupId, generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: joined.memberId, assignment: Buffer.alloc(0) }] });
  assert.equal(synced.errorCode, ErrorCode.NONE);
  return { memberId: joined.memberId, generationId: joined.generationId };
}

describe('offset expiry (offsets.retention.minutes)', () => {
  it('a Stable classic group loses only unsubscribed topics; once Empty, it counts from then, and the group goes', async () => {
    const { timer, coordinator } = setup();
    const member = await stableClassicMember(coordinator, timer, 'g');
    await commit(coordinator, 'g', [['orders', 0], ['other', 0]], member);
    timer.advance(RETENTION);
    assert.deepEqual(await committed(coordinator, 'g'), ['orders-0'], 'the unsubscribed topic expired, counted from its commit');
    // The member leaves long after the commit: the rest expires a retention after the group became Empty.
    timer.advance(30_000);
    coordinator.leaveGroup('g', [{ memberId: member.memberId, groupInstanceId: null, reason: null }]);
    assert.deepEqual(listed(coordinator), ['g:Empty']);
    timer.advance(RETENTION - CHECK_INTERVAL);
    assert.deepEqual(await committed(coordinator, 'g'), ['orders-0'], 'not yet: Empty for less than the retention');
    timer.advance(CHECK_INTERVAL);
    assert.deepEqual(await committed(coordinator, 'g'), []);
    assert.deepEqual(listed(coordinator), [], 'an Empty group without offsets is deleted');
    await coordinator.close();
  });

  it('after a restart, a group that had members is Empty from then on, not from its last rebalance', async () => {
    const { timer, coordinator, dataDir } = setup();
    const member = await stableClassicMember(coordinator, timer, 'g');
    await commit(coordinator, 'g', [['orders', 0]], member);
    timer.advance(2 * RETENTION);
    assert.deepEqual(await committed(coordinator, 'g'), ['orders-0'], 'subscribed and Stable: kept');
    await coordinator.close();
    // Members are not restored: the group comes back Empty, and its retention starts at the restart.
    const reopened = setup(dataDir, timer.now);
    assert.deepEqual(listed(reopened.coordinator), ['g:Empty']);
    reopened.timer.advance(RETENTION - CHECK_INTERVAL);
    assert.deepEqual(await committed(reopened.coordinator, 'g'), ['orders-0']);
    reopened.timer.advance(CHECK_INTERVAL);
    assert.deepEqual(await committed(reopened.coordinator, 'g'), []);
    await reopened.coordinator.close();
  });

  it('a pending transactional offset is never expired and keeps its group until the transaction ends', async () => {
    const { timer, coordinator } = setup();
    await commit(coordinator, 'simple', [['orders', 0], ['orders', 1]]);
    const pending = await coordinator.commitTransactionalOffsets({
      transactionalId: 'tx', groupId: 'simple', producerId: 7n, producerEpoch: 0, generationId: -1, memberId: '', groupInstanceId: null,
      topics: [{ name: 'orders', partitions: [partition(1, 9n)] }],
    }, topics);
    assert.equal(pending[0].partitions[0].errorCode, ErrorCode.NONE);
    timer.advance(RETENTION);
    assert.deepEqual(await committed(coordinator, 'simple'), ['orders-1'], 'orders-0 expired; orders-1 waits for the transaction');
    assert.deepEqual(listed(coordinator), ['simple:Empty']);
    await coordinator.completeTransaction(7n, false);
    timer.advance(CHECK_INTERVAL);
    assert.deepEqual(await committed(coordinator, 'simple'), []);
    assert.deepEqual(listed(coordinator), []);
    await coordinator.close();
  });

  it('a consumer group keeps the topics its members subscribe to, by name or regex, and loses all once Empty', async () => {
    const { timer, coordinator } = setup();
    const heartbeat = (memberEpoch: number) =>
      coordinator.consumerGroupHeartbeat({
        groupId: 'cg', memberId: 'm1', memberEpoch, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000,
        subscribedTopicNames: [], subscribedTopicRegex: 'ord.*', serverAssignor: null, topicPartitions: [], memberIdRequired: true, clientId: 'client', clientHost: '/127.0.0.1',
      }, topics);
    const joined = await heartbeat(0);
    assert.equal(joined.errorCode, ErrorCode.NONE);
    await commit(coordinator, 'cg', [['orders', 0], ['other', 1]], { generationId: joined.memberEpoch, memberId: 'm1' });
    timer.advance(RETENTION);
    assert.deepEqual(await committed(coordinator, 'cg'), ['orders-0'], 'other matches no subscription');
    // The member leaves (epoch -1): the group is Empty and its offsets are older than the retention.
    assert.equal((await heartbeat(-1)).errorCode, ErrorCode.NONE);
    timer.advance(CHECK_INTERVAL);
    assert.deepEqual(await committed(coordinator, 'cg'), []);
    assert.deepEqual(listed(coordinator), []);
    await coordinator.close();
  });
});
