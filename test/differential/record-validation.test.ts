// Record-level validation and the batch rewrites of Kafka's `LogValidator`, differentially: hand-built batches
// whose records are malformed (lengths that lie, overlong varints, fields past their record, counts that do not
// match, bad headers, trailing bytes) and batches Kafka rewrites (a Long.MAX header max timestamp, a
// producer-set LogAppendTime bit, out-of-order inner offsets of a compressed batch) are produced raw to Apache
// Kafka and to seqlog; the error codes, and then what a Fetch returns (header fields and records), are compared.
// Every scenario ends by producing a good batch and reading the partition back: a rejected batch stored nothing.
// Not compared here, because seqlog is stricter on purpose: Kafka's in-place iterator for compressed batches does
// not check a record's length against its fields and stores such a record, which no reader can decode; seqlog
// refuses it with INVALID_RECORD (src/protocol/records/validate-batch-for-append.test.ts).
import assert from 'node:assert/strict';
import { errorName } from '../../src/protocol/errors/index.ts';
import type { ErrorName } from '../../src/protocol/errors/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import type { ProduceResponse } from '../../src/protocol/messages/generated/index.ts';
import { BatchAttribute, BatchField, CompressionType, RECORD_BATCH_OVERHEAD, codecFor, writeCrc } from '../../src/protocol/records/index.ts';
import { requestStep } from './differential.ts';
import type { Scenario, Step } from './differential.ts';
import { RECORD_TIMESTAMP, fetchStep, produceStep } from './steps.ts';
import { describeDifferentialScenarios } from './targets.ts';

/** Zigzag varint bytes (`ByteUtils.writeVarint`). */
function zz(n: number): Buffer {
  let v = ((n << 1) ^ (n >> 31)) >>> 0;
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Buffer.from(out);
}

const v = (text: string) => Buffer.from(text);

interface RecordSpec {
  offsetDelta?: number;
  timestampDelta?: number;
  key?: Buffer | null;
  value?: Buffer | null;
  headers?: Buffer[];
  /** Replaces the computed body length. */
  length?: number;
  /** Replaces the whole encoded body (after the length). */
  body?: Buffer;
}

/** One record's bytes, length prefix included. */
function record(spec: RecordSpec, index: number): Buffer {
  const field = (b: Buffer | null | undefined) => (b === null || b === undefined ? zz(-1) : Buffer.concat([zz(b.length), b]));
  const body =
    spec.body ??
    Buffer.concat([
      Buffer.from([0]),
      zz(spec.timestampDelta ?? index),
      zz(spec.offsetDelta ?? index),
      spec.key === undefined ? zz(-1) : field(spec.key),
      field(spec.value === undefined ? v(`value-${index}`) : spec.value),
      spec.headers === undefined ? zz(0) : Buffer.concat([zz(spec.headers.length), ...spec.headers]),
    ]);
  return Buffer.concat([zz(spec.length ?? body.length), body]);
}

interface RawBatchSpec {
  records: RecordSpec[];
  /** Bytes appended after the records (inside the batch). */
  trailing?: Buffer;
  /** Replaces the encoded records section (before compression). */
  section?: Buffer;
  count?: number;
  compression?: CompressionType;
  logAppendTimeBit?: boolean;
  maxTimestamp?: bigint;
  /** Replaces the (compressed) payload. */
  rawPayload?: Buffer;
  /** Bytes cut from the end of the compressed payload. */
  truncatePayload?: number;
}

