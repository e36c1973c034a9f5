// Step builders shared by the differential scenarios: raw Produce requests with a chosen producer id, epoch and
// sequence; InitProducerId, ListOffsets, Fetch and DescribeProducers. Every step checks the values the Kafka
// rule it anchors prescribes (on both targets), and the differential run then compares everything else.
import assert from 'node:assert/strict';
import { ErrorCode, errorName } from '../../src/protocol/errors/index.ts';
import type { ErrorName } from '../../src/protocol/errors/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import type {
  FetchRequest,
  FetchRequestFetchPartition,
  FetchRequestFetchTopic,
  FetchResponse,
  ProduceRequestTopicProduceData,
  ProduceResponse,
  ProduceResponsePartitionProduceResponse,
} from '../../src/protocol/messages/generated/index.ts';
import { CompressionType, encodeRecordBatch, iterateRecordBatches } from '../../src/protocol/records/index.ts';
import { requestStep } from './differential.ts';
import type { Step, TargetContext } from './differential.ts';

/**
 * One CreateTime for every record of a run, on both targets, so record timestamps, DescribeProducers'
 * lastTimestamp and the cached timestamp a duplicate is answered with compare exactly.
 */
export const RECORD_TIMESTAMP = BigInt(Date.now());

/** Who writes a batch: a producer id captured under a label, a literal id, or none (-1, not idempotent). */
export type ProducerRef = string | bigint | null;

export interface BatchSpec {
  producer?: ProducerRef;
  /** Default 0 for an idempotent batch, -1 without a producer. */
  epoch?: number;
  /** Default 0 for an idempotent batch, -1 without a producer. */
  seq?: number;
  /** Records in the batch, default 1. */
  count?: number;
  compression?: CompressionType;
  transactional?: boolean;
  control?: boolean;
  /** Prefix of the record values (so a re-sent batch can carry other bytes). */
  tag?: string;
  /** Bytes per record value (default: the short text value). */
  valueBytes?: number;
  /** Edits the encoded batch (e.g. breaks its CRC). */
  mutate?(batch: Buffer): void;
}

export interface PartitionWrite extends BatchSpec {
  /** Logical topic, default 't'. */
  topic?: string;
  partition?: number;
}

export interface ProduceExpectation {
  error?: ErrorName;
  baseOffset?: bigint;
  logStartOffset?: bigint;
  /** -1 for a fresh CreateTime append; a duplicate is answered with the cached batch timestamp. */
  logAppendTimeMs?: bigint;
}

function resolveProducer(ctx: TargetContext, producer: ProducerRef | undefined): bigint {
  if (producer === undefined || producer === null) return -1n;
  return typeof producer === 'bigint' ? producer : ctx.producerId(producer);
}

/** Encodes the batch `spec` describes for target `ctx`. */
export function buildBatch(ctx: TargetContext, spec: BatchSpec): Buffer {
  const producerId = resolveProducer(ctx, spec.producer);
  const idempotent = producerId >= 0n;
  const seq = spec.seq ?? (idempotent ? 0 : -1);
  const count = spec.count ?? 1;
  const records = Array.from({ length: count }, (_, i) => ({
    key: null,
    value:
      spec.valueBytes === undefined
        ? Buffer.from(`${spec.tag ?? 'v'}-${seq}-${i}`)
        : Buffer.alloc(spec.valueBytes, (spec.tag ?? 'v').charCodeAt(0)),
    timestamp: RECORD_TIMESTAMP,
  }));
  const batch = encodeRecordBatch({
    records,
    producerId,
    producerEpoch: spec.epoch ?? (idempotent ? 0 : -1),
    baseSequence: seq,
    isTransactional: spec.transactional ?? false,
    isControl: spec.control ?? false,
    compression: spec.compression ?? CompressionType.none,
  });
  spec.mutate?.(batch);
  return batch;
}

function checkPartition(response: ProduceResponsePartitionProduceResponse, expected: ProduceExpectation, where: string): void {
  const error = expected.error ?? 'NONE';
  assert.equal(errorName(response.errorCode), error, `${where}: error code`);
  if (expected.baseOffset !== undefined) assert.equal(response.baseOffset, expected.baseOffset, `${where}: baseOffset`);
  if (expected.logStartOffset !== undefined) assert.equal(response.logStartOffset, expected.logStartOffset, `${where}: logStartOffset`);
  if (expected.logAppendTimeMs !== undefined) assert.equal(response.logAppendTimeMs, expected.logAppendTimeMs, `${where}: logAppendTimeMs`);
}

export interface ProduceOptions {
  acks?: number;
  transactionalId?: string | null;
  version?: number;
}

