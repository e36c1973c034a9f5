// Step builders for transactional differential scenarios: a transactional producer's requests (FindCoordinator,
// InitProducerId with a transactional id, AddPartitionsToTxn, transactional Produce, EndTxn), WriteTxnMarkers as
// the admin abort path sends it, and the reads that show transactions (READ_COMMITTED Fetch with
// abortedTransactions, ListOffsets by isolation level).
//
// Kafka completes a transaction asynchronously (EndTxn is answered once PrepareCommit/PrepareAbort is durable; the
// markers follow), and its coordinator answers retriable errors while it loads. So the steps that
// may meet that window retry until the answer is final (`until`), and what is compared is that final answer —
// a broker that never reaches it fails the step's expectation.
//
// Transactional ids are per target through `ctx.topic(label)`, so they differ per run and compare as
// `<topic:label>`.
import assert from 'node:assert/strict';
import type { BrokerConnection } from '../../src/client/connection/broker-connection.ts';
import { ErrorCode, errorName } from '../../src/protocol/errors/index.ts';
import type { ErrorName } from '../../src/protocol/errors/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import type {
  AddPartitionsToTxnResponse,
  ApiKey as ApiKeyType,
  EndTxnResponse,
  FetchResponse,
  InitProducerIdResponse,
  ListOffsetsResponse,
  ProduceRequestTopicProduceData,
  ProduceResponse,
  RequestByApiKey,
  ResponseByApiKey,
  WriteTxnMarkersResponse,
} from '../../src/protocol/messages/generated/index.ts';
import { iterateRecordBatches } from '../../src/protocol/records/index.ts';
import type { Step, TargetContext } from './differential.ts';
import { RECORD_TIMESTAMP, buildBatch, describeProducersStep, fetchPartition, fetchRequestV12 } from './steps.ts';
import type { PartitionWrite, ProduceExpectation } from './steps.ts';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Errors a transactional client retries (the Java TransactionManager's retriable set for these requests). */
const RETRIABLE: ReadonlySet<number> = new Set([
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.CONCURRENT_TRANSACTIONS,
]);

interface PollingStepSpec<K extends ApiKeyType> {
  title: string;
  apiKey: K;
  version?: number;
  build(ctx: TargetContext): RequestByApiKey[K];
  /** True once the answer is final; the step re-sends (every 50 ms, up to 30 s) until then. */
  until(response: ResponseByApiKey[K], ctx: TargetContext): boolean;
  capture?(response: ResponseByApiKey[K], ctx: TargetContext): void;
  expect?(response: ResponseByApiKey[K], ctx: TargetContext): void;
  allow?: readonly string[];
}

/** A request step that is re-sent until its answer is final; the final answer is compared. */
export function pollingStep<K extends ApiKeyType>(spec: PollingStepSpec<K>): Step {
  return {
    kind: 'request',
    title: spec.title,
    apiKey: spec.apiKey,
    fixedVersion: spec.version,
    allow: spec.allow ?? [],
    async run(connection: BrokerConnection, version: number, ctx: TargetContext) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const response = await connection.send(spec.apiKey, version, spec.build(ctx));
        if (spec.until(response, ctx) || Date.now() > deadline) return response;
        await delay(50);
      }
    },
    capture: spec.capture ? (response, ctx) => spec.capture?.(response as ResponseByApiKey[K], ctx) : undefined,
    expect: spec.expect ? (response, ctx) => spec.expect?.(response as ResponseByApiKey[K], ctx) : undefined,
  };
}

/** The transactional id of logical name `txn` on this target. */
export function transactionalIdOf(ctx: TargetContext, txn: string): string {
  return ctx.topic(`txn-${txn}`);
}

/**
 * FindCoordinator(TRANSACTION) then InitProducerId(transactionalId), each until not retriable: captures the producer
 * id under `producer` and its epoch under `<producer>.epoch`. Expects NONE unless told otherwise.
 */
