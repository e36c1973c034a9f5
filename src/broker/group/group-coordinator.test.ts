// The classic group state machine, driven through the coordinator with a manual timer. Scenario names follow
// Kafka's `GroupMetadataManagerTest` / `GroupCoordinatorTest` where one exists.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { Writer } from '../../protocol/wire/writer.ts';
import { GroupCoordinator, type JoinGroupParams, type JoinGroupResult, type SyncGroupResult } from './group-coordinator.ts';
import type { GroupCoordinatorConfig } from './group-coordinator-config.ts';
import { nodeFileSystem, type LogFileSystem } from '../log/log-file-system.ts';
import { ManualGroupTimer } from './test-support.ts';

const root = mkdtempSync(join(tmpdir(), 'seqlog-group-coordinator-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;

const INITIAL_DELAY = 100;
const SESSION_TIMEOUT = 10_000;
const REBALANCE_TIMEOUT = 30_000;

/** A `ConsumerProtocolSubscription` v0: int16 version, topics, null user data. */
function subscription(topics: string[]): Buffer {
  const writer = new Writer();
  writer.int16(0).int32(topics.length);
  for (const topic of topics) writer.string(topic);
  writer.bytes(null);
  return Buffer.from(writer.finish());
}

function setup(config: Partial<GroupCoordinatorConfig> = {}, dataDir = join(root, `data-${dirs++}`), fs: LogFileSystem = nodeFileSystem) {
  const timer = new ManualGroupTimer();
  const coordinator = GroupCoordinator.open({
    dataDir,
    timer,
    clock: timer.clock,
    fs,
    config: { initialRebalanceDelayMs: INITIAL_DELAY, ...config },
  });
  return { timer, coordinator, dataDir };
}

function joinParams(overrides: Partial<JoinGroupParams> = {}): JoinGroupParams {
  return {
    groupId: 'group',
    memberId: '',
    groupInstanceId: null,
    sessionTimeoutMs: SESSION_TIMEOUT,
    rebalanceTimeoutMs: REBALANCE_TIMEOUT,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(['orders']) }],
    reason: null,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    requireKnownMemberId: true,
    supportsSkippingAssignment: true,
    ...overrides,
  };
}

