// Record-level validation (`walkRecords` through `validateBatchForAppend`) and the in-place rewrites
// (`prepareBatchForAppend`): each malformed-record defect gets Kafka's code in every codec, the walk's max
// timestamp matches the decoder's, and a property test mutates valid batches: whatever is accepted decodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrorCode } from '../errors/error-table.ts';
import { BatchAttribute, BatchField, CompressionType, RECORD_BATCH_OVERHEAD, isCrcValid, writeCrc } from './batch-header.ts';
import { codecFor } from './compression/codec-registry.ts';
import { decodeRecordBatch } from './record-batch-decoder.ts';
import { encodeRecordBatch } from './record-batch-encoder.ts';
import { prepareBatchForAppend } from './prepare-batch-for-append.ts';
import { BatchRejectReason, validateBatchForAppend } from './validate-batch-for-append.ts';

const BASE_TIMESTAMP = 1_700_000_000_000n;
const codecs = [CompressionType.none, CompressionType.gzip, CompressionType.snappy, CompressionType.lz4, CompressionType.zstd];

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

/** A record body (everything after the length prefix) from its fields, as raw pieces. */
const body = (...parts: Buffer[]) => Buffer.concat([Buffer.from([0]), ...parts]);
const withLength = (b: Buffer, length = b.length) => Buffer.concat([zz(length), b]);
const plainBody = (i: number, value = `value-${i}`) => body(zz(i), zz(i), zz(-1), zz(value.length), Buffer.from(value), zz(0));

/** A client batch around a raw records section, compressed with `compression`, with a valid CRC. */
function batchOf(section: Buffer, count: number, compression: CompressionType = CompressionType.none, attributes = 0): Buffer {
  const payload = compression === CompressionType.none ? section : codecFor(compression).compress(section);
  const batch = Buffer.alloc(RECORD_BATCH_OVERHEAD + payload.length);
  payload.copy(batch, RECORD_BATCH_OVERHEAD);
  batch.writeInt32BE(batch.length - 12, BatchField.batchLength);
  batch.writeInt32BE(-1, BatchField.partitionLeaderEpoch);
  batch.writeInt8(2, BatchField.magic);
  batch.writeInt16BE(compression | attributes, BatchField.attributes);
  batch.writeInt32BE(count - 1, BatchField.lastOffsetDelta);
  batch.writeBigInt64BE(BASE_TIMESTAMP, BatchField.baseTimestamp);
  batch.writeBigInt64BE(BASE_TIMESTAMP + BigInt(count - 1), BatchField.maxTimestamp);
  batch.writeBigInt64BE(-1n, BatchField.producerId);
  batch.writeInt16BE(-1, BatchField.producerEpoch);
  batch.writeInt32BE(-1, BatchField.baseSequence);
  batch.writeInt32BE(count, BatchField.recordsCount);
  writeCrc(batch, 0, batch.length);
  return batch;
}

const good = (i: number) => withLength(plainBody(i));

/** [defect, records section, declared count, code]. Codes as Apache Kafka 4.4 answers (test/differential). */
const defects: ReadonlyArray<readonly [string, Buffer, number, number]> = [
  ['record length beyond the records', Buffer.concat([good(0), withLength(plainBody(1), 200)]), 2, ErrorCode.INVALID_RECORD],
  ['record length shorter than its fields', Buffer.concat([withLength(plainBody(0), 5), good(1)]), 2, ErrorCode.INVALID_RECORD],
  ['record length longer than its fields', Buffer.concat([withLength(plainBody(0), 20), good(1)]), 2, ErrorCode.INVALID_RECORD],
  ['negative record length', Buffer.concat([withLength(plainBody(0), -3), good(1)]), 2, ErrorCode.INVALID_RECORD],
  ['key length beyond the record', withLength(body(zz(0), zz(0), zz(100), Buffer.from('k'), zz(-1), zz(0))), 1, ErrorCode.INVALID_RECORD],
  ['value length beyond the record', withLength(body(zz(0), zz(0), zz(-1), zz(50), Buffer.from('abc'), zz(0))), 1, ErrorCode.INVALID_RECORD],
  ['timestamp varlong longer than 10 bytes', withLength(body(Buffer.alloc(10, 0xff), Buffer.from([1]), zz(0), zz(-1), zz(-1), zz(0))), 1, ErrorCode.INVALID_RECORD],
  ['offset delta varint longer than 5 bytes', withLength(body(zz(0), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 1]), zz(-1), zz(-1), zz(0))), 1, ErrorCode.INVALID_RECORD],
  ['fewer records than recordsCount', Buffer.concat([good(0), good(1)]), 3, ErrorCode.INVALID_RECORD],
  ['bytes after the last record', Buffer.concat([good(0), good(1), Buffer.from([1, 2, 3])]), 2, ErrorCode.INVALID_RECORD],
  ['negative header count', withLength(body(zz(0), zz(0), zz(-1), zz(-1), zz(-3))), 1, ErrorCode.INVALID_RECORD],
  ['header count beyond the record', withLength(body(zz(0), zz(0), zz(-1), zz(-1), zz(40))), 1, ErrorCode.INVALID_RECORD],
  ['null header key', withLength(body(zz(0), zz(0), zz(-1), zz(-1), zz(1), zz(-1), zz(1), Buffer.from('x'))), 1, ErrorCode.INVALID_RECORD],
  ['header value beyond the record', withLength(body(zz(0), zz(0), zz(-1), zz(-1), zz(1), zz(1), Buffer.from('h'), zz(30), Buffer.from('x'))), 1, ErrorCode.INVALID_RECORD],
  ['record cut inside its length varint', Buffer.concat([good(0), Buffer.from([0xff, 0xff])]), 2, ErrorCode.INVALID_RECORD],
];

