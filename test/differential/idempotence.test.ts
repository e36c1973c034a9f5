// Broker idempotence, differentially: every scenario sends the same raw Produce requests (chosen producer id,
// epoch and sequences; real producer ids from InitProducerId on each broker) to Apache Kafka and to seqlog, checks
// the answer the Kafka rule prescribes on both, and compares the two answers field by field. Scenarios are named
// after the rule of `ProducerAppendInfo` they exercise and the Kafka test they mirror (`ProducerStateManagerTest`,
// `UnifiedLogTest`, `ProducerIdExpirationTest`). Epoch bumps are made the way `ProducerAppendInfo.checkProducerEpoch` allows a non-transactional
// producer to make them: by sending a batch with a higher epoch for the same producer id.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/errors/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { CompressionType } from '../../src/protocol/records/index.ts';
import { assertScenario, requestStep, restartStep } from './differential.ts';
import type { DifferentialTarget, Scenario } from './differential.ts';
import {
  RECORD_TIMESTAMP,
  buildBatch,
  describeProducersStep,
  fetchStep,
  initProducerIdStep,
  logEndOffsetStep,
  produceManyStep,
  produceStep,
} from './steps.ts';
import type { BatchSpec } from './steps.ts';
import { startDifferentialTargets } from './targets.ts';
import type { DifferentialTargets } from './targets.ts';

const INT32_MAX = 2147483647;
/** A fresh CreateTime append answers logAppendTimeMs -1; a duplicate answers the cached batch timestamp. */
const FRESH = -1n;
const CACHED = RECORD_TIMESTAMP;

/** A batch of producer `p1` (by default) at epoch 0. */
function by(producer: string, seq: number, count = 1, extra: BatchSpec = {}): BatchSpec {
  return { producer, seq, count, ...extra };
}

const p1 = (seq: number, count = 1, extra: BatchSpec = {}) => by('p1', seq, count, extra);
const p2 = (seq: number, count = 1, extra: BatchSpec = {}) => by('p2', seq, count, extra);

