// Authorization, differentially: Apache Kafka with `StandardAuthorizer` and seqlog with `authorizer: 'standard'`,
// the same ACLs created through CreateAcls on each, then the same raw requests compared field by field. The
// caller is `User:ANONYMOUS` (a PLAINTEXT listener) on both. `allow.everyone.if.no.acl.found=true` on both keeps
// the reference's own controller traffic (also ANONYMOUS on a plaintext KRaft node) authorized as long as no
// scenario puts an ACL on the Cluster resource; every scenario instead guards its own topics, groups and
// transactional ids with ACLs, so the rule under test is always "an ACL exists for this resource and does (not)
// grant the operation" — Kafka's `StandardAuthorizer` semantics, including prefixed patterns, implied operations
// and DENY winning over ALLOW.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/errors/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import type { BrokerConnection } from '../../src/client/connection/broker-connection.ts';
import { AclOperation, AclPermissionType, PatternType, ResourceType } from '../../src/broker/security/authorizer/acl.ts';
import { assertScenario, requestStep } from './differential.ts';
import type { Scenario, Step, TargetContext } from './differential.ts';
import { buildBatch, fetchPartition, fetchRequestV12, produceStep } from './steps.ts';
import { pollingStep, transactionalIdOf } from './txn-steps.ts';
import { startDifferentialTargets } from './targets.ts';
import type { DifferentialTargets } from './targets.ts';

type ErrorName = keyof typeof ErrorCode;
const ANONYMOUS = 'User:ANONYMOUS';
const OTHER = 'User:other';

interface Acl {
  resourceType: number;
  /** Resolved per target (topic names, group ids and transactional ids are unique per scenario and target). */
  name: (ctx: TargetContext) => string;
  patternType?: number;
  principal?: string;
  operation: number;
  permission?: number;
}

const creation = (ctx: TargetContext, acl: Acl) => ({
  resourceType: acl.resourceType,
  resourceName: acl.name(ctx),
  resourcePatternType: acl.patternType ?? PatternType.LITERAL,
  principal: acl.principal ?? ANONYMOUS,
  host: '*',
  operation: acl.operation,
  permissionType: acl.permission ?? AclPermissionType.ALLOW,
});

/**
 * Waits until DescribeAcls on the broker lists every ACL: Kafka's broker applies an ACL the controller committed
 * a moment after CreateAcls answers (its authorizer follows the metadata log); DescribeAcls reads that authorizer.
 */