for (const compression of codecs) {
  const codec = codecFor(compression).name;
  for (const [defect, section, count, code] of defects) {
    test(`${codec}: ${defect} -> ${code === ErrorCode.INVALID_RECORD ? 'INVALID_RECORD' : code}`, () => {
      const result = validateBatchForAppend(batchOf(section, count, compression));
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.equal(result.code, code, result.message);
      assert.equal(result.reason, BatchRejectReason.invalidRecords);
    });
  }
}

test('an overlong record-length varint: UNKNOWN_SERVER_ERROR uncompressed (Kafka lets the exception escape), INVALID_RECORD compressed', () => {
  const section = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0, 0, 1, 1, 0]);
  const plain = validateBatchForAppend(batchOf(section, 1));
  assert.ok(!plain.ok && plain.code === ErrorCode.UNKNOWN_SERVER_ERROR);
  const zstd = validateBatchForAppend(batchOf(section, 1, CompressionType.zstd));
  assert.ok(!zstd.ok && zstd.code === ErrorCode.INVALID_RECORD);
});

test('compressed inner offsets other than 0..n-1 are refused (UNKNOWN_SERVER_ERROR, as Kafka), uncompressed ones are not checked', () => {
  const swapped = Buffer.concat([withLength(body(zz(0), zz(1), zz(-1), zz(-1), zz(0))), withLength(body(zz(0), zz(0), zz(-1), zz(-1), zz(0)))]);
  const gzip = validateBatchForAppend(batchOf(swapped, 2, CompressionType.gzip));
  assert.ok(!gzip.ok && gzip.code === ErrorCode.UNKNOWN_SERVER_ERROR && gzip.reason === BatchRejectReason.innerOffsetsOutOfOrder);
  const plain = validateBatchForAppend(batchOf(swapped, 2));
  assert.ok(plain.ok);
  assert.equal(plain.records.offsetDeltasInOrder, false);
});

test('a compressed section that does not decompress is UNKNOWN_SERVER_ERROR, as in Kafka; a bomb stops at the cap', () => {
  for (const compression of codecs.slice(1)) {
    const garbage = batchOf(Buffer.alloc(0), 1, CompressionType.none);
    const broken = Buffer.concat([garbage.subarray(0, RECORD_BATCH_OVERHEAD), Buffer.from('definitely not a compressed stream')]);
    broken.writeInt32BE(broken.length - 12, BatchField.batchLength);
    broken.writeInt16BE(compression, BatchField.attributes);
    writeCrc(broken, 0, broken.length);
    const result = validateBatchForAppend(broken);
    assert.ok(!result.ok && result.code === ErrorCode.UNKNOWN_SERVER_ERROR && result.reason === BatchRejectReason.undecompressable, codecFor(compression).name);
  }
  const records = Array.from({ length: 64 }, () => ({ key: null, value: Buffer.alloc(64 * 1024), timestamp: BASE_TIMESTAMP }));
  const bomb = encodeRecordBatch({ records, compression: CompressionType.zstd });
  assert.ok(bomb.length < 64 * 1024, 'a few KiB that expand to 4 MiB');
  const capped = validateBatchForAppend(bomb, { maxDecompressedBytes: 1024 * 1024 });
  assert.ok(!capped.ok && capped.code === ErrorCode.UNKNOWN_SERVER_ERROR && capped.reason === BatchRejectReason.undecompressable);
  assert.ok(validateBatchForAppend(bomb).ok, 'under the default cap it is a valid batch');
});

