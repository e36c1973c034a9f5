// KIP-848 ConsumerGroupHeartbeat and ConsumerGroupDescribe, differentially: the same heartbeat sequences sent to
// Apache Kafka 4.4 and to seqlog, compared field by field (member epochs, assignments, heartbeat interval,
// errors of Kafka's `GroupMetadataManager.consumerGroupHeartbeat`). Group ids are unique per scenario and
// target (built from the scenario's topic names); member ids are client-generated, as v1 requires (KIP-1082).
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/errors/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import type { ConsumerGroupDescribeResponse, ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse } from '../../src/protocol/messages/generated/index.ts';
import { requestStep, restartStep } from './differential.ts';
import type { Scenario, Step, TargetContext } from './differential.ts';
import { group, waitForCoordinatorStep } from './group-steps.ts';
import { describeDifferentialScenarios } from './targets.ts';

interface HeartbeatSpec {
  memberId: string;
  /** A literal epoch, or the label of a captured member whose epoch (plus `epochOffset`) is sent. */
  memberEpoch: number | string;
  epochOffset?: number;
  instanceId?: string;
  join?: boolean;
  /** Owned partitions: the label of a captured assignment, or none. */
  owned?: string;
  groupId?: (ctx: TargetContext) => string;
}

function heartbeat(title: string, spec: HeartbeatSpec, expected: keyof typeof ErrorCode, capture?: string): Step {
  return requestStep({
    title,
    apiKey: ApiKey.ConsumerGroupHeartbeat,
    build: (ctx): ConsumerGroupHeartbeatRequest => {
      const joining = spec.join === true;
      return {
        groupId: (spec.groupId ?? group)(ctx),
        memberId: spec.memberId,
        memberEpoch: typeof spec.memberEpoch === 'string' ? ctx.get<number>(`${spec.memberEpoch}:epoch`) + (spec.epochOffset ?? 0) : spec.memberEpoch,
        instanceId: spec.instanceId ?? null,
        rackId: null,
        rebalanceTimeoutMs: joining ? 30000 : -1,
        subscribedTopicNames: joining ? [ctx.topic('t')] : null,
        subscribedTopicRegex: null,
        serverAssignor: null,
        topicPartitions: joining ? [] : spec.owned === undefined ? null : ctx.get<ConsumerGroupHeartbeatResponse['assignment']>(spec.owned)?.topicPartitions ?? [],
      };
    },
    capture(response, ctx) {
      // A heartbeat without an assignment leaves the member's partitions as they were.
      if (capture !== undefined && response.assignment !== null) ctx.remember(capture, response.assignment);
      if (capture !== undefined && response.errorCode === ErrorCode.NONE) ctx.remember(`${capture}:epoch`, response.memberEpoch);
    },
    expect: (response) => assert.equal(response.errorCode, ErrorCode[expected], `${title}: ${response.errorMessage ?? ''}`),
  });
}

function describeStep(title: string): Step {
  const step = requestStep({
    title,
    apiKey: ApiKey.ConsumerGroupDescribe,
    build: (ctx) => ({ groupIds: [group(ctx)], includeAuthorizedOperations: false }),
    // The group id embeds the per-target topic prefix; topic names are compared through their labels.
    allow: ['groups.*.groupId', '**.clientHost', '**.clientId', '**.topicName'],
  });
  const send = step.run;
  return {
    ...step,
    // Kafka lists members in its hash map's order; compare them by member id.
    async run(connection, version, ctx) {
      const response = (await send?.(connection, version, ctx)) as ConsumerGroupDescribeResponse;
      for (const described of response.groups) described.members.sort((x, y) => (x.memberId < y.memberId ? -1 : x.memberId > y.memberId ? 1 : 0));
      return response;
    },
  };
}