export function initTransactionsStep(producer: string, txn: string, options: { timeoutMs?: number; expectedEpoch?: number; version?: number } = {}): Step[] {
  return [
    pollingStep({
      title: `FindCoordinator(transaction ${txn})`,
      apiKey: ApiKey.FindCoordinator,
      version: 3,
      build: (ctx) => ({ key: transactionalIdOf(ctx, txn), keyType: 1, coordinatorKeys: [] }),
      until: (response) => !RETRIABLE.has(response.errorCode),
      expect: (response) => assert.equal(errorName(response.errorCode), 'NONE'),
    }),
    pollingStep({
      title: `InitProducerId(${txn}) -> ${producer}`,
      apiKey: ApiKey.InitProducerId,
      version: options.version,
      build: (ctx) => ({ transactionalId: transactionalIdOf(ctx, txn), transactionTimeoutMs: options.timeoutMs ?? 60_000, producerId: -1n, producerEpoch: -1 }),
      until: (response) => !RETRIABLE.has(response.errorCode),
      capture(response: InitProducerIdResponse, ctx) {
        ctx.rememberProducerId(producer, response.producerId);
        ctx.remember(`${producer}.epoch`, response.producerEpoch);
      },
      expect(response: InitProducerIdResponse) {
        assert.equal(errorName(response.errorCode), 'NONE');
        if (options.expectedEpoch !== undefined) assert.equal(response.producerEpoch, options.expectedEpoch, 'producer epoch');
      },
    }),
  ];
}

export interface TxnPartition {
  /** Logical topic, default 't'. */
  topic?: string;
  /** A literal topic name instead (e.g. `__consumer_offsets`). */
  name?: string;
  partition?: number;
}

function topicName(ctx: TargetContext, partition: TxnPartition): string {
  return partition.name ?? ctx.topic(partition.topic ?? 't');
}

function epochOf(ctx: TargetContext, producer: string, epoch: number | undefined): number {
  return epoch ?? ctx.get<number>(`${producer}.epoch`);
}

/** AddPartitionsToTxn v3 (the client form), retried while the previous transaction completes (CONCURRENT_TRANSACTIONS). */
export function addPartitionsStep(title: string, producer: string, txn: string, partitions: readonly TxnPartition[], expected: ErrorName = 'NONE', options: { epoch?: number } = {}): Step {
  return pollingStep({
    title,
    apiKey: ApiKey.AddPartitionsToTxn,
    version: 3,
    build(ctx) {
      const topics = new Map<string, number[]>();
      for (const p of partitions) {
        const name = ctx.topic(p.topic ?? 't');
        topics.set(name, [...(topics.get(name) ?? []), p.partition ?? 0]);
      }
      return {
        transactions: [],
        v3AndBelowTransactionalId: transactionalIdOf(ctx, txn),
        v3AndBelowProducerId: ctx.producerId(producer),
        v3AndBelowProducerEpoch: epochOf(ctx, producer, options.epoch),
        v3AndBelowTopics: [...topics].map(([name, list]) => ({ name, partitions: list })),
      };
    },
    until: (response: AddPartitionsToTxnResponse) =>
      expected === 'CONCURRENT_TRANSACTIONS' ||
      !response.resultsByTopicV3AndBelow.some((t) => t.resultsByPartition.some((p) => p.partitionErrorCode === ErrorCode.CONCURRENT_TRANSACTIONS)),
    expect(response: AddPartitionsToTxnResponse) {
      const codes = response.resultsByTopicV3AndBelow.flatMap((t) => t.resultsByPartition.map((p) => errorName(p.partitionErrorCode)));
      assert.equal(codes.length, partitions.length, 'one result per partition');
      for (const code of codes) assert.equal(code, expected, 'partition error');
    },
  });
}

/** EndTxn (commit or abort) at the highest common version; retried while the coordinator loads. */
export function endTxnStep(
  title: string,
  producer: string,
  txn: string,
  commit: boolean,
  expected: ErrorName = 'NONE',
  options: { epoch?: number; version?: number; captureEpoch?: boolean } = {},
): Step {
  return pollingStep({
    // EndTxn v5 (transaction version 2) answers the producer's new epoch: the next transaction uses it.
    ...(options.captureEpoch === true ? { capture: (response: EndTxnResponse, ctx: TargetContext) => ctx.remember(`${producer}.epoch`, response.producerEpoch) } : {}),
    title,
    apiKey: ApiKey.EndTxn,
    version: options.version ?? 4,
    build: (ctx) => ({ transactionalId: transactionalIdOf(ctx, txn), producerId: ctx.producerId(producer), producerEpoch: epochOf(ctx, producer, options.epoch), committed: commit }),
    until: (response: EndTxnResponse) => expected === 'CONCURRENT_TRANSACTIONS' || !RETRIABLE.has(response.errorCode) || response.errorCode === ErrorCode.CONCURRENT_TRANSACTIONS,
    expect: (response: EndTxnResponse) => assert.equal(errorName(response.errorCode), expected, 'EndTxn error'),
  });
}

