// The broker core, differentially: ApiVersions, CreateTopics, Produce/Fetch, ListOffsets, Metadata and the
// per-partition Produce errors, sent as the same raw requests to Apache Kafka and to seqlog and compared field
// by field (the Produce checks of `LogValidator` and `ReplicaManager`, the versions of ApiVersions, Kafka's `Errors`).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/errors/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import type { ApiVersionsResponse, MetadataResponse } from '../../src/protocol/messages/generated/index.ts';
import { ZERO_UUID } from '../../src/protocol/messages/runtime.ts';
import { BatchField } from '../../src/protocol/records/index.ts';
import { assertScenario, requestStep } from './differential.ts';
import type { Scenario, Step, TargetContext } from './differential.ts';
import { RECORD_TIMESTAMP, fetchStep, logEndOffsetStep, produceManyStep, produceStep } from './steps.ts';
import { startDifferentialTargets } from './targets.ts';
import type { DifferentialTargets } from './targets.ts';

function createTopicStep(title: string, topic: (ctx: TargetContext) => string, options: { partitions?: number; replicationFactor?: number }, error: keyof typeof ErrorCode): ReturnType<typeof requestStep> {
  return requestStep({
    title,
    apiKey: ApiKey.CreateTopics,
    build: (ctx) => ({
      topics: [{ name: topic(ctx), numPartitions: options.partitions ?? 1, replicationFactor: options.replicationFactor ?? 1, assignments: [], configs: [] }],
      timeoutMs: 30000,
      validateOnly: false,
    }),
    expect: (response) => assert.equal(response.topics[0]?.errorCode, ErrorCode[error]),
  });
}

function listOffsetsStep(title: string, timestamp: bigint, expectedOffset: bigint, partition = 0): ReturnType<typeof requestStep> {
  return requestStep({
    title,
    apiKey: ApiKey.ListOffsets,
    build: (ctx) => ({
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: ctx.topic('t'), partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }],
      timeoutMs: 30000,
    }),
    expect(response) {
      assert.equal(response.topics[0]?.partitions[0]?.errorCode, ErrorCode.NONE);
      assert.equal(response.topics[0]?.partitions[0]?.offset, expectedOffset);
    },
  });
}

function deleteRecordsStep(title: string, offset: bigint, expected: { error: keyof typeof ErrorCode; lowWatermark: bigint }): ReturnType<typeof requestStep> {
  return requestStep({
    title,
    apiKey: ApiKey.DeleteRecords,
    build: (ctx) => ({ topics: [{ name: ctx.topic('t'), partitions: [{ partitionIndex: 0, offset }] }], timeoutMs: 30000 }),
    expect(response) {
      assert.equal(response.topics[0]?.partitions[0]?.errorCode, ErrorCode[expected.error]);
      assert.equal(response.topics[0]?.partitions[0]?.lowWatermark, expected.lowWatermark);
    },
  });
}


const BROKER_RESOURCE = 4;
const TOPIC_RESOURCE = 2;
const NODE = '1';

/** IncrementalAlterConfigs of one resource; `ops` are [name, operation (0 set, 1 delete, 2 append, 3 subtract), value]. */
function alterConfigsStep(title: string, resourceType: number, name: string, ops: readonly [string, number, string | null][], error: keyof typeof ErrorCode): Step {
  return requestStep({
    title,
    apiKey: ApiKey.IncrementalAlterConfigs,
    build: () => ({ resources: [{ resourceType, resourceName: name, configs: ops.map(([configName, configOperation, value]) => ({ name: configName, configOperation, value })) }], validateOnly: false }),
    expect: (response) => assert.equal(response.responses[0]?.errorCode, ErrorCode[error], response.responses[0]?.errorMessage ?? ''),
  });
}

