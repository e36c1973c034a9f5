// Requests that ask for too much, differentially: CreateTopics and CreatePartitions past the controller's limit of
// 10,000 partitions per operation (`ReplicationControlManager.validateTotalNumberOfPartitions`,
// `QuorumController.MAX_RECORDS_PER_USER_OP`), and a Fetch that names one partition more than once (Kafka keys
// a full fetch's partitions by topic-partition, so a repeat replaces the earlier entry and is answered once).
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/errors/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import type { FetchRequestFetchTopic } from '../../src/protocol/messages/generated/01-fetch.ts';
import { iterateRecordBatches } from '../../src/protocol/records/index.ts';
import { requestStep } from './differential.ts';
import type { Scenario, Step, TargetContext } from './differential.ts';
import { fetchRequestV12, produceStep } from './steps.ts';
import { describeDifferentialScenarios } from './targets.ts';

const INT32_MAX = 2 ** 31 - 1;

function createTopicsStep(
  title: string,
  topics: { logical: string; partitions: number; configs?: Record<string, string> }[],
  expected: { error: keyof typeof ErrorCode; message?: string },
  validateOnly = false,
): Step {
  return requestStep({
    title,
    apiKey: ApiKey.CreateTopics,
    build: (ctx) => ({
      topics: topics.map(({ logical, partitions, configs = {} }) => ({
        name: ctx.topic(logical),
        numPartitions: partitions,
        replicationFactor: 1,
        assignments: [],
        configs: Object.entries(configs).map(([name, value]) => ({ name, value })),
      })),
      timeoutMs: 30000,
      validateOnly,
    }),
    // A created topic's config list is each broker's own (seqlog serves a subset of topic configs).
    allow: ['topics.configs', 'topics.configs.**'],
    expect(response) {
      assert.equal(response.topics.length, topics.length);
      for (const topic of response.topics) {
        assert.equal(topic.errorCode, ErrorCode[expected.error]);
        if (expected.message !== undefined) assert.equal(topic.errorMessage, expected.message);
      }
    },
  });
}

function createPartitionsStep(title: string, count: number, expected: { error: keyof typeof ErrorCode; message?: string }, validateOnly = false): Step {
  return requestStep({
    title,
    apiKey: ApiKey.CreatePartitions,
    build: (ctx) => ({ topics: [{ name: ctx.topic('t'), count, assignments: null }], timeoutMs: 30000, validateOnly }),
    expect(response) {
      assert.equal(response.results[0]?.errorCode, ErrorCode[expected.error]);
      if (expected.message !== undefined) assert.equal(response.results[0]?.errorMessage, expected.message);
    },
  });
}

function fetchTopic(ctx: TargetContext, partitions: { partition: number; fetchOffset: bigint }[]): FetchRequestFetchTopic {
  return {
    topic: ctx.topic('t'),
    topicId: Buffer.alloc(16),
    partitions: partitions.map(({ partition, fetchOffset }) => ({
      partition,
      currentLeaderEpoch: -1,
      fetchOffset,
      lastFetchedEpoch: -1,
      logStartOffset: -1n,
      partitionMaxBytes: 1048576,
      replicaDirectoryId: Buffer.alloc(16),
    })),
  };
}

/** A v12 Fetch (topics by name) whose topic entries are `topics`; expects one answer per distinct partition. */
function repeatedFetchStep(title: string, topics: (ctx: TargetContext) => FetchRequestFetchTopic[], expected: { partitions: number[]; firstOffsets: bigint[] }): Step {
  return requestStep({
    title,
    apiKey: ApiKey.Fetch,
    version: 12,
    build: (ctx) => fetchRequestV12(topics(ctx), { maxBytes: 52428800 }),
    expect(response) {
      assert.equal(response.responses.length, 1, 'one topic entry');
      const partitions = response.responses[0].partitions;
      assert.deepEqual(
        partitions.map((p) => p.partitionIndex),
        expected.partitions,
      );
      const firstOffsets = partitions.map((p) => [...iterateRecordBatches(p.records ?? Buffer.alloc(0))][0]?.baseOffset ?? -1n);
      assert.deepEqual(firstOffsets, expected.firstOffsets);
    },
  });
}

