// The transaction coordinator, differentially: every scenario sends the same raw coordinator requests
// (InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, TxnOffsetCommit, DescribeTransactions,
// ListTransactions) and the transactional Produce/Fetch/OffsetFetch they imply to Apache Kafka and to seqlog,
// checks the answer Kafka's rule prescribes on both, and compares them field by field.
// Transactional ids and group ids are made unique per scenario and target like topic names (`ctx.topic`), so
// they compare by label. Markers are written after EndTxn is answered on both brokers, so a scenario that reads
// the result first waits for CompleteCommit/CompleteAbort through DescribeTransactions (`awaitStateStep`).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerConnection } from '../../src/client/connection/broker-connection.ts';
import { ErrorCode, errorName } from '../../src/protocol/errors/index.ts';
import type { ErrorName } from '../../src/protocol/errors/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import type { DescribeTransactionsResponse, FetchResponse } from '../../src/protocol/messages/generated/index.ts';
import { iterateRecordBatches } from '../../src/protocol/records/index.ts';
import { assertScenario, requestStep, restartStep } from './differential.ts';
import type { DifferentialTarget, Scenario, Step, TargetContext } from './differential.ts';
import { buildBatch, fetchPartition, fetchRequestV12 } from './steps.ts';
import { startDifferentialTargets } from './targets.ts';
import type { DifferentialTargets } from './targets.ts';

/** Start times are wall-clock values of each broker. */
const START_TIME = '**.transactionStartTimeMs';

const txnId = (ctx: TargetContext, txn: string): string => ctx.topic(`txn-${txn}`);
const groupId = (ctx: TargetContext, group: string): string => ctx.topic(`group-${group}`);
const epochOf = (ctx: TargetContext, producer: string): number => ctx.get<number>(`${producer}.epoch`);

interface InitOptions {
  txn?: string;
  timeoutMs?: number;
  /** KIP-360: send the current (producer id, epoch) of `producer`, plus `epochDelta`. */
  current?: { producer: string; epochDelta?: number };
  version?: number;
  error?: ErrorName;
  /** The epoch expected in a successful answer. */
  epoch?: number;
}

/** InitProducerId with a transactional id; a success is captured as `label` (producer id and epoch). */
function initStep(title: string, label: string, options: InitOptions = {}): Step {
  return requestStep({
    title,
    apiKey: ApiKey.InitProducerId,
    ...(options.version === undefined ? {} : { version: options.version }),
    build: (ctx) => ({
      transactionalId: txnId(ctx, options.txn ?? 'a'),
      transactionTimeoutMs: options.timeoutMs ?? 60000,
      producerId: options.current === undefined ? -1n : ctx.producerId(options.current.producer),
      producerEpoch: options.current === undefined ? -1 : epochOf(ctx, options.current.producer) + (options.current.epochDelta ?? 0),
    }),
    capture(response, ctx) {
      if (response.errorCode !== ErrorCode.NONE) return;
      ctx.rememberProducerId(label, response.producerId);
      ctx.remember(`${label}.epoch`, response.producerEpoch);
    },
    expect(response) {
      assert.equal(errorName(response.errorCode), options.error ?? 'NONE');
      if (options.epoch !== undefined) assert.equal(response.producerEpoch, options.epoch, 'producer epoch');
    },
  });
}

interface CoordinatorCallOptions {
  txn?: string;
  epochDelta?: number;
  /** A producer id other than the captured one (INVALID_PRODUCER_ID_MAPPING). */
  producerIdDelta?: bigint;
  version?: number;
}

/** AddPartitionsToTxn (client form, v3 by default) for partitions of topic 't' (or `[topic, partition]`). */
function addPartitionsStep(title: string, producer: string, partitions: readonly (number | [string, number])[], expected: readonly ErrorName[], options: CoordinatorCallOptions = {}): Step {
  return requestStep({
    title,
    apiKey: ApiKey.AddPartitionsToTxn,
    version: options.version ?? 3,
    build(ctx) {
      const byTopic = new Map<string, number[]>();
      for (const entry of partitions) {
        const [topic, partition] = typeof entry === 'number' ? ['t', entry] : entry;
        const name = ctx.topic(topic);
        byTopic.set(name, [...(byTopic.get(name) ?? []), partition]);
      }
      return {
        transactions: [],
        v3AndBelowTransactionalId: txnId(ctx, options.txn ?? 'a'),
        v3AndBelowProducerId: ctx.producerId(producer) + (options.producerIdDelta ?? 0n),
        v3AndBelowProducerEpoch: epochOf(ctx, producer) + (options.epochDelta ?? 0),
        v3AndBelowTopics: [...byTopic].map(([name, list]) => ({ name, partitions: list })),
      };
    },
    // Kafka answers partitions in hash-set order: the codes are compared in request order.
    expect(response, ctx) {
      const codeOf = new Map(response.resultsByTopicV3AndBelow.flatMap((topic) => topic.resultsByPartition.map((p) => [`${topic.name}/${p.partitionIndex}`, errorName(p.partitionErrorCode)] as const)));
      const codes = partitions.map((entry) => {
        const [topic, partition] = typeof entry === 'number' ? ['t', entry] : entry;
        return codeOf.get(`${ctx.topic(topic)}/${partition}`);
      });
      assert.deepEqual(codes, expected);
    },
  });
}

/** AddPartitionsToTxn v4+ (the broker-to-broker batch form) for one transaction, `verifyOnly` or not. */
function addPartitionsBatchedStep(title: string, producer: string, partitions: readonly number[], verifyOnly: boolean, expected: readonly ErrorName[], options: CoordinatorCallOptions = {}): Step {
  return requestStep({
    title,
    apiKey: ApiKey.AddPartitionsToTxn,
    version: 4,
    build: (ctx) => ({
      transactions: [
        {
          transactionalId: txnId(ctx, options.txn ?? 'a'),
          producerId: ctx.producerId(producer),
          producerEpoch: epochOf(ctx, producer) + (options.epochDelta ?? 0),
          verifyOnly,
          topics: [{ name: ctx.topic('t'), partitions: [...partitions] }],
        },
      ],
      v3AndBelowTransactionalId: '',
      v3AndBelowProducerId: 0n,
      v3AndBelowProducerEpoch: 0,
      v3AndBelowTopics: [],
    }),
    expect(response) {
      assert.equal(errorName(response.errorCode), 'NONE');
      const codeOf = new Map(response.resultsByTransaction.flatMap((txn) => txn.topicResults.flatMap((topic) => topic.resultsByPartition.map((p) => [p.partitionIndex, errorName(p.partitionErrorCode)] as const))));
      assert.deepEqual(partitions.map((partition) => codeOf.get(partition)), expected);
    },
  });
}

function addOffsetsStep(title: string, producer: string, group: string, error: ErrorName, options: CoordinatorCallOptions = {}): Step {
  return requestStep({
    title,
    apiKey: ApiKey.AddOffsetsToTxn,
    ...(options.version === undefined ? {} : { version: options.version }),
    build: (ctx) => ({
      transactionalId: txnId(ctx, options.txn ?? 'a'),
      producerId: ctx.producerId(producer) + (options.producerIdDelta ?? 0n),
      producerEpoch: epochOf(ctx, producer) + (options.epochDelta ?? 0),
      groupId: groupId(ctx, group),
    }),
    expect: (response) => assert.equal(errorName(response.errorCode), error),
  });
}

/**
 * EndTxn, v4 by default: v5 is transaction version 2 (KIP-890 part 2, epoch bump) on both brokers.
 * `expectEpoch` checks the epoch the answer carries; `captureAs` keeps the answered producer id and epoch.
 */
function endTxnStep(
  title: string,
  producer: string,
  commit: boolean,
  error: ErrorName,
  options: CoordinatorCallOptions & { unknownTxn?: boolean; expectEpoch?: number; captureAs?: string } = {},
): Step {
  return requestStep({
    title,
    apiKey: ApiKey.EndTxn,
    version: options.version ?? 4,
    build: (ctx) => ({
      transactionalId: options.unknownTxn ? txnId(ctx, 'never-initialized') : txnId(ctx, options.txn ?? 'a'),
      producerId: ctx.producerId(producer) + (options.producerIdDelta ?? 0n),
      producerEpoch: epochOf(ctx, producer) + (options.epochDelta ?? 0),
      committed: commit,
    }),
    capture(response, ctx) {
      if (options.captureAs === undefined || response.errorCode !== ErrorCode.NONE) return;
      ctx.rememberProducerId(options.captureAs, response.producerId);
      ctx.remember(`${options.captureAs}.epoch`, response.producerEpoch);
    },
    expect(response) {
      assert.equal(errorName(response.errorCode), error);
      if (options.expectEpoch !== undefined) assert.equal(response.producerEpoch, options.expectEpoch, 'epoch in the answer');
    },
  });
}