const scenarios: Scenario[] = [
  {
    name: 'in-order appends get consecutive offsets (ProducerStateManagerTest.testBasicIdMapping)',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      produceStep('seq 0..1', p1(0, 2), { baseOffset: 0n, logAppendTimeMs: FRESH, logStartOffset: 0n }),
      produceStep('seq 2..3', p1(2, 2), { baseOffset: 2n, logAppendTimeMs: FRESH }),
      produceStep('seq 4', p1(4), { baseOffset: 4n }),
      logEndOffsetStep('log end offset', 5n),
      fetchStep('fetch everything', 0n, { offsets: [0n, 1n, 2n, 3n, 4n], highWatermark: 5n }),
    ],
  },
  {
    name: 'exact duplicate of the last batch returns its original offsets and appends nothing (UnifiedLogTest.testDuplicateAppends)',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      produceStep('seq 0..1', p1(0, 2), { baseOffset: 0n }),
      produceStep('seq 2..4', p1(2, 3), { baseOffset: 2n }),
      produceStep('duplicate of seq 2..4', p1(2, 3), { baseOffset: 2n, logAppendTimeMs: CACHED, logStartOffset: 0n }),
      logEndOffsetStep('nothing appended', 5n),
      fetchStep('each record once', 0n, { offsets: [0n, 1n, 2n, 3n, 4n], highWatermark: 5n }),
    ],
  },
  {
    name: 'duplicates of each of the last 5 batches are found in the cache (ProducerStateEntry.NUM_BATCHES_TO_RETAIN)',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      ...[0, 1, 2, 3, 4, 5].map((seq) => produceStep(`seq ${seq}`, p1(seq), { baseOffset: BigInt(seq) })),
      ...[5, 4, 3, 2, 1].map((seq) => produceStep(`duplicate of seq ${seq}`, p1(seq), { baseOffset: BigInt(seq), logAppendTimeMs: CACHED })),
      logEndOffsetStep('nothing appended', 6n),
    ],
  },
  {
    name: 'duplicate of the 6th most recent batch is outside the cache: OUT_OF_ORDER_SEQUENCE_NUMBER (UnifiedLogTest.testDuplicateAppends)',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      ...[0, 1, 2, 3, 4, 5].map((seq) => produceStep(`seq ${seq}`, p1(seq), { baseOffset: BigInt(seq) })),
      produceStep('re-send seq 0', p1(0), { error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' }),
      logEndOffsetStep('nothing appended', 6n),
    ],
  },
  {
    name: 'sequence gap: OUT_OF_ORDER_SEQUENCE_NUMBER, and the state is unchanged (ProducerStateManagerTest.testProducerSequenceInvalidWrapAround family)',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      produceStep('seq 0', p1(0), { baseOffset: 0n }),
      produceStep('seq 2 (gap)', p1(2), { error: 'OUT_OF_ORDER_SEQUENCE_NUMBER', baseOffset: -1n }),
      produceStep('seq 1 still next', p1(1), { baseOffset: 1n }),
      logEndOffsetStep('log end offset', 2n),
    ],
  },
  {
    name: 'partial overlap with the last batch: OUT_OF_ORDER_SEQUENCE_NUMBER (UnifiedLogTest.testDuplicateAppends)',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      produceStep('seq 0..2', p1(0, 3), { baseOffset: 0n }),
      produceStep('seq 2..3 overlaps', p1(2, 2), { error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' }),
      produceStep('seq 1..2 overlaps', p1(1, 2), { error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' }),
      produceStep('seq 3', p1(3), { baseOffset: 3n }),
    ],
  },
  {
    name: 'same first sequence, different last sequence is not a duplicate (ProducerStateEntry.findDuplicateBatch)',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      produceStep('seq 0..1', p1(0, 2), { baseOffset: 0n }),
      produceStep('seq 0..2', p1(0, 3), { error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' }),
      produceStep('seq 0 alone', p1(0, 1), { error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' }),
      logEndOffsetStep('nothing appended', 2n),
    ],
  },
  {
    name: 'a duplicate is found by sequence range alone, whatever its bytes (ProducerStateEntry.findDuplicateBatch)',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      produceStep('seq 0..1', p1(0, 2), { baseOffset: 0n }),
      produceStep('seq 0..1 with other values', p1(0, 2, { tag: 'other' }), { baseOffset: 0n, logAppendTimeMs: CACHED }),
      fetchStep('the original values only', 0n, { offsets: [0n, 1n], highWatermark: 2n }),
    ],
  },
  {
    name: 'a batch with an older epoch: INVALID_PRODUCER_EPOCH (ProducerStateManagerTest.testOldProducerEpoch)',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      produceStep('epoch 0 seq 0', p1(0), { baseOffset: 0n }),
      produceStep('epoch 1 seq 0', p1(0, 1, { epoch: 1 }), { baseOffset: 1n }),
      produceStep('epoch 0 seq 1', p1(1), { error: 'INVALID_PRODUCER_EPOCH' }),
      produceStep('epoch 0 seq 0 again', p1(0), { error: 'INVALID_PRODUCER_EPOCH' }),
      logEndOffsetStep('log end offset', 2n),
    ],
  },
  {
    name: 'a bumped epoch must start at sequence 0: OUT_OF_ORDER_SEQUENCE_NUMBER otherwise (ProducerStateManagerTest.testProducerEpochBumpWithNonZeroSequence)',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      produceStep('epoch 0 seq 0..1', p1(0, 2), { baseOffset: 0n }),
      produceStep('epoch 1 seq 2 (continuing)', p1(2, 1, { epoch: 1 }), { error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' }),
      produceStep('epoch 1 seq 5', p1(5, 1, { epoch: 1 }), { error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' }),
      produceStep('epoch 0 seq 2 still accepted', p1(2), { baseOffset: 2n }),
    ],
  },
  {
    name: 'a bumped epoch at sequence 0 is accepted and restarts the sequence (ProducerStateManagerTest.testBasicIdMapping)',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      produceStep('epoch 0 seq 0..2', p1(0, 3), { baseOffset: 0n }),
      produceStep('epoch 1 seq 0', p1(0, 1, { epoch: 1 }), { baseOffset: 3n }),
      produceStep('epoch 1 seq 1', p1(1, 1, { epoch: 1 }), { baseOffset: 4n }),
      produceStep('epoch 1 duplicate of seq 1', p1(1, 1, { epoch: 1 }), { baseOffset: 4n, logAppendTimeMs: CACHED }),
      describeProducersStep('producer state', 1),
    ],
  },
  {
    name: 'after an epoch bump, a duplicate of an old-epoch batch is fenced, not deduplicated (ProducerStateManagerTest.testOldProducerEpoch)',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      produceStep('epoch 0 seq 0', p1(0), { baseOffset: 0n }),
      produceStep('epoch 1 seq 0', p1(0, 1, { epoch: 1 }), { baseOffset: 1n }),
      produceStep('epoch 0 duplicate of seq 0', p1(0), { error: 'INVALID_PRODUCER_EPOCH' }),
    ],
  },
  {
    name: 'an epoch may jump by more than one; a lower epoch is then fenced (ProducerAppendInfo.checkProducerEpoch)',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      produceStep('epoch 0 seq 0', p1(0), { baseOffset: 0n }),
      produceStep('epoch 5 seq 0', p1(0, 1, { epoch: 5 }), { baseOffset: 1n }),
      produceStep('epoch 3 seq 0', p1(0, 1, { epoch: 3 }), { error: 'INVALID_PRODUCER_EPOCH' }),
      produceStep('epoch 5 seq 1', p1(1, 1, { epoch: 5 }), { baseOffset: 2n }),
    ],
  },
  {
    name: 'same epoch, sequence 0 again after state exists: OUT_OF_ORDER_SEQUENCE_NUMBER, no reset within an epoch (ProducerAppendInfo.checkSequence)',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      produceStep('seq 0..1', p1(0, 2), { baseOffset: 0n }),
      produceStep('seq 2', p1(2), { baseOffset: 2n }),
      produceStep('seq 0 (new content)', p1(0, 1, { tag: 'restart' }), { error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' }),
    ],
  },
  {
    name: 'unknown producer at sequence > 0 is accepted and tracked from there (ProducerIdExpirationTest, ProducerAppendInfo.checkSequence)',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      produceStep('first batch at seq 17', p1(17, 2), { baseOffset: 0n }),
      produceStep('seq 19', p1(19), { baseOffset: 2n }),
      produceStep('seq 21 (gap)', p1(21), { error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' }),
      produceStep('duplicate of seq 17..18', p1(17, 2), { baseOffset: 0n, logAppendTimeMs: CACHED }),
      describeProducersStep('producer state', 1),
    ],
  },
  {
    name: 'unknown producer with epoch > 0 at sequence > 0 is accepted (ProducerAppendInfo.checkSequence, upd.epoch == -1,\')',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      produceStep('epoch 3 seq 42', p1(42, 1, { epoch: 3 }), { baseOffset: 0n }),
      produceStep('epoch 3 seq 43', p1(43, 1, { epoch: 3 }), { baseOffset: 1n }),
      produceStep('epoch 2 seq 44', p1(44, 1, { epoch: 2 }), { error: 'INVALID_PRODUCER_EPOCH' }),
    ],
  },
  {
    name: 'sequence wrap-around: a batch ending at Int32.MAX, then sequence 0 (ProducerStateManagerTest.testProducerSequenceWrapAround)',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      produceStep('seq 2147483646..2147483647', p1(INT32_MAX - 1, 2), { baseOffset: 0n }),
      produceStep('seq 0 after Int32.MAX', p1(0), { baseOffset: 2n }),
      produceStep('seq 1', p1(1), { baseOffset: 3n }),
      produceStep('duplicate of the batch before the wrap', p1(INT32_MAX - 1, 2), { baseOffset: 0n, logAppendTimeMs: CACHED }),
      describeProducersStep('lastSequence after the wrap', 1),
    ],
  },
  {
    name: 'one batch crossing the wrap: its last sequence is below its base sequence (DefaultRecordBatch.incrementSequence)',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      produceStep('seq 2147483646..1 (4 records)', p1(INT32_MAX - 1, 4), { baseOffset: 0n }),
      produceStep('seq 2', p1(2), { baseOffset: 4n }),
      produceStep('duplicate of the crossing batch', p1(INT32_MAX - 1, 4), { baseOffset: 0n, logAppendTimeMs: CACHED }),
      produceStep('seq 0 (inside the crossing batch)', p1(0), { error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' }),
      fetchStep('records', 0n, { offsets: [0n, 1n, 2n, 3n, 4n], highWatermark: 5n }),
    ],
  },
  {
    name: 'multi-partition request with one out-of-order partition: the others succeed (ReplicaManager.appendToLocalLog per partition)',
    topics: { t: { partitions: 3 } },
    steps: [
      initProducerIdStep('p1'),
      produceManyStep('seq 0 to each partition', [0, 1, 2].map((partition) => ({ ...p1(0), partition })), [{ baseOffset: 0n }, { baseOffset: 0n }, { baseOffset: 0n }]),
      produceManyStep(
        'seq 1, seq 5 (gap), seq 1',
        [{ ...p1(1), partition: 0 }, { ...p1(5), partition: 1 }, { ...p1(1), partition: 2 }],
        [{ baseOffset: 1n }, { error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' }, { baseOffset: 1n }],
      ),
      produceManyStep(
        'duplicate, in order, duplicate',
        [{ ...p1(1), partition: 0 }, { ...p1(1), partition: 1 }, { ...p1(0), partition: 2 }],
        // Partition 2 still caches seq 0 and seq 1, so its seq 0 is a duplicate as well.
        [{ baseOffset: 1n, logAppendTimeMs: CACHED }, { baseOffset: 1n }, { baseOffset: 0n, logAppendTimeMs: CACHED }],
      ),
    ],
  },
  {
    name: 'two producers interleaved on one partition keep separate sequences (ProducerStateManagerTest.testBasicIdMapping)',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      initProducerIdStep('p2'),
      produceStep('p1 seq 0', p1(0), { baseOffset: 0n }),
      produceStep('p2 seq 0..1', p2(0, 2), { baseOffset: 1n }),
      produceStep('p1 seq 1', p1(1), { baseOffset: 3n }),
      produceStep('p2 seq 2', p2(2), { baseOffset: 4n }),
      produceStep('p2 seq 1 (p1\'s next, not p2\'s)', p2(1), { error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' }),
      produceStep('p1 duplicate of seq 1', p1(1), { baseOffset: 3n, logAppendTimeMs: CACHED }),
      describeProducersStep('both producers', 2),
    ],
  },
  {
    name: 'duplicate after other producers wrote: original offset and the current logStartOffset (UnifiedLog.append duplicate path)',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      initProducerIdStep('p2'),
      produceStep('p1 seq 0..1', p1(0, 2), { baseOffset: 0n }),
      produceStep('p2 seq 0..2', p2(0, 3), { baseOffset: 2n }),
      produceStep('non-idempotent batch', { producer: null, count: 2 }, { baseOffset: 5n }),
      produceStep('p1 duplicate of seq 0..1', p1(0, 2), { baseOffset: 0n, logAppendTimeMs: CACHED, logStartOffset: 0n }),
      produceStep('p2 duplicate of seq 0..2', p2(0, 3), { baseOffset: 2n, logAppendTimeMs: CACHED }),
      logEndOffsetStep('nothing appended', 7n),
    ],
  },
  {
    name: 'non-idempotent batches (producer id -1) are never deduplicated (UnifiedLog.analyzeAndValidateProducerState skips pid -1)',
    topics: { t: {} },
    steps: [
      produceStep('batch', { producer: null, count: 2 }, { baseOffset: 0n, logAppendTimeMs: FRESH }),
      produceStep('same batch again', { producer: null, count: 2 }, { baseOffset: 2n, logAppendTimeMs: FRESH }),
      fetchStep('both copies', 0n, { offsets: [0n, 1n, 2n, 3n], highWatermark: 4n }),
      describeProducersStep('no producer state', 0),
    ],
  },
  {
    name: 'a transactional batch without a transactionalId fails the whole request (KafkaApis.handleProduceRequest)',
    topics: { t: { partitions: 2 } },
    steps: [
      initProducerIdStep('p1'),
      produceManyStep(
        'transactional batch to partition 0, plain batch to partition 1',
        [{ ...p1(0, 1, { transactional: true }), partition: 0 }, { ...p1(0), partition: 1 }],
        [{ error: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED' }, { error: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED' }],
      ),
      logEndOffsetStep('partition 0 untouched', 0n, 't', 0),
      logEndOffsetStep('partition 1 untouched', 0n, 't', 1),
    ],
  },
  {
    name: 'a control batch from a client: INVALID_RECORD (LogValidator.validateBatch)',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      produceStep('control batch', p1(0, 1, { control: true }), { error: 'INVALID_RECORD' }),
      produceStep('a normal batch at seq 0 is still first', p1(0), { baseOffset: 0n }),
    ],
  },
  {
    name: 'producerId >= 0 with baseSequence -1: INVALID_RECORD (LogValidator.validateBatch)',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      produceStep('seq -1', p1(-1), { error: 'INVALID_RECORD' }),
      logEndOffsetStep('nothing appended', 0n),
    ],
  },
  {
    name: 'two batches in one partition of a v3+ Produce: INVALID_RECORD (ProduceRequest.validateRecords)',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      requestStep({
        title: 'seq 0 and seq 1 in one records field',
        apiKey: ApiKey.Produce,
        build(ctx) {
          const records = Buffer.concat([buildBatch(ctx, p1(0)), buildBatch(ctx, p1(1))]);
          return { transactionalId: null, acks: -1, timeoutMs: 30000, topicData: [{ name: ctx.topic('t'), partitionData: [{ index: 0, records }] }] };
        },
        expect(response) {
          assert.equal(response.responses[0]?.partitionResponses[0]?.errorCode, ErrorCode.INVALID_RECORD);
        },
      }),
      logEndOffsetStep('nothing appended', 0n),
    ],
  },
  {
    name: 'acks=1 original, acks=-1 duplicate and the reverse answer alike (ReplicaManager.appendRecords)',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      produceStep('seq 0 acks=1', p1(0), { baseOffset: 0n }, { acks: 1 }),
      produceStep('duplicate acks=-1', p1(0), { baseOffset: 0n, logAppendTimeMs: CACHED }, { acks: -1 }),
      produceStep('seq 1 acks=-1', p1(1, 2), { baseOffset: 1n }, { acks: -1 }),
      produceStep('duplicate acks=1', p1(1, 2), { baseOffset: 1n, logAppendTimeMs: CACHED }, { acks: 1 }),
      logEndOffsetStep('nothing appended', 3n),
    ],
  },
  {
    name: 'acks=0 original, acks=-1 retry: the retry is a duplicate of what the unanswered request appended (KafkaApis.handleProduceRequest acks=0)',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      produceStep('seq 0..2 acks=0 (no response)', p1(0, 3), {}, { acks: 0 }),
      produceStep('retry of seq 0..2 acks=-1', p1(0, 3), { baseOffset: 0n, logAppendTimeMs: CACHED }),
      produceStep('seq 3 acks=0 (no response)', p1(3), {}, { acks: 0 }),
      produceStep('seq 4 acks=-1', p1(4), { baseOffset: 4n }),
      logEndOffsetStep('log end offset', 5n),
    ],
  },
  {
    name: 'a rejected acks=0 batch closes the connection, so the producer notices (KafkaApis.handleProduceRequest acks=0 error path)',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      produceStep('seq 0 acks=0', p1(0), {}, { acks: 0 }),
      produceStep('seq 5 (gap) acks=0', p1(5), {}, { acks: 0 }),
      produceStep('seq 1 acks=-1 on a new connection', p1(1), { baseOffset: 1n }),
      logEndOffsetStep('log end offset', 2n),
    ],
  },
  {
    name: 'Produce versions 3, 7, 9 and 11 deduplicate alike (the idempotence rules do not depend on the request version)',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      produceStep('seq 0..1 at v3', p1(0, 2), { baseOffset: 0n }, { version: 3 }),
      produceStep('duplicate at v7', p1(0, 2), { baseOffset: 0n, logAppendTimeMs: CACHED }, { version: 7 }),
      produceStep('duplicate at v9', p1(0, 2), { baseOffset: 0n, logAppendTimeMs: CACHED }, { version: 9 }),
      produceStep('gap at v3', p1(4), { error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' }, { version: 3 }),
      produceStep('old epoch at v9', p1(2, 1, { epoch: 1 }), { error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' }, { version: 9 }),
      produceStep('seq 2 at v11', p1(2), { baseOffset: 2n }, { version: 11 }),
    ],
  },
  {
    name: 'DescribeProducers for a partition that does not exist: UNKNOWN_TOPIC_OR_PARTITION (KafkaApis.handleDescribeProducersRequest)',
    topics: { t: {} },
    steps: [
      requestStep({
        title: 'partition 3 of a one-partition topic, and a missing topic',
        apiKey: ApiKey.DescribeProducers,
        build: (ctx) => ({
          topics: [
            { name: ctx.topic('t'), partitionIndexes: [0, 3] },
            { name: ctx.topic('missing'), partitionIndexes: [0] },
          ],
        }),
        expect(response, ctx) {
          const t = response.topics.find((topic) => topic.name === ctx.topic('t'));
          assert.equal(t?.partitions.find((p) => p.partitionIndex === 0)?.errorCode, ErrorCode.NONE);
          assert.equal(t?.partitions.find((p) => p.partitionIndex === 3)?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          const missing = response.topics.find((topic) => topic.name === ctx.topic('missing'));
          assert.equal(missing?.partitions[0]?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        },
      }),
    ],
  },
  {
    name: 'compressed batches (gzip, snappy, lz4, zstd) are deduplicated like plain ones (UnifiedLogTest.testDuplicateAppends)',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      produceStep('gzip seq 0..2', p1(0, 3, { compression: CompressionType.gzip }), { baseOffset: 0n }),
      produceStep('snappy seq 3..5', p1(3, 3, { compression: CompressionType.snappy }), { baseOffset: 3n }),
      produceStep('lz4 seq 6..8', p1(6, 3, { compression: CompressionType.lz4 }), { baseOffset: 6n }),
      produceStep('zstd seq 9..11', p1(9, 3, { compression: CompressionType.zstd }), { baseOffset: 9n }),
      produceStep('duplicate gzip', p1(0, 3, { compression: CompressionType.gzip }), { baseOffset: 0n, logAppendTimeMs: CACHED }),
      produceStep('duplicate snappy', p1(3, 3, { compression: CompressionType.snappy }), { baseOffset: 3n, logAppendTimeMs: CACHED }),
      produceStep('duplicate lz4', p1(6, 3, { compression: CompressionType.lz4 }), { baseOffset: 6n, logAppendTimeMs: CACHED }),
      produceStep('duplicate zstd', p1(9, 3, { compression: CompressionType.zstd }), { baseOffset: 9n, logAppendTimeMs: CACHED }),
      fetchStep('each record once', 0n, { offsets: Array.from({ length: 12 }, (_, i) => BigInt(i)), highWatermark: 12n }),
    ],
  },
  {
    name: 'a duplicate re-sent with another codec is still a duplicate (sequence range only, ProducerStateEntry.findDuplicateBatch)',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      produceStep('gzip seq 0..3', p1(0, 4, { compression: CompressionType.gzip }), { baseOffset: 0n }),
      produceStep('uncompressed re-send of seq 0..3', p1(0, 4), { baseOffset: 0n, logAppendTimeMs: CACHED }),
      logEndOffsetStep('nothing appended', 4n),
    ],
  },
  {
    name: 'InitProducerId with only one of ProducerId/ProducerEpoch set: INVALID_REQUEST (TransactionCoordinator.handleInitProducerId)',
    steps: [
      requestStep({
        title: 'ProducerId set, ProducerEpoch -1',
        apiKey: ApiKey.InitProducerId,
        build: () => ({ transactionalId: null, transactionTimeoutMs: 60000, producerId: 1000n, producerEpoch: -1 }),
        expect: (response) => assert.equal(response.errorCode, ErrorCode.INVALID_REQUEST),
      }),
      requestStep({
        title: 'ProducerId -1, ProducerEpoch set',
        apiKey: ApiKey.InitProducerId,
        build: () => ({ transactionalId: null, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: 0 }),
        expect: (response) => assert.equal(response.errorCode, ErrorCode.INVALID_REQUEST),
      }),
    ],
  },
  {
    name: 'InitProducerId with an empty transactional id: INVALID_REQUEST (TransactionCoordinator.handleInitProducerId)',
    steps: [
      requestStep({
        title: 'transactionalId ""',
        apiKey: ApiKey.InitProducerId,
        build: () => ({ transactionalId: '', transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 }),
        expect: (response) => assert.equal(response.errorCode, ErrorCode.INVALID_REQUEST),
      }),
    ],
  },
  {
    name: 'InitProducerId without a transactional id gives a new producer id at epoch 0 each time (ProducerIdManager)',
    steps: [
      initProducerIdStep('p1'),
      initProducerIdStep('p2'),
      requestStep({
        title: 'a third id',
        apiKey: ApiKey.InitProducerId,
        build: () => ({ transactionalId: null, transactionTimeoutMs: 2147483647, producerId: -1n, producerEpoch: -1 }),
        expect(response, ctx) {
          assert.equal(response.errorCode, ErrorCode.NONE);
          assert.notEqual(response.producerId, ctx.producerId('p1'));
          assert.notEqual(response.producerId, ctx.producerId('p2'));
          assert.notEqual(ctx.producerId('p1'), ctx.producerId('p2'));
        },
      }),
    ],
  },
  {
    name: 'DescribeProducers after a few batches: epoch, lastSequence, lastTimestamp per producer (KafkaApis.handleDescribeProducersRequest)',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      initProducerIdStep('p2'),
      produceStep('p1 seq 0..2', p1(0, 3), { baseOffset: 0n }),
      produceStep('p1 seq 3..4', p1(3, 2), { baseOffset: 3n }),
      produceStep('p2 seq 7..9 (unknown producer)', p2(7, 3), { baseOffset: 5n }),
      produceStep('p1 gap is rejected and changes nothing', p1(9), { error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' }),
      describeProducersStep('two producers', 2),
    ],
  },
  {
    name: 'DescribeProducers after an epoch bump shows the new epoch and its sequence (ProducerStateEntry.maybeUpdateProducerEpoch)',
    topics: { t: {} },
    steps: [
      initProducerIdStep('p1'),
      produceStep('epoch 0 seq 0..3', p1(0, 4), { baseOffset: 0n }),
      produceStep('epoch 2 seq 0', p1(0, 1, { epoch: 2 }), { baseOffset: 4n }),
      produceStep('epoch 1 rejected', p1(1, 1, { epoch: 1 }), { error: 'INVALID_PRODUCER_EPOCH' }),
      describeProducersStep('epoch 2, lastSequence 0', 1),
    ],
  },
  {
    name: 'a producer id never handed out by InitProducerId is treated as an unknown producer (ProducerAppendInfo)',
    topics: { t: {} },
    steps: [
      produceStep('pid 987654321 seq 5', { producer: 987654321n, seq: 5, count: 2 }, { baseOffset: 0n }),
      produceStep('pid 987654321 seq 7', { producer: 987654321n, seq: 7 }, { baseOffset: 2n }),
      produceStep('pid 987654321 duplicate of seq 5..6', { producer: 987654321n, seq: 5, count: 2 }, { baseOffset: 0n, logAppendTimeMs: CACHED }),
    ],
  },
];

/**
 * After a restart (clean shutdown, snapshot at the log end offset) only the LAST batch of each producer is
 * remembered: its duplicate still gets the original offset, a duplicate of an earlier batch is no longer
 * recognised (OUT_OF_ORDER_SEQUENCE_NUMBER), and the next in-sequence batch is accepted. Kafka is restarted for
 * real here (once per run: it costs ~20 s).
 */
const restartScenario: Scenario = {
  name: 'after a clean restart only the last batch per producer is deduplicated (UnifiedLogTest.testRecoverFromSnapshot family)',
  topics: { t: {} },
  // A restarted Kafka node is elected leader again under a new leader epoch; a single seqlog node keeps epoch 0.
  // Leader epochs fence replicas, not producers, and play no part in these answers.
  allow: ['**.leaderEpoch'],
  steps: [
    initProducerIdStep('p1'),
    initProducerIdStep('p2'),
    produceStep('p1 seq 0..1', p1(0, 2), { baseOffset: 0n }),
    produceStep('p1 seq 2..3', p1(2, 2), { baseOffset: 2n }),
    produceStep('p2 epoch 1 seq 0', p2(0, 1, { epoch: 1 }), { baseOffset: 4n }),
    produceStep('p1 seq 4', p1(4), { baseOffset: 5n }),
    restartStep(),
    produceStep('p1 duplicate of the last batch', p1(4), { baseOffset: 5n, logAppendTimeMs: CACHED }),
    produceStep('p1 duplicate of an earlier batch', p1(2, 2), { error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' }),
    produceStep('p2 duplicate of its last batch', p2(0, 1, { epoch: 1 }), { baseOffset: 4n, logAppendTimeMs: CACHED }),
    produceStep('p2 older epoch', p2(1), { error: 'INVALID_PRODUCER_EPOCH' }),
    produceStep('p1 next in sequence', p1(5), { baseOffset: 6n }),
    describeProducersStep('producer state survived', 2),
    logEndOffsetStep('log end offset', 7n),
  ],
};

/**
 * The same question without restarting Kafka: seqlog's answer after a restart is compared with Kafka's answer
 * without one. Equivalent per: Kafka's snapshot keeps exactly the last batch's metadata per producer, so
 * a duplicate of the last batch is answered identically before and after a restart.
 */
const restartEquivalenceScenario: Scenario = {
  name: 'duplicate of the last batch after a seqlog restart answers as Kafka does without one (the last-batch snapshot)',
  topics: { t: {} },
  steps: [
    initProducerIdStep('p1'),
    produceStep('seq 0..2', p1(0, 3), { baseOffset: 0n }),
    produceStep('seq 3..4', p1(3, 2, { compression: CompressionType.gzip }), { baseOffset: 3n }),
    restartStep(),
    produceStep('duplicate of the last batch', p1(3, 2, { compression: CompressionType.gzip }), { baseOffset: 3n, logAppendTimeMs: CACHED, logStartOffset: 0n }),
    produceStep('next in sequence', p1(5), { baseOffset: 5n }),
    fetchStep('records once each', 0n, { offsets: [0n, 1n, 2n, 3n, 4n, 5n], highWatermark: 6n }),
  ],
};

describe('idempotence: Apache Kafka vs seqlog', { timeout: 600_000 }, () => {
  let targets: DifferentialTargets;

  before(async () => {
    targets = await startDifferentialTargets({ restartKafka: true });
  });

  after(async () => {
    await targets?.stop();
  });

  test('there are at least 30 idempotence scenarios', () => {
    assert.ok(scenarios.length + 2 >= 30, `${scenarios.length + 2} scenarios`);
  });

  for (const scenario of scenarios) {
    test(scenario.name, { timeout: 60_000 }, async () => {
      await assertScenario(scenario, [targets.kafka, targets.seqlog]);
    });
  }

  test(restartEquivalenceScenario.name, { timeout: 60_000 }, async () => {
    const kafkaWithoutRestart: DifferentialTarget = { name: targets.kafka.name, address: () => targets.kafka.address() };
    await assertScenario(restartEquivalenceScenario, [kafkaWithoutRestart, targets.seqlog]);
  });

  // Last: it restarts the Kafka node.
  test(restartScenario.name, { timeout: 180_000 }, async () => {
    await assertScenario(restartScenario, [targets.kafka, targets.seqlog]);
  });
});