test('a compressed record whose length disagrees with its fields is refused, although Kafka stores it', () => {
  const section = Buffer.concat([withLength(plainBody(0), 20), good(1)]);
  for (const compression of codecs.slice(1)) assert.equal(validateBatchForAppend(batchOf(section, 2, compression)).ok, false);
});

test('the walk computes the max record timestamp the decoder sees, including large and negative deltas', () => {
  const deltas = [0, 5, -7, 2 ** 40, -(2 ** 50), 3];
  const section = Buffer.concat(
    deltas.map((delta, i) => {
      const raw = BigInt.asUintN(64, (BigInt(delta) << 1n) ^ (BigInt(delta) >> 63n));
      const bytes: number[] = [];
      let v = raw;
      while (v >= 0x80n) {
        bytes.push(Number(v & 0x7fn) | 0x80);
        v >>= 7n;
      }
      bytes.push(Number(v));
      return withLength(body(Buffer.from(bytes), zz(i), zz(-1), zz(-1), zz(0)));
    }),
  );
  for (const compression of [CompressionType.none, CompressionType.lz4]) {
    const batch = batchOf(section, deltas.length, compression);
    const result = validateBatchForAppend(batch);
    assert.ok(result.ok);
    const decoded = decodeRecordBatch(batch);
    const expected = decoded.records.reduce((max, r) => (r.timestamp > max ? r.timestamp : max), -1n);
    assert.equal(result.records.maxTimestamp, expected);
    assert.equal(result.records.maxTimestamp, BASE_TIMESTAMP + 2n ** 40n);
  }
});

test('prepareBatchForAppend: a Long.MAX header max timestamp is recomputed in place with a new CRC', () => {
  const batch = encodeRecordBatch({ records: [0n, 9n, 4n].map((d) => ({ key: null, value: Buffer.from('v'), timestamp: BASE_TIMESTAMP + d })) });
  batch.writeBigInt64BE(0x7fffffffffffffffn, BatchField.maxTimestamp);
  writeCrc(batch, 0, batch.length);
  const result = validateBatchForAppend(batch);
  assert.ok(result.ok);
  const prepared = prepareBatchForAppend(batch, result.header, result.records, 'CreateTime');
  assert.equal(prepared, batch, 'in place');
  assert.equal(batch.readBigInt64BE(BatchField.maxTimestamp), BASE_TIMESTAMP + 9n);
  assert.equal(result.header.maxTimestamp, BASE_TIMESTAMP + 9n);
  assert.ok(isCrcValid(batch, 0, batch.length));
});

test('prepareBatchForAppend: a producer-set LogAppendTime bit becomes CreateTime with the batch max timestamp; unused bits dropped', () => {
  const batch = encodeRecordBatch({ records: [0n, 1n].map((d) => ({ key: null, value: Buffer.from('v'), timestamp: BASE_TIMESTAMP + d })) });
  batch.writeInt16BE(BatchAttribute.timestampTypeLogAppendTime | 0x100, BatchField.attributes);
  writeCrc(batch, 0, batch.length);
  const result = validateBatchForAppend(batch);
  assert.ok(result.ok);
  prepareBatchForAppend(batch, result.header, result.records, 'CreateTime');
  assert.equal(batch.readInt16BE(BatchField.attributes), 0);
  assert.equal(batch.readBigInt64BE(BatchField.maxTimestamp), BASE_TIMESTAMP + 1n, 'records read as LogAppendTime carried the header max');
  assert.ok(isCrcValid(batch, 0, batch.length));
  const onLogAppendTopic = validateBatchForAppend(encodeRecordBatch({ records: [{ key: null, value: null, timestamp: 1n }], timestampType: 1 }), { timestampType: 'LogAppendTime' });
  assert.ok(!onLogAppendTopic.ok && onLogAppendTopic.code === ErrorCode.INVALID_TIMESTAMP && onLogAppendTopic.recordErrors?.length === 1);
});

test('prepareBatchForAppend leaves a batch Kafka would not touch byte for byte', () => {
  const batch = encodeRecordBatch({ records: [0n, 1n].map((d) => ({ key: null, value: Buffer.from('v'), timestamp: BASE_TIMESTAMP + d })), compression: CompressionType.zstd });
  const copy = Buffer.from(batch);
  const result = validateBatchForAppend(batch);
  assert.ok(result.ok);
  prepareBatchForAppend(batch, result.header, result.records, 'CreateTime');
  assert.ok(batch.equals(copy));
});