async function waitForAcls(connection: BrokerConnection, ctx: TargetContext, acls: readonly Acl[], present: boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (const acl of acls) {
    const wanted = creation(ctx, acl);
    for (;;) {
      const answer = await connection.send(ApiKey.DescribeAcls, 3, {
        resourceTypeFilter: wanted.resourceType,
        resourceNameFilter: wanted.resourceName,
        patternTypeFilter: wanted.resourcePatternType,
        principalFilter: wanted.principal,
        hostFilter: wanted.host,
        operation: wanted.operation,
        permissionType: wanted.permissionType,
      });
      assert.equal(answer.errorCode, ErrorCode.NONE, `${ctx.target}: DescribeAcls failed: ${answer.errorMessage}`);
      if ((answer.resources.length > 0) === present) break;
      if (Date.now() > deadline) throw new Error(`${ctx.target}: ACL ${JSON.stringify(wanted)} not ${present ? 'visible' : 'gone'} after 15 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** CreateAcls with every creation expected to succeed; the step ends once the broker enforces them. */
function createAclsStep(title: string, acls: readonly Acl[]): Step {
  const base = requestStep({
    title,
    apiKey: ApiKey.CreateAcls,
    build: (ctx) => ({ creations: acls.map((acl) => creation(ctx, acl)) }),
    expect: (response) => assert.deepEqual(response.results.map((result) => result.errorCode), acls.map(() => ErrorCode.NONE)),
  });
  return {
    ...base,
    async run(connection, version, ctx) {
      const response = await base.run?.(connection, version, ctx);
      await waitForAcls(connection, ctx, acls, true);
      return response;
    },
  };
}

const CLUSTER_ALLOW_ALL: Acl = { resourceType: ResourceType.CLUSTER, name: () => 'kafka-cluster', operation: AclOperation.ALL };
const CLUSTER_DENY_CREATE: Acl = { resourceType: ResourceType.CLUSTER, name: () => 'kafka-cluster', operation: AclOperation.CREATE, permission: AclPermissionType.DENY };

/** DeleteAcls of exactly these ACLs (one filter each); the step ends once the broker no longer enforces them. */
function deleteAclsStep(title: string, acls: readonly Acl[]): Step {
  const filters = (ctx: TargetContext) =>
    acls.map((acl) => {
      const wanted = creation(ctx, acl);
      return {
        resourceTypeFilter: wanted.resourceType,
        resourceNameFilter: wanted.resourceName,
        patternTypeFilter: wanted.resourcePatternType,
        principalFilter: wanted.principal,
        hostFilter: wanted.host,
        operation: wanted.operation,
        permissionType: wanted.permissionType,
      };
    });
  const base = requestStep({
    title,
    apiKey: ApiKey.DeleteAcls,
    build: (ctx) => ({ filters: filters(ctx) }),
    expect: (response) => assert.deepEqual(response.filterResults.map((result) => result.matchingAcls.length), acls.map(() => 1)),
  });
  return {
    ...base,
    async run(connection, version, ctx) {
      const response = await base.run?.(connection, version, ctx);
      await waitForAcls(connection, ctx, acls, false);
      return response;
    },
  };
}

const topicAcl = (logical: string, operation: number, extra: Partial<Acl> = {}): Acl => ({ resourceType: ResourceType.TOPIC, name: (ctx) => ctx.topic(logical), operation, ...extra });
const groupAcl = (logical: string, operation: number, extra: Partial<Acl> = {}): Acl => ({ resourceType: ResourceType.GROUP, name: (ctx) => ctx.topic(logical), operation, ...extra });
const transactionalIdAcl = (txn: string, operation: number, extra: Partial<Acl> = {}): Acl => ({
  resourceType: ResourceType.TRANSACTIONAL_ID,
  name: (ctx) => transactionalIdOf(ctx, txn),
  operation,
  ...extra,
});

function fetchErrorStep(title: string, error: ErrorName, topic = 't'): Step {
  return requestStep({
    title,
    apiKey: ApiKey.Fetch,
    version: 12,
    build: (ctx) => fetchRequestV12([{ topic: ctx.topic(topic), topicId: Buffer.alloc(16), partitions: [fetchPartition(0, 0n)] }]),
    expect: (response) => assert.equal(response.responses[0]?.partitions[0]?.errorCode, ErrorCode[error]),
    // Record bytes and offsets are compared by the fetch scenarios elsewhere; here the decision is what matters.
    allow: ['responses.partitions.records', 'responses.partitions.highWatermark', 'responses.partitions.lastStableOffset', 'responses.partitions.logStartOffset'],
  });
}

function listOffsetsErrorStep(title: string, error: ErrorName, topic = 't'): Step {
  return requestStep({
    title,
    apiKey: ApiKey.ListOffsets,
    build: (ctx) => ({ replicaId: -1, isolationLevel: 0, topics: [{ name: ctx.topic(topic), partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }], timeoutMs: 30000 }),
    expect: (response) => assert.equal(response.topics[0]?.partitions[0]?.errorCode, ErrorCode[error]),
    allow: ['topics.partitions.offset', 'topics.partitions.leaderEpoch'],
  });
}

function metadataStep(title: string, topic: string, error: ErrorName, allowAutoTopicCreation = false): Step {
  return requestStep({
    title,
    apiKey: ApiKey.Metadata,
    build: (ctx) => ({ topics: [{ topicId: Buffer.alloc(16), name: ctx.topic(topic) }], allowAutoTopicCreation, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }),
    expect: (response) => assert.equal(response.topics[0]?.errorCode, ErrorCode[error]),
    allow: ['brokers', 'clusterId', 'controllerId', 'topics.topicId'],
  });
}

function describeTopicConfigsStep(title: string, error: ErrorName): Step {
  return requestStep({
    title,
    apiKey: ApiKey.DescribeConfigs,
    build: (ctx) => ({ resources: [{ resourceType: 2, resourceName: ctx.topic('t'), configurationKeys: ['cleanup.policy'] }], includeSynonyms: false, includeDocumentation: false }),
    expect: (response) => assert.equal(response.results[0]?.errorCode, ErrorCode[error]),
  });
}

const scenarios: Scenario[] = [
  {
    name: 'Produce without WRITE is TOPIC_AUTHORIZATION_FAILED; READ still fetches and implies DESCRIBE',
    topics: { t: {} },
    steps: [
      createAclsStep('ALLOW ANONYMOUS READ on topic t', [topicAcl('t', AclOperation.READ)]),
      produceStep('produce to t', { producer: null }, { error: 'TOPIC_AUTHORIZATION_FAILED', baseOffset: -1n }),
      fetchErrorStep('fetch t', 'NONE'),
      listOffsetsErrorStep('list offsets of t (DESCRIBE implied by READ)', 'NONE'),
      metadataStep('metadata of t', 't', 'NONE'),
      describeTopicConfigsStep('describe configs of t (DESCRIBE_CONFIGS is not implied by READ)', 'TOPIC_AUTHORIZATION_FAILED'),
    ],
  },
  {
    name: 'Fetch without READ is TOPIC_AUTHORIZATION_FAILED; WRITE produces',
    topics: { t: {} },
    steps: [
      createAclsStep('ALLOW ANONYMOUS WRITE on topic t', [topicAcl('t', AclOperation.WRITE)]),
      produceStep('produce to t', { producer: null }, { error: 'NONE', baseOffset: 0n }),
      fetchErrorStep('fetch t', 'TOPIC_AUTHORIZATION_FAILED'),
      listOffsetsErrorStep('list offsets of t (DESCRIBE implied by WRITE)', 'NONE'),
    ],
  },
  {
    name: 'A topic whose ACLs grant ANONYMOUS nothing is hidden: Metadata and ListOffsets are TOPIC_AUTHORIZATION_FAILED',
    topics: { t: {} },
    steps: [
      createAclsStep('ALLOW other ALL on topic t', [topicAcl('t', AclOperation.ALL, { principal: OTHER })]),
      metadataStep('metadata of t', 't', 'TOPIC_AUTHORIZATION_FAILED'),
      listOffsetsErrorStep('list offsets of t', 'TOPIC_AUTHORIZATION_FAILED'),
      produceStep('produce to t', { producer: null }, { error: 'TOPIC_AUTHORIZATION_FAILED', baseOffset: -1n }),
      describeTopicConfigsStep('describe configs of t', 'TOPIC_AUTHORIZATION_FAILED'),
    ],
  },
  {
    name: 'DENY wins over ALLOW: ALLOW ALL plus DENY WRITE (prefixed, any user) refuses produce only',
    topics: { t: {} },
    steps: [
      createAclsStep('ALLOW ANONYMOUS ALL on topic t, DENY User:* WRITE on topics prefixed t', [
        topicAcl('t', AclOperation.ALL),
        topicAcl('t', AclOperation.WRITE, { patternType: PatternType.PREFIXED, principal: 'User:*', permission: AclPermissionType.DENY }),
      ]),
      produceStep('produce to t', { producer: null }, { error: 'TOPIC_AUTHORIZATION_FAILED', baseOffset: -1n }),
      fetchErrorStep('fetch t', 'NONE'),
      describeTopicConfigsStep('describe configs of t (ALL grants DESCRIBE_CONFIGS)', 'NONE'),
    ],
  },
  {
    name: 'A group without READ: JoinGroup, Heartbeat, OffsetCommit, OffsetFetch and FindCoordinator are GROUP_AUTHORIZATION_FAILED',
    topics: { t: {} },
    steps: [
      createAclsStep('ALLOW ANONYMOUS READ on topic t, ALLOW other READ on group g', [topicAcl('t', AclOperation.READ), groupAcl('g', AclOperation.READ, { principal: OTHER })]),
      requestStep({
        title: 'FindCoordinator(group g)',
        apiKey: ApiKey.FindCoordinator,
        build: (ctx) => ({ key: '', keyType: 0, coordinatorKeys: [ctx.topic('g')] }),
        expect: (response) => assert.equal(response.coordinators[0]?.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED),
      }),
      requestStep({
        title: 'JoinGroup g',
        apiKey: ApiKey.JoinGroup,
        build: (ctx) => ({
          groupId: ctx.topic('g'),
          sessionTimeoutMs: 30000,
          rebalanceTimeoutMs: 30000,
          memberId: '',
          groupInstanceId: null,
          protocolType: 'consumer',
          protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
          reason: null,
        }),
        expect: (response) => assert.equal(response.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED),
      }),
      requestStep({
        title: 'Heartbeat g',
        apiKey: ApiKey.Heartbeat,
        build: (ctx) => ({ groupId: ctx.topic('g'), generationId: 1, memberId: 'm', groupInstanceId: null }),
        expect: (response) => assert.equal(response.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED),
      }),
      requestStep({
        title: 'OffsetCommit g t-0',
        apiKey: ApiKey.OffsetCommit,
        build: (ctx) => ({
          groupId: ctx.topic('g'),
          generationIdOrMemberEpoch: -1,
          memberId: '',
          groupInstanceId: null,
          retentionTimeMs: -1n,
          topics: [{ name: ctx.topic('t'), topicId: Buffer.alloc(16), partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
        }),
        expect: (response) => assert.equal(response.topics[0]?.partitions[0]?.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED),
      }),
      requestStep({
        title: 'OffsetFetch g',
        apiKey: ApiKey.OffsetFetch,
        build: (ctx) => ({
          groupId: '',
          topics: [],
          groups: [{ groupId: ctx.topic('g'), memberId: null, memberEpoch: -1, topics: [{ name: ctx.topic('t'), topicId: Buffer.alloc(16), partitionIndexes: [0] }] }],
          requireStable: false,
        }),
        expect: (response) => assert.equal(response.groups[0]?.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED),
      }),
    ],
  },
  {
    name: 'A transactional id without WRITE: InitProducerId, AddPartitionsToTxn and EndTxn are TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
    topics: { t: {} },
    steps: [
      createAclsStep('ALLOW ANONYMOUS WRITE on topic t, ALLOW other ALL on transactional id x', [topicAcl('t', AclOperation.WRITE), transactionalIdAcl('x', AclOperation.ALL, { principal: OTHER })]),
      requestStep({
        title: 'FindCoordinator(transaction x)',
        apiKey: ApiKey.FindCoordinator,
        build: (ctx) => ({ key: '', keyType: 1, coordinatorKeys: [transactionalIdOf(ctx, 'x')] }),
        expect: (response) => assert.equal(response.coordinators[0]?.errorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED),
      }),
      requestStep({
        title: 'InitProducerId(x)',
        apiKey: ApiKey.InitProducerId,
        build: (ctx) => ({ transactionalId: transactionalIdOf(ctx, 'x'), transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 }),
        expect: (response) => assert.equal(response.errorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED),
      }),
      requestStep({
        title: 'AddPartitionsToTxn(x, t-0) v3',
        apiKey: ApiKey.AddPartitionsToTxn,
        version: 3,
        build: (ctx) => ({
          transactions: [],
          v3AndBelowTransactionalId: transactionalIdOf(ctx, 'x'),
          v3AndBelowProducerId: 1000n,
          v3AndBelowProducerEpoch: 0,
          v3AndBelowTopics: [{ name: ctx.topic('t'), partitions: [0] }],
        }),
        expect: (response) => assert.equal(response.resultsByTopicV3AndBelow[0]?.resultsByPartition[0]?.partitionErrorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED),
      }),
      requestStep({
        title: 'EndTxn(x)',
        apiKey: ApiKey.EndTxn,
        build: (ctx) => ({ transactionalId: transactionalIdOf(ctx, 'x'), producerId: 1000n, producerEpoch: 0, committed: true }),
        expect: (response) => assert.equal(response.errorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED),
      }),
      requestStep({
        title: 'transactional produce to t as x',
        apiKey: ApiKey.Produce,
        build: (ctx) => ({
          transactionalId: transactionalIdOf(ctx, 'x'),
          acks: -1,
          timeoutMs: 30000,
          topicData: [{ name: ctx.topic('t'), partitionData: [{ index: 0, records: buildBatch(ctx, { producer: 1000n, epoch: 0, transactional: true }) }] }],
        }),
        expect: (response) => assert.equal(response.responses[0]?.partitionResponses[0]?.errorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED),
      }),
    ],
  },
  {
    name: 'CreateAcls validation (AclControlManager.validateNewAcl), DescribeAcls with a MATCH filter, DeleteAcls',
    steps: [
      ...[
        ['resource type ANY', { resourceType: ResourceType.ANY }],
        ['pattern MATCH', { resourcePatternType: PatternType.MATCH }],
        ['operation ANY', { operation: AclOperation.ANY }],
        ['permission ANY', { permissionType: AclPermissionType.ANY }],
      ].map(([what, change]) =>
        requestStep({
          title: `create with ${String(what)} next to a valid creation: the whole request fails`,
          apiKey: ApiKey.CreateAcls,
          build: (ctx) => ({ creations: [creation(ctx, topicAcl('v', AclOperation.READ)), { ...creation(ctx, topicAcl('a', AclOperation.READ)), ...(change as object) }] }),
          expect: (response) => assert.deepEqual(response.results.map((result) => result.errorCode), [ErrorCode.UNKNOWN_SERVER_ERROR, ErrorCode.UNKNOWN_SERVER_ERROR]),
        }),
      ),
      requestStep({
        title: 'create: unknown resource type, unknown operation, empty name, principal without a colon',
        apiKey: ApiKey.CreateAcls,
        build: (ctx) => ({
          creations: [
            { ...creation(ctx, topicAcl('a', AclOperation.READ)), resourceType: 99 },
            { ...creation(ctx, topicAcl('a', AclOperation.READ)), operation: 99 },
            { ...creation(ctx, topicAcl('a', AclOperation.READ)), resourceName: '' },
            { ...creation(ctx, topicAcl('a', AclOperation.READ)), principal: 'ANONYMOUS' },
          ],
        }),
        expect: (response) => assert.deepEqual(response.results.map((result) => result.errorCode), Array(4).fill(ErrorCode.INVALID_REQUEST)),
      }),
      createAclsStep('ALLOW ANONYMOUS READ on topic a (literal) and on topics prefixed a (prefixed)', [
        topicAcl('a', AclOperation.READ),
        topicAcl('a', AclOperation.WRITE, { patternType: PatternType.PREFIXED }),
      ]),
      requestStep({
        title: 'describe what applies to topic a (MATCH)',
        apiKey: ApiKey.DescribeAcls,
        build: (ctx) => ({ resourceTypeFilter: ResourceType.TOPIC, resourceNameFilter: ctx.topic('a'), patternTypeFilter: PatternType.MATCH, principalFilter: null, hostFilter: null, operation: AclOperation.ANY, permissionType: AclPermissionType.ANY }),
        expect: (response) => assert.equal(response.resources.length, 2),
        // Kafka lists resources from a hash set: the order of the two is not defined.
        allow: ['resources.patternType', 'resources.acls.operation'],
      }),
      requestStep({
        title: 'delete the literal one',
        apiKey: ApiKey.DeleteAcls,
        build: (ctx) => ({
          filters: [{ resourceTypeFilter: ResourceType.TOPIC, resourceNameFilter: ctx.topic('a'), patternTypeFilter: PatternType.LITERAL, principalFilter: null, hostFilter: null, operation: AclOperation.ANY, permissionType: AclPermissionType.ANY }],
        }),
        expect: (response) => assert.equal(response.filterResults[0]?.matchingAcls.length, 1),
      }),
    ],
  },
  {
    name: 'Topic admin with READ only: DeleteRecords and CreatePartitions are TOPIC_AUTHORIZATION_FAILED; DeleteTopics needs DELETE on the topic or the cluster',
    topics: { t: {} },
    steps: [
      createAclsStep('ALLOW ANONYMOUS READ on topic t', [topicAcl('t', AclOperation.READ)]),
      requestStep({
        title: 'DeleteRecords t-0 before 0',
        apiKey: ApiKey.DeleteRecords,
        build: (ctx) => ({ topics: [{ name: ctx.topic('t'), partitions: [{ partitionIndex: 0, offset: 0n }] }], timeoutMs: 30000 }),
        expect: (response) => assert.equal(response.topics[0]?.partitions[0]?.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED),
      }),
      requestStep({
        title: 'CreatePartitions t to 2',
        apiKey: ApiKey.CreatePartitions,
        build: (ctx) => ({ topics: [{ name: ctx.topic('t'), count: 2, assignments: null }], timeoutMs: 30000, validateOnly: false }),
        expect: (response) => assert.equal(response.results[0]?.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED),
      }),
      requestStep({
        // Kafka's controller lets DELETE on the cluster delete any topic; the cluster has no ACL here, so
        // allow.everyone.if.no.acl.found grants it (ControllerApis.deleteTopics).
        title: 'DeleteTopics t (DELETE on the cluster suffices)',
        apiKey: ApiKey.DeleteTopics,
        build: (ctx) => ({ topics: [{ name: ctx.topic('t'), topicId: Buffer.alloc(16) }], topicNames: [], timeoutMs: 30000 }),
        expect: (response) => assert.equal(response.responses[0]?.errorCode, ErrorCode.NONE),
        allow: ['responses.topicId'],
      }),
    ],
  },
  {
    name: 'A group with READ: offsets commit for a readable topic; a topic without READ is TOPIC_AUTHORIZATION_FAILED in the same request',
    topics: { t: {}, u: {} },
    steps: [
      createAclsStep('ALLOW ANONYMOUS READ on group g and topic t, ALLOW ANONYMOUS WRITE on topic u', [groupAcl('g', AclOperation.READ), topicAcl('t', AclOperation.READ), topicAcl('u', AclOperation.WRITE)]),
      pollingStep({
        // Kafka creates and loads __consumer_offsets on the first FindCoordinator: wait for it, as a client does.
        title: 'FindCoordinator(group g) until the coordinator is ready',
        apiKey: ApiKey.FindCoordinator,
        build: (ctx) => ({ key: '', keyType: 0, coordinatorKeys: [ctx.topic('g')] }),
        until: (response) => response.coordinators[0]?.errorCode === ErrorCode.NONE,
        expect: (response) => assert.equal(response.coordinators[0]?.errorCode, ErrorCode.NONE),
        allow: ['coordinators.nodeId', 'coordinators.host', 'coordinators.port'],
      }),
      pollingStep({
        title: 'OffsetFetch g until the group is loaded',
        apiKey: ApiKey.OffsetFetch,
        build: (ctx) => ({ groupId: '', topics: [], groups: [{ groupId: ctx.topic('g'), memberId: null, memberEpoch: -1, topics: [] }], requireStable: false }),
        until: (response) => response.groups[0]?.errorCode === ErrorCode.NONE,
        expect: (response) => assert.equal(response.groups[0]?.errorCode, ErrorCode.NONE),
      }),
      requestStep({
        title: 'OffsetCommit g: t-0 and u-0',
        apiKey: ApiKey.OffsetCommit,
        build: (ctx) => ({
          groupId: ctx.topic('g'),
          generationIdOrMemberEpoch: -1,
          memberId: '',
          groupInstanceId: null,
          retentionTimeMs: -1n,
          topics: ['t', 'u'].map((topic) => ({ name: ctx.topic(topic), topicId: Buffer.alloc(16), partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] })),
        }),
        expect: (response, ctx) =>
          assert.deepEqual(
            ['t', 'u'].map((topic) => response.topics.find((answer) => answer.name === ctx.topic(topic))?.partitions[0]?.errorCode),
            [ErrorCode.NONE, ErrorCode.TOPIC_AUTHORIZATION_FAILED],
          ),
      }),
      requestStep({
        title: 'OffsetFetch g: t-0 (committed) and u-0 (DESCRIBE implied by WRITE)',
        apiKey: ApiKey.OffsetFetch,
        build: (ctx) => ({
          groupId: '',
          topics: [],
          groups: [{ groupId: ctx.topic('g'), memberId: null, memberEpoch: -1, topics: ['t', 'u'].map((topic) => ({ name: ctx.topic(topic), topicId: Buffer.alloc(16), partitionIndexes: [0] })) }],
          requireStable: false,
        }),
        expect: (response) => assert.equal(response.groups[0]?.errorCode, ErrorCode.NONE),
      }),
      requestStep({
        title: 'DescribeGroups g with authorized operations (READ implies DESCRIBE)',
        apiKey: ApiKey.DescribeGroups,
        build: (ctx) => ({ groups: [ctx.topic('g')], includeAuthorizedOperations: true }),
        expect: (response) => assert.equal(response.groups[0]?.authorizedOperations, (1 << AclOperation.READ) | (1 << AclOperation.DESCRIBE)),
      }),
      requestStep({
        title: 'Metadata t and u with topic authorized operations',
        apiKey: ApiKey.Metadata,
        build: (ctx) => ({ topics: ['t', 'u'].map((topic) => ({ topicId: Buffer.alloc(16), name: ctx.topic(topic) })), allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: true }),
        expect: (response, ctx) =>
          assert.deepEqual(
            ['t', 'u'].map((topic) => response.topics.find((answer) => answer.name === ctx.topic(topic))?.topicAuthorizedOperations),
            [(1 << AclOperation.READ) | (1 << AclOperation.DESCRIBE), (1 << AclOperation.WRITE) | (1 << AclOperation.DESCRIBE)],
          ),
        // Kafka lists a request's topics from a set: their order is its own.
        allow: ['brokers', 'clusterId', 'controllerId', 'topics.topicId', 'topics.name', 'topics.topicAuthorizedOperations'],
      }),
    ],
  },
  {
    name: 'Cluster CREATE denied, prefixed topic CREATE: CreateTopics needs CREATE on the new topic (TOPIC_AUTHORIZATION_FAILED otherwise)',
    steps: [
      // The Cluster resource gets ACLs here (so CREATE on it can be denied): ALLOW ALL keeps the reference's
      // controller traffic (CLUSTER_ACTION, as ANONYMOUS) authorized; the last step removes them again.
      createAclsStep('ALLOW ANONYMOUS ALL + DENY ANONYMOUS CREATE on the cluster; CREATE on topics prefixed ok; DESCRIBE only on topics prefixed no', [
        CLUSTER_ALLOW_ALL,
        CLUSTER_DENY_CREATE,
        topicAcl('ok', AclOperation.CREATE, { patternType: PatternType.PREFIXED }),
        topicAcl('no', AclOperation.DESCRIBE, { patternType: PatternType.PREFIXED }),
      ]),
      requestStep({
        title: 'create ok-1 (allowed; its configs are not describable) and no-1 (denied)',
        apiKey: ApiKey.CreateTopics,
        build: (ctx) => ({
          topics: [ctx.topic('ok-1'), ctx.topic('no-1')].map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] })),
          timeoutMs: 30000,
          validateOnly: false,
        }),
        expect(response) {
          assert.deepEqual(response.topics.map((topic) => topic.errorCode), [ErrorCode.NONE, ErrorCode.TOPIC_AUTHORIZATION_FAILED]);
          assert.equal(response.topics[0]?.topicConfigErrorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
        },
        allow: ['topics.topicId'],
      }),
      metadataStep('auto-create no-2 through Metadata (DESCRIBE but no CREATE)', 'no-2', 'TOPIC_AUTHORIZATION_FAILED', true),
      deleteAclsStep('remove the cluster ACLs', [CLUSTER_ALLOW_ALL, CLUSTER_DENY_CREATE]),
    ],
  },
];

describe('authorization: Apache Kafka (StandardAuthorizer) vs seqlog, same ACLs', { timeout: 300_000 }, () => {
  let targets: DifferentialTargets;
  before(async () => {
    targets = await startDifferentialTargets({
      referenceConfig: { 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'allow.everyone.if.no.acl.found': 'true' },
      seqlogOptions: { authorizer: 'standard', allowEveryoneIfNoAclFound: true },
    });
  });
  after(async () => {
    await targets?.stop();
  });
  for (const scenario of scenarios) {
    test(scenario.name, async () => {
      await assertScenario(scenario, [targets.kafka, targets.seqlog]);
    });
  }
});