/** One Produce request writing one batch per listed partition, with one expectation per partition. */
export function produceManyStep(title: string, writes: readonly PartitionWrite[], expected: readonly ProduceExpectation[], options: ProduceOptions = {}): Step {
  return requestStep({
    title,
    apiKey: ApiKey.Produce,
    version: options.version,
    noResponse: options.acks === 0,
    build(ctx) {
      const topics = new Map<string, ProduceRequestTopicProduceData>();
      for (const write of writes) {
        const name = ctx.topic(write.topic ?? 't');
        let topic = topics.get(name);
        if (topic === undefined) {
          topic = { name, partitionData: [] };
          topics.set(name, topic);
        }
        topic.partitionData.push({ index: write.partition ?? 0, records: buildBatch(ctx, write) });
      }
      return { transactionalId: options.transactionalId ?? null, acks: options.acks ?? -1, timeoutMs: 30000, topicData: [...topics.values()] };
    },
    expect(response: ProduceResponse, ctx) {
      writes.forEach((write, i) => {
        const topic = response.responses.find((t) => t.name === ctx.topic(write.topic ?? 't'));
        const partition = topic?.partitionResponses.find((p) => p.index === (write.partition ?? 0));
        assert.ok(partition, `no response for ${write.topic ?? 't'}-${write.partition ?? 0}`);
        checkPartition(partition, expected[i] ?? {}, `${write.topic ?? 't'}-${write.partition ?? 0}`);
      });
    },
  });
}

/** One Produce request with one batch to partition 0 of topic 't' (or the write's topic/partition). */
export function produceStep(title: string, write: PartitionWrite, expected: ProduceExpectation = {}, options: ProduceOptions = {}): Step {
  return produceManyStep(title, [write], [expected], options);
}

/** InitProducerId for an idempotent producer (null transactional id): a new id at epoch 0, captured as `label`. */
export function initProducerIdStep(label: string): Step {
  return requestStep({
    title: `InitProducerId (idempotent) -> ${label}`,
    apiKey: ApiKey.InitProducerId,
    build: () => ({ transactionalId: null, transactionTimeoutMs: 2147483647, producerId: -1n, producerEpoch: -1 }),
    capture: (response, ctx) => ctx.rememberProducerId(label, response.producerId),
    expect(response) {
      assert.equal(response.errorCode, ErrorCode.NONE);
      assert.ok(response.producerId >= 0n, 'a producer id is allocated');
      assert.equal(response.producerEpoch, 0);
    },
  });
}

/** ListOffsets(latest) of one partition: the log end offset, to show what a step appended or not. */
export function logEndOffsetStep(title: string, expectedOffset: bigint, topic = 't', partition = 0): Step {
  return requestStep({
    title,
    apiKey: ApiKey.ListOffsets,
    build: (ctx) => ({
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: ctx.topic(topic), partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }],
      timeoutMs: 30000,
    }),
    expect(response) {
      const answer = response.topics[0]?.partitions[0];
      assert.equal(answer?.errorCode, ErrorCode.NONE);
      assert.equal(answer?.offset, expectedOffset, 'log end offset');
    },
  });
}

/** One partition of a v12 Fetch, as a consumer sends it (no leader epoch, 1 MiB by default). */
export function fetchPartition(partition: number, fetchOffset: bigint, partitionMaxBytes = 1048576): FetchRequestFetchPartition {
  return { partition, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes, replicaDirectoryId: Buffer.alloc(16) };
}

/**
 * A Fetch at v12 (the last version that names topics instead of topic ids) as a consumer sends it: no wait, no
 * session, read_uncommitted; `fields` overrides any of that.
 */
export function fetchRequestV12(topics: FetchRequestFetchTopic[], fields: Partial<FetchRequest> = {}): FetchRequest {
  return {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1n },
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1048576,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics,
    forgottenTopicsData: [],
    rackId: '',
    ...fields,
  };
}

/**
 * Fetch (v12: the last version that names topics instead of topic ids) of one partition from `offset`; checks
 * the offsets of the records returned and the high watermark.
 */
export function fetchStep(title: string, offset: bigint, expected: { offsets: readonly bigint[]; highWatermark: bigint }, topic = 't', partition = 0): Step {
  return requestStep({
    title,
    apiKey: ApiKey.Fetch,
    version: 12,
    build: (ctx) => fetchRequestV12([{ topic: ctx.topic(topic), topicId: Buffer.alloc(16), partitions: [fetchPartition(partition, offset)] }]),
    expect(response: FetchResponse) {
      const data = response.responses[0]?.partitions[0];
      assert.equal(data?.errorCode, ErrorCode.NONE);
      assert.equal(data?.highWatermark, expected.highWatermark, 'high watermark');
      const offsets = [...iterateRecordBatches(data?.records ?? Buffer.alloc(0))].flatMap((batch) => batch.records.map((record) => record.offset));
      assert.deepEqual(offsets, expected.offsets, 'record offsets');
    },
  });
}

/** DescribeProducers (v0) of one partition; the active producers are compared field by field. */
export function describeProducersStep(title: string, expectedProducers: number, topic = 't', partition = 0): Step {
  return requestStep({
    title,
    apiKey: ApiKey.DescribeProducers,
    build: (ctx) => ({ topics: [{ name: ctx.topic(topic), partitionIndexes: [partition] }] }),
    expect(response) {
      const answer = response.topics[0]?.partitions[0];
      assert.equal(answer?.errorCode, ErrorCode.NONE);
      assert.equal(answer?.activeProducers.length, expectedProducers, 'active producers');
    },
  });
}