/** A client batch (baseOffset 0, no producer) around hand-made records, with a correct CRC. */
function rawBatch(spec: RawBatchSpec): Buffer {
  let section = spec.section ?? Buffer.concat([...spec.records.map(record), spec.trailing ?? Buffer.alloc(0)]);
  const compression = spec.compression ?? CompressionType.none;
  if (compression !== CompressionType.none) section = codecFor(compression).compress(section);
  if (spec.truncatePayload !== undefined) section = section.subarray(0, section.length - spec.truncatePayload);
  if (spec.rawPayload !== undefined) section = spec.rawPayload;
  const count = spec.count ?? spec.records.length;
  const batch = Buffer.alloc(RECORD_BATCH_OVERHEAD + section.length);
  section.copy(batch, RECORD_BATCH_OVERHEAD);
  batch.writeInt32BE(batch.length - 12, BatchField.batchLength);
  batch.writeInt32BE(-1, BatchField.partitionLeaderEpoch);
  batch.writeInt8(2, BatchField.magic);
  batch.writeInt16BE(compression | (spec.logAppendTimeBit ? BatchAttribute.timestampTypeLogAppendTime : 0), BatchField.attributes);
  batch.writeInt32BE(count - 1, BatchField.lastOffsetDelta);
  batch.writeBigInt64BE(RECORD_TIMESTAMP, BatchField.baseTimestamp);
  batch.writeBigInt64BE(spec.maxTimestamp ?? RECORD_TIMESTAMP + BigInt(Math.max(0, spec.records.length - 1)), BatchField.maxTimestamp);
  batch.writeBigInt64BE(-1n, BatchField.producerId);
  batch.writeInt16BE(-1, BatchField.producerEpoch);
  batch.writeInt32BE(-1, BatchField.baseSequence);
  batch.writeInt32BE(count, BatchField.recordsCount);
  writeCrc(batch, 0, batch.length);
  return batch;
}

function rawProduceStep(title: string, spec: RawBatchSpec, error: ErrorName, extra: { recordErrors?: number; topic?: string } = {}): Step {
  return requestStep({
    title,
    apiKey: ApiKey.Produce,
    build: (ctx) => ({
      transactionalId: null,
      acks: -1,
      timeoutMs: 30000,
      topicData: [{ name: ctx.topic(extra.topic ?? 't'), partitionData: [{ index: 0, records: rawBatch(spec) }] }],
    }),
    // Free text, like errorMessage.
    allow: ['**.batchIndexErrorMessage'],
    expect(response: ProduceResponse) {
      const partition = response.responses[0]?.partitionResponses[0];
      assert.equal(errorName(partition?.errorCode ?? -1), error, 'error code');
      if (extra.recordErrors !== undefined) assert.equal(partition?.recordErrors.length, extra.recordErrors, 'record errors');
    },
  });
}

const good: RecordSpec[] = [{}, {}];
const overlongLength = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0, 0, 1, 1, 0]);

/** A defect that must be rejected with `error`, leaving the partition empty and readable. */
function rejected(name: string, spec: RawBatchSpec, error: ErrorName): Scenario {
  return {
    name: `${name} -> ${error}`,
    topics: { t: {} },
    steps: [
      rawProduceStep(name, spec, error),
      produceStep('a good batch after it', { producer: null, count: 2 }, { baseOffset: 0n }),
      fetchStep('only the good batch is stored', 0n, { offsets: [0n, 1n], highWatermark: 2n }),
    ],
  };
}

const zstd = CompressionType.zstd;
const gzip = CompressionType.gzip;

