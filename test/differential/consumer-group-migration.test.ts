// Online migration between a classic group and a KIP-848 consumer group (Kafka 4.x `GroupMetadataManager`:
// `convertToConsumerGroup`, `classicGroup*ToConsumerGroup`, `convertToClassicGroup`), differentially: the same raw
// JoinGroup/SyncGroup/Heartbeat/ConsumerGroupHeartbeat sequence against Apache Kafka 4.4 and seqlog, compared
// field by field. A classic member forms a group; a KIP-848 member heartbeats in (upgrade); the classic member is
// told to rejoin and ends up with half the partitions; the KIP-848 member leaves (downgrade) and the
// classic member rebalances alone. ListGroups, DescribeGroups and ConsumerGroupDescribe are compared around each
// conversion, and the committed offsets must survive both (and a seqlog restart in between). A second scenario
// has a cooperative classic member, which revokes before it moves on. Server-generated member ids are compared
// by label.
import assert from 'node:assert/strict';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from '../../src/client/consumer/consumer-protocol.ts';
import { ErrorCode } from '../../src/protocol/errors/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import type { ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse, RequestByApiKey, ResponseByApiKey } from '../../src/protocol/messages/generated/index.ts';
import type { ApiKey as ApiKeyType } from '../../src/protocol/messages/generated/index.ts';
import { requestStep, restartStep } from './differential.ts';
import type { Scenario, Step, TargetContext } from './differential.ts';
import { group, waitForCoordinatorStep } from './group-steps.ts';
import { describeDifferentialScenarios } from './targets.ts';

const CLASSIC = 'classic';
const CONSUMER_MEMBER = 'member-b';
const PARTITIONS = 2;

/** Server-generated member ids (id -> label) of this target, so that answers compare by label. */
function memberIdLabels(ctx: TargetContext): Map<string, string> {
  try {
    return ctx.get<Map<string, string>>('member-id-labels');
  } catch {
    const labels = new Map<string, string>();
    ctx.remember('member-id-labels', labels);
    return labels;
  }
}

/**
 * The answer as compared: member ids by label, and embedded consumer-protocol bytes (which name the per-target
 * topics) decoded, with topic names by label.
 */
function normalizeAnswer<T>(value: T, ctx: TargetContext, key = ''): T {
  const labels = memberIdLabels(ctx);
  const topic = (name: string) => ctx.topicLabels.get(name) ?? name;
  if (typeof value === 'string') return (labels.get(value) ?? value) as T;
  if (value instanceof Uint8Array) {
    const bytes = Buffer.from(value);
    if (bytes.length < 2) return value;
    const version = bytes.readInt16BE(0);
    if (key === 'metadata' || key === 'memberMetadata') {
      const decoded = decodeSubscription(bytes);
      return { version, topics: decoded.topics.map(topic), ownedPartitions: [...decoded.ownedPartitions].map(([name, partitions]) => [topic(name), partitions]), generationId: decoded.generationId } as T;
    }
    if (key === 'assignment' || key === 'memberAssignment') {
      return { version, assignment: [...decodeAssignment(bytes)].map(([name, partitions]) => [topic(name), [...partitions].sort((a, b) => a - b)]) } as T;
    }
    return value;
  }
  if (Array.isArray(value)) return value.map((item: unknown) => normalizeAnswer(item, ctx)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([field, item]) => [field, normalizeAnswer(item, ctx, field)])) as T;
  }
  return value;
}

/** A request step whose answer is compared with member ids replaced by their labels (and `rewrite` applied). */
function groupStep<K extends ApiKeyType>(spec: {
  title: string;
  apiKey: K;
  version?: number;
  build(ctx: TargetContext): RequestByApiKey[K];
  capture?(response: ResponseByApiKey[K], ctx: TargetContext): void;
  expect?(response: ResponseByApiKey[K], ctx: TargetContext): void;
  rewrite?(response: ResponseByApiKey[K], ctx: TargetContext): ResponseByApiKey[K];
  allow?: readonly string[];
}): Step {
  // Captures see the raw answer (a member id before it is labelled); expectations the compared one.
  const step = requestStep({ ...spec, capture: undefined });
  const send = step.run;
  return {
    ...step,
    async run(connection, version, ctx) {
      const response = (await send?.(connection, version, ctx)) as ResponseByApiKey[K];
      spec.capture?.(response, ctx);
      const rewritten = spec.rewrite ? spec.rewrite(response, ctx) : response;
      return normalizeAnswer(rewritten, ctx);
    },
  };
}