/** A transactional Produce (request carries the target's transactional id) of one batch per listed partition. */
export function txnProduceStep(title: string, txn: string | null, writes: readonly PartitionWrite[], expected: readonly ProduceExpectation[], options: { version?: number } = {}): Step {
  return pollingStep({
    title,
    apiKey: ApiKey.Produce,
    // Produce v11 by default: the transaction-version-1 protocol. v12 (TV2's implicit add) only where asked.
    version: options.version ?? 11,
    build(ctx) {
      const topics = new Map<string, ProduceRequestTopicProduceData>();
      for (const write of writes) {
        const name = ctx.topic(write.topic ?? 't');
        let topic = topics.get(name);
        if (topic === undefined) {
          topic = { name, partitionData: [] };
          topics.set(name, topic);
        }
        const epoch = write.epoch ?? (typeof write.producer === 'string' ? ctx.get<number>(`${write.producer}.epoch`) : undefined);
        topic.partitionData.push({ index: write.partition ?? 0, records: buildBatch(ctx, { transactional: true, ...write, ...(epoch === undefined ? {} : { epoch }) }) });
      }
      return { transactionalId: txn === null ? null : transactionalIdOf(ctx, txn), acks: -1, timeoutMs: 30000, topicData: [...topics.values()] };
    },
    // Kafka answers NOT_ENOUGH_REPLICAS while its verification cannot reach the coordinator: a client retries.
    until: (response: ProduceResponse) => !response.responses.some((t) => t.partitionResponses.some((p) => p.errorCode === ErrorCode.NOT_ENOUGH_REPLICAS)),
    expect(response: ProduceResponse, ctx) {
      writes.forEach((write, i) => {
        const topic = response.responses.find((t) => t.name === ctx.topic(write.topic ?? 't'));
        const partition = topic?.partitionResponses.find((p) => p.index === (write.partition ?? 0));
        assert.ok(partition, `no response for ${write.topic ?? 't'}-${write.partition ?? 0}`);
        const want = expected[i] ?? {};
        assert.equal(errorName(partition.errorCode), want.error ?? 'NONE', `${write.topic ?? 't'}-${write.partition ?? 0}: error code`);
        if (want.baseOffset !== undefined) assert.equal(partition.baseOffset, want.baseOffset, 'baseOffset');
      });
    },
  });
}

export interface MarkerSpec {
  producer: string;
  /** Default: the producer's captured epoch. */
  epoch?: number;
  commit: boolean;
  coordinatorEpoch?: number;
  partitions: readonly TxnPartition[];
}

/** WriteTxnMarkers v1 as `Admin.abortTransaction` sends it to a partition leader (KIP-664). */
export function writeTxnMarkersStep(title: string, markers: readonly MarkerSpec[], expected: readonly ErrorName[][]): Step {
  return pollingStep({
    title,
    apiKey: ApiKey.WriteTxnMarkers,
    version: 1,
    build: (ctx) => ({
      markers: markers.map((marker) => {
        const topics = new Map<string, number[]>();
        for (const p of marker.partitions) {
          const name = topicName(ctx, p);
          topics.set(name, [...(topics.get(name) ?? []), p.partition ?? 0]);
        }
        return {
          producerId: ctx.producerId(marker.producer),
          producerEpoch: epochOf(ctx, marker.producer, marker.epoch),
          transactionResult: marker.commit,
          topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
          coordinatorEpoch: marker.coordinatorEpoch ?? 0,
        };
      }),
    }),
    until: () => true,
    expect(response: WriteTxnMarkersResponse) {
      // Kafka answers a marker's partitions in its own order: compared as a multiset.
      const codes = response.markers.map((m) => m.topics.flatMap((t) => t.partitions.map((p) => errorName(p.errorCode))).sort());
      assert.deepEqual(codes, expected.map((list) => [...list].sort()), 'marker errors');
    },
  });
}

export interface FetchExpectation {
  /** Offsets of the DATA records returned (control records left out). */
  offsets: readonly bigint[];
  highWatermark: bigint;
  lastStableOffset: bigint;
  /** READ_COMMITTED only: the aborted transactions listed, by producer label and first offset. */
  aborted?: readonly { producer: string; firstOffset: bigint }[];
}