const scenarios: Scenario[] = [
  // Structure defects (DefaultRecord.readFrom, DefaultRecordBatch record iterators).
  rejected('a record length larger than the records left', { records: [{}, { length: 200 }] }, 'INVALID_RECORD'),
  rejected('a record length smaller than its fields', { records: [{ length: 5 }, {}] }, 'INVALID_RECORD'),
  rejected('a record length larger than its fields, next record absorbed', { records: [{ length: 20 }, {}] }, 'INVALID_RECORD'),
  rejected('a key length beyond the record', { records: [{ key: v('k'), body: Buffer.concat([Buffer.from([0]), zz(0), zz(0), zz(100), v('k'), zz(-1), zz(0)]) }, {}] }, 'INVALID_RECORD'),
  rejected('a value length beyond the record', { records: [{ body: Buffer.concat([Buffer.from([0]), zz(0), zz(0), zz(-1), zz(50), v('abc'), zz(0)]) }] }, 'INVALID_RECORD'),
  rejected('an offset delta varint longer than 5 bytes', { records: [{ body: Buffer.concat([Buffer.from([0]), zz(0), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), zz(-1), zz(-1), zz(0)]) }] }, 'INVALID_RECORD'),
  // Read outside DefaultRecord.readFrom's try block: Kafka's IllegalArgumentException escapes as UNKNOWN_SERVER_ERROR.
  rejected('a record length varint longer than 5 bytes', { records: [], count: 1, section: overlongLength }, 'UNKNOWN_SERVER_ERROR'),
  rejected('zstd: a record length varint longer than 5 bytes', { records: [], count: 1, section: overlongLength, compression: zstd }, 'INVALID_RECORD'),
  rejected('a record length varint cut short', { records: [], count: 1, section: Buffer.from([0xff, 0xff]) }, 'INVALID_RECORD'),
  rejected('recordsCount larger than the records sent', { records: good, count: 3 }, 'INVALID_RECORD'),
  rejected('bytes left after the last record', { records: good, trailing: Buffer.from([1, 2, 3]) }, 'INVALID_RECORD'),
  rejected('a negative header count', { records: [{ body: Buffer.concat([Buffer.from([0]), zz(0), zz(0), zz(-1), zz(-1), zz(-3)]) }] }, 'INVALID_RECORD'),
  rejected('a header count beyond the record', { records: [{ body: Buffer.concat([Buffer.from([0]), zz(0), zz(0), zz(-1), zz(-1), zz(40)]) }] }, 'INVALID_RECORD'),
  rejected('a null header key', { records: [{ headers: [Buffer.concat([zz(-1), zz(1), v('x')])] }] }, 'INVALID_RECORD'),
  rejected('a header value beyond the record', { records: [{ headers: [Buffer.concat([zz(1), v('h'), zz(30), v('x')])] }] }, 'INVALID_RECORD'),
  // The same defects inside compressed batches (the streaming record iterator).
  rejected('zstd: recordsCount larger than the records sent', { records: good, count: 3, compression: zstd }, 'INVALID_RECORD'),
  rejected('gzip: bytes left after the last record', { records: good, trailing: Buffer.from([1, 2, 3]), compression: gzip }, 'INVALID_RECORD'),
  rejected('gzip: a negative header count', { records: [{ body: Buffer.concat([Buffer.from([0]), zz(0), zz(0), zz(-1), zz(-1), zz(-3)]) }], compression: gzip }, 'INVALID_RECORD'),
  rejected('zstd: a value length beyond the records', { records: [{ body: Buffer.concat([Buffer.from([0]), zz(0), zz(0), zz(-1), zz(500), v('abc'), zz(0)]) }], compression: zstd }, 'INVALID_RECORD'),

  // Compressed sections that do not decompress: Kafka wraps the stream error in a KafkaException.
  ...([CompressionType.gzip, CompressionType.snappy, CompressionType.lz4, CompressionType.zstd] as const).map((compression) =>
    rejected(`${codecFor(compression).name}: a section that does not decompress`, { records: [], count: 1, compression, rawPayload: Buffer.from('definitely not a compressed stream') }, 'UNKNOWN_SERVER_ERROR'),
  ),
  rejected('zstd: a truncated stream', { records: good, compression: zstd, truncatePayload: 6 }, 'UNKNOWN_SERVER_ERROR'),

  // Rewrites (LogValidator.assignOffsetsNonCompressed / validateMessagesAndAssignOffsetsCompressed).
  {
    name: 'a header maxTimestamp of Long.MAX is recomputed from the records (DefaultRecordBatch.setMaxTimestamp)',
    topics: { t: {} },
    steps: [
      rawProduceStep('uncompressed, maxTimestamp Long.MAX', { records: [{}, {}, {}], maxTimestamp: 0x7fffffffffffffffn }, 'NONE'),
      rawProduceStep('zstd, maxTimestamp Long.MAX', { records: [{}, {}], maxTimestamp: 0x7fffffffffffffffn, compression: zstd }, 'NONE'),
      rawProduceStep('uncompressed, maxTimestamp below the records', { records: [{}, { timestampDelta: 9 }], maxTimestamp: RECORD_TIMESTAMP - 5n }, 'NONE'),
      fetchStep('stored with the real max timestamps', 0n, { offsets: [0n, 1n, 2n, 3n, 4n, 5n, 6n], highWatermark: 7n }),
    ],
  },
  {
    name: 'a producer-set LogAppendTime bit on a CreateTime topic is stored as CreateTime (LogValidator.validateTimestamp, setMaxTimestamp)',
    topics: { t: {} },
    steps: [
      rawProduceStep('uncompressed, LogAppendTime bit', { records: [{}, { timestampDelta: 4 }], logAppendTimeBit: true }, 'NONE'),
      rawProduceStep('lz4, LogAppendTime bit', { records: [{}, {}], logAppendTimeBit: true, compression: CompressionType.lz4 }, 'NONE'),
      rawProduceStep('LogAppendTime bit and maxTimestamp -1', { records: [{}, {}], logAppendTimeBit: true, maxTimestamp: -1n }, 'INVALID_TIMESTAMP', { recordErrors: 2 }),
      fetchStep('stored as CreateTime', 0n, { offsets: [0n, 1n, 2n, 3n], highWatermark: 4n }),
    ],
  },
  {
    name: 'a producer-set LogAppendTime bit on a LogAppendTime topic is INVALID_TIMESTAMP (LogValidator.validateTimestamp)',
    topics: { t: { configs: { 'message.timestamp.type': 'LogAppendTime' } } },
    steps: [
      rawProduceStep('LogAppendTime bit', { records: [{}, {}], logAppendTimeBit: true }, 'INVALID_TIMESTAMP', { recordErrors: 2 }),
      rawProduceStep('gzip, LogAppendTime bit', { records: [{}], logAppendTimeBit: true, compression: gzip }, 'INVALID_TIMESTAMP', { recordErrors: 1 }),
      // The append time is each broker's clock.
      { ...rawProduceStep('CreateTime batch', { records: [{}] }, 'NONE'), allow: ['**.batchIndexErrorMessage', '**.logAppendTimeMs'] },
    ],
  },
  {
    name: 'record timestamps outside message.timestamp.before/after.max.ms are INVALID_TIMESTAMP per record (LogValidator.validateTimestamp, KIP-1030)',
    topics: { t: {}, old: { configs: { 'message.timestamp.before.max.ms': '60000' } } },
    steps: [
      rawProduceStep('a record 2 h ahead (after.max.ms defaults to 1 h)', { records: [{}, { timestampDelta: 7_200_000 }, {}] }, 'INVALID_TIMESTAMP', { recordErrors: 1 }),
      rawProduceStep('records 30 min ahead', { records: [{ timestampDelta: 1_800_000 }] }, 'NONE'),
      rawProduceStep('a record 1 h old on a topic allowing 1 min', { records: [{}, { timestampDelta: -3_600_000 }] }, 'INVALID_TIMESTAMP', { recordErrors: 1, topic: 'old' }),
      fetchStep('only the accepted batch', 0n, { offsets: [0n], highWatermark: 1n }),
    ],
  },
  {
    // Kafka means to rebuild a compressed batch with wrong inner offsets, but the rebuild reads keys its in-place
    // iterator skipped (PartialDefaultRecord): UNKNOWN_SERVER_ERROR, nothing stored. Uncompressed deltas are not
    // checked at all.
    name: 'inner offsets not 0..n-1: a compressed batch fails, an uncompressed one is stored as sent (LogValidator)',
    topics: { t: {} },
    steps: [
      rawProduceStep('gzip, offset deltas 1, 0', { records: [{ offsetDelta: 1 }, { offsetDelta: 0 }], compression: gzip }, 'UNKNOWN_SERVER_ERROR'),
      rawProduceStep('snappy, offset deltas 0, 5', { records: [{ offsetDelta: 0 }, { offsetDelta: 5 }], compression: CompressionType.snappy }, 'UNKNOWN_SERVER_ERROR'),
      rawProduceStep('uncompressed, offset deltas 0, 0', { records: [{ offsetDelta: 0 }, { offsetDelta: 0 }] }, 'NONE'),
      fetchStep('only the uncompressed batch, as sent', 0n, { offsets: [0n, 0n], highWatermark: 2n }),
    ],
  },
];

describeDifferentialScenarios('record validation and rewrites: Apache Kafka vs seqlog', scenarios, { suiteTimeoutMs: 600_000 });