/** The promise's value if it settled by the next macrotask, else 'pending'. */
async function peek<T>(promise: Promise<T>): Promise<T | 'pending'> {
  return Promise.race([promise, new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')))]);
}

async function settled<T>(promise: Promise<T>): Promise<T> {
  const value = await peek(promise);
  assert.notEqual(value, 'pending', 'expected the request to be answered');
  return value as T;
}

/** KIP-394 first join: returns the member id the coordinator hands out. */
async function memberIdFor(coordinator: GroupCoordinator, overrides: Partial<JoinGroupParams> = {}): Promise<string> {
  const first = await coordinator.joinGroup(joinParams(overrides));
  assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  assert.match(first.memberId, /^client-[0-9a-f-]{36}$/);
  return first.memberId;
}

/** Two dynamic members through a full rebalance; the first leads. */
async function stableGroupOfTwo(coordinator: GroupCoordinator, timer: ManualGroupTimer) {
  const a = await memberIdFor(coordinator);
  const b = await memberIdFor(coordinator);
  const joinA = coordinator.joinGroup(joinParams({ memberId: a }));
  const joinB = coordinator.joinGroup(joinParams({ memberId: b }));
  // `b` joined during the initial delay, which extends it once.
  timer.advance(2 * INITIAL_DELAY);
  const [resultA, resultB] = [await settled(joinA), await settled(joinB)];
  const syncB = coordinator.syncGroup({ groupId: 'group', generationId: resultB.generationId, memberId: b, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] });
  const syncA = coordinator.syncGroup({
    groupId: 'group',
    generationId: resultA.generationId,
    memberId: a,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocolName: 'range',
    assignments: [
      { memberId: a, assignment: Buffer.from('for-a') },
      { memberId: b, assignment: Buffer.from('for-b') },
    ],
  });
  return { a, b, resultA, resultB, syncA: await settled(syncA), syncB: await settled(syncB) };
}

function groupState(coordinator: GroupCoordinator, groupId = 'group'): string {
  return coordinator.describeGroups([groupId])[0].groupState;
}

describe('GroupCoordinator: join and sync', () => {
  it('rejects an empty group id, session timeouts out of bounds, and member ids of unknown groups', async () => {
    const { coordinator } = setup();
    assert.equal((await coordinator.joinGroup(joinParams({ groupId: '' }))).errorCode, ErrorCode.INVALID_GROUP_ID);
    assert.equal((await coordinator.joinGroup(joinParams({ sessionTimeoutMs: 5999 }))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
    assert.equal((await coordinator.joinGroup(joinParams({ sessionTimeoutMs: 1_800_001 }))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
    // A member id for a group that does not exist.
    assert.equal((await coordinator.joinGroup(joinParams({ memberId: 'ghost' }))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    await coordinator.close();
  });

  it('requires a known member id from v4 (KIP-394), then completes the initial rebalance after the delay', async () => {
    const { coordinator, timer } = setup();
    const memberId = await memberIdFor(coordinator);
    const join = coordinator.joinGroup(joinParams({ memberId }));
    assert.equal(await peek(join), 'pending');
    assert.equal(groupState(coordinator), 'PreparingRebalance');
    timer.advance(INITIAL_DELAY - 1);
    assert.equal(await peek(join), 'pending');
    timer.advance(1);
    const result = await settled(join);
    assert.equal(result.errorCode, ErrorCode.NONE);
    assert.equal(result.generationId, 1);
    assert.equal(result.leader, memberId);
    assert.equal(result.protocolName, 'range');
    assert.equal(result.protocolType, 'consumer');
    assert.deepEqual(result.members.map((member) => member.memberId), [memberId]);
    assert.equal(groupState(coordinator), 'CompletingRebalance');
    await coordinator.close();
  });

  it('lets old clients (v0-3) join without a member id', async () => {
    const { coordinator, timer } = setup();
    const join = coordinator.joinGroup(joinParams({ requireKnownMemberId: false }));
    timer.advance(INITIAL_DELAY);
    const result = await settled(join);
    assert.equal(result.errorCode, ErrorCode.NONE);
    assert.equal(result.leader, result.memberId);
    await coordinator.close();
  });

  it('extends the initial delay for members joining during it, and answers the leader with every member', async () => {
    const { coordinator, timer } = setup();
    const a = await memberIdFor(coordinator);
    const b = await memberIdFor(coordinator);
    const joinA = coordinator.joinGroup(joinParams({ memberId: a }));
    timer.advance(INITIAL_DELAY - 10);
    const joinB = coordinator.joinGroup(joinParams({ memberId: b }));
    timer.advance(10);
    // B arrived during the delay: it is extended once more.
    assert.equal(await peek(joinA), 'pending');
    timer.advance(INITIAL_DELAY);
    const [resultA, resultB] = [await settled(joinA), await settled(joinB)];
    assert.equal(resultA.generationId, 1);
    assert.equal(resultB.generationId, 1);
    assert.equal(resultA.leader, a);
    assert.equal(resultB.leader, a);
    assert.deepEqual(resultA.members.map((member) => member.memberId).sort(), [a, b].sort());
    assert.deepEqual(resultB.members, []);
    await coordinator.close();
  });

  it('selects the protocol by vote among those every member supports', async () => {
    const { coordinator, timer } = setup();
    const protocols = (...names: string[]) => names.map((name) => ({ name, metadata: subscription(['orders']) }));
    const ids = [
      await memberIdFor(coordinator, { protocols: protocols('range', 'roundrobin', 'sticky') }),
      await memberIdFor(coordinator, { protocols: protocols('sticky', 'roundrobin') }),
      await memberIdFor(coordinator, { protocols: protocols('sticky', 'range', 'roundrobin') }),
    ];
    const joins = [
      coordinator.joinGroup(joinParams({ memberId: ids[0], protocols: protocols('range', 'roundrobin', 'sticky') })),
      coordinator.joinGroup(joinParams({ memberId: ids[1], protocols: protocols('sticky', 'roundrobin') })),
      coordinator.joinGroup(joinParams({ memberId: ids[2], protocols: protocols('sticky', 'range', 'roundrobin') })),
    ];
    timer.advance(INITIAL_DELAY * 2);
    // 'range' is not supported by the second member; votes: roundrobin 1, sticky 2.
    for (const join of joins) assert.equal((await settled(join)).protocolName, 'sticky');
    await coordinator.close();
  });

  it('refuses a member with another protocol type or no common protocol (INCONSISTENT_GROUP_PROTOCOL)', async () => {
    const { coordinator, timer } = setup();
    await stableGroupOfTwo(coordinator, timer);
    const otherType = await coordinator.joinGroup(joinParams({ protocolType: 'connect' }));
    assert.equal(otherType.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const otherProtocol = await coordinator.joinGroup(joinParams({ protocols: [{ name: 'cooperative-sticky', metadata: Buffer.alloc(0) }] }));
    assert.equal(otherProtocol.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const noProtocols = setup();
    assert.equal((await noProtocols.coordinator.joinGroup(joinParams({ protocols: [] }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    await noProtocols.coordinator.close();
    await coordinator.close();
  });

  it('hands each member the assignment the leader sent and becomes Stable', async () => {
    const { coordinator, timer } = setup();
    const { a, b, syncA, syncB, resultA } = await stableGroupOfTwo(coordinator, timer);
    assert.equal(syncA.errorCode, ErrorCode.NONE);
    assert.equal(syncA.assignment.toString(), 'for-a');
    assert.equal(syncB.assignment.toString(), 'for-b');
    assert.equal(syncB.protocolName, 'range');
    assert.equal(groupState(coordinator), 'Stable');
    // A late SyncGroup in Stable gets the current assignment at once.
    const again = await coordinator.syncGroup({ groupId: 'group', generationId: resultA.generationId, memberId: b, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    assert.equal(again.assignment.toString(), 'for-b');
    const described = coordinator.describeGroups(['group'])[0];
    assert.equal(described.protocolData, 'range');
    assert.deepEqual(described.members.map((member) => [member.memberId, member.memberAssignment.toString()]).sort(), [
      [a, 'for-a'],
      [b, 'for-b'],
    ].sort());
    await coordinator.close();
  });

  it('checks SyncGroup: unknown member, stale generation, protocol mismatch (v5), rebalance in progress', async () => {
    const { coordinator, timer } = setup();
    const { a, resultA } = await stableGroupOfTwo(coordinator, timer);
    const sync = (overrides: object) =>
      coordinator.syncGroup({ groupId: 'group', generationId: resultA.generationId, memberId: a, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [], ...overrides });
    assert.equal((await sync({ memberId: 'nobody' })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal((await sync({ groupId: 'no-group' })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal((await sync({ generationId: 7 })).errorCode, ErrorCode.ILLEGAL_GENERATION);
    assert.equal((await sync({ protocolType: 'connect' })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    assert.equal((await sync({ protocolName: 'roundrobin' })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    // The leader rejoining a Stable group starts a rebalance.
    const rejoin = coordinator.joinGroup(joinParams({ memberId: a }));
    assert.equal(groupState(coordinator), 'PreparingRebalance');
    assert.equal((await sync({})).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
    assert.equal(await peek(rejoin), 'pending');
    await coordinator.close();
  });

  it('answers a member that rejoins with unchanged metadata in Stable with the current generation, without a rebalance', async () => {
    const { coordinator, timer } = setup();
    const { b, resultB } = await stableGroupOfTwo(coordinator, timer);
    const rejoin = await settled(coordinator.joinGroup(joinParams({ memberId: b })));
    assert.equal(rejoin.errorCode, ErrorCode.NONE);
    assert.equal(rejoin.generationId, resultB.generationId);
    assert.equal(groupState(coordinator), 'Stable');
    // Changed metadata forces a rebalance.
    const changed = coordinator.joinGroup(joinParams({ memberId: b, protocols: [{ name: 'range', metadata: subscription(['orders', 'payments']) }] }));
    assert.equal(await peek(changed), 'pending');
    assert.equal(groupState(coordinator), 'PreparingRebalance');
    await coordinator.close();
  });

  it('sends REBALANCE_IN_PROGRESS to members waiting in SyncGroup when a new member joins during CompletingRebalance', async () => {
    const { coordinator, timer } = setup();
    const a = await memberIdFor(coordinator);
    const joinA = coordinator.joinGroup(joinParams({ memberId: a }));
    timer.advance(INITIAL_DELAY);
    const resultA = await settled(joinA);
    const b = await memberIdFor(coordinator);
    // `a` leads generation 1 alone: its SyncGroup makes the group Stable.
    await settled(coordinator.syncGroup({ groupId: 'group', generationId: resultA.generationId, memberId: a, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }));
    const joinB = coordinator.joinGroup(joinParams({ memberId: b }));
    assert.equal(groupState(coordinator), 'PreparingRebalance');
    const rejoinA = coordinator.joinGroup(joinParams({ memberId: a }));
    const [newA, newB] = [await settled(rejoinA), await settled(joinB)];
    assert.equal(newA.generationId, 2);
    assert.equal(newB.generationId, 2);
    // Now B (a follower) waits in SyncGroup, and C shows up before the leader syncs.
    const waiting = coordinator.syncGroup({ groupId: 'group', generationId: 2, memberId: b, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    assert.equal(await peek(waiting), 'pending');
    const c = await memberIdFor(coordinator);
    const joinC = coordinator.joinGroup(joinParams({ memberId: c }));
    const answer: SyncGroupResult = await settled(waiting);
    assert.equal(answer.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
    assert.equal(await peek(joinC), 'pending');
    await coordinator.close();
  });
});

describe('GroupCoordinator: heartbeats, sessions and leaving', () => {
  it('answers heartbeats by group state and generation', async () => {
    const { coordinator, timer } = setup();
    const { a, b, resultA } = await stableGroupOfTwo(coordinator, timer);
    const beat = (overrides: object = {}) => coordinator.heartbeat({ groupId: 'group', generationId: resultA.generationId, memberId: a, groupInstanceId: null, ...overrides });
    assert.equal(beat(), ErrorCode.NONE);
    assert.equal(beat({ generationId: resultA.generationId - 1 }), ErrorCode.ILLEGAL_GENERATION);
    assert.equal(beat({ memberId: 'nobody' }), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(beat({ groupId: 'unknown' }), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(beat({ groupId: '' }), ErrorCode.INVALID_GROUP_ID);
    void coordinator.joinGroup(joinParams({ memberId: b, protocols: [{ name: 'range', metadata: subscription(['other']) }] }));
    assert.equal(beat(), ErrorCode.REBALANCE_IN_PROGRESS);
    await coordinator.close();
  });

  it('removes a member whose session expires and rebalances the rest (testSessionTimeout)', async () => {
    const { coordinator, timer } = setup();
    const { a, b, resultA } = await stableGroupOfTwo(coordinator, timer);
    // Only `a` keeps heartbeating.
    for (let elapsed = 0; elapsed < SESSION_TIMEOUT; elapsed += 3000) {
      timer.advance(3000);
      coordinator.heartbeat({ groupId: 'group', generationId: resultA.generationId, memberId: a, groupInstanceId: null });
    }
    assert.equal(groupState(coordinator), 'PreparingRebalance');
    assert.equal(coordinator.heartbeat({ groupId: 'group', generationId: resultA.generationId, memberId: b, groupInstanceId: null }), ErrorCode.UNKNOWN_MEMBER_ID);
    const rejoin = await settled(coordinator.joinGroup(joinParams({ memberId: a })));
    assert.equal(rejoin.generationId, resultA.generationId + 1);
    assert.deepEqual(rejoin.members.map((member) => member.memberId), [a]);
    await coordinator.close();
  });

  it('drops members that do not rejoin within the rebalance timeout', async () => {
    const { coordinator, timer } = setup();
    const { a, b, resultA } = await stableGroupOfTwo(coordinator, timer);
    const rejoinA = coordinator.joinGroup(joinParams({ memberId: a, protocols: [{ name: 'range', metadata: subscription(['x']) }] }));
    // `b` keeps its session alive with heartbeats but never rejoins.
    for (let elapsed = 0; elapsed + 5000 < REBALANCE_TIMEOUT; elapsed += 5000) {
      timer.advance(5000);
      assert.equal(coordinator.heartbeat({ groupId: 'group', generationId: resultA.generationId, memberId: b, groupInstanceId: null }), ErrorCode.REBALANCE_IN_PROGRESS);
      assert.equal(await peek(rejoinA), 'pending');
    }
    timer.advance(5000);
    const result = await settled(rejoinA);
    assert.equal(result.generationId, resultA.generationId + 1);
    assert.deepEqual(result.members.map((member) => member.memberId), [a]);
    assert.equal(coordinator.heartbeat({ groupId: 'group', generationId: result.generationId, memberId: b, groupInstanceId: null }), ErrorCode.UNKNOWN_MEMBER_ID);
    await coordinator.close();
  });

  it('expires a pending member id that never comes back, and members that never send SyncGroup', async () => {
    const { coordinator, timer } = setup();
    const a = await memberIdFor(coordinator);
    await memberIdFor(coordinator);
    const joinA = coordinator.joinGroup(joinParams({ memberId: a }));
    timer.advance(INITIAL_DELAY);
    const resultA = await settled(joinA);
    // The pending member did not block the initial rebalance; its id expires with the session timeout.
    assert.deepEqual(resultA.members.map((member) => member.memberId), [a]);
    timer.advance(REBALANCE_TIMEOUT);
    // `a` never synced: removed at the rebalance timeout, and the group is left empty.
    assert.equal(groupState(coordinator), 'Empty');
    assert.equal(coordinator.heartbeat({ groupId: 'group', generationId: resultA.generationId, memberId: a, groupInstanceId: null }), ErrorCode.UNKNOWN_MEMBER_ID);
    await coordinator.close();
  });

  it('removes members in a batch, each with its own error, and empties the group when the last one leaves', async () => {
    const { coordinator, timer } = setup();
    const { a, b } = await stableGroupOfTwo(coordinator, timer);
    const batch = coordinator.leaveGroup('group', [
      { memberId: b, groupInstanceId: null, reason: 'closing' },
      { memberId: 'nobody', groupInstanceId: null, reason: null },
      { memberId: '', groupInstanceId: 'no-such-instance', reason: null },
    ]);
    assert.equal(batch.errorCode, ErrorCode.NONE);
    assert.deepEqual(batch.members.map((member) => member.errorCode), [ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.UNKNOWN_MEMBER_ID]);
    assert.equal(groupState(coordinator), 'PreparingRebalance');
    assert.equal(coordinator.leaveGroup('unknown-group', [{ memberId: a, groupInstanceId: null, reason: null }]).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    // The last member leaving empties the group at once.
    assert.deepEqual(coordinator.leaveGroup('group', [{ memberId: a, groupInstanceId: null, reason: null }]).members.map((m) => m.errorCode), [ErrorCode.NONE]);
    assert.equal(groupState(coordinator), 'Empty');
    timer.advance(INITIAL_DELAY);
    await coordinator.close();
  });

  it('answers the parked JoinGroup of a member that leaves with UNKNOWN_MEMBER_ID', async () => {
    const { coordinator, timer } = setup();
    const { a, b } = await stableGroupOfTwo(coordinator, timer);
    const rejoinA = coordinator.joinGroup(joinParams({ memberId: a }));
    const leaveA = coordinator.leaveGroup('group', [{ memberId: a, groupInstanceId: null, reason: null }]);
    assert.equal(leaveA.members[0].errorCode, ErrorCode.NONE);
    const answer: JoinGroupResult = await settled(rejoinA);
    assert.equal(answer.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    // `b` becomes the leader of the next generation.
    const rejoinB = await settled(coordinator.joinGroup(joinParams({ memberId: b })));
    assert.equal(rejoinB.leader, b);
    await coordinator.close();
  });
});

describe('GroupCoordinator: static membership (KIP-345)', () => {
  it('lets a static member join without MEMBER_ID_REQUIRED, and rejoin after a restart without a rebalance', async () => {
    const { coordinator, timer } = setup();
    const join = coordinator.joinGroup(joinParams({ groupInstanceId: 'instance-1' }));
    timer.advance(INITIAL_DELAY);
    const first = await settled(join);
    assert.equal(first.errorCode, ErrorCode.NONE);
    assert.match(first.memberId, /^instance-1-/);
    await settled(coordinator.syncGroup({ groupId: 'group', generationId: first.generationId, memberId: first.memberId, groupInstanceId: 'instance-1', protocolType: null, protocolName: null, assignments: [{ memberId: first.memberId, assignment: Buffer.from('mine') }] }));
    assert.equal(groupState(coordinator), 'Stable');

    // The process restarts: same instance id, no member id.
    const second = await settled(coordinator.joinGroup(joinParams({ groupInstanceId: 'instance-1' })));
    assert.equal(second.errorCode, ErrorCode.NONE);
    assert.notEqual(second.memberId, first.memberId);
    assert.equal(second.generationId, first.generationId);
    assert.equal(second.skipAssignment, true);
    assert.equal(groupState(coordinator), 'Stable');
    const sync = await settled(coordinator.syncGroup({ groupId: 'group', generationId: second.generationId, memberId: second.memberId, groupInstanceId: 'instance-1', protocolType: null, protocolName: null, assignments: [] }));
    assert.equal(sync.assignment.toString(), 'mine');
    // The old incarnation is fenced.
    assert.equal(
      coordinator.heartbeat({ groupId: 'group', generationId: first.generationId, memberId: first.memberId, groupInstanceId: 'instance-1' }),
      ErrorCode.FENCED_INSTANCE_ID,
    );
    // An admin removes it by instance id.
    const removed = coordinator.leaveGroup('group', [{ memberId: '', groupInstanceId: 'instance-1', reason: null }]);
    assert.equal(removed.members[0].errorCode, ErrorCode.NONE);
    assert.equal(groupState(coordinator), 'Empty');
    await coordinator.close();
  });
});

/** Classic-group commits never look topics up (only KIP-848 members' assignments are by topic id). */
const noTopics = { topic: () => undefined };

describe('GroupCoordinator: offsets', () => {
  const commit = (coordinator: GroupCoordinator, overrides: object = {}, offset = 10n) =>
    coordinator.commitOffsets({
      groupId: 'group',
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: 3, committedMetadata: 'm' }] }],
      groupIdNotFoundForUnknownGroup: false,
      ...overrides,
    }, noTopics);
  const errorOf = async (promise: ReturnType<typeof commit>) => (await promise)[0].partitions[0].errorCode;
  const fetch = async (coordinator: GroupCoordinator, groupId = 'group') =>
    (await coordinator.fetchOffsets([{ groupId, topics: null }], false))[0].topics.flatMap((topic) =>
      topic.partitions.map((partition) => [topic.name, partition.partitionIndex, partition.committedOffset, partition.committedLeaderEpoch, partition.metadata]),
    );

  it('accepts generation -1 commits for an empty or unknown group (a simple group) and fetches them back', async () => {
    const { coordinator } = setup();
    assert.equal(await errorOf(commit(coordinator)), ErrorCode.NONE);
    assert.deepEqual(await fetch(coordinator), [['orders', 0, 10n, 3, 'm']]);
    const listed = coordinator.listGroups([], []);
    assert.deepEqual(listed, [{ groupId: 'group', protocolType: '', groupState: 'Empty', groupType: 'classic' }]);
    // Requested partitions without offsets, and unknown groups, get -1 without an error.
    const [missing] = await coordinator.fetchOffsets([{ groupId: 'nobody', topics: [{ name: 'orders', partitionIndexes: [0, 1] }] }], true);
    assert.deepEqual(missing.topics[0].partitions.map((p) => [p.committedOffset, p.errorCode]), [
      [-1n, ErrorCode.NONE],
      [-1n, ErrorCode.NONE],
    ]);
    await coordinator.close();
  });

  it('acknowledges a commit, and answers a fetch of it, only once an fsync covers it; a failed fsync is NOT_COORDINATOR', async () => {
    const gates: { resolve: () => void; reject: (error: Error) => void }[] = [];
    const fs: LogFileSystem = {
      ...nodeFileSystem,
      fsync: async (fd) => {
        await new Promise<void>((resolve, reject) => gates.push({ resolve, reject }));
        await nodeFileSystem.fsync(fd);
      },
    };
    const { coordinator } = setup({}, undefined, fs);
    const committing = commit(coordinator);
    const fetching = fetch(coordinator);
    assert.equal(await peek(committing), 'pending');
    assert.equal(await peek(fetching), 'pending');
    for (const gate of gates.splice(0)) gate.resolve();
    assert.equal(await errorOf(committing), ErrorCode.NONE);
    assert.deepEqual(await fetching, [['orders', 0, 10n, 3, 'm']]);
    const failing = commit(coordinator, {}, 11n);
    await peek(failing);
    for (const gate of gates.splice(0)) gate.reject(new Error('EIO'));
    assert.equal(await errorOf(failing), ErrorCode.NOT_COORDINATOR);
    assert.equal(await errorOf(commit(coordinator, {}, 12n)), ErrorCode.NOT_COORDINATOR);
    await coordinator.close();
  });

  it('validates member and generation (testCommitOffsetWithDefaultGeneration, testCommitOffsetFromUnknownGroup)', async () => {
    const { coordinator, timer } = setup();
    assert.equal(await errorOf(commit(coordinator, { generationId: 1, memberId: 'm' })), ErrorCode.ILLEGAL_GENERATION);
    assert.equal(await errorOf(commit(coordinator, { generationId: 1, memberId: 'm', groupIdNotFoundForUnknownGroup: true })), ErrorCode.GROUP_ID_NOT_FOUND);
    const { a, resultA } = await stableGroupOfTwo(coordinator, timer);
    assert.equal(await errorOf(commit(coordinator, { generationId: resultA.generationId, memberId: a })), ErrorCode.NONE);
    assert.equal(await errorOf(commit(coordinator, { generationId: resultA.generationId + 1, memberId: a })), ErrorCode.ILLEGAL_GENERATION);
    assert.equal(await errorOf(commit(coordinator, { generationId: resultA.generationId, memberId: 'nobody' })), ErrorCode.UNKNOWN_MEMBER_ID);
    // Generation -1 without a member is refused while the group has members.
    assert.equal(await errorOf(commit(coordinator)), ErrorCode.UNKNOWN_MEMBER_ID);
    // Metadata beyond `offset.metadata.max.bytes`.
    const long = await commit(coordinator, {
      generationId: resultA.generationId,
      memberId: a,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: 'x'.repeat(4097) }] }],
    });
    assert.equal(long[0].partitions[0].errorCode, ErrorCode.OFFSET_METADATA_TOO_LARGE);
    await coordinator.close();
  });

  it('answers REBALANCE_IN_PROGRESS to commits while the group waits for its assignment', async () => {
    const { coordinator, timer } = setup();
    const a = await memberIdFor(coordinator);
    const join = coordinator.joinGroup(joinParams({ memberId: a }));
    timer.advance(INITIAL_DELAY);
    const result = await settled(join);
    assert.equal(groupState(coordinator), 'CompletingRebalance');
    assert.equal(await errorOf(commit(coordinator, { generationId: result.generationId, memberId: a })), ErrorCode.REBALANCE_IN_PROGRESS);
    await coordinator.close();
  });

  it('keeps offsets, generation and protocol type across a restart; membership is gone', async () => {
    const first = setup();
    const { a, resultA } = await stableGroupOfTwo(first.coordinator, first.timer);
    assert.equal(await errorOf(commit(first.coordinator, { generationId: resultA.generationId, memberId: a }, 42n)), ErrorCode.NONE);
    await first.coordinator.close();

    const second = setup({}, first.dataDir);
    assert.deepEqual(await fetch(second.coordinator), [['orders', 0, 42n, 3, 'm']]);
    assert.deepEqual(second.coordinator.listGroups([], []), [{ groupId: 'group', protocolType: 'consumer', groupState: 'Empty', groupType: 'classic' }]);
    assert.equal(second.coordinator.heartbeat({ groupId: 'group', generationId: resultA.generationId, memberId: a, groupInstanceId: null }), ErrorCode.UNKNOWN_MEMBER_ID);
    // Generations keep increasing after the restart.
    const memberId = await memberIdFor(second.coordinator);
    const join = second.coordinator.joinGroup(joinParams({ memberId }));
    second.timer.advance(INITIAL_DELAY);
    assert.equal((await settled(join)).generationId, resultA.generationId + 1);
    await second.coordinator.close();
  });

  it('deletes offsets (KIP-496) unless the group consumes the topic', async () => {
    const { coordinator, timer } = setup();
    assert.equal(await errorOf(commit(coordinator, { topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }, { name: 'archive', partitions: [{ partitionIndex: 0, committedOffset: 2n, committedLeaderEpoch: -1, committedMetadata: null }] }] })), ErrorCode.NONE);
    assert.equal((await coordinator.deleteOffsets('nobody', [])).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    await stableGroupOfTwo(coordinator, timer);
    const result = await coordinator.deleteOffsets('group', [
      { name: 'orders', partitions: [0] },
      { name: 'archive', partitions: [0, 5] },
    ]);
    assert.equal(result.errorCode, ErrorCode.NONE);
    assert.deepEqual(result.topics.map((topic) => [topic.name, topic.partitions.map((p) => p.errorCode)]), [
      ['orders', [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC]],
      ['archive', [ErrorCode.NONE, ErrorCode.NONE]],
    ]);
    assert.deepEqual(await fetch(coordinator), [['orders', 0, 1n, -1, '']]);
    await coordinator.close();
  });

  it('refuses OffsetDelete for a non-consumer group with members (NON_EMPTY_GROUP)', async () => {
    const { coordinator, timer } = setup();
    const join = coordinator.joinGroup(joinParams({ protocolType: 'connect', requireKnownMemberId: false }));
    timer.advance(INITIAL_DELAY);
    await settled(join);
    assert.equal((await coordinator.deleteOffsets('group', [{ name: 'orders', partitions: [0] }])).errorCode, ErrorCode.NON_EMPTY_GROUP);
    await coordinator.close();
  });

  it('deletes only empty groups, with their offsets, durably', async () => {
    const { coordinator, timer, dataDir } = setup();
    await commit(coordinator, { groupId: 'simple' });
    await stableGroupOfTwo(coordinator, timer);
    const results = await coordinator.deleteGroups(['simple', 'group', 'nobody', '']);
    assert.deepEqual(results.map((result) => result.errorCode), [ErrorCode.NONE, ErrorCode.NON_EMPTY_GROUP, ErrorCode.GROUP_ID_NOT_FOUND, ErrorCode.INVALID_GROUP_ID]);
    assert.deepEqual(await fetch(coordinator, 'simple'), []);
    assert.equal(coordinator.describeGroups(['simple'])[0].groupState, 'Dead');
    await coordinator.close();
    const reopened = setup({}, dataDir);
    assert.deepEqual(await fetch(reopened.coordinator, 'simple'), []);
    // The consumer group comes back (Empty: its members are gone); the deleted one does not.
    assert.deepEqual(reopened.coordinator.listGroups([], []).map((group) => group.groupId), ['group']);
    await reopened.coordinator.close();
  });

  it('expires offsets of simple groups after the retention and then deletes the group', async () => {
    const retention = 60_000;
    const { coordinator, timer } = setup({ offsetsRetentionMs: retention, offsetsRetentionCheckIntervalMs: 10_000 });
    await commit(coordinator, { groupId: 'simple' });
    timer.advance(retention - 10_000);
    assert.equal((await fetch(coordinator, 'simple')).length, 1);
    timer.advance(10_000);
    assert.deepEqual(await fetch(coordinator, 'simple'), []);
    assert.deepEqual(coordinator.listGroups([], []), []);
    await coordinator.close();
  });

  it('drops the offsets of deleted topics (onTopicsDeleted)', async () => {
    const { coordinator } = setup();
    await commit(coordinator, { groupId: 'a' });
    await commit(coordinator, { groupId: 'b', topics: [{ name: 'kept', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    await coordinator.onTopicsDeleted(['orders']);
    assert.deepEqual(await fetch(coordinator, 'a'), []);
    assert.deepEqual(await fetch(coordinator, 'b'), [['kept', 0, 1n, -1, '']]);
    await coordinator.close();
  });

  it('lists groups with state and type filters (case-insensitive)', async () => {
    const { coordinator, timer } = setup();
    await commit(coordinator, { groupId: 'simple' });
    await stableGroupOfTwo(coordinator, timer);
    assert.deepEqual(coordinator.listGroups(['stable'], []).map((group) => group.groupId), ['group']);
    assert.deepEqual(coordinator.listGroups(['Empty'], ['Classic']).map((group) => group.groupId), ['simple']);
    assert.deepEqual(coordinator.listGroups([], ['consumer']), []);
    await coordinator.close();
  });
});

describe('GroupCoordinator: transactional offsets', () => {
  const txnCommit = (coordinator: GroupCoordinator, producerId: bigint, offset: bigint, groupId = 'group') =>
    coordinator.commitTransactionalOffsets({
      transactionalId: 'tx',
      groupId,
      producerId,
      producerEpoch: 0,
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }],
    }, noTopics);
  const fetchStable = async (coordinator: GroupCoordinator, groupId = 'group') =>
    (await coordinator.fetchOffsets([{ groupId, topics: [{ name: 'orders', partitionIndexes: [0] }] }], true))[0].topics[0].partitions[0];

  it('keeps offsets pending until the commit, across a restart; RequireStable answers UNSTABLE_OFFSET_COMMIT meanwhile', async () => {
    const { coordinator, dataDir } = setup();
    assert.equal((await txnCommit(coordinator, 7n, 42n))[0].partitions[0].errorCode, ErrorCode.NONE);
    assert.deepEqual([(await fetchStable(coordinator)).errorCode, (await fetchStable(coordinator)).committedOffset], [ErrorCode.UNSTABLE_OFFSET_COMMIT, -1n]);
    await coordinator.close();
    const { coordinator: reopened } = setup({}, dataDir);
    assert.equal((await fetchStable(reopened)).errorCode, ErrorCode.UNSTABLE_OFFSET_COMMIT, 'still pending after a restart');
    await reopened.completeTransaction(7n, true);
    assert.deepEqual([(await fetchStable(reopened)).errorCode, (await fetchStable(reopened)).committedOffset], [ErrorCode.NONE, 42n]);
    await reopened.completeTransaction(7n, true);
    await reopened.close();
  });

  it('drops pending offsets at abort, and with their group when it is deleted', async () => {
    const { coordinator } = setup();
    await txnCommit(coordinator, 7n, 42n);
    await coordinator.completeTransaction(7n, false);
    assert.deepEqual([(await fetchStable(coordinator)).errorCode, (await fetchStable(coordinator)).committedOffset], [ErrorCode.NONE, -1n]);
    await txnCommit(coordinator, 8n, 43n, 'doomed');
    assert.equal((await coordinator.deleteGroups(['doomed']))[0].errorCode, ErrorCode.NONE);
    await coordinator.completeTransaction(8n, true);
    assert.deepEqual([(await fetchStable(coordinator, 'doomed')).errorCode, (await fetchStable(coordinator, 'doomed')).committedOffset], [ErrorCode.NONE, -1n]);
    await coordinator.close();
  });
});