/**
 * Fetch v12 of one partition at `isolationLevel` (1 = READ_COMMITTED) from `offset`, re-sent until the last stable
 * offset is the expected one (Kafka writes markers after answering EndTxn).
 */
export function isolatedFetchStep(
  title: string,
  isolationLevel: 0 | 1,
  offset: bigint,
  expected: FetchExpectation,
  topic = 't',
  partition = 0,
  options: { partitionMaxBytes?: number } = {},
): Step {
  return pollingStep({
    title,
    apiKey: ApiKey.Fetch,
    version: 12,
    build: (ctx) => fetchRequestV12([{ topic: ctx.topic(topic), topicId: Buffer.alloc(16), partitions: [fetchPartition(partition, offset, options.partitionMaxBytes)] }], { isolationLevel }),
    until: (response: FetchResponse) =>
      response.responses[0]?.partitions[0]?.lastStableOffset === expected.lastStableOffset &&
      response.responses[0]?.partitions[0]?.highWatermark === expected.highWatermark,
    // A marker's timestamp is the partition leader's clock when it wrote it: it differs per broker. Data
    // records all carry RECORD_TIMESTAMP, which `expect` checks on both.
    allow: ['responses.partitions.records.baseTimestamp', 'responses.partitions.records.maxTimestamp', 'responses.partitions.records.records.timestamp'],
    expect(response: FetchResponse, ctx) {
      const data = response.responses[0]?.partitions[0];
      assert.equal(data?.errorCode, ErrorCode.NONE);
      assert.equal(data?.highWatermark, expected.highWatermark, 'high watermark');
      assert.equal(data?.lastStableOffset, expected.lastStableOffset, 'last stable offset');
      const offsets = [...iterateRecordBatches(data?.records ?? Buffer.alloc(0))]
        .filter((batch) => !batch.isControl)
        .flatMap((batch) => batch.records.map((record) => record.offset));
      assert.deepEqual(offsets, expected.offsets, 'data record offsets');
      for (const batch of iterateRecordBatches(data?.records ?? Buffer.alloc(0))) {
        if (!batch.isControl) assert.equal(batch.maxTimestamp, RECORD_TIMESTAMP, 'data batch timestamp');
      }
      if (isolationLevel === 0) {
        assert.equal(data?.abortedTransactions, null, 'no aborted list for READ_UNCOMMITTED');
      } else {
        const aborted = (data?.abortedTransactions ?? []).map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset }));
        const want = (expected.aborted ?? []).map((a) => ({ producerId: ctx.producerId(a.producer), firstOffset: a.firstOffset }));
        assert.deepEqual(aborted, want, 'aborted transactions');
      }
    },
  });
}

/** ListOffsets(LATEST) at `isolationLevel`: the high watermark, or the LSO for READ_COMMITTED. */
export function latestOffsetStep(title: string, isolationLevel: 0 | 1, expectedOffset: bigint, topic = 't', partition = 0): Step {
  return pollingStep({
    title,
    apiKey: ApiKey.ListOffsets,
    build: (ctx) => ({
      replicaId: -1,
      isolationLevel,
      topics: [{ name: ctx.topic(topic), partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }],
      timeoutMs: 30000,
    }),
    until: (response: ListOffsetsResponse) => response.topics[0]?.partitions[0]?.offset === expectedOffset,
    expect(response: ListOffsetsResponse) {
      const answer = response.topics[0]?.partitions[0];
      assert.equal(answer?.errorCode, ErrorCode.NONE);
      assert.equal(answer?.offset, expectedOffset, 'latest offset');
    },
  });
}

/**
 * DescribeProducers after a marker: the producer's lastTimestamp is then the marker's, i.e. the leader's clock
 *, which differs per broker; every other field is compared.
 */
export function describeProducersAfterMarkerStep(title: string, expectedProducers: number, topic = 't', partition = 0): Step {
  const step = describeProducersStep(title, expectedProducers, topic, partition);
  return { ...step, allow: [...step.allow, 'topics.partitions.activeProducers.lastTimestamp'] };
}

/**
 * ListOffsets at `isolationLevel` for `timestamp`: by default RECORD_TIMESTAMP (the time of every data record);
 * special values -3 (max timestamp), -5 (latest tiered) and so on as given.
 */