const classicId = (ctx: TargetContext) => ctx.get<string>(`${CLASSIC}:id`);
const generation = (ctx: TargetContext) => ctx.get<number>(`${CLASSIC}:generation`);

/**
 * The classic member's protocol: eager "range" revokes everything before it rejoins, so its subscription owns
 * nothing; "cooperative-sticky" (KIP-429) rejoins still owning its partitions and names them, with its generation.
 */
type ClassicProtocol = 'range' | 'cooperative-sticky';

function subscription(ctx: TargetContext, protocol: ClassicProtocol): Buffer {
  if (protocol === 'range') return encodeSubscription({ topics: [ctx.topic('t')], ownedPartitions: new Map(), generationId: -1 });
  let owned: number[] = [];
  let generationId = -1;
  try {
    owned = ctx.get<number[]>(`${CLASSIC}:owned`);
    generationId = generation(ctx);
  } catch {
    // A first join owns nothing.
  }
  return encodeSubscription({ topics: [ctx.topic('t')], ownedPartitions: new Map([[ctx.topic('t'), owned]]), generationId });
}

function joinStep(title: string, expected: keyof typeof ErrorCode, withMemberId = true, protocol: ClassicProtocol = 'range', instanceId: string | null = null): Step {
  return groupStep({
    title,
    apiKey: ApiKey.JoinGroup,
    version: 9,
    build: (ctx) => ({
      groupId: group(ctx),
      sessionTimeoutMs: 30_000,
      rebalanceTimeoutMs: 30_000,
      memberId: withMemberId ? classicId(ctx) : '',
      groupInstanceId: instanceId,
      protocolType: 'consumer',
      protocols: [{ name: protocol, metadata: subscription(ctx, protocol) }],
      reason: null,
    }),
    capture(response, ctx) {
      const labels = memberIdLabels(ctx);
      if (response.memberId !== '' && !labels.has(response.memberId)) {
        // A static member rejoining without its id gets a new one: the old one stays known for fencing checks.
        try {
          ctx.remember(`${CLASSIC}:previous-id`, classicId(ctx));
        } catch {
          // The first member id.
        }
        labels.set(response.memberId, labels.size === 0 ? `<member:${CLASSIC}>` : `<member:${CLASSIC}#${labels.size + 1}>`);
      }
      if (response.memberId !== '') ctx.remember(`${CLASSIC}:id`, response.memberId);
      if (response.errorCode === ErrorCode.NONE) ctx.remember(`${CLASSIC}:generation`, response.generationId);
    },
    expect: (response) => assert.equal(response.errorCode, ErrorCode[expected], title),
  });
}

/** A JoinGroup by someone else than the classic member, to check the consumer group's refusals. */
function strangerJoinStep(title: string, memberId: string, protocolType: string, metadata: (ctx: TargetContext) => Buffer, expected: keyof typeof ErrorCode): Step {
  return groupStep({
    title,
    apiKey: ApiKey.JoinGroup,
    version: 9,
    build: (ctx) => ({
      groupId: group(ctx), sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId, groupInstanceId: null, protocolType,
      protocols: [{ name: 'range', metadata: metadata(ctx) }], reason: null,
    }),
    expect: (response) => assert.equal(response.errorCode, ErrorCode[expected], title),
  });
}

/** A Heartbeat as `memberId` (not the classic member) with the classic member's generation. */
function strangerHeartbeatStep(title: string, memberId: string | ((ctx: TargetContext) => string), expected: keyof typeof ErrorCode, instanceId: string | null = null): Step {
  return groupStep({
    title,
    apiKey: ApiKey.Heartbeat,
    version: 4,
    build: (ctx) => ({ groupId: group(ctx), generationId: generation(ctx), memberId: typeof memberId === 'string' ? memberId : memberId(ctx), groupInstanceId: instanceId }),
    expect: (response) => assert.equal(response.errorCode, ErrorCode[expected], title),
  });
}