function commitStep(title: string, memberId: string, member: string, epochOffset: number, expected: keyof typeof ErrorCode): Step {
  return requestStep({
    title,
    apiKey: ApiKey.OffsetCommit,
    version: 9,
    build: (ctx) => ({
      groupId: group(ctx),
      generationIdOrMemberEpoch: ctx.get<number>(`${member}:epoch`) + epochOffset,
      memberId,
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [{ name: ctx.topic('t'), partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
    }),
    expect: (response) => assert.equal(response.topics[0]?.partitions[0]?.errorCode, ErrorCode[expected]),
  });
}

/** OffsetFetch v9 as a member (`member` names a captured epoch, plus `epochOffset`), or as the admin client (null). */
function fetchStep(title: string, memberId: string | null, member: string | number, epochOffset: number, expected: keyof typeof ErrorCode): Step {
  return requestStep({
    title,
    apiKey: ApiKey.OffsetFetch,
    version: 9,
    build: (ctx) => ({
      groupId: '',
      topics: [],
      groups: [
        {
          groupId: group(ctx),
          memberId,
          memberEpoch: typeof member === 'string' ? ctx.get<number>(`${member}:epoch`) + epochOffset : member,
          topics: [{ name: ctx.topic('t'), partitionIndexes: [0] }],
        },
      ],
      requireStable: false,
    }),
    allow: ['groups.*.groupId', 'groups.*.topics.*.name'],
    expect: (response) => assert.equal(response.groups[0]?.errorCode, ErrorCode[expected], title),
  });
}

type HeartbeatAssignment = ConsumerGroupHeartbeatResponse['assignment'];

/** The partitions of the scenario's topic in a captured assignment. */
function assignedPartitions(ctx: TargetContext, label: string): number[] {
  return [...(ctx.get<HeartbeatAssignment>(label)?.topicPartitions[0]?.partitions ?? [])].sort((x, y) => x - y);
}

/**
 * Heartbeats as a member (owning what it was last given) until its epoch moves past the epoch captured under
 * `from`: Kafka computes target assignments in the background, so how many heartbeats that takes is not compared,
 * only the final answer. Captures the result under `capture` (assignment) and `${capture}:epoch`.
 */
function heartbeatUntilNextEpochStep(title: string, memberId: string, from: string, capture: string): Step {
  return {
    kind: 'request',
    title,
    apiKey: ApiKey.ConsumerGroupHeartbeat,
    allow: [],
    async run(connection, version, ctx) {
      const startEpoch = ctx.get<number>(`${from}:epoch`);
      let epoch = startEpoch;
      let assignment = ctx.get<HeartbeatAssignment>(from);
      const deadline = Date.now() + 30_000;
      for (;;) {
        const request: ConsumerGroupHeartbeatRequest = {
          groupId: group(ctx),
          memberId,
          memberEpoch: epoch,
          instanceId: null,
          rackId: null,
          rebalanceTimeoutMs: -1,
          subscribedTopicNames: null,
          subscribedTopicRegex: null,
          serverAssignor: null,
          topicPartitions: assignment?.topicPartitions ?? [],
        };
        const response = await connection.send(ApiKey.ConsumerGroupHeartbeat, version, request);
        if (response.errorCode !== ErrorCode.NONE) return response;
        epoch = response.memberEpoch;
        if (response.assignment !== null) assignment = response.assignment;
        if (epoch > startEpoch) return { ...response, assignment };
        if (Date.now() > deadline) throw new Error(`${memberId} never moved past epoch ${startEpoch}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    capture(response, ctx) {
      const answer = response as ConsumerGroupHeartbeatResponse;
      if (answer.assignment !== null) ctx.remember(capture, answer.assignment);
      ctx.remember(`${capture}:epoch`, answer.memberEpoch);
    },
    expect: (response) => assert.equal((response as ConsumerGroupHeartbeatResponse).errorCode, ErrorCode.NONE, title),
  };
}

/**
 * OffsetCommit v9 as `member-a` with the epoch captured under `epochOf`, for partitions chosen from captured
 * assignments; `expected` is every partition's error (Kafka validates the whole request before committing any).
 */
function commitPartitionsStep(title: string, epochOf: string, partitions: (ctx: TargetContext) => number[], expected: keyof typeof ErrorCode): Step {
  return requestStep({
    title,
    apiKey: ApiKey.OffsetCommit,
    version: 9,
    build: (ctx) => ({
      groupId: group(ctx),
      generationIdOrMemberEpoch: ctx.get<number>(`${epochOf}:epoch`),
      memberId: 'member-a',
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [
        {
          name: ctx.topic('t'),
          partitions: partitions(ctx).map((partitionIndex) => ({ partitionIndex, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null })),
        },
      ],
    }),
    expect: (response) => {
      const errors = response.topics.flatMap((topic) => topic.partitions.map((partition) => partition.errorCode));
      assert.ok(errors.length > 0, title);
      for (const errorCode of errors) assert.equal(errorCode, ErrorCode[expected], title);
    },
  });
}

const scenarios: Scenario[] = [
  {
    name: 'join, steady heartbeat, fenced epoch, unknown member, leave (consumerGroupHeartbeat / consumerGroupLeave)',
    topics: { t: { partitions: 2 } },
    steps: [
      waitForCoordinatorStep(),
      heartbeat('join with epoch 0', { memberId: 'member-a', memberEpoch: 0, join: true }, 'NONE', 'a'),
      heartbeat('steady heartbeat at the member epoch', { memberId: 'member-a', memberEpoch: 'a', owned: 'a' }, 'NONE', 'a'),
      heartbeat('an epoch ahead of the coordinator', { memberId: 'member-a', memberEpoch: 'a', epochOffset: 3, owned: 'a' }, 'FENCED_MEMBER_EPOCH'),
      heartbeat('an epoch behind that is not the previous one', { memberId: 'member-a', memberEpoch: 'a', epochOffset: -1, owned: 'a' }, 'FENCED_MEMBER_EPOCH'),
      heartbeat('an unknown member', { memberId: 'member-x', memberEpoch: 'a', owned: 'a' }, 'UNKNOWN_MEMBER_ID'),
      describeStep('describe the group'),
      commitStep('commit with a member epoch ahead', 'member-a', 'a', 1, 'STALE_MEMBER_EPOCH'),
      commitStep('commit with the member epoch', 'member-a', 'a', 0, 'NONE'),
      heartbeat('leave with epoch -1', { memberId: 'member-a', memberEpoch: -1 }, 'NONE'),
      heartbeat('heartbeat after leaving', { memberId: 'member-a', memberEpoch: 'a', owned: 'a' }, 'UNKNOWN_MEMBER_ID'),
      heartbeat('leave again: an unknown member', { memberId: 'member-a', memberEpoch: -1 }, 'UNKNOWN_MEMBER_ID'),
      describeStep('describe the empty group'),
    ],
  },
  {
    // Kafka 4.3+ computes a group's target assignment at most once per group.consumer.assignment.interval.ms
    // (1 s): a member joining right after the first waits, at the current assignment epoch, with nothing. (When
    // the deferred assignment lands on Kafka depends on its background thread, so the revocation that follows is
    // proven by the unit tests and the Java consumer, not here.)
    name: 'a second member joining within the assignment interval waits, the group Assigning',
    topics: { t: { partitions: 2 } },
    steps: [
      waitForCoordinatorStep(),
      heartbeat('a joins', { memberId: 'member-a', memberEpoch: 0, join: true }, 'NONE', 'a'),
      heartbeat('b joins', { memberId: 'member-b', memberEpoch: 0, join: true }, 'NONE', 'b'),
      heartbeat('a heartbeats', { memberId: 'member-a', memberEpoch: 'a', owned: 'a' }, 'NONE', 'a'),
      heartbeat('b heartbeats', { memberId: 'member-b', memberEpoch: 'b', owned: 'b' }, 'NONE', 'b'),
      describeStep('describe the assigning group'),
    ],
  },
  {
    name: 'unknown groups, bad requests',
    topics: { t: { partitions: 1 } },
    steps: [
      waitForCoordinatorStep(),
      heartbeat('heartbeat to a group that does not exist', { memberId: 'member-a', memberEpoch: 1 }, 'GROUP_ID_NOT_FOUND'),
      heartbeat('leave a group that does not exist', { memberId: 'member-a', memberEpoch: -1 }, 'GROUP_ID_NOT_FOUND'),
      heartbeat('an invalid member epoch', { memberId: 'member-a', memberEpoch: -3 }, 'INVALID_REQUEST'),
      heartbeat('join without a member id', { memberId: '', memberEpoch: 0, join: true }, 'INVALID_REQUEST'),
    ],
  },
  {
    name: 'static membership: temporary leave (-2), UNRELEASED_INSTANCE_ID, rejoin under a new member id',
    topics: { t: { partitions: 2 } },
    steps: [
      waitForCoordinatorStep(),
      heartbeat('static member joins', { memberId: 'member-a', memberEpoch: 0, join: true, instanceId: 'instance-a' }, 'NONE', 'a'),
      heartbeat('another member claims the instance id', { memberId: 'member-b', memberEpoch: 0, join: true, instanceId: 'instance-a' }, 'UNRELEASED_INSTANCE_ID'),
      heartbeat('static member leaves with -2', { memberId: 'member-a', memberEpoch: -2, instanceId: 'instance-a' }, 'NONE'),
      heartbeat('the instance rejoins with a new member id', { memberId: 'member-a2', memberEpoch: 0, join: true, instanceId: 'instance-a' }, 'NONE', 'a2'),
      heartbeat('the old member id is fenced', { memberId: 'member-a', memberEpoch: 'a', instanceId: 'instance-a', owned: 'a' }, 'FENCED_INSTANCE_ID'),
      describeStep('describe the group'),
    ],
  },
  {
    // `ConsumerGroup.validateOffsetFetch`: a member fetches with its current epoch; the admin client (no member
    // id, epoch -1) fetches freely.
    name: 'OffsetFetch v9 checks the member and its epoch (STALE_MEMBER_EPOCH, UNKNOWN_MEMBER_ID)',
    topics: { t: { partitions: 1 } },
    steps: [
      waitForCoordinatorStep(),
      heartbeat('a joins', { memberId: 'member-a', memberEpoch: 0, join: true }, 'NONE', 'a'),
      commitStep('commit with the member epoch', 'member-a', 'a', 0, 'NONE'),
      fetchStep('fetch with the member epoch', 'member-a', 'a', 0, 'NONE'),
      fetchStep('fetch with an epoch ahead', 'member-a', 'a', 1, 'STALE_MEMBER_EPOCH'),
      fetchStep('fetch with an epoch behind', 'member-a', 'a', -1, 'STALE_MEMBER_EPOCH'),
      fetchStep('fetch as a member with epoch -1', 'member-a', -1, 0, 'STALE_MEMBER_EPOCH'),
      fetchStep('fetch as an unknown member', 'member-x', 'a', 0, 'UNKNOWN_MEMBER_ID'),
      fetchStep('fetch as the admin client', null, -1, 0, 'NONE'),
    ],
  },
  {
    // KIP-1251 (assignment epochs): an OffsetCommit with an epoch older than the member's is accepted when every
    // partition in it was assigned to the member at or before that epoch (`ConsumerGroup.validateOffsetCommit`,
    // `createAssignmentEpochValidator`); a partition assigned later, or no longer the member's, fails the whole
    // request with STALE_MEMBER_EPOCH.
    name: 'OffsetCommit with an older member epoch: accepted for partitions assigned since then (KIP-1251)',
    topics: { t: { partitions: 2 } },
    steps: [
      waitForCoordinatorStep(),
      heartbeat('a joins', { memberId: 'member-a', memberEpoch: 0, join: true }, 'NONE', 'a1'),
      heartbeat('a heartbeats', { memberId: 'member-a', memberEpoch: 'a1', owned: 'a1' }, 'NONE', 'a1'),
      heartbeat('b joins', { memberId: 'member-b', memberEpoch: 0, join: true }, 'NONE', 'b'),
      heartbeatUntilNextEpochStep('a gives one partition to b and moves to the new epoch', 'member-a', 'a1', 'a2'),
      commitPartitionsStep('old epoch, a partition kept since then', 'a1', (ctx) => assignedPartitions(ctx, 'a2'), 'NONE'),
      commitPartitionsStep('old epoch, the partition given away', 'a1', (ctx) => assignedPartitions(ctx, 'a1').filter((p) => !assignedPartitions(ctx, 'a2').includes(p)), 'STALE_MEMBER_EPOCH'),
      commitPartitionsStep('old epoch, kept and given away together', 'a1', (ctx) => assignedPartitions(ctx, 'a1'), 'STALE_MEMBER_EPOCH'),
      commitPartitionsStep('current epoch, a partition kept', 'a2', (ctx) => assignedPartitions(ctx, 'a2'), 'NONE'),
      heartbeat('b leaves', { memberId: 'member-b', memberEpoch: -1 }, 'NONE'),
      heartbeatUntilNextEpochStep('a takes the partition back at a newer epoch', 'member-a', 'a2', 'a3'),
      commitPartitionsStep('previous epoch, the partition assigned at the new one', 'a2', (ctx) => assignedPartitions(ctx, 'a3').filter((p) => !assignedPartitions(ctx, 'a2').includes(p)), 'STALE_MEMBER_EPOCH'),
      commitPartitionsStep('previous epoch, the partition held since the first epoch', 'a2', (ctx) => assignedPartitions(ctx, 'a2'), 'NONE'),
      commitPartitionsStep('first epoch, the partition held since then', 'a1', (ctx) => assignedPartitions(ctx, 'a2'), 'NONE'),
      commitPartitionsStep('first epoch, both partitions', 'a1', (ctx) => assignedPartitions(ctx, 'a3'), 'STALE_MEMBER_EPOCH'),
      commitPartitionsStep('current epoch, both partitions', 'a3', (ctx) => assignedPartitions(ctx, 'a3'), 'NONE'),
      fetchStep('the committed offsets', null, -1, 0, 'NONE'),
    ],
  },
  {
    // Kafka keeps consumer groups in __consumer_offsets, so members carry on across a coordinator restart or
    // failover. Only seqlog restarts here (Kafka's restart costs ~20 s); Kafka's answers are those of a
    // coordinator that kept the group, which is exactly what seqlog's must match.
    name: 'a restart keeps the group: members heartbeat, commit and fetch with their epochs',
    topics: { t: { partitions: 2 } },
    steps: [
      waitForCoordinatorStep(),
      heartbeat('a joins', { memberId: 'member-a', memberEpoch: 0, join: true }, 'NONE', 'a'),
      heartbeat('a heartbeats', { memberId: 'member-a', memberEpoch: 'a', owned: 'a' }, 'NONE', 'a'),
      commitStep('commit with the member epoch', 'member-a', 'a', 0, 'NONE'),
      restartStep(),
      waitForCoordinatorStep(),
      describeStep('describe the group after the restart'),
      heartbeat('a heartbeats with its epoch', { memberId: 'member-a', memberEpoch: 'a', owned: 'a' }, 'NONE', 'a'),
      heartbeat('an unknown member', { memberId: 'member-x', memberEpoch: 'a', owned: 'a' }, 'UNKNOWN_MEMBER_ID'),
      fetchStep('fetch with the member epoch', 'member-a', 'a', 0, 'NONE'),
      commitStep('commit with the member epoch', 'member-a', 'a', 0, 'NONE'),
      heartbeat('leave with epoch -1', { memberId: 'member-a', memberEpoch: -1 }, 'NONE'),
      describeStep('describe the empty group'),
    ],
  },
];

describeDifferentialScenarios('KIP-848 consumer group heartbeats: Apache Kafka vs seqlog', scenarios);