/**
 * Kafka lists a transaction's partitions in the iteration order of a Java HashSet of TopicPartition, which hashes
 * the topic name (different per target here): the partitions of each topic are compared as a sorted list.
 */
function sortPartitions(response: DescribeTransactionsResponse): DescribeTransactionsResponse {
  for (const state of response.transactionStates) for (const topic of state.topics) topic.partitions.sort((a, b) => a - b);
  return response;
}

function describeStep(title: string, txns: readonly string[], expected: readonly { state?: string; error?: ErrorName; epoch?: number; partitions?: number }[]): Step {
  const step = requestStep({
    title,
    apiKey: ApiKey.DescribeTransactions,
    version: 0,
    allow: [START_TIME],
    build: (ctx) => ({ transactionalIds: txns.map((txn) => txnId(ctx, txn)) }),
    expect(response) {
      expected.forEach((want, i) => {
        const got = response.transactionStates[i];
        assert.equal(errorName(got.errorCode), want.error ?? 'NONE');
        if (want.state !== undefined) assert.equal(got.transactionState, want.state);
        if (want.epoch !== undefined) assert.equal(got.producerEpoch, want.epoch);
        if (want.partitions !== undefined) assert.equal(got.topics.reduce((n, t) => n + t.partitions.length, 0), want.partitions);
      });
    },
  });
  return { ...step, run: async (connection, version, ctx) => sortPartitions((await step.run?.(connection, version, ctx)) as DescribeTransactionsResponse) };
}

/**
 * Polls DescribeTransactions until `txn` is in `state` (markers are written after EndTxn is answered; a timed-out
 * transaction is aborted by a periodic task, every 10 s on both brokers), then compares that answer.
 */
function awaitStateStep(title: string, txn: string, state: string, timeoutMs = 40000): Step {
  return {
    kind: 'request',
    title,
    apiKey: ApiKey.DescribeTransactions,
    fixedVersion: 0,
    allow: [START_TIME],
    async run(connection: BrokerConnection, version: number, ctx: TargetContext) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const response: DescribeTransactionsResponse = await connection.send(ApiKey.DescribeTransactions, version, { transactionalIds: [txnId(ctx, txn)] });
        if (response.transactionStates[0]?.transactionState === state || Date.now() > deadline) return sortPartitions(response);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    expect(response: unknown) {
      assert.equal((response as DescribeTransactionsResponse).transactionStates[0]?.transactionState, state);
    },
  };
}

function listStep(
  title: string,
  filters: { states?: readonly string[]; producers: readonly string[]; durationMs?: bigint },
  expected: { txns: readonly string[]; unknownStates?: readonly string[] },
): Step {
  return requestStep({
    title,
    apiKey: ApiKey.ListTransactions,
    version: 1,
    // Scenarios share a broker: every listing is narrowed to this scenario's producers.
    build: (ctx) => ({ stateFilters: [...(filters.states ?? [])], producerIdFilters: filters.producers.map((p) => ctx.producerId(p)), durationFilter: filters.durationMs ?? -1n }),
    expect(response, ctx) {
      assert.equal(response.errorCode, ErrorCode.NONE);
      assert.deepEqual([...response.unknownStateFilters], [...(expected.unknownStates ?? [])]);
      assert.deepEqual(response.transactionStates.map((t) => t.transactionalId).sort(), expected.txns.map((t) => txnId(ctx, t)).sort());
    },
  });
}

interface TxnProduce {
  seq: number;
  count?: number;
  partition?: number;
  topic?: string;
  epochDelta?: number;
  txn?: string;
}

/** A transactional Produce (v9: before KIP-890's TRANSACTION_ABORTABLE) of one batch of `producer`. */
function txnProduceStep(title: string, producer: string, write: TxnProduce, error: ErrorName = 'NONE', version = 9): Step {
  return requestStep({
    title,
    apiKey: ApiKey.Produce,
    version,
    build: (ctx) => ({
      transactionalId: txnId(ctx, write.txn ?? 'a'),
      acks: -1,
      timeoutMs: 30000,
      topicData: [
        {
          name: ctx.topic(write.topic ?? 't'),
          partitionData: [
            {
              index: write.partition ?? 0,
              records: buildBatch(ctx, { producer, epoch: epochOf(ctx, producer) + (write.epochDelta ?? 0), seq: write.seq, count: write.count ?? 1, transactional: true }),
            },
          ],
        },
      ],
    }),
    expect(response) {
      assert.equal(errorName(response.responses[0].partitionResponses[0].errorCode), error);
    },
  });
}

/**
 * What a read_committed consumer delivers from a fetch (the Java consumer's `CompletedFetch`): an aborted
 * transaction of a producer starts at its first offset and ends at that producer's next control batch.
 */
function committedValues(records: Buffer, abortedTransactions: readonly { producerId: bigint; firstOffset: bigint }[]): string[] {
  const pending = [...abortedTransactions].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1));
  const abortedProducers = new Set<bigint>();
  const values: string[] = [];
  for (const batch of iterateRecordBatches(records)) {
    while (pending.length > 0 && pending[0].firstOffset <= batch.lastOffset) abortedProducers.add(pending.shift()!.producerId);
    if (batch.isControl) {
      abortedProducers.delete(batch.producerId);
      continue;
    }
    if (batch.isTransactional && abortedProducers.has(batch.producerId)) continue;
    values.push(...batch.records.map((record) => record.value?.toString() ?? ''));
  }
  return values;
}

/**
 * Timestamps that are the broker's clock: a control batch (marker) is stamped by the broker that writes it.
 * Data batches carry the fixed client timestamp, and the expectation checks which values are delivered.
 */
const MARKER_TIMESTAMPS = ['**.baseTimestamp', '**.maxTimestamp', '**.records.timestamp'];

/** A read_committed Fetch from offset 0: which records are visible, the LSO, and the aborted transactions. */
function readCommittedStep(title: string, expected: { values: readonly string[]; lastStableOffset: bigint; aborted: number }, partition = 0, allow: readonly string[] = []): Step {
  return requestStep({
    title,
    apiKey: ApiKey.Fetch,
    version: 12,
    allow: [...MARKER_TIMESTAMPS, ...allow],
    build: (ctx) => fetchRequestV12([{ topic: ctx.topic('t'), topicId: Buffer.alloc(16), partitions: [fetchPartition(partition, 0n)] }], { isolationLevel: 1 }),
    expect(response: FetchResponse) {
      const data = response.responses[0]?.partitions[0];
      assert.equal(data?.errorCode, ErrorCode.NONE);
      assert.equal(data?.lastStableOffset, expected.lastStableOffset, 'last stable offset');
      assert.equal(data?.abortedTransactions?.length ?? 0, expected.aborted, 'aborted transactions');
      assert.deepEqual(committedValues(data?.records ?? Buffer.alloc(0), data?.abortedTransactions ?? []), expected.values);
    },
  });
}

interface TxnOffsetCommitOptions extends CoordinatorCallOptions {
  generationId?: number;
  /** The generation is the member epoch captured as `<group>.epoch` plus this (a KIP-848 member). */
  memberEpochDelta?: number;
  /** Use the member id captured as `<group>.member`. */
  member?: boolean;
  memberId?: string;
  offset?: bigint;
}

function txnOffsetCommitStep(title: string, producer: string, group: string, error: ErrorName, options: TxnOffsetCommitOptions = {}): Step {
  return requestStep({
    title,
    apiKey: ApiKey.TxnOffsetCommit,
    version: options.version ?? 3,
    allow: [],
    build: (ctx) => ({
      transactionalId: txnId(ctx, options.txn ?? 'a'),
      groupId: groupId(ctx, group),
      producerId: ctx.producerId(producer),
      producerEpoch: epochOf(ctx, producer) + (options.epochDelta ?? 0),
      generationId: options.memberEpochDelta !== undefined ? ctx.get<number>(`${group}.epoch`) + options.memberEpochDelta : (options.generationId ?? -1),
      memberId: options.member ? ctx.get<string>(`${group}.member`) : (options.memberId ?? ''),
      groupInstanceId: null,
      topics: [{ name: ctx.topic('t'), partitions: [{ partitionIndex: 0, committedOffset: options.offset ?? 5n, committedLeaderEpoch: -1, committedMetadata: 'm' }] }],
    }),
    expect(response) {
      assert.equal(errorName(response.topics[0].partitions[0].errorCode), error);
    },
  });
}

