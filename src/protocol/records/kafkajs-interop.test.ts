// Cross-checks our record batches against an independent implementation: KafkaJS's own magic-2 encoder and
// decoder (uncompressed and gzip, the codecs KafkaJS ships).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { CompressionType } from './batch-header.ts';
import { encodeRecordBatch } from './record-batch-encoder.ts';
import { decodeRecordBatch } from './record-batch-decoder.ts';

const require = createRequire(import.meta.url);

interface KafkaJsEncoder {
  buffer: Buffer;
}
interface KafkaJsDecodedRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: { [key: string]: Buffer | null };
  offset: string;
  timestamp: string;
}
interface KafkaJsDecodedBatch {
  firstOffset: string;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  inTransaction: boolean;
  maxTimestamp: string;
  records: KafkaJsDecodedRecord[];
}
type Long = { fromValue(value: string | number): unknown };

const Long = require('kafkajs/src/utils/long.js') as Long;
const kafkaJsRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (record: {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: { [key: string]: Buffer };
}) => KafkaJsEncoder;
const { RecordBatch: kafkaJsRecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: (batch: {
  compression: number;
  firstOffset: unknown;
  firstTimestamp: number;
  maxTimestamp: number;
  partitionLeaderEpoch: number;
  lastOffsetDelta: number;
  transactional: boolean;
  producerId: unknown;
  producerEpoch: number;
  firstSequence: number;
  records: KafkaJsEncoder[];
}) => Promise<KafkaJsEncoder> };
const kafkaJsDecodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (decoder: unknown) => Promise<KafkaJsDecodedBatch>;
const KafkaJsDecoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => unknown;

const base = 1_700_000_000_000;
const sample: ReadonlyArray<{ key: Buffer | null; value: Buffer | null; headers: { [key: string]: Buffer }; delta: number }> = [
  { key: Buffer.from('user-1'), value: Buffer.from('{"a":1}'), headers: { trace: Buffer.from('t1') }, delta: 0 },
  { key: null, value: Buffer.from('tombstone-next'), headers: {}, delta: 3 },
  { key: Buffer.from('user-2'), value: null, headers: { a: Buffer.from(''), 'ü': Buffer.from('x') }, delta: 250 },
];

for (const compression of [CompressionType.none, CompressionType.gzip]) {
  test(`KafkaJS-encoded batch (compression ${compression}) decodes to the same records`, async () => {
    const encoded = await kafkaJsRecordBatch({
      compression,
      firstOffset: Long.fromValue(0),
      firstTimestamp: base,
      maxTimestamp: base + 250,
      partitionLeaderEpoch: -1,
      lastOffsetDelta: sample.length - 1,
      transactional: true,
      producerId: Long.fromValue('9007199254740993'),
      producerEpoch: 4,
      firstSequence: 77,
      records: sample.map((r, i) => kafkaJsRecord({ offsetDelta: i, timestampDelta: r.delta, key: r.key, value: r.value, headers: r.headers })),
    });
    // KafkaJS writes the records count as part of its array; the result is a complete magic-2 batch.
    const batch = decodeRecordBatch(encoded.buffer);
    assert.equal(batch.producerId, 9007199254740993n);
    assert.equal(batch.producerEpoch, 4);
    assert.equal(batch.baseSequence, 77);
    assert.equal(batch.isTransactional, true);
    assert.equal(batch.compression, compression);
    assert.deepEqual(batch.records.map((r) => r.sequence), [77, 78, 79]);
    batch.records.forEach((record, i) => {
      assert.equal(record.timestamp, BigInt(base + sample[i].delta));
      assert.deepEqual(record.key, sample[i].key);
      assert.deepEqual(record.value, sample[i].value);
      assert.deepEqual(
        Object.fromEntries(record.headers.map((h) => [h.key, h.value])),
        sample[i].headers,
      );
    });
  });

  test(`our batch (compression ${compression}) decodes in KafkaJS`, async () => {
    const bytes = encodeRecordBatch({
      compression,
      producerId: 12n,
      producerEpoch: 2,
      baseSequence: 5,
      isTransactional: true,
      records: sample.map((r) => ({
        key: r.key,
        value: r.value,
        headers: Object.entries(r.headers).map(([key, value]) => ({ key, value })),
        timestamp: BigInt(base + r.delta),
      })),
    });
    const decoded = await kafkaJsDecodeBatch(new KafkaJsDecoder(bytes));
    assert.equal(decoded.producerId, '12');
    assert.equal(decoded.producerEpoch, 2);
    assert.equal(decoded.firstSequence, 5);
    assert.equal(decoded.inTransaction, true);
    assert.equal(decoded.maxTimestamp, String(base + 250));
    assert.deepEqual(decoded.records.map((r) => r.offset), ['0', '1', '2']);
    decoded.records.forEach((record, i) => {
      assert.equal(record.timestamp, String(base + sample[i].delta));
      assert.deepEqual(record.key, sample[i].key);
      assert.deepEqual(record.value, sample[i].value);
      assert.deepEqual({ ...record.headers }, sample[i].headers);
    });
  });
}