export function timestampOffsetStep(title: string, isolationLevel: 0 | 1, expectedOffset: bigint, topic = 't', partition = 0, timestamp: bigint = RECORD_TIMESTAMP): Step {
  return pollingStep({
    title,
    apiKey: ApiKey.ListOffsets,
    build: (ctx) => ({
      replicaId: -1,
      isolationLevel,
      topics: [{ name: ctx.topic(topic), partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }],
      timeoutMs: 30000,
    }),
    until: (response: ListOffsetsResponse) => response.topics[0]?.partitions[0]?.offset === expectedOffset,
    expect(response: ListOffsetsResponse) {
      const answer = response.topics[0]?.partitions[0];
      assert.equal(answer?.errorCode, ErrorCode.NONE);
      assert.equal(answer?.offset, expectedOffset, 'offset for timestamp');
    },
  });
}

/** The group id of logical name `group` on this target. */
export function groupIdOf(ctx: TargetContext, group: string): string {
  return ctx.topic(`group-${group}`);
}

/** AddOffsetsToTxn: the group's offsets partition joins the transaction. */
export function addOffsetsStep(title: string, producer: string, txn: string, group: string, expected: ErrorName = 'NONE'): Step {
  return pollingStep({
    title,
    apiKey: ApiKey.AddOffsetsToTxn,
    build: (ctx) => ({ transactionalId: transactionalIdOf(ctx, txn), producerId: ctx.producerId(producer), producerEpoch: ctx.get<number>(`${producer}.epoch`), groupId: groupIdOf(ctx, group) }),
    until: (response) => expected === 'CONCURRENT_TRANSACTIONS' || response.errorCode !== ErrorCode.CONCURRENT_TRANSACTIONS,
    expect: (response) => assert.equal(errorName(response.errorCode), expected),
  });
}

/** TxnOffsetCommit v3 of `offset` for t-0 (simple-group form: generation -1, no member). */
export function txnOffsetCommitStep(title: string, producer: string, txn: string, group: string, offset: bigint, expected: ErrorName = 'NONE'): Step {
  return pollingStep({
    title,
    apiKey: ApiKey.TxnOffsetCommit,
    version: 3,
    build: (ctx) => ({
      transactionalId: transactionalIdOf(ctx, txn),
      groupId: groupIdOf(ctx, group),
      producerId: ctx.producerId(producer),
      producerEpoch: ctx.get<number>(`${producer}.epoch`),
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [{ name: ctx.topic('t'), partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: '' }] }],
    }),
    until: (response) => !RETRIABLE.has(response.topics[0]?.partitions[0]?.errorCode ?? 0),
    expect: (response) => assert.equal(errorName(response.topics[0]?.partitions[0]?.errorCode ?? -1), expected),
  });
}

/** OffsetFetch v7 of t-0 for `group`, re-sent until the offset and error are the expected ones (or 30 s pass). */
export function committedOffsetStep(title: string, group: string, requireStable: boolean, expected: { offset: bigint; error?: ErrorName }): Step {
  return pollingStep({
    title,
    apiKey: ApiKey.OffsetFetch,
    version: 7,
    build: (ctx) => ({ groupId: groupIdOf(ctx, group), topics: [{ name: ctx.topic('t'), partitionIndexes: [0] }], groups: [], requireStable }),
    until: (response) =>
      response.topics[0]?.partitions[0]?.committedOffset === expected.offset && errorName(response.topics[0]?.partitions[0]?.errorCode ?? -1) === (expected.error ?? 'NONE'),
    expect(response) {
      assert.equal(errorName(response.errorCode), 'NONE');
      const partition = response.topics[0]?.partitions[0];
      assert.equal(errorName(partition?.errorCode ?? -1), expected.error ?? 'NONE');
      assert.equal(partition?.committedOffset, expected.offset);
    },
  });
}

/** FindCoordinator(GROUP) until it answers: Kafka creates `__consumer_offsets` on the first one. */
export function findGroupCoordinatorStep(group: string): Step {
  return pollingStep({
    title: `FindCoordinator(group ${group})`,
    apiKey: ApiKey.FindCoordinator,
    version: 3,
    build: (ctx) => ({ key: groupIdOf(ctx, group), keyType: 0, coordinatorKeys: [] }),
    until: (response) => !RETRIABLE.has(response.errorCode),
    expect: (response) => assert.equal(errorName(response.errorCode), 'NONE'),
  });
}