/** OffsetFetch v7 for partition t-0; `whileLoading`: repeated while Kafka still loads its offsets after a restart. */
function offsetFetchStep(title: string, group: string, requireStable: boolean, expected: { offset: bigint; error?: ErrorName }, whileLoading = false): Step {
  const step = requestStep({
    title,
    apiKey: ApiKey.OffsetFetch,
    version: 7,
    build: (ctx) => ({ groupId: groupId(ctx, group), topics: [{ name: ctx.topic('t'), partitionIndexes: [0] }], groups: [], requireStable }),
    expect(response) {
      assert.equal(errorName(response.errorCode), 'NONE');
      const partition = response.topics[0].partitions[0];
      assert.equal(errorName(partition.errorCode), expected.error ?? 'NONE');
      assert.equal(partition.committedOffset, expected.offset);
    },
  });
  if (!whileLoading) return step;
  return {
    ...step,
    async run(connection: BrokerConnection, version: number, ctx: TargetContext) {
      const deadline = Date.now() + 60000;
      for (;;) {
        const response = (await step.run?.(connection, version, ctx)) as { errorCode: number };
        const loading = response.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || response.errorCode === ErrorCode.NOT_COORDINATOR;
        if (!loading || Date.now() > deadline) return response;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}

/** A classic group with one member at generation 1 (JoinGroup twice, KIP-394, then SyncGroup); the member id is captured. */
function joinGroupSteps(group: string): Step[] {
  const join = (title: string, withMember: boolean, error: ErrorName) =>
    requestStep({
      title,
      apiKey: ApiKey.JoinGroup,
      version: 5,
      // Member ids are generated by each broker.
      allow: ['memberId', 'leader', '**.memberId'],
      build: (ctx) => ({
        groupId: groupId(ctx, group),
        sessionTimeoutMs: 30000,
        rebalanceTimeoutMs: 30000,
        memberId: withMember ? ctx.get<string>(`${group}.member`) : '',
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
        reason: null,
      }),
      capture: (response, ctx) => ctx.remember(`${group}.member`, response.memberId),
      expect: (response) => assert.equal(errorName(response.errorCode), error),
    });
  return [
    join('JoinGroup without a member id', false, 'MEMBER_ID_REQUIRED'),
    join('JoinGroup with the member id -> generation 1', true, 'NONE'),
    requestStep({
      title: 'SyncGroup as the leader',
      apiKey: ApiKey.SyncGroup,
      version: 3,
      build: (ctx) => ({
        groupId: groupId(ctx, group),
        generationId: 1,
        memberId: ctx.get<string>(`${group}.member`),
        groupInstanceId: null,
        protocolType: null,
        protocolName: null,
        assignments: [{ memberId: ctx.get<string>(`${group}.member`), assignment: Buffer.alloc(0) }],
      }),
      expect: (response) => assert.equal(errorName(response.errorCode), 'NONE'),
    }),
  ];
}

/**
 * A KIP-848 consumer group with one member subscribed to t (ConsumerGroupHeartbeat v1, epoch 0, a client-chosen
 * member id); its id and epoch are captured as `<group>.member` and `<group>.epoch`. Re-sent while the
 * coordinator is still loading.
 */
function consumerGroupJoinStep(group: string): Step {
  const memberId = 'kip848-member';
  return {
    kind: 'request',
    title: 'ConsumerGroupHeartbeat: a member joins, subscribed to t',
    apiKey: ApiKey.ConsumerGroupHeartbeat,
    fixedVersion: 1,
    // Kafka's group coordinator assigns a topic only once it is in the coordinator's metadata image, which a topic
    // created just before may reach after the first heartbeat (an empty assignment, the partitions in a later
    // one). These scenarios are about the member's epoch, not about when its assignment arrives.
    allow: ['assignment'],
    async run(connection, version, ctx) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const response = await connection.send(ApiKey.ConsumerGroupHeartbeat, version, {
          groupId: groupId(ctx, group),
          memberId,
          memberEpoch: 0,
          instanceId: null,
          rackId: null,
          rebalanceTimeoutMs: 30_000,
          subscribedTopicNames: [ctx.topic('t')],
          subscribedTopicRegex: null,
          serverAssignor: null,
          topicPartitions: [],
        });
        const retriable = response.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || response.errorCode === ErrorCode.NOT_COORDINATOR || response.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE;
        if (!retriable || Date.now() > deadline) return response;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    capture(response, ctx) {
      const answer = response as { memberId: string | null; memberEpoch: number };
      ctx.remember(`${group}.member`, answer.memberId ?? memberId);
      ctx.remember(`${group}.epoch`, answer.memberEpoch);
    },
    expect(response) {
      assert.equal(errorName((response as { errorCode: number }).errorCode), 'NONE');
    },
  };
}

const scenarios: Scenario[] = [
  {
    name: 'FindCoordinator for a transactional id (key type 1) names the coordinator',
    steps: [
      requestStep({
        title: 'FindCoordinator(TRANSACTION)',
        apiKey: ApiKey.FindCoordinator,
        version: 6,
        build: (ctx) => ({ key: '', keyType: 1, coordinatorKeys: [txnId(ctx, 'a'), txnId(ctx, 'b')] }),
        expect(response) {
          assert.equal(response.coordinators.length, 2);
          assert.ok(response.coordinators.every((c) => c.errorCode === ErrorCode.NONE));
        },
      }),
      requestStep({
        title: 'FindCoordinator(TRANSACTION) v3',
        apiKey: ApiKey.FindCoordinator,
        version: 3,
        build: (ctx) => ({ key: txnId(ctx, 'a'), keyType: 1, coordinatorKeys: [] }),
        expect: (response) => assert.equal(response.errorCode, ErrorCode.NONE),
      }),
    ],
  },
  {
    name: 'InitProducerId: a new transactional id starts at epoch 0, each later call bumps the epoch (TransactionCoordinatorTest)',
    steps: [initStep('first', 'p1', { epoch: 0 }), initStep('second', 'p2', { epoch: 1 }), initStep('third', 'p3', { epoch: 2 }), describeStep('Empty at epoch 2', ['a'], [{ state: 'Empty', epoch: 2, partitions: 0 }])],
  },
  {
    name: 'InitProducerId: a timeout of 0 or above transaction.max.timeout.ms is INVALID_TRANSACTION_TIMEOUT',
    steps: [
      initStep('timeout 0', 'x', { timeoutMs: 0, error: 'INVALID_TRANSACTION_TIMEOUT' }),
      initStep('timeout 900001', 'x', { timeoutMs: 900001, error: 'INVALID_TRANSACTION_TIMEOUT' }),
      initStep('timeout 900000 is allowed', 'p1', { timeoutMs: 900000, epoch: 0 }),
      describeStep('nothing else changed', ['a'], [{ state: 'Empty', epoch: 0 }]),
    ],
  },
  {
    name: 'InitProducerId with an empty transactional id is INVALID_REQUEST',
    steps: [
      requestStep({
        title: 'transactional id ""',
        apiKey: ApiKey.InitProducerId,
        build: () => ({ transactionalId: '', transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 }),
        expect: (response) => assert.equal(errorName(response.errorCode), 'INVALID_REQUEST'),
      }),
    ],
  },
  {
    name: 'KIP-360: InitProducerId with the current id and epoch bumps it; a retry of that bump answers the same epoch (prepareIncrementProducerEpoch)',
    steps: [
      initStep('init', 'p1', { epoch: 0 }),
      initStep('bump with (p1, 0)', 'p2', { current: { producer: 'p1' }, epoch: 1 }),
      initStep('retry of the bump with (p1, 0)', 'p3', { current: { producer: 'p1' }, epoch: 1 }),
      initStep('bump with (p1, 1)', 'p4', { current: { producer: 'p2' }, epoch: 2 }),
    ],
  },
  {
    name: 'KIP-360: a stale epoch or another producer id is PRODUCER_FENCED, INVALID_PRODUCER_EPOCH before v4 (KIP-588)',
    steps: [
      initStep('init', 'p1', { epoch: 0 }),
      initStep('bump', 'p2', { epoch: 1 }),
      initStep('bump', 'p3', { epoch: 2 }),
      initStep('stale epoch 0', 'x', { current: { producer: 'p1' }, error: 'PRODUCER_FENCED' }),
      initStep('stale epoch 0 at v3', 'x', { current: { producer: 'p1' }, version: 3, error: 'INVALID_PRODUCER_EPOCH' }),
      initStep('the current epoch still bumps', 'p4', { current: { producer: 'p3' }, epoch: 3 }),
    ],
  },
  {
    name: 'AddPartitionsToTxn opens the transaction: Ongoing with its partitions; adding them again is NONE',
    topics: { t: { partitions: 3 } },
    steps: [
      initStep('init', 'p1'),
      addPartitionsStep('add t-0, t-1', 'p1', [0, 1], ['NONE', 'NONE']),
      describeStep('Ongoing with 2 partitions', ['a'], [{ state: 'Ongoing', partitions: 2 }]),
      addPartitionsStep('add t-1 again', 'p1', [1], ['NONE']),
      addPartitionsStep('add t-2', 'p1', [2], ['NONE']),
      describeStep('Ongoing with 3 partitions', ['a'], [{ state: 'Ongoing', partitions: 3 }]),
    ],
  },
  {
    name: 'AddPartitionsToTxn: an unknown partition fails the request; the others are OPERATION_NOT_ATTEMPTED and nothing is added',
    topics: { t: { partitions: 2 } },
    steps: [
      initStep('init', 'p1'),
      addPartitionsStep('t-0, t-1 and t-9', 'p1', [0, 1, 9], ['OPERATION_NOT_ATTEMPTED', 'OPERATION_NOT_ATTEMPTED', 'UNKNOWN_TOPIC_OR_PARTITION']),
      describeStep('still Empty', ['a'], [{ state: 'Empty', partitions: 0 }]),
    ],
  },
  {
    name: 'AddPartitionsToTxn: unknown transactional id or producer id is INVALID_PRODUCER_ID_MAPPING; a wrong epoch PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before v2)',
    topics: { t: {} },
    steps: [
      initStep('init', 'p1'),
      addPartitionsStep('unknown transactional id', 'p1', [0], ['INVALID_PRODUCER_ID_MAPPING'], { txn: 'unknown' }),
      addPartitionsStep('another producer id', 'p1', [0], ['INVALID_PRODUCER_ID_MAPPING'], { producerIdDelta: 1000n }),
      addPartitionsStep('epoch + 1', 'p1', [0], ['PRODUCER_FENCED'], { epochDelta: 1 }),
      addPartitionsStep('epoch + 1 at v1', 'p1', [0], ['INVALID_PRODUCER_EPOCH'], { epochDelta: 1, version: 1 }),
      addPartitionsStep('the right epoch', 'p1', [0], ['NONE']),
    ],
  },
  {
    name: 'AddPartitionsToTxn v4 batched form; VerifyOnly answers NONE for added partitions and TRANSACTION_ABORTABLE for others (KIP-890)',
    topics: { t: { partitions: 2 } },
    steps: [
      initStep('init', 'p1'),
      addPartitionsBatchedStep('v4 add t-0', 'p1', [0], false, ['NONE']),
      addPartitionsBatchedStep('v4 verify t-0, t-1', 'p1', [0, 1], true, ['NONE', 'TRANSACTION_ABORTABLE']),
      addPartitionsBatchedStep('v4 verify with a fenced epoch', 'p1', [0], true, ['PRODUCER_FENCED'], { epochDelta: 1 }),
      describeStep('only t-0 added', ['a'], [{ state: 'Ongoing', partitions: 1 }]),
    ],
  },
  {
    name: 'a committed transaction: EndTxn, CompleteCommit, and read_committed sees the records',
    topics: { t: { partitions: 2 } },
    steps: [
      initStep('init', 'p1'),
      addPartitionsStep('add t-0, t-1', 'p1', [0, 1], ['NONE', 'NONE']),
      txnProduceStep('produce to t-0', 'p1', { seq: 0, count: 2 }),
      txnProduceStep('produce to t-1', 'p1', { seq: 0, partition: 1 }),
      readCommittedStep('open transaction: nothing stable', { values: [], lastStableOffset: 0n, aborted: 0 }),
      endTxnStep('commit', 'p1', true, 'NONE'),
      awaitStateStep('CompleteCommit', 'a', 'CompleteCommit'),
      describeStep('no partitions left', ['a'], [{ state: 'CompleteCommit', partitions: 0, epoch: 0 }]),
      readCommittedStep('committed records visible', { values: ['v-0-0', 'v-0-1'], lastStableOffset: 3n, aborted: 0 }),
    ],
  },
  {
    name: 'an aborted transaction: CompleteAbort, and read_committed gets it in abortedTransactions',
    topics: { t: {} },
    steps: [
      initStep('init', 'p1'),
      addPartitionsStep('add t-0', 'p1', [0], ['NONE']),
      txnProduceStep('produce', 'p1', { seq: 0, count: 3 }),
      endTxnStep('abort', 'p1', false, 'NONE'),
      awaitStateStep('CompleteAbort', 'a', 'CompleteAbort'),
      readCommittedStep('aborted records filtered', { values: [], lastStableOffset: 4n, aborted: 1 }),
    ],
  },
  {
    name: 'EndTxn retried after completion: the same result is NONE, the opposite INVALID_TXN_STATE',
    topics: { t: {} },
    steps: [
      initStep('init', 'p1'),
      addPartitionsStep('add', 'p1', [0], ['NONE']),
      endTxnStep('commit', 'p1', true, 'NONE'),
      awaitStateStep('CompleteCommit', 'a', 'CompleteCommit'),
      endTxnStep('commit again', 'p1', true, 'NONE'),
      endTxnStep('abort after commit', 'p1', false, 'INVALID_TXN_STATE'),
      describeStep('still CompleteCommit', ['a'], [{ state: 'CompleteCommit' }]),
    ],
  },
  {
    name: 'EndTxn with no partitions added is INVALID_TXN_STATE, commit or abort',
    steps: [
      initStep('init', 'p1'),
      endTxnStep('commit in Empty', 'p1', true, 'INVALID_TXN_STATE'),
      endTxnStep('abort in Empty', 'p1', false, 'INVALID_TXN_STATE'),
      describeStep('still Empty', ['a'], [{ state: 'Empty' }]),
    ],
  },
  {
    name: 'EndTxn errors: unknown id or producer id INVALID_PRODUCER_ID_MAPPING, wrong epoch PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before v2)',
    topics: { t: {} },
    steps: [
      initStep('init', 'p1'),
      addPartitionsStep('add', 'p1', [0], ['NONE']),
      endTxnStep('unknown transactional id', 'p1', true, 'INVALID_PRODUCER_ID_MAPPING', { unknownTxn: true }),
      endTxnStep('another producer id', 'p1', true, 'INVALID_PRODUCER_ID_MAPPING', { producerIdDelta: 1000n }),
      endTxnStep('epoch + 1', 'p1', true, 'PRODUCER_FENCED', { epochDelta: 1 }),
      endTxnStep('epoch + 1 at v1', 'p1', true, 'INVALID_PRODUCER_EPOCH', { epochDelta: 1, version: 1 }),
      describeStep('still Ongoing', ['a'], [{ state: 'Ongoing' }]),
    ],
  },
  {
    name: 'TV1: the next transaction keeps the epoch and the sequence continues across transactions',
    topics: { t: {} },
    steps: [
      initStep('init', 'p1'),
      addPartitionsStep('add', 'p1', [0], ['NONE']),
      txnProduceStep('seq 0..1', 'p1', { seq: 0, count: 2 }),
      endTxnStep('commit', 'p1', true, 'NONE'),
      awaitStateStep('CompleteCommit', 'a', 'CompleteCommit'),
      addPartitionsStep('second transaction', 'p1', [0], ['NONE']),
      txnProduceStep('seq 2 at the same epoch', 'p1', { seq: 2 }),
      endTxnStep('commit', 'p1', true, 'NONE'),
      awaitStateStep('CompleteCommit again', 'a', 'CompleteCommit'),
      readCommittedStep('both transactions visible', { values: ['v-0-0', 'v-0-1', 'v-2-0'], lastStableOffset: 5n, aborted: 0 }),
    ],
  },
  {
    name: 'fencing by a second InitProducerId: the open transaction is aborted, CONCURRENT_TRANSACTIONS until then, the new instance ends at epoch + 2',
    topics: { t: {} },
    steps: [
      initStep('first instance', 'p1', { epoch: 0 }),
      addPartitionsStep('add', 'p1', [0], ['NONE']),
      txnProduceStep('produce', 'p1', { seq: 0, count: 2 }),
      initStep('second instance: fence', 'x', { error: 'CONCURRENT_TRANSACTIONS' }),
      awaitStateStep('the fence aborts', 'a', 'CompleteAbort'),
      describeStep('aborted at the fencing epoch', ['a'], [{ state: 'CompleteAbort', epoch: 1 }]),
      initStep('second instance again', 'p2', { epoch: 2 }),
      endTxnStep('the first instance is fenced', 'p1', true, 'PRODUCER_FENCED'),
      txnProduceStep('a zombie write', 'p1', { seq: 2 }, 'INVALID_PRODUCER_EPOCH'),
      readCommittedStep('nothing visible', { values: [], lastStableOffset: 3n, aborted: 1 }),
    ],
  },
  {
    name: 'commit after an abortable error: a produce to a partition not added fails, the transaction still commits what was added',
    topics: { t: { partitions: 2 } },
    steps: [
      initStep('init', 'p1'),
      addPartitionsStep('add t-0', 'p1', [0], ['NONE']),
      txnProduceStep('produce to t-0', 'p1', { seq: 0 }),
      txnProduceStep('produce to t-1, never added', 'p1', { seq: 0, partition: 1 }, 'INVALID_TXN_STATE'),
      endTxnStep('commit', 'p1', true, 'NONE'),
      awaitStateStep('CompleteCommit', 'a', 'CompleteCommit'),
      readCommittedStep('t-0 committed', { values: ['v-0-0'], lastStableOffset: 2n, aborted: 0 }),
    ],
  },
  {
    name: 'abort after an abortable error, then a KIP-360 epoch bump and a new transaction (the Java client recovery path)',
    topics: { t: {} },
    steps: [
      initStep('init', 'p1'),
      addPartitionsStep('add t-0', 'p1', [0], ['NONE']),
      txnProduceStep('produce', 'p1', { seq: 0 }),
      endTxnStep('abort', 'p1', false, 'NONE'),
      awaitStateStep('CompleteAbort', 'a', 'CompleteAbort'),
      initStep('bump with (p1, 0)', 'p2', { current: { producer: 'p1' }, epoch: 1 }),
      addPartitionsStep('add at epoch 1', 'p2', [0], ['NONE']),
      txnProduceStep('seq 0 at epoch 1', 'p2', { seq: 0, count: 2 }),
      endTxnStep('commit', 'p2', true, 'NONE'),
      awaitStateStep('CompleteCommit', 'a', 'CompleteCommit'),
      readCommittedStep('only the second transaction', { values: ['v-0-0', 'v-0-1'], lastStableOffset: 5n, aborted: 1 }),
    ],
  },
  {
    name: 'two interleaved transactions on one partition: one commits, one aborts; read_committed sees exactly the committed one',
    topics: { t: {} },
    steps: [
      initStep('init a', 'pa', { txn: 'a' }),
      initStep('init b', 'pb', { txn: 'b' }),
      addPartitionsStep('a adds t-0', 'pa', [0], ['NONE'], { txn: 'a' }),
      addPartitionsStep('b adds t-0', 'pb', [0], ['NONE'], { txn: 'b' }),
      txnProduceStep('a writes', 'pa', { seq: 0, txn: 'a' }),
      txnProduceStep('b writes', 'pb', { seq: 0, count: 2, txn: 'b' }),
      txnProduceStep('a writes again', 'pa', { seq: 1, txn: 'a' }),
      endTxnStep('b commits', 'pb', true, 'NONE', { txn: 'b' }),
      awaitStateStep('b CompleteCommit', 'b', 'CompleteCommit'),
      readCommittedStep('a still open: LSO at its first offset', { values: [], lastStableOffset: 0n, aborted: 0 }),
      endTxnStep('a aborts', 'pa', false, 'NONE', { txn: 'a' }),
      awaitStateStep('a CompleteAbort', 'a', 'CompleteAbort'),
      readCommittedStep('only b', { values: ['v-0-0', 'v-0-1'], lastStableOffset: 6n, aborted: 1 }),
    ],
  },
  {
    name: 'DescribeTransactions: a mix of known and unknown ids; TRANSACTIONAL_ID_NOT_FOUND (KIP-664)',
    topics: { t: {} },
    steps: [
      initStep('init a', 'pa', { txn: 'a' }),
      initStep('init b', 'pb', { txn: 'b' }),
      addPartitionsStep('b adds', 'pb', [0], ['NONE'], { txn: 'b' }),
      describeStep('a, b, unknown', ['a', 'b', 'unknown'], [{ state: 'Empty', partitions: 0 }, { state: 'Ongoing', partitions: 1 }, { error: 'TRANSACTIONAL_ID_NOT_FOUND' }]),
    ],
  },
  {
    name: 'ListTransactions: state, producer id and duration filters; unknown states are echoed (KIP-664, KIP-994)',
    topics: { t: {} },
    steps: [
      initStep('init a', 'pa', { txn: 'a' }),
      initStep('init b', 'pb', { txn: 'b' }),
      addPartitionsStep('b adds', 'pb', [0], ['NONE'], { txn: 'b' }),
      listStep('both producers', { producers: ['pa', 'pb'] }, { txns: ['a', 'b'] }),
      listStep('Ongoing only', { states: ['Ongoing'], producers: ['pa', 'pb'] }, { txns: ['b'] }),
      listStep('Empty and a bogus state', { states: ['Empty', 'Bogus'], producers: ['pa', 'pb'] }, { txns: ['a'], unknownStates: ['Bogus'] }),
      listStep('producer a only', { producers: ['pa'] }, { txns: ['a'] }),
      listStep('running longer than an hour', { states: ['Ongoing'], producers: ['pa', 'pb'], durationMs: 3_600_000n }, { txns: [] }),
    ],
  },
  {
    name: 'AddOffsetsToTxn errors: unknown id INVALID_PRODUCER_ID_MAPPING, wrong epoch PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before v2)',
    steps: [
      initStep('init', 'p1'),
      addOffsetsStep('unknown transactional id', 'p1', 'g', 'INVALID_PRODUCER_ID_MAPPING', { txn: 'unknown' }),
      addOffsetsStep('epoch + 1', 'p1', 'g', 'PRODUCER_FENCED', { epochDelta: 1 }),
      addOffsetsStep('epoch + 1 at v1', 'p1', 'g', 'INVALID_PRODUCER_EPOCH', { epochDelta: 1, version: 1 }),
      addOffsetsStep('the right epoch', 'p1', 'g', 'NONE'),
      describeStep('Ongoing with the offsets partition', ['a'], [{ state: 'Ongoing', partitions: 1 }]),
    ],
  },
  {
    name: 'transactional offsets: pending (RequireStable: UNSTABLE_OFFSET_COMMIT) until the commit makes them visible',
    topics: { t: {} },
    steps: [
      initStep('init', 'p1'),
      addOffsetsStep('add offsets', 'p1', 'g', 'NONE'),
      txnOffsetCommitStep('commit offset 5 (simple group)', 'p1', 'g', 'NONE'),
      offsetFetchStep('RequireStable', 'g', true, { offset: -1n, error: 'UNSTABLE_OFFSET_COMMIT' }),
      offsetFetchStep('without RequireStable: not visible', 'g', false, { offset: -1n }),
      endTxnStep('commit', 'p1', true, 'NONE'),
      awaitStateStep('CompleteCommit', 'a', 'CompleteCommit'),
      offsetFetchStep('visible after the commit', 'g', true, { offset: 5n }),
    ],
  },
  {
    name: 'transactional offsets are dropped when the transaction aborts',
    topics: { t: {} },
    steps: [
      initStep('init', 'p1'),
      addOffsetsStep('add offsets', 'p1', 'g', 'NONE'),
      txnOffsetCommitStep('commit offset 5', 'p1', 'g', 'NONE'),
      endTxnStep('abort', 'p1', false, 'NONE'),
      awaitStateStep('CompleteAbort', 'a', 'CompleteAbort'),
      offsetFetchStep('nothing committed', 'g', true, { offset: -1n }),
    ],
  },
  {
    name: 'TxnOffsetCommit without AddOffsetsToTxn is refused by verification: INVALID_TXN_STATE before v4, TRANSACTION_ABORTABLE from v4 (KIP-890)',
    topics: { t: {} },
    steps: [
      initStep('init', 'p1'),
      addPartitionsStep('add t-0 only', 'p1', [0], ['NONE']),
      txnOffsetCommitStep('v3', 'p1', 'g', 'INVALID_TXN_STATE', { version: 3 }),
      txnOffsetCommitStep('v4', 'p1', 'g', 'TRANSACTION_ABORTABLE', { version: 4 }),
      offsetFetchStep('nothing pending', 'g', true, { offset: -1n }),
    ],
  },
  {
    name: 'TxnOffsetCommit with a fenced epoch is INVALID_PRODUCER_EPOCH (as the produce path maps it)',
    topics: { t: {} },
    steps: [
      initStep('init', 'p1'),
      addOffsetsStep('add offsets', 'p1', 'g', 'NONE'),
      txnOffsetCommitStep('epoch + 1', 'p1', 'g', 'INVALID_PRODUCER_EPOCH', { epochDelta: 1 }),
    ],
  },
  {
    name: 'KIP-447: TxnOffsetCommit checks member and generation: stale generation ILLEGAL_GENERATION, unknown member UNKNOWN_MEMBER_ID',
    topics: { t: {} },
    steps: [
      ...joinGroupSteps('g'),
      initStep('init', 'p1'),
      addOffsetsStep('add offsets', 'p1', 'g', 'NONE'),
      txnOffsetCommitStep('stale generation 0', 'p1', 'g', 'ILLEGAL_GENERATION', { generationId: 0, member: true }),
      txnOffsetCommitStep('unknown member', 'p1', 'g', 'UNKNOWN_MEMBER_ID', { generationId: 1, memberId: 'nobody' }),
      txnOffsetCommitStep('no generation from a non-empty group is accepted (transactional)', 'p1', 'g', 'NONE', { offset: 3n }),
      txnOffsetCommitStep('the member at generation 1', 'p1', 'g', 'NONE', { generationId: 1, member: true, offset: 7n }),
      endTxnStep('commit', 'p1', true, 'NONE'),
      awaitStateStep('CompleteCommit', 'a', 'CompleteCommit'),
      offsetFetchStep('the last offset is visible', 'g', true, { offset: 7n }),
    ],
  },
  {
    name: 'KIP-848 + KIP-447: TxnOffsetCommit from a consumer group member with a wrong epoch is ILLEGAL_GENERATION, never STALE_MEMBER_EPOCH (OffsetMetadataManager.validateTransactionalOffsetCommit)',
    topics: { t: {} },
    steps: [
      consumerGroupJoinStep('g'),
      initStep('init', 'p1'),
      addOffsetsStep('add offsets', 'p1', 'g', 'NONE'),
      txnOffsetCommitStep('the member epoch + 1', 'p1', 'g', 'ILLEGAL_GENERATION', { memberEpochDelta: 1, member: true }),
      txnOffsetCommitStep('an unknown member', 'p1', 'g', 'UNKNOWN_MEMBER_ID', { memberEpochDelta: 0, memberId: 'nobody' }),
      txnOffsetCommitStep('the member at its epoch', 'p1', 'g', 'NONE', { memberEpochDelta: 0, member: true, offset: 7n }),
      endTxnStep('commit', 'p1', true, 'NONE'),
      awaitStateStep('CompleteCommit', 'a', 'CompleteCommit'),
      offsetFetchStep('the offset is visible', 'g', true, { offset: 7n }),
    ],
  },
  {
    name: 'TxnOffsetCommit for an unknown group with a generation is ILLEGAL_GENERATION',
    topics: { t: {} },
    steps: [
      initStep('init', 'p1'),
      addOffsetsStep('add offsets', 'p1', 'g', 'NONE'),
      txnOffsetCommitStep('generation 3, no such group', 'p1', 'g', 'ILLEGAL_GENERATION', { generationId: 3 }),
    ],
  },
  {
    name: 'transaction timeout: the broker aborts with an epoch bump; the producer is fenced afterwards',
    topics: { t: {} },
    steps: [
      initStep('init with a 1 s timeout', 'p1', { timeoutMs: 1000 }),
      addPartitionsStep('add', 'p1', [0], ['NONE']),
      txnProduceStep('produce', 'p1', { seq: 0 }),
      awaitStateStep('aborted by the broker', 'a', 'CompleteAbort'),
      describeStep('at the bumped epoch', ['a'], [{ state: 'CompleteAbort', epoch: 1 }]),
      endTxnStep('the producer commits too late', 'p1', true, 'PRODUCER_FENCED'),
      txnProduceStep('a late write', 'p1', { seq: 1 }, 'INVALID_PRODUCER_EPOCH'),
      readCommittedStep('nothing visible', { values: [], lastStableOffset: 2n, aborted: 1 }),
      initStep('KIP-360 recovery with (p1, 0) gets the fencing epoch', 'p2', { current: { producer: 'p1' }, epoch: 1 }),
      addPartitionsStep('a new transaction at epoch 1', 'p2', [0], ['NONE']),
    ],
  },
  {
    name: 'KIP-360 bump while a transaction is open: the broker fences and aborts it (CONCURRENT_TRANSACTIONS), the retry gets the fencing epoch (prepareFenceProducerEpoch)',
    topics: { t: {} },
    steps: [
      initStep('init', 'p1', { epoch: 0 }),
      addPartitionsStep('add', 'p1', [0], ['NONE']),
      initStep('bump with (p1, 0) while Ongoing', 'x', { current: { producer: 'p1' }, error: 'CONCURRENT_TRANSACTIONS' }),
      awaitStateStep('aborted by the fence', 'a', 'CompleteAbort'),
      // The fence recorded epoch 0 as the last epoch, so this is the retry of a bump that already happened.
      initStep('retry with (p1, 0) gets the fencing epoch', 'p2', { current: { producer: 'p1' }, epoch: 1 }),
      describeStep('Empty at epoch 1', ['a'], [{ state: 'Empty', epoch: 1 }]),
      initStep('a fresh InitProducerId', 'p3', { epoch: 2 }),
    ],
  },
  {
    name: 'AddOffsetsToTxn for the same group twice, and TxnOffsetCommit twice: the last offset wins at commit',
    topics: { t: {} },
    steps: [
      initStep('init', 'p1'),
      addOffsetsStep('add offsets', 'p1', 'g', 'NONE'),
      addOffsetsStep('add offsets again', 'p1', 'g', 'NONE'),
      describeStep('one offsets partition', ['a'], [{ state: 'Ongoing', partitions: 1 }]),
      txnOffsetCommitStep('offset 5', 'p1', 'g', 'NONE', { offset: 5n }),
      txnOffsetCommitStep('offset 9', 'p1', 'g', 'NONE', { offset: 9n }),
      endTxnStep('commit', 'p1', true, 'NONE'),
      awaitStateStep('CompleteCommit', 'a', 'CompleteCommit'),
      offsetFetchStep('offset 9', 'g', true, { offset: 9n }),
    ],
  },
  {
    name: 'TxnOffsetCommit for a partition that does not exist is UNKNOWN_TOPIC_OR_PARTITION (KafkaApis.handleTxnOffsetCommitRequest)',
    topics: { t: {} },
    steps: [
      initStep('init', 'p1'),
      addOffsetsStep('add offsets', 'p1', 'g', 'NONE'),
      requestStep({
        title: 't-0 and t-5',
        apiKey: ApiKey.TxnOffsetCommit,
        version: 3,
        build: (ctx) => ({
          transactionalId: txnId(ctx, 'a'),
          groupId: groupId(ctx, 'g'),
          producerId: ctx.producerId('p1'),
          producerEpoch: epochOf(ctx, 'p1'),
          generationId: -1,
          memberId: '',
          groupInstanceId: null,
          topics: [{ name: ctx.topic('t'), partitions: [0, 5].map((partitionIndex) => ({ partitionIndex, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null })) }],
        }),
        // Kafka lists the unknown partitions first; the order of a response's partitions is not part of the rule.
        expect: (response) =>
          assert.deepEqual(
            [...response.topics[0].partitions].sort((a, b) => a.partitionIndex - b.partitionIndex).map((p) => errorName(p.errorCode)),
            ['NONE', 'UNKNOWN_TOPIC_OR_PARTITION'],
          ),
      }),
    ],
  },
  {
    name: 'a transaction over two topics and offsets commits atomically: data on both and the offset become visible together',
    topics: { t: {}, u: {} },
    steps: [
      initStep('init', 'p1'),
      addPartitionsStep('add t-0 and u-0', 'p1', [0, ['u', 0]], ['NONE', 'NONE']),
      addOffsetsStep('add offsets', 'p1', 'g', 'NONE'),
      describeStep('three partitions', ['a'], [{ state: 'Ongoing', partitions: 3 }]),
      txnProduceStep('write t-0', 'p1', { seq: 0 }),
      txnProduceStep('write u-0', 'p1', { seq: 0, topic: 'u' }),
      txnOffsetCommitStep('offset 1', 'p1', 'g', 'NONE', { offset: 1n }),
      endTxnStep('commit', 'p1', true, 'NONE'),
      awaitStateStep('CompleteCommit', 'a', 'CompleteCommit'),
      readCommittedStep('t-0 visible', { values: ['v-0-0'], lastStableOffset: 2n, aborted: 0 }),
      offsetFetchStep('offset visible', 'g', true, { offset: 1n }),
    ],
  },
  {
    name: 'ListTransactions v0 (no duration filter) and state filters over completed transactions (KIP-664)',
    topics: { t: {} },
    steps: [
      initStep('init a', 'pa', { txn: 'a' }),
      addPartitionsStep('a adds', 'pa', [0], ['NONE'], { txn: 'a' }),
      endTxnStep('a aborts', 'pa', false, 'NONE', { txn: 'a' }),
      awaitStateStep('a CompleteAbort', 'a', 'CompleteAbort'),
      initStep('init b', 'pb', { txn: 'b' }),
      addPartitionsStep('b adds', 'pb', [0], ['NONE'], { txn: 'b' }),
      endTxnStep('b commits', 'pb', true, 'NONE', { txn: 'b' }),
      awaitStateStep('b CompleteCommit', 'b', 'CompleteCommit'),
      requestStep({
        title: 'v0: CompleteAbort and CompleteCommit',
        apiKey: ApiKey.ListTransactions,
        version: 0,
        build: (ctx) => ({ stateFilters: ['CompleteAbort'], producerIdFilters: [ctx.producerId('pa'), ctx.producerId('pb')], durationFilter: -1n }),
        expect: (response, ctx) => assert.deepEqual(response.transactionStates.map((t) => t.transactionalId), [txnId(ctx, 'a')]),
      }),
      listStep('CompleteCommit', { states: ['CompleteCommit'], producers: ['pa', 'pb'] }, { txns: ['b'] }),
    ],
  },
  {
    name: 'TV2: EndTxn v5 bumps the epoch and answers it; a retry with the old epoch is NONE; the old epoch is fenced on the partition (KIP-890 part 2)',
    topics: { t: {} },
    steps: [
      initStep('init', 'p1', { epoch: 0 }),
      addPartitionsStep('add t-0', 'p1', [0], ['NONE']),
      txnProduceStep('epoch 0 seq 0', 'p1', { seq: 0 }),
      endTxnStep('commit at v5', 'p1', true, 'NONE', { version: 5, expectEpoch: 1, captureAs: 'p2' }),
      awaitStateStep('CompleteCommit', 'a', 'CompleteCommit'),
      describeStep('at epoch 1', ['a'], [{ state: 'CompleteCommit', epoch: 1 }]),
      endTxnStep('retry of the commit with epoch 0', 'p1', true, 'NONE', { version: 5, expectEpoch: 1 }),
      endTxnStep('abort with epoch 0 after the commit', 'p1', false, 'INVALID_TXN_STATE', { version: 5 }),
      txnProduceStep('a late batch at epoch 0', 'p1', { seq: 1 }, 'INVALID_PRODUCER_EPOCH'),
      addPartitionsStep('next transaction at epoch 1', 'p2', [0], ['NONE']),
      txnProduceStep('epoch 1 starts at seq 0', 'p2', { seq: 0, count: 2 }),
      endTxnStep('commit at v5', 'p2', true, 'NONE', { version: 5, expectEpoch: 2, captureAs: 'p3' }),
      awaitStateStep('CompleteCommit again', 'a', 'CompleteCommit'),
      readCommittedStep('both transactions', { values: ['v-0-0', 'v-0-0', 'v-0-1'], lastStableOffset: 5n, aborted: 0 }),
      // What a Java 4.x client sends when its EndTxn overtakes the transaction's first batch (its Sender checks for
      // incomplete batches before taking the transaction manager's lock): a commit at the new epoch with nothing
      // added. Both brokers refuse it as a commit of nothing.
      endTxnStep('a commit of nothing at the new epoch 2', 'p3', true, 'INVALID_TXN_STATE', { version: 5 }),
    ],
  },
  {
    name: 'TV2: EndTxn v5 abort of a transaction that added nothing bumps the epoch; a commit of nothing is INVALID_TXN_STATE (KIP-890 part 2)',
    steps: [
      initStep('init', 'p1', { epoch: 0 }),
      endTxnStep('commit of nothing', 'p1', true, 'INVALID_TXN_STATE', { version: 5 }),
      endTxnStep('abort of nothing', 'p1', false, 'NONE', { version: 5, expectEpoch: 1, captureAs: 'p2' }),
      awaitStateStep('CompleteAbort', 'a', 'CompleteAbort'),
      describeStep('at epoch 1', ['a'], [{ state: 'CompleteAbort', epoch: 1 }]),
      endTxnStep('abort of nothing again, at epoch 1', 'p2', false, 'NONE', { version: 5, expectEpoch: 2 }),
      awaitStateStep('CompleteAbort again', 'a', 'CompleteAbort'),
      endTxnStep('the old epoch 0 is fenced', 'p1', false, 'PRODUCER_FENCED', { version: 5 }),
    ],
  },
  {
    name: 'TV2: TxnOffsetCommit v5 adds the offsets partition itself (no AddOffsetsToTxn); EndTxn v5 makes the offset visible (KIP-890 part 2)',
    topics: { t: {} },
    steps: [
      initStep('init', 'p1'),
      txnOffsetCommitStep('v5 without AddOffsetsToTxn', 'p1', 'g', 'NONE', { version: 5, offset: 4n }),
      describeStep('Ongoing with the offsets partition', ['a'], [{ state: 'Ongoing', partitions: 1 }]),
      offsetFetchStep('pending', 'g', true, { offset: -1n, error: 'UNSTABLE_OFFSET_COMMIT' }),
      endTxnStep('commit at v5', 'p1', true, 'NONE', { version: 5, expectEpoch: 1 }),
      awaitStateStep('CompleteCommit', 'a', 'CompleteCommit'),
      offsetFetchStep('visible', 'g', true, { offset: 4n }),
    ],
  },
  {
    name: 'TV2: EndTxn v5 aborts with a bumped epoch; the abort marker fences the old epoch (KIP-890 part 2)',
    topics: { t: {} },
    steps: [
      initStep('init', 'p1'),
      addPartitionsStep('add t-0', 'p1', [0], ['NONE']),
      txnProduceStep('epoch 0 seq 0..1', 'p1', { seq: 0, count: 2 }),
      endTxnStep('a wrong epoch', 'p1', false, 'PRODUCER_FENCED', { version: 5, epochDelta: 1 }),
      endTxnStep('abort at v5', 'p1', false, 'NONE', { version: 5, expectEpoch: 1, captureAs: 'p2' }),
      awaitStateStep('CompleteAbort', 'a', 'CompleteAbort'),
      readCommittedStep('aborted', { values: [], lastStableOffset: 3n, aborted: 1 }),
      txnProduceStep('epoch 0 again', 'p1', { seq: 2 }, 'INVALID_PRODUCER_EPOCH'),
      addPartitionsStep('next transaction at epoch 1', 'p2', [0], ['NONE']),
      txnProduceStep('epoch 1 seq 0', 'p2', { seq: 0 }),
    ],
  },
  {
    name: 'TV2: KIP-360 InitProducerId after an EndTxn v5 bump: the pre-commit epoch is a retry of that bump, the current one bumps again',
    topics: { t: {} },
    steps: [
      initStep('init', 'p1', { epoch: 0 }),
      addPartitionsStep('add t-0', 'p1', [0], ['NONE']),
      endTxnStep('commit at v5', 'p1', true, 'NONE', { version: 5, expectEpoch: 1, captureAs: 'p2' }),
      awaitStateStep('CompleteCommit', 'a', 'CompleteCommit'),
      initStep('with the pre-commit epoch 0', 'p3', { current: { producer: 'p1' }, epoch: 1 }),
      initStep('with the current epoch 1', 'p4', { current: { producer: 'p2' }, epoch: 2 }),
      describeStep('Empty at epoch 2', ['a'], [{ state: 'Empty', epoch: 2 }]),
    ],
  },
  {
    name: 'TV2: TxnOffsetCommit v5 errors: a fenced epoch is INVALID_PRODUCER_EPOCH, an unknown transactional id INVALID_PRODUCER_ID_MAPPING',
    topics: { t: {} },
    steps: [
      initStep('init', 'p1'),
      txnOffsetCommitStep('epoch + 1', 'p1', 'g', 'INVALID_PRODUCER_EPOCH', { version: 5, epochDelta: 1 }),
      txnOffsetCommitStep('unknown transactional id', 'p1', 'g', 'INVALID_PRODUCER_ID_MAPPING', { version: 5, txn: 'unknown' }),
      describeStep('nothing added', ['a'], [{ state: 'Empty', partitions: 0 }]),
    ],
  },
  {
    name: 'TV2: a timed-out TV2 transaction is aborted with one epoch bump, and the producer recovers with an EndTxn v5 abort (KIP-890 part 2)',
    topics: { t: {} },
    steps: [
      initStep('init with a 1 s timeout', 'p1', { timeoutMs: 1000, epoch: 0 }),
      addPartitionsStep('add t-0', 'p1', [0], ['NONE']),
      endTxnStep('commit at v5', 'p1', true, 'NONE', { version: 5, expectEpoch: 1, captureAs: 'p2' }),
      awaitStateStep('CompleteCommit', 'a', 'CompleteCommit'),
      addPartitionsStep('next transaction at epoch 1', 'p2', [0], ['NONE']),
      txnProduceStep('write at epoch 1', 'p2', { seq: 0 }),
      awaitStateStep('aborted by the broker', 'a', 'CompleteAbort'),
      describeStep('one bump: epoch 2', ['a'], [{ state: 'CompleteAbort', epoch: 2 }]),
      // Under TV2 the epoch one below the current one is a retry: a commit of the aborted transaction is refused...
      endTxnStep('the producer commits too late', 'p2', true, 'INVALID_TXN_STATE', { version: 5 }),
      readCommittedStep('only the marker of the first transaction and the aborted write', { values: [], lastStableOffset: 3n, aborted: 1 }),
      // ...and its abort is answered as done, with the epoch to go on with.
      endTxnStep('the producer aborts instead', 'p2', false, 'NONE', { version: 5, expectEpoch: 2, captureAs: 'p3' }),
      addPartitionsStep('a new transaction at epoch 2', 'p3', [0], ['NONE']),
      txnProduceStep('epoch 2 seq 0', 'p3', { seq: 0 }),
    ],
  },
];

/** The coordinator state and committed transactions survive a restart (the transaction log is replayed). */
const restartScenarios: Scenario[] = [
  {
    name: 'restart with an Ongoing transaction: it is still open after the restart and commits',
    topics: { t: {} },
    steps: [
      initStep('init', 'p1'),
      addPartitionsStep('add', 'p1', [0], ['NONE']),
      txnProduceStep('produce', 'p1', { seq: 0, count: 2 }),
      restartStep(),
      // Kafka reloads its transaction log after a restart (COORDINATOR_LOAD_IN_PROGRESS meanwhile).
      awaitStateStep('Ongoing after the restart', 'a', 'Ongoing'),
      describeStep('with its partition', ['a'], [{ state: 'Ongoing', partitions: 1 }]),
      readCommittedStep('still not stable', { values: [], lastStableOffset: 0n, aborted: 0 }),
      endTxnStep('commit', 'p1', true, 'NONE'),
      awaitStateStep('CompleteCommit', 'a', 'CompleteCommit'),
      // Kafka's leader epoch and its coordinator epoch (the transaction log partition's leader epoch, carried in
      // the marker's value) grow with each restart of the node; seqlog has one leader epoch, 0, for every
      // partition and its transaction log.
      readCommittedStep('visible', { values: ['v-0-0', 'v-0-1'], lastStableOffset: 3n, aborted: 0 }, 0, ['**.partitionLeaderEpoch', '**.records.value']),
    ],
  },
  {
    name: 'restart after commit and abort: states, epochs and pending offsets survive; the producer goes on',
    topics: { t: {} },
    steps: [
      initStep('init a', 'pa', { txn: 'a' }),
      addPartitionsStep('a adds', 'pa', [0], ['NONE'], { txn: 'a' }),
      txnProduceStep('a writes', 'pa', { seq: 0, txn: 'a' }),
      endTxnStep('a commits', 'pa', true, 'NONE', { txn: 'a' }),
      awaitStateStep('a CompleteCommit', 'a', 'CompleteCommit'),
      initStep('init b', 'pb', { txn: 'b' }),
      addOffsetsStep('b adds offsets', 'pb', 'g', 'NONE', { txn: 'b' }),
      txnOffsetCommitStep('b commits offset 5', 'pb', 'g', 'NONE', { txn: 'b' }),
      restartStep(),
      // Kafka reloads its transaction log after a restart (COORDINATOR_LOAD_IN_PROGRESS meanwhile).
      awaitStateStep('b after the restart', 'b', 'Ongoing'),
      describeStep('a and b after the restart', ['a', 'b'], [{ state: 'CompleteCommit', epoch: 0 }, { state: 'Ongoing', partitions: 1 }]),
      offsetFetchStep('b pending after the restart', 'g', true, { offset: -1n, error: 'UNSTABLE_OFFSET_COMMIT' }, true),
      endTxnStep('b commits', 'pb', true, 'NONE', { txn: 'b' }),
      awaitStateStep('b CompleteCommit', 'b', 'CompleteCommit'),
      offsetFetchStep('b visible', 'g', true, { offset: 5n }),
      addPartitionsStep('a goes on at the same epoch', 'pa', [0], ['NONE'], { txn: 'a' }),
      txnProduceStep('a writes seq 1', 'pa', { seq: 1, txn: 'a' }),
    ],
  },
];

/**
 * Before the scenarios: Kafka creates `__transaction_state` and `__consumer_offsets` on first use and answers
 * COORDINATOR_NOT_AVAILABLE / NOT_COORDINATOR until they are loaded; seqlog answers at once.
 */
async function waitForCoordinators(target: DifferentialTarget): Promise<void> {
  const { host, port } = target.address();
  const connection = await BrokerConnection.open({ host, port, clientId: 'seqlog-differential-setup' });
  try {
    await connection.negotiateApiVersions();
    const deadline = Date.now() + 120_000;
    for (const keyType of [0, 1]) {
      for (;;) {
        const response = await connection.send(ApiKey.FindCoordinator, 3, { key: `warm-up-${keyType}`, keyType, coordinatorKeys: [] });
        if (response.errorCode === ErrorCode.NONE) break;
        if (Date.now() > deadline) throw new Error(`${target.name}: no coordinator for key type ${keyType}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    for (;;) {
      const response = await connection.send(ApiKey.InitProducerId, 4, { transactionalId: 'warm-up', transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
      if (response.errorCode === ErrorCode.NONE) break;
      if (Date.now() > deadline) throw new Error(`${target.name}: InitProducerId never succeeded: ${errorName(response.errorCode)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    connection.close();
  }
}

describe('transaction coordinator: Apache Kafka vs seqlog', { timeout: 900_000 }, () => {
  let targets: DifferentialTargets;

  before(async () => {
    targets = await startDifferentialTargets({ restartKafka: true });
    await Promise.all([waitForCoordinators(targets.kafka), waitForCoordinators(targets.seqlog)]);
  });

  after(async () => {
    await targets?.stop();
  });

  test('there are at least 30 coordinator scenarios', () => {
    assert.ok(scenarios.length + restartScenarios.length >= 30, `${scenarios.length + restartScenarios.length} scenarios`);
  });

  for (const scenario of scenarios) {
    test(scenario.name, { timeout: 90_000 }, async () => {
      await assertScenario(scenario, [targets.kafka, targets.seqlog]);
    });
  }

  // Last: they restart the Kafka node.
  for (const scenario of restartScenarios) {
    test(scenario.name, { timeout: 240_000 }, async () => {
      await waitForCoordinators(targets.kafka);
      await assertScenario(scenario, [targets.kafka, targets.seqlog]);
    });
  }
});