// Property: take a valid batch (random keys, values, headers, codec), corrupt bytes of its records (before
// compression, so the stream still decompresses and the walk is what is tested; or after, so the codec is),
// fix the CRC so that the record checks are reached, and validate: either it is rejected, or every record decodes.
const recordArb = fc.record({
  key: fc.option(fc.uint8Array({ maxLength: 20 }), { nil: null }),
  value: fc.option(fc.uint8Array({ maxLength: 60 }), { nil: null }),
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 8 }), value: fc.option(fc.uint8Array({ maxLength: 8 }), { nil: null }) }), { maxLength: 3 }),
  timestamp: fc.bigInt({ min: BASE_TIMESTAMP - 1000n, max: BASE_TIMESTAMP + 1000n }),
});

test('property: a mutated batch is either rejected or every stored record decodes', () => {
  fc.assert(
    fc.property(
      fc.array(recordArb, { minLength: 1, maxLength: 8 }),
      fc.constantFrom(...codecs),
      fc.boolean(),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
      (records, compression, beforeCompression, flips) => {
        const plain = encodeRecordBatch({ records });
        const section = Buffer.from(plain.subarray(RECORD_BATCH_OVERHEAD));
        let batch: Buffer;
        if (beforeCompression || compression === CompressionType.none) {
          for (const [at, xor] of flips) section[at % section.length] ^= xor;
          batch = batchOf(section, records.length, compression);
        } else {
          batch = batchOf(section, records.length, compression);
          for (const [at, xor] of flips) batch[RECORD_BATCH_OVERHEAD + (at % (batch.length - RECORD_BATCH_OVERHEAD))] ^= xor;
          writeCrc(batch, 0, batch.length);
        }
        const result = validateBatchForAppend(batch);
        if (!result.ok) {
          assert.ok([ErrorCode.INVALID_RECORD, ErrorCode.CORRUPT_MESSAGE, ErrorCode.UNKNOWN_SERVER_ERROR].includes(result.code as never), result.message);
          return;
        }
        prepareBatchForAppend(batch, result.header, result.records, 'CreateTime');
        const decoded = decodeRecordBatch(batch);
        assert.equal(decoded.records.length, records.length);
        assert.equal(decoded.maxTimestamp, decoded.records.reduce((max, r) => (r.timestamp > max ? r.timestamp : max), -1n));
      },
    ),
    { numRuns: 1500 },
  );
});

test('CreateTime range check (message.timestamp.before/after.max.ms): out-of-range records are INVALID_TIMESTAMP, each named', () => {
  const now = 1_800_000_000_000;
  const records = [0n, -10_000n, 7_200_000n, 30n].map((offset) => ({ key: null, value: Buffer.from('v'), timestamp: BigInt(now) + offset }));
  for (const compression of [CompressionType.none, CompressionType.gzip]) {
    const batch = encodeRecordBatch({ records, compression });
    const kafkaDefaults = { nowMs: now, timestampBeforeMaxMs: 0x7fffffffffffffffn, timestampAfterMaxMs: 3_600_000n };
    const future = validateBatchForAppend(batch, kafkaDefaults);
    assert.ok(!future.ok && future.code === ErrorCode.INVALID_TIMESTAMP);
    assert.deepEqual(future.recordErrors?.map((e) => e.batchIndex), [2], 'two hours ahead is beyond the 1 h default');
    const bothSides = validateBatchForAppend(batch, { ...kafkaDefaults, timestampBeforeMaxMs: 5_000n });
    assert.ok(!bothSides.ok);
    assert.deepEqual(bothSides.recordErrors?.map((e) => e.batchIndex), [1, 2]);
    assert.ok(validateBatchForAppend(batch, { ...kafkaDefaults, timestampAfterMaxMs: 7_200_000n }).ok, 'inclusive bound');
    assert.ok(validateBatchForAppend(batch, { ...kafkaDefaults, timestampType: 'LogAppendTime' }).ok, 'LogAppendTime topics do not range-check');
    assert.ok(validateBatchForAppend(batch).ok, 'no clock, no range check');
  }
  const noTimestamp = encodeRecordBatch({ records: [{ key: null, value: null, timestamp: -1n }] });
  assert.ok(validateBatchForAppend(noTimestamp, { nowMs: now, timestampBeforeMaxMs: 0n, timestampAfterMaxMs: 0n }).ok, 'a record without a timestamp is not range-checked');
});