/** LeaveGroup v5 of a static member by its instance id alone (an admin removing it). */
function leaveByInstanceStep(title: string, instanceId: string): Step {
  return groupStep({
    title,
    apiKey: ApiKey.LeaveGroup,
    version: 5,
    build: (ctx) => ({ groupId: group(ctx), memberId: '', members: [{ memberId: '', groupInstanceId: instanceId, reason: null }] }),
    expect: (response) => assert.deepEqual(response.members.map((member) => member.errorCode), [ErrorCode.NONE], title),
  });
}

/** LeaveGroup v5 of the classic member and of an unknown one. */
function leaveStep(title: string): Step {
  return groupStep({
    title,
    apiKey: ApiKey.LeaveGroup,
    version: 5,
    build: (ctx) => ({
      groupId: group(ctx),
      memberId: '',
      members: [
        { memberId: classicId(ctx), groupInstanceId: null, reason: 'done' },
        { memberId: 'stranger', groupInstanceId: null, reason: null },
      ],
    }),
    expect(response) {
      assert.equal(response.errorCode, ErrorCode.NONE, title);
      assert.deepEqual(response.members.map((member) => member.errorCode), [ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID], title);
    },
  });
}

/** SyncGroup v5; as the leader of a classic group it assigns every partition to itself. */
function syncStep(title: string, expected: keyof typeof ErrorCode, asLeader = false, protocol: ClassicProtocol = 'range'): Step {
  return groupStep({
    title,
    apiKey: ApiKey.SyncGroup,
    version: 5,
    build: (ctx) => ({
      groupId: group(ctx),
      generationId: generation(ctx),
      memberId: classicId(ctx),
      groupInstanceId: null,
      protocolType: 'consumer',
      protocolName: protocol,
      assignments: asLeader ? [{ memberId: classicId(ctx), assignment: encodeAssignment(new Map([[ctx.topic('t'), [...Array(PARTITIONS).keys()]]])) }] : [],
    }),
    capture(response, ctx) {
      if (response.errorCode === ErrorCode.NONE) ctx.remember(`${CLASSIC}:owned`, decodeAssignment(response.assignment).get(ctx.topic('t')) ?? []);
    },
    expect: (response) => assert.equal(response.errorCode, ErrorCode[expected], title),
  });
}

function classicHeartbeatStep(title: string, expected: keyof typeof ErrorCode): Step {
  return groupStep({
    title,
    apiKey: ApiKey.Heartbeat,
    version: 4,
    build: (ctx) => ({ groupId: group(ctx), generationId: generation(ctx), memberId: classicId(ctx), groupInstanceId: null }),
    expect: (response) => assert.equal(response.errorCode, ErrorCode[expected], title),
  });
}

type HeartbeatAssignment = ConsumerGroupHeartbeatResponse['assignment'];

function consumerHeartbeatRequest(ctx: TargetContext, memberEpoch: number, joining: boolean, owned: HeartbeatAssignment, instanceId: string | null = null): ConsumerGroupHeartbeatRequest {
  return {
    groupId: group(ctx),
    memberId: CONSUMER_MEMBER,
    memberEpoch,
    instanceId,
    rackId: null,
    rebalanceTimeoutMs: joining ? 30_000 : -1,
    subscribedTopicNames: joining ? [ctx.topic('t')] : null,
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: joining ? [] : (owned?.topicPartitions ?? []),
  };
}

/** The KIP-848 member joins (epoch 0) or leaves (epoch -1). */
function consumerJoinOrLeaveStep(title: string, leave: boolean, instanceId: string | null = null): Step {
  return groupStep({
    title,
    apiKey: ApiKey.ConsumerGroupHeartbeat,
    build: (ctx) => consumerHeartbeatRequest(ctx, leave ? -1 : 0, !leave, null, instanceId),
    capture(response, ctx) {
      if (response.errorCode !== ErrorCode.NONE) return;
      ctx.remember('b:epoch', response.memberEpoch);
      ctx.remember('b', response.assignment);
    },
    expect: (response) => assert.equal(response.errorCode, ErrorCode.NONE, `${title}: ${response.errorMessage ?? ''}`),
  });
}

/**
 * The KIP-848 member heartbeats (owning what it was given) until it owns `partitions` partitions: when the
 * partition the classic member revoked reaches it depends on heartbeat timing, so only the final answer is compared.
 */