const scenarios: Scenario[] = [
  {
    name: 'CreateTopics with num_partitions 2^31-1: POLICY_VIOLATION, nothing created (validateTotalNumberOfPartitions)',
    steps: [
      createTopicsStep('one topic, 2^31-1 partitions', [{ logical: 'huge', partitions: INT32_MAX }], {
        error: 'POLICY_VIOLATION',
        message: 'Excessively large number of partitions per request.',
      }),
      createTopicsStep('the same name with 1 partition is still free', [{ logical: 'huge', partitions: 1 }], { error: 'NONE' }),
    ],
  },
  {
    name: 'CreateTopics: one operation writes at most 10,000 records, one per topic, partition and config (validate only)',
    steps: [
      createTopicsStep('9,999 partitions', [{ logical: 'a', partitions: 9_999 }], { error: 'NONE' }, true),
      createTopicsStep('10,000 partitions', [{ logical: 'a', partitions: 10_000 }], { error: 'POLICY_VIOLATION', message: 'Unable to perform excessively large batch operation.' }, true),
      createTopicsStep('9,998 partitions and one config', [{ logical: 'a', partitions: 9_998, configs: { 'retention.ms': '1000' } }], { error: 'NONE' }, true),
      createTopicsStep('9,999 partitions and one config', [{ logical: 'a', partitions: 9_999, configs: { 'retention.ms': '1000' } }], { error: 'POLICY_VIOLATION' }, true),
      createTopicsStep(
        'two topics of 4,999 partitions',
        [
          { logical: 'a', partitions: 4_999 },
          { logical: 'b', partitions: 4_999 },
        ],
        { error: 'NONE' },
        true,
      ),
      createTopicsStep(
        'two topics of 5,000 partitions',
        [
          { logical: 'a', partitions: 5_000 },
          { logical: 'b', partitions: 5_000 },
        ],
        { error: 'POLICY_VIOLATION' },
        true,
      ),
    ],
  },
  {
    name: 'CreateTopics whose topics sum past 10,000 partitions: every topic fails with POLICY_VIOLATION',
    steps: [
      createTopicsStep(
        '6000 + 5000 partitions',
        [
          { logical: 'a', partitions: 6000 },
          { logical: 'b', partitions: 5000 },
        ],
        { error: 'POLICY_VIOLATION', message: 'Excessively large number of partitions per request.' },
      ),
    ],
  },
  {
    name: 'CreatePartitions to 2^31-1 is refused without creating anything',
    topics: { t: {} },
    steps: [
      createPartitionsStep('grow to 2^31-1', INT32_MAX, { error: 'POLICY_VIOLATION', message: 'Excessively large number of additional partitions per request.' }),
      createPartitionsStep('adding 10,001 partitions (validate only)', 10_002, { error: 'POLICY_VIOLATION' }, true),
      createPartitionsStep('adding 10,000 partitions (validate only)', 10_001, { error: 'NONE' }, true),
      createPartitionsStep('grow to 2 still works', 2, { error: 'NONE' }),
    ],
  },
  {
    name: 'Fetch naming one partition twice answers it once, from the last entry (FetchRequest.fetchData is a map)',
    topics: { t: { partitions: 2 } },
    steps: [
      produceStep('3 records on partition 0', { producer: null, count: 3 }, { baseOffset: 0n }),
      produceStep('3 more on partition 0', { producer: null, count: 3 }, { baseOffset: 3n }),
      repeatedFetchStep('partition 0 at offsets 0 and 3 in one topic entry', (ctx) => [fetchTopic(ctx, [{ partition: 0, fetchOffset: 0n }, { partition: 0, fetchOffset: 3n }])], {
        partitions: [0],
        firstOffsets: [3n],
      }),
      repeatedFetchStep(
        'the topic twice: partitions 0, 1 then 0 again',
        (ctx) => [fetchTopic(ctx, [{ partition: 0, fetchOffset: 3n }, { partition: 1, fetchOffset: 0n }]), fetchTopic(ctx, [{ partition: 0, fetchOffset: 0n }])],
        { partitions: [0, 1], firstOffsets: [0n, -1n] },
      ),
    ],
  },
];

describeDifferentialScenarios('request bounds: Apache Kafka vs seqlog', scenarios);