/** IncrementalAlterConfigs of a custom config name: accepted by Kafka, refused by seqlog (the one allowed difference). */
function customConfigStep(title: string, operation: number, value: string | null): Step {
  return requestStep({
    title,
    apiKey: ApiKey.IncrementalAlterConfigs,
    build: () => ({ resources: [{ resourceType: BROKER_RESOURCE, resourceName: NODE, configs: [{ name: 'seqlog.no.such.config', configOperation: operation, value }] }], validateOnly: false }),
    allow: ['responses.errorCode'],
    expect: (response, ctx) => assert.equal(response.responses[0]?.errorCode, ctx.target === 'kafka' ? ErrorCode.NONE : ErrorCode.INVALID_REQUEST),
  });
}

/**
 * DescribeConfigs with synonyms, repeated until `ready` holds: Kafka's broker applies a config change once its
 * metadata publisher has caught up with the controller, a moment after AlterConfigs is answered.
 */
function describeConfigsStep(title: string, resourceType: number, name: (ctx: TargetContext) => string, keys: readonly string[], ready: (configs: readonly { name: string; value: string | null }[]) => boolean): Step {
  const step = requestStep({
    title,
    apiKey: ApiKey.DescribeConfigs,
    build: (ctx) => ({ resources: [{ resourceType, resourceName: name(ctx), configurationKeys: [...keys] }], includeSynonyms: true, includeDocumentation: false }),
    expect: (response) => assert.equal(response.results[0]?.errorCode, ErrorCode.NONE),
  });
  return {
    ...step,
    async run(connection, version, ctx) {
      for (let attempt = 1; ; attempt++) {
        const response = (await step.run?.(connection, version, ctx)) as { results: { configs: { name: string; value: string | null }[] }[] };
        if (ready(response.results[0]?.configs ?? []) || attempt >= 50) return response;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}

/** `step`, sent again until `ready` holds for its answer (Kafka creates internal topics asynchronously). */
function retrying<R>(step: Step, ready: (response: R) => boolean): Step {
  return {
    ...step,
    async run(connection, version, ctx) {
      for (let attempt = 1; ; attempt++) {
        const response = (await step.run?.(connection, version, ctx)) as R;
        if (ready(response) || attempt >= 100) return response;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}

function internalTopicMetadataStep(title: string, name: string, allowAutoTopicCreation: boolean, ready: (response: MetadataResponse) => boolean = () => true): Step {
  return retrying<MetadataResponse>(requestStep({
    title,
    apiKey: ApiKey.Metadata,
    build: () => ({ topics: [{ name, topicId: ZERO_UUID }], allowAutoTopicCreation, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }),
  }), ready);
}

/** OffsetCommit v2 (the last version with RetentionTimeMs) of `offset` for t-`partition`, generation -1 (a simple group). */
function offsetCommitV2Step(title: string, group: string, partition: number, offset: bigint, retentionTimeMs: bigint): Step {
  return requestStep({
    title,
    apiKey: ApiKey.OffsetCommit,
    version: 2,
    build: (ctx) => ({
      groupId: ctx.topic(group),
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs,
      topics: [{ name: ctx.topic('t'), topicId: ZERO_UUID, partitions: [{ partitionIndex: partition, committedOffset: offset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
    }),
    expect: (response) => assert.equal(response.topics[0]?.partitions[0]?.errorCode, ErrorCode.NONE),
  });
}

/** OffsetFetch v1 of t-0 and t-1 for `group`: the committed offsets, -1 where none is. */
function offsetFetchV1Step(title: string, group: string, expected: readonly bigint[], until?: (offsets: readonly bigint[]) => boolean): Step {
  const offsets = (response: { topics: readonly { partitions: readonly { committedOffset: bigint }[] }[] }): bigint[] => response.topics[0]?.partitions.map((partition) => partition.committedOffset) ?? [];
  const step = requestStep({
    title,
    apiKey: ApiKey.OffsetFetch,
    version: 1,
    build: (ctx) => ({ groupId: ctx.topic(group), topics: [{ name: ctx.topic('t'), partitionIndexes: [0, 1] }], groups: [], requireStable: false }),
    expect: (response) => assert.deepEqual(offsets(response), expected),
  });
  // Expiry runs every offsets.retention.check.interval.ms (500 ms on both targets): poll until it has.
  return until === undefined ? step : retrying<{ topics: { partitions: { committedOffset: bigint }[] }[] }>(step, (response) => until(offsets(response)));
}

const valueOf = (configs: readonly { name: string; value: string | null }[], name: string): string | null | undefined => configs.find((config) => config.name === name)?.value;

const scenarios: Scenario[] = [
  {
    name: 'ElectLeaders: the only replica already leads, ELECTION_NOT_NEEDED; an unknown partition; all partitions (KIP-460, ReplicationControlManager.electLeaders)',
    topics: { t: { partitions: 2 } },
    steps: [
      ...[0, 1].map((electionType) => requestStep({
        title: `${electionType === 0 ? 'preferred' : 'unclean'} election of t-0, t-1 and t-5`,
        apiKey: ApiKey.ElectLeaders,
        build: (ctx) => ({ electionType, topicPartitions: [{ topic: ctx.topic('t'), partitions: [0, 1, 5] }], timeoutMs: 30000 }),
        expect: (response) => assert.deepEqual(response.replicaElectionResults[0]?.partitionResult.map((p) => p.errorCode), [ErrorCode.ELECTION_NOT_NEEDED, ErrorCode.ELECTION_NOT_NEEDED, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]),
      })),
      requestStep({
        title: 'preferred election of every partition',
        apiKey: ApiKey.ElectLeaders,
        build: () => ({ electionType: 0, topicPartitions: null, timeoutMs: 30000 }),
      }),
    ],
  },
  {
    name: 'ListPartitionReassignments: none in progress on one node (KIP-455)',
    topics: { t: {} },
    steps: [
      requestStep({
        title: 'every reassignment',
        apiKey: ApiKey.ListPartitionReassignments,
        build: () => ({ timeoutMs: 30000, topics: null }),
        expect: (response) => assert.deepEqual([response.errorCode, response.topics], [ErrorCode.NONE, []]),
      }),
    ],
  },
  {
    name: 'Internal topics: __consumer_offsets exists once a group coordinator is looked up, is listed as internal, and its name is reserved (KafkaApis.getOrCreateInternalTopic)',
    steps: [
      internalTopicMetadataStep('__consumer_offsets before any group', '__consumer_offsets', false),
      retrying<{ coordinators: { errorCode: number }[] }>(requestStep({
        title: 'FindCoordinator for a group',
        apiKey: ApiKey.FindCoordinator,
        build: () => ({ key: '', keyType: 0, coordinatorKeys: ['internal-topics-group'] }),
        expect: (response) => assert.equal(response.coordinators[0]?.errorCode, ErrorCode.NONE),
      }), (response) => response.coordinators[0]?.errorCode === ErrorCode.NONE),
      internalTopicMetadataStep('__consumer_offsets is listed as internal', '__consumer_offsets', false, (response) => response.topics[0]?.errorCode === ErrorCode.NONE && response.topics[0].partitions.every((p) => p.errorCode === ErrorCode.NONE)),
      createTopicStep('CreateTopics __consumer_offsets', () => '__consumer_offsets', {}, 'TOPIC_ALREADY_EXISTS'),
      internalTopicMetadataStep('__transaction_state without auto-creation', '__transaction_state', false),
      requestStep({
        title: 'CreateTopics __transaction_state (validate only) before it exists',
        apiKey: ApiKey.CreateTopics,
        build: () => ({ topics: [{ name: '__transaction_state', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 30000, validateOnly: true }),
        // Kafka lets a client create an internal topic before the broker does (with the client's partitions and
        // configs); seqlog keeps offsets and transaction state in its own files and reserves the names
        // (docs/api-support.md), so this one answer differs.
        allow: ['topics.**'],
        expect: (response, ctx) => assert.equal(response.topics[0]?.errorCode, ctx.target === 'kafka' ? ErrorCode.NONE : ErrorCode.INVALID_REQUEST),
      }),
    ],
  },
  {
    name: 'Dynamic broker configs: per-broker and cluster-default values, sources and synonyms, non-dynamic and bad values refused (DynamicBrokerConfig, ConfigAdminManager)',
    topics: { t: {} },
    steps: [
      alterConfigsStep('set log.retention.ms and log.segment.bytes for this broker', BROKER_RESOURCE, NODE, [['log.retention.ms', 0, '3600000'], ['log.segment.bytes', 0, '104857600']], 'NONE'),
      alterConfigsStep('set message.max.bytes as the cluster default', BROKER_RESOURCE, '', [['message.max.bytes', 0, '2000']], 'NONE'),
      alterConfigsStep('node.id is not dynamic', BROKER_RESOURCE, NODE, [['node.id', 0, '7']], 'INVALID_REQUEST'),
      alterConfigsStep('a value of the wrong type', BROKER_RESOURCE, NODE, [['log.segment.bytes', 0, 'abc']], 'INVALID_REQUEST'),
      alterConfigsStep('log.retention.hours is not dynamic (only the primary synonym is)', BROKER_RESOURCE, NODE, [['log.retention.hours', 0, '1']], 'INVALID_REQUEST'),
      // A name Kafka does not know is a custom (plugin) config to Kafka, stored and passed to plugins; seqlog has no
      // plugins, so nothing would read it, and it refuses the name instead (docs/api-support.md).
      customConfigStep('a name Kafka does not know', 0, '1'),
      customConfigStep('the custom config removed again', 1, null),
      alterConfigsStep('append to a config that is not a list', BROKER_RESOURCE, NODE, [['log.retention.ms', 2, '1']], 'INVALID_CONFIG'),
      describeConfigsStep('the broker describes its dynamic configs', BROKER_RESOURCE, () => NODE, ['log.retention.ms', 'log.segment.bytes', 'message.max.bytes', 'log.cleanup.policy'],
        (configs) => valueOf(configs, 'log.retention.ms') === '3600000' && valueOf(configs, 'message.max.bytes') === '2000'),
      describeConfigsStep('the cluster default resource', BROKER_RESOURCE, () => '', ['message.max.bytes', 'log.retention.ms'], (configs) => valueOf(configs, 'message.max.bytes') === '2000'),
      describeConfigsStep('a topic inherits them', TOPIC_RESOURCE, (ctx) => ctx.topic('t'), ['retention.ms', 'segment.bytes', 'max.message.bytes', 'cleanup.policy'],
        (configs) => valueOf(configs, 'retention.ms') === '3600000' && valueOf(configs, 'max.message.bytes') === '2000'),
      produceStep('a 3000-byte value is above the dynamic message.max.bytes', { producer: null, valueBytes: 3000 }, { error: 'MESSAGE_TOO_LARGE', logStartOffset: -1n }),
      alterConfigsStep('delete them again', BROKER_RESOURCE, NODE, [['log.retention.ms', 1, null], ['log.segment.bytes', 1, null]], 'NONE'),
      alterConfigsStep('delete the cluster default', BROKER_RESOURCE, '', [['message.max.bytes', 1, null]], 'NONE'),
      describeConfigsStep('back to the defaults', BROKER_RESOURCE, () => NODE, ['log.retention.ms', 'log.retention.hours', 'log.segment.bytes', 'message.max.bytes'],
        (configs) => valueOf(configs, 'log.retention.ms') === null && valueOf(configs, 'message.max.bytes') === '1048588'),
    ],
  },
  {
    name: 'DeleteRecords: moves the low watermark, -1 means the high watermark, past it is OFFSET_OUT_OF_RANGE (ReplicaManager.deleteRecords)',
    topics: { t: {} },
    steps: [
      produceStep('4 records', { producer: null, count: 4 }, { baseOffset: 0n, logStartOffset: 0n }),
      deleteRecordsStep('delete before 2', 2n, { error: 'NONE', lowWatermark: 2n }),
      deleteRecordsStep('delete before 10 (past the high watermark)', 10n, { error: 'OFFSET_OUT_OF_RANGE', lowWatermark: -1n }),
      deleteRecordsStep('delete before -1 (the high watermark)', -1n, { error: 'NONE', lowWatermark: 4n }),
      listOffsetsStep('earliest is the new low watermark', -2n, 4n),
    ],
  },
  {
    name: 'ApiVersions v3 is answered without error (KIP-511)',
    steps: [
      requestStep({
        title: 'ApiVersions',
        apiKey: ApiKey.ApiVersions,
        version: 3,
        build: () => ({ clientSoftwareName: 'seqlog-differential', clientSoftwareVersion: '0.1.0' }),
        // The served ranges and feature levels are each broker's own (seqlog serves a subset); what must
        // agree is the error-free answer and that the APIs these scenarios use are served.
        allow: ['apiKeys', 'supportedFeatures', 'finalizedFeatures', 'finalizedFeaturesEpoch', 'zkMigrationReady'],
        expect(response: ApiVersionsResponse) {
          assert.equal(response.errorCode, ErrorCode.NONE);
          for (const key of [ApiKey.Produce, ApiKey.Fetch, ApiKey.ListOffsets, ApiKey.Metadata, ApiKey.InitProducerId, ApiKey.DescribeProducers]) {
            assert.ok(response.apiKeys.some((api) => api.apiKey === key), `API key ${key} served`);
          }
        },
      }),
    ],
  },
  {
    name: "CreateTopics: an existing name, an impossible replication factor, zero partitions, a name colliding by '.' and '_' (ControllerApis.createTopics, ReplicationControlManager)",
    topics: { t: {}, 'dotted.name': {} },
    steps: [
      createTopicStep('create t again', (ctx) => ctx.topic('t'), {}, 'TOPIC_ALREADY_EXISTS'),
      createTopicStep("a name differing from 'dotted.name' only by '_'", (ctx) => ctx.topic('dotted_name'), {}, 'INVALID_TOPIC_EXCEPTION'),
      createTopicStep('replication factor 3 on one node', (ctx) => ctx.topic('rf'), { replicationFactor: 3 }, 'INVALID_REPLICATION_FACTOR'),
      createTopicStep('zero partitions', (ctx) => ctx.topic('zero'), { partitions: 0 }, 'INVALID_PARTITIONS'),
    ],
  },
  {
    name: 'Produce then Fetch: offsets assigned consecutively, a fetch from mid-batch returns the whole batch (LogValidator, FileRecords.slice)',
    topics: { t: {} },
    steps: [
      produceStep('3 records', { producer: null, count: 3 }, { baseOffset: 0n, logStartOffset: 0n }),
      produceStep('2 records', { producer: null, count: 2, tag: 'second' }, { baseOffset: 3n }),
      fetchStep('fetch from 0', 0n, { offsets: [0n, 1n, 2n, 3n, 4n], highWatermark: 5n }),
      fetchStep('fetch from 4 (inside the second batch)', 4n, { offsets: [3n, 4n], highWatermark: 5n }),
      fetchStep('fetch at the log end', 5n, { offsets: [], highWatermark: 5n }),
    ],
  },
  {
    name: 'ListOffsets earliest, latest and by timestamp (ListOffsetsRequest.EARLIEST_TIMESTAMP/LATEST_TIMESTAMP)',
    topics: { t: {} },
    steps: [
      listOffsetsStep('latest of an empty partition', -1n, 0n),
      produceStep('4 records', { producer: null, count: 4 }, { baseOffset: 0n }),
      listOffsetsStep('earliest', -2n, 0n),
      listOffsetsStep('latest', -1n, 4n),
      listOffsetsStep('first offset at the records\' timestamp', RECORD_TIMESTAMP, 0n),
      requestStep({
        title: 'a timestamp after every record',
        apiKey: ApiKey.ListOffsets,
        build: (ctx) => ({
          replicaId: -1,
          isolationLevel: 0,
          topics: [{ name: ctx.topic('t'), partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: RECORD_TIMESTAMP + 1000n, maxNumOffsets: 1 }] }],
          timeoutMs: 30000,
        }),
        expect: (response) => assert.equal(response.topics[0]?.partitions[0]?.offset, -1n),
      }),
    ],
  },
  {
    name: 'Metadata for an unknown topic with allowAutoTopicCreation=false: UNKNOWN_TOPIC_OR_PARTITION (KafkaApis.handleTopicMetadataRequest)',
    steps: [
      requestStep({
        title: 'Metadata for a missing topic',
        apiKey: ApiKey.Metadata,
        version: 12,
        build: (ctx) => ({
          topics: [{ topicId: Buffer.alloc(16), name: ctx.topic('missing') }],
          allowAutoTopicCreation: false,
          includeClusterAuthorizedOperations: false,
          includeTopicAuthorizedOperations: false,
        }),
        expect(response) {
          assert.equal(response.topics[0]?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          assert.equal(response.topics[0]?.partitions.length, 0);
        },
      }),
      logEndOffsetStepForMissing(),
    ],
  },
  {
    name: 'Produce to an unknown partition or topic: UNKNOWN_TOPIC_OR_PARTITION for that partition only (ReplicaManager.appendToLocalLog)',
    topics: { t: {} },
    steps: [
      produceManyStep(
        'partition 0 and partition 5 of a one-partition topic',
        [
          { producer: null, partition: 0 },
          { producer: null, partition: 5 },
        ],
        [{ baseOffset: 0n }, { error: 'UNKNOWN_TOPIC_OR_PARTITION', baseOffset: -1n, logStartOffset: -1n }],
      ),
      produceStep('a topic that does not exist', { producer: null, topic: 'missing' }, { error: 'UNKNOWN_TOPIC_OR_PARTITION', logStartOffset: -1n }),
      logEndOffsetStep('one record appended', 1n),
    ],
  },
  {
    name: 'a batch whose CRC does not match: CORRUPT_MESSAGE (UnifiedLog.analyzeAndValidateRecords)',
    topics: { t: {} },
    steps: [
      produceStep(
        'last byte flipped',
        {
          producer: null,
          count: 2,
          mutate(batch) {
            batch[batch.length - 1] ^= 0xff;
          },
        },
        { error: 'CORRUPT_MESSAGE', logStartOffset: -1n },
      ),
      produceStep(
        'CRC field flipped',
        {
          producer: null,
          mutate(batch) {
            batch[BatchField.crc] ^= 0x01;
          },
        },
        { error: 'CORRUPT_MESSAGE' },
      ),
      logEndOffsetStep('nothing appended', 0n),
    ],
  },
  {
    name: 'a batch larger than the topic\'s max.message.bytes: MESSAGE_TOO_LARGE (UnifiedLog.analyzeAndValidateRecords)',
    topics: { t: { configs: { 'max.message.bytes': '1000' } } },
    steps: [
      produceStep('a 2000-byte value', { producer: null, valueBytes: 2000 }, { error: 'MESSAGE_TOO_LARGE', logStartOffset: -1n }),
      produceStep('a 500-byte value fits', { producer: null, valueBytes: 500 }, { baseOffset: 0n }),
      logEndOffsetStep('one record appended', 1n),
    ],
  },
  {
    name: 'acks outside {-1, 0, 1}: INVALID_REQUIRED_ACKS for every partition (KafkaApis.handleProduceRequest)',
    topics: { t: {} },
    steps: [produceStep('acks=2', { producer: null }, { error: 'INVALID_REQUIRED_ACKS' }, { acks: 2 }), logEndOffsetStep('nothing appended', 0n)],
  },
  {
    name: 'Offset expiry: an explicit OffsetCommit v2 RetentionTimeMs expires the offset; a group left without offsets is deleted (KIP-211, OffsetMetadataManager.cleanupExpiredOffsets)',
    topics: { t: { partitions: 2 } },
    steps: [
      retrying<{ coordinators: { errorCode: number }[] }>(requestStep({
        title: 'FindCoordinator(group kept) until the coordinator is ready',
        apiKey: ApiKey.FindCoordinator,
        build: (ctx) => ({ key: '', keyType: 0, coordinatorKeys: [ctx.topic('kept')] }),
        expect: (response) => assert.equal(response.coordinators[0]?.errorCode, ErrorCode.NONE),
      }), (response) => response.coordinators[0]?.errorCode === ErrorCode.NONE),
      // Kafka answers COORDINATOR_LOAD_IN_PROGRESS until __consumer_offsets is loaded: wait for it, as a client does.
      retrying<{ topics: { partitions: { errorCode: number }[] }[] }>(offsetFetchV1Step('kept: nothing committed yet (once the coordinator is loaded)', 'kept', [-1n, -1n]), (response) =>
        response.topics[0]?.partitions.every((partition) => partition.errorCode === ErrorCode.NONE) ?? false),
      offsetCommitV2Step('kept: t-0 = 5, retained 1 s', 'kept', 0, 5n, 1000n),
      offsetCommitV2Step("kept: t-1 = 6, the broker's retention (7 days)", 'kept', 1, 6n, -1n),
      offsetCommitV2Step('gone: t-0 = 7, retained 1 s', 'gone', 0, 7n, 1000n),
      offsetFetchV1Step('kept: both offsets before the retention passes', 'kept', [5n, 6n]),
      offsetFetchV1Step('gone: polled until its only offset expired', 'gone', [-1n, -1n], (offsets) => offsets[0] === -1n),
      offsetFetchV1Step('kept: t-0 (committed before gone) expired too, t-1 stays', 'kept', [-1n, 6n]),
      requestStep({
        title: 'DescribeGroups v5: kept is an Empty simple group, gone was deleted (Dead)',
        apiKey: ApiKey.DescribeGroups,
        version: 5,
        build: (ctx) => ({ groups: [ctx.topic('kept'), ctx.topic('gone')], includeAuthorizedOperations: false }),
        expect: (response) => assert.deepEqual(response.groups.map((group) => [group.errorCode, group.groupState]), [[ErrorCode.NONE, 'Empty'], [ErrorCode.NONE, 'Dead']]),
      }),
    ],
  },
];

/** ListOffsets for a topic that does not exist: UNKNOWN_TOPIC_OR_PARTITION. */
function logEndOffsetStepForMissing(): ReturnType<typeof requestStep> {
  return requestStep({
    title: 'ListOffsets for a missing topic',
    apiKey: ApiKey.ListOffsets,
    build: (ctx) => ({
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: ctx.topic('missing'), partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }],
      timeoutMs: 30000,
    }),
    expect: (response) => assert.equal(response.topics[0]?.partitions[0]?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),
  });
}

describe('broker core: Apache Kafka vs seqlog', { timeout: 300_000 }, () => {
  let targets: DifferentialTargets;

  before(async () => {
    // Expired offsets are looked for every 500 ms instead of 10 min (the offset-expiry scenario); nothing else
    // here commits offsets with a retention.
    targets = await startDifferentialTargets({
      referenceConfig: { 'offsets.retention.check.interval.ms': '500' },
      seqlogOptions: { offsetsRetentionCheckIntervalMs: 500 },
    });
  });

  after(async () => {
    await targets?.stop();
  });

  for (const scenario of scenarios) {
    test(scenario.name, { timeout: 60_000 }, async () => {
      await assertScenario(scenario, [targets.kafka, targets.seqlog]);
    });
  }
});