function consumerHeartbeatUntilStep(title: string, partitions: number): Step {
  return {
    kind: 'request',
    title,
    apiKey: ApiKey.ConsumerGroupHeartbeat,
    allow: [],
    async run(connection, version, ctx) {
      let epoch = ctx.get<number>('b:epoch');
      let assignment = ctx.get<HeartbeatAssignment>('b');
      const deadline = Date.now() + 30_000;
      for (;;) {
        const response = await connection.send(ApiKey.ConsumerGroupHeartbeat, version, consumerHeartbeatRequest(ctx, epoch, false, assignment));
        if (response.errorCode !== ErrorCode.NONE) return response;
        epoch = response.memberEpoch;
        if (response.assignment !== null) assignment = response.assignment;
        const owned = assignment?.topicPartitions.reduce((sum, topic) => sum + topic.partitions.length, 0) ?? 0;
        if (owned === partitions) return { ...response, assignment };
        if (Date.now() > deadline) throw new Error(`${CONSUMER_MEMBER} never owned ${partitions} partitions`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    capture(response, ctx) {
      const answer = response as ConsumerGroupHeartbeatResponse;
      ctx.remember('b:epoch', answer.memberEpoch);
      ctx.remember('b', answer.assignment);
    },
    expect: (response) => assert.equal((response as ConsumerGroupHeartbeatResponse).errorCode, ErrorCode.NONE, title),
  };
}

function consumerGroupDescribeStep(title: string, expected: keyof typeof ErrorCode, until?: (state: string) => boolean): Step {
  return groupStep({
    title,
    apiKey: ApiKey.ConsumerGroupDescribe,
    build: (ctx) => ({ groupIds: [group(ctx)], includeAuthorizedOperations: false }),
    // The group id embeds the per-target topic prefix; topic names are compared through their labels.
    allow: ['groups.*.groupId', '**.clientHost', '**.clientId', '**.topicName'],
    rewrite(response, ctx) {
      const labels = memberIdLabels(ctx);
      const key = (memberId: string) => labels.get(memberId) ?? memberId;
      // Kafka lists members in its hash map's order; compare them by (labelled) member id.
      for (const described of response.groups) described.members.sort((x, y) => (key(x.memberId) < key(y.memberId) ? -1 : 1));
      return response;
    },
    expect(response) {
      assert.equal(response.groups[0]?.errorCode, ErrorCode[expected], title);
      if (until !== undefined) assert.ok(until(response.groups[0]?.groupState ?? ''), `${title}: state ${response.groups[0]?.groupState}`);
    },
  });
}

/** Describes until the group's target assignment caught up (Kafka computes it in the background). */
function consumerGroupDescribeWhenAssignedStep(title: string): Step {
  const step = consumerGroupDescribeStep(title, 'NONE');
  const send = step.run;
  return {
    ...step,
    async run(connection, version, ctx) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const described = await connection.send(ApiKey.ConsumerGroupDescribe, version, { groupIds: [group(ctx)], includeAuthorizedOperations: false });
        if (described.groups[0]?.groupState !== 'Assigning') return send?.(connection, version, ctx);
        if (Date.now() > deadline) throw new Error('the target assignment was never computed');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
  };
}

function listGroupsStep(title: string, expectedType: string, expectedState: string): Step {
  return groupStep({
    title,
    apiKey: ApiKey.ListGroups,
    version: 5,
    build: () => ({ statesFilter: [], typesFilter: [] }),
    // Other scenarios' groups live on the same cluster: only this scenario's group is compared.
    rewrite: (response, ctx) => ({ ...response, groups: response.groups.filter((listed) => listed.groupId === group(ctx)) }),
    allow: ['groups.*.groupId'],
    expect(response, ctx) {
      const listed = response.groups.find((entry) => entry.groupId === group(ctx));
      assert.equal(listed?.groupType, expectedType, title);
      assert.equal(listed?.groupState, expectedState, title);
    },
  });
}

function describeGroupsStep(title: string): Step {
  return groupStep({
    title,
    apiKey: ApiKey.DescribeGroups,
    version: 5,
    build: (ctx) => ({ groups: [group(ctx)], includeAuthorizedOperations: false }),
    allow: ['groups.*.groupId', '**.clientHost', '**.clientId'],
    rewrite(response, ctx) {
      // A downgraded group lists its members in the order of the consumer group's (hash) map: compare by label.
      const labels = memberIdLabels(ctx);
      const key = (memberId: string) => labels.get(memberId) ?? memberId;
      for (const described of response.groups) described.members.sort((x, y) => (key(x.memberId) < key(y.memberId) ? -1 : 1));
      return response;
    },
  });
}

/** OffsetCommit v9 as the classic member: its generation (plus `generationOffset`) and every partition. */
function classicCommitStep(title: string, generationOffset: number, expected: keyof typeof ErrorCode): Step {
  return groupStep({
    title,
    apiKey: ApiKey.OffsetCommit,
    version: 9,
    build: (ctx) => ({
      groupId: group(ctx),
      generationIdOrMemberEpoch: generation(ctx) + generationOffset,
      memberId: classicId(ctx),
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [
        {
          name: ctx.topic('t'),
          partitions: [...Array(PARTITIONS).keys()].map((partitionIndex) => ({ partitionIndex, committedOffset: 7n + BigInt(partitionIndex), committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null })),
        },
      ],
    }),
    allow: ['topics.*.name'],
    expect(response) {
      const errors = response.topics.flatMap((topic) => topic.partitions.map((partition) => partition.errorCode));
      assert.equal(errors.length, PARTITIONS, title);
      for (const errorCode of errors) assert.equal(errorCode, ErrorCode[expected], title);
    },
  });
}

function committedOffsetsStep(title: string): Step {
  return groupStep({
    title,
    apiKey: ApiKey.OffsetFetch,
    version: 9,
    build: (ctx) => ({ groupId: '', topics: [], groups: [{ groupId: group(ctx), memberId: null, memberEpoch: -1, topics: [{ name: ctx.topic('t'), partitionIndexes: [...Array(PARTITIONS).keys()] }] }], requireStable: false }),
    allow: ['groups.*.groupId', 'groups.*.topics.*.name'],
    expect(response) {
      const offsets = response.groups[0]?.topics[0]?.partitions.map((partition) => partition.committedOffset);
      assert.deepEqual(offsets, [7n, 8n], title);
    },
  });
}

const scenarios: Scenario[] = [
  {
    name: 'a KIP-848 member upgrades a live classic group, leaves, and the group downgrades (BIDIRECTIONAL migration)',
    topics: { t: { partitions: PARTITIONS } },
    steps: [
      waitForCoordinatorStep(),
      joinStep('classic member joins without a member id', 'MEMBER_ID_REQUIRED', false),
      joinStep('classic member joins with its member id', 'NONE'),
      syncStep('the classic leader assigns every partition to itself', 'NONE', true),
      classicHeartbeatStep('classic heartbeat in the stable group', 'NONE'),
      classicCommitStep('the classic member commits', 0, 'NONE'),
      listGroupsStep('ListGroups: a classic group', 'classic', 'Stable'),
      describeGroupsStep('DescribeGroups: the stable classic group'),
      consumerGroupDescribeStep('ConsumerGroupDescribe: not a consumer group', 'GROUP_ID_NOT_FOUND'),
      // Upgrade: the classic member becomes a member of the consumer group at its generation.
      consumerJoinOrLeaveStep('a KIP-848 member joins: the group is upgraded', false),
      classicHeartbeatStep('the classic member is told to rejoin', 'REBALANCE_IN_PROGRESS'),
      consumerGroupDescribeWhenAssignedStep('ConsumerGroupDescribe: the upgraded group with its new target'),
      listGroupsStep('ListGroups: now a consumer group', 'consumer', 'Reconciling'),
      describeGroupsStep('DescribeGroups: the upgraded group'),
      // An eager member rejoins owning nothing, so it has nothing left to revoke: it moves to the new epoch at
      // once (`CurrentAssignmentBuilder` skips the revocation of partitions the member no longer reports).
      joinStep('the classic member rejoins: the new epoch as its generation', 'NONE'),
      syncStep('SyncGroup gives it its target', 'NONE'),
      classicHeartbeatStep('classic heartbeat at the new epoch', 'NONE'),
      consumerHeartbeatUntilStep('the KIP-848 member gets the released partition', 1),
      consumerGroupDescribeStep('ConsumerGroupDescribe: both members stable', 'NONE', (state) => state === 'Stable'),
      strangerJoinStep('JoinGroup of another protocol type', 'stranger', 'connect', (ctx) => subscription(ctx, 'range'), 'INCONSISTENT_GROUP_PROTOCOL'),
      strangerJoinStep('JoinGroup with a malformed subscription', 'stranger', 'consumer', () => Buffer.from([0, 1, 0xff]), 'INCONSISTENT_GROUP_PROTOCOL'),
      strangerHeartbeatStep('Heartbeat of an unknown member', 'stranger', 'UNKNOWN_MEMBER_ID'),
      strangerHeartbeatStep('Heartbeat of the KIP-848 member: it does not speak the classic protocol', CONSUMER_MEMBER, 'UNKNOWN_MEMBER_ID'),
      classicCommitStep('the classic member commits with its member epoch', 0, 'NONE'),
      classicCommitStep('a commit with a stale generation', -1, 'ILLEGAL_GENERATION'),
      // Kafka keeps the converted group in __consumer_offsets; only seqlog restarts (see the heartbeat scenarios).
      restartStep(),
      waitForCoordinatorStep(),
      consumerGroupDescribeStep('ConsumerGroupDescribe after the restart', 'NONE', (state) => state === 'Stable'),
      classicHeartbeatStep('classic heartbeat after the restart', 'NONE'),
      // Downgrade: the last KIP-848 member leaves; the classic member is alone and the group rebalances.
      consumerJoinOrLeaveStep('the KIP-848 member leaves: the group is downgraded', true),
      listGroupsStep('ListGroups: a classic group again, rebalancing', 'classic', 'PreparingRebalance'),
      consumerGroupDescribeStep('ConsumerGroupDescribe: no longer a consumer group', 'GROUP_ID_NOT_FOUND'),
      describeGroupsStep('DescribeGroups: the downgraded group'),
      classicHeartbeatStep('the classic member is told to rejoin the classic group', 'REBALANCE_IN_PROGRESS'),
      joinStep('the classic member rejoins: a new generation, it leads', 'NONE'),
      syncStep('the classic leader assigns every partition to itself', 'NONE', true),
      classicHeartbeatStep('classic heartbeat in the stable downgraded group', 'NONE'),
      describeGroupsStep('DescribeGroups: the stable downgraded group'),
      committedOffsetsStep('the committed offsets survived both conversions'),
    ],
  },
  {
    // A cooperative member (KIP-429) rejoins still owning its partitions: it stays at its epoch while it revokes
    // (`CurrentAssignmentBuilder` UNREVOKED_PARTITIONS), SyncGroup gives it what it keeps, and its next heartbeat
    // asks it to rejoin once it has let the rest go.
    name: 'a cooperative classic member revokes before it moves to the epoch of the upgraded group',
    topics: { t: { partitions: PARTITIONS } },
    steps: [
      waitForCoordinatorStep(),
      joinStep('classic member joins without a member id', 'MEMBER_ID_REQUIRED', false, 'cooperative-sticky'),
      joinStep('classic member joins with its member id', 'NONE', true, 'cooperative-sticky'),
      syncStep('the classic leader assigns every partition to itself', 'NONE', true, 'cooperative-sticky'),
      classicHeartbeatStep('classic heartbeat in the stable group', 'NONE'),
      consumerJoinOrLeaveStep('a KIP-848 member joins: the group is upgraded', false),
      classicHeartbeatStep('the classic member is told to rejoin', 'REBALANCE_IN_PROGRESS'),
      consumerGroupDescribeWhenAssignedStep('ConsumerGroupDescribe: the upgraded group with its new target'),
      joinStep('the classic member rejoins owning every partition: it must revoke first', 'NONE', true, 'cooperative-sticky'),
      syncStep('SyncGroup gives it what it keeps', 'NONE', false, 'cooperative-sticky'),
      consumerGroupDescribeStep('ConsumerGroupDescribe: the classic member is revoking', 'NONE'),
      classicHeartbeatStep('the classic member is told to rejoin once it revoked', 'REBALANCE_IN_PROGRESS'),
      joinStep('the classic member rejoins owning what it kept: the new epoch', 'NONE', true, 'cooperative-sticky'),
      syncStep('SyncGroup gives it its target', 'NONE', false, 'cooperative-sticky'),
      classicHeartbeatStep('classic heartbeat at the new epoch', 'NONE'),
      consumerHeartbeatUntilStep('the KIP-848 member gets the released partition', 1),
      consumerGroupDescribeStep('ConsumerGroupDescribe: both members stable', 'NONE', (state) => state === 'Stable'),
      // The classic member leaves with LeaveGroup: the group stays a consumer group, its KIP-848 member takes all.
      leaveStep('the classic member leaves with LeaveGroup'),
      classicHeartbeatStep('the classic member is gone', 'UNKNOWN_MEMBER_ID'),
      consumerHeartbeatUntilStep('the KIP-848 member gets every partition', PARTITIONS),
      consumerGroupDescribeStep('ConsumerGroupDescribe: the KIP-848 member alone', 'NONE', (state) => state === 'Stable'),
      listGroupsStep('ListGroups: still a consumer group', 'consumer', 'Stable'),
    ],
  },
  {
    // A static classic member (KIP-345) joins a live consumer group, then restarts: its new member id replaces
    // the old one, which is fenced, and keeps its partitions; an admin removes it by instance id.
    name: 'a static classic member joins a consumer group, rejoins under a new member id, and is removed by instance id',
    topics: { t: { partitions: PARTITIONS } },
    steps: [
      waitForCoordinatorStep(),
      consumerJoinOrLeaveStep('a KIP-848 member creates the consumer group', false),
      joinStep('a static classic member joins the consumer group', 'NONE', false, 'range', 'instance-c'),
      syncStep('SyncGroup: nothing released yet', 'NONE'),
      consumerHeartbeatUntilStep('the KIP-848 member gives one partition up', 1),
      classicHeartbeatStep('the classic member is told to collect what was released', 'REBALANCE_IN_PROGRESS'),
      joinStep('the static member rejoins with its member id', 'NONE', true, 'range', 'instance-c'),
      syncStep('SyncGroup gives it the released partition', 'NONE'),
      classicHeartbeatStep('classic heartbeat, stable', 'NONE'),
      consumerGroupDescribeStep('ConsumerGroupDescribe: a static classic member', 'NONE'),
      joinStep('the instance restarts: it rejoins without a member id', 'NONE', false, 'range', 'instance-c'),
      syncStep('SyncGroup of the new incarnation', 'NONE'),
      strangerHeartbeatStep('the old incarnation is fenced', (ctx) => ctx.get<string>(`${CLASSIC}:previous-id`), 'FENCED_INSTANCE_ID', 'instance-c'),
      consumerGroupDescribeStep('ConsumerGroupDescribe: the new incarnation', 'NONE'),
      leaveByInstanceStep('an admin removes the static member by instance id', 'instance-c'),
      consumerGroupDescribeStep('ConsumerGroupDescribe: the KIP-848 member alone', 'NONE'),
    ],
  },
  {
    // `validateOnlineDowngradeWithReplacedMemberId`: a classic static member taking the instance id of the last
    // KIP-848 member replaces it and the group becomes a classic group again, which rebalances.
    name: 'a classic static member replacing the last KIP-848 member downgrades the group',
    topics: { t: { partitions: PARTITIONS } },
    steps: [
      waitForCoordinatorStep(),
      consumerJoinOrLeaveStep('a static KIP-848 member creates the consumer group', false, 'instance-s'),
      joinStep('a classic member joins without a member id', 'MEMBER_ID_REQUIRED', false),
      joinStep('a classic member joins the consumer group', 'NONE'),
      syncStep('SyncGroup of the classic member', 'NONE'),
      joinStep('a classic static member takes the KIP-848 member\'s instance id', 'NONE', false, 'range', 'instance-s'),
      listGroupsStep('ListGroups: a classic group again, rebalancing', 'classic', 'PreparingRebalance'),
      consumerGroupDescribeStep('ConsumerGroupDescribe: no longer a consumer group', 'GROUP_ID_NOT_FOUND'),
      describeGroupsStep('DescribeGroups: the downgraded group'),
      syncStep('SyncGroup of the static member with the generation it was given', 'ILLEGAL_GENERATION'),
      classicHeartbeatStep('a heartbeat with that generation: the member must rejoin', 'ILLEGAL_GENERATION'),
    ],
  },
];

describeDifferentialScenarios('online migration between classic and consumer groups: Apache Kafka vs seqlog', scenarios, { scenarioTimeoutMs: 120_000 });
