import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Writer } from '../wire/writer.ts';
import { ErrorCode } from '../errors/error-table.ts';
import { crc32cSlicingBy8 } from '../../../bench/crc32c-slicing-by-8.ts';
import {
  BatchField,
  CompressionType,
  incrementSequence,
  isCrcValid,
  RECORD_BATCH_OVERHEAD,
  writeCrc,
} from './batch-header.ts';
import { encodeRecordBatch, type RecordBatchInput } from './record-batch-encoder.ts';
import { batchSpans, decodeRecordBatch, iterateRecordBatches } from './record-batch-decoder.ts';
import { RecordBatchError } from './record-batch-error.ts';
import { codecFor } from './compression/codec-registry.ts';
import { TimestampType, type RecordInput } from './record-types.ts';
import { validateBatchForAppend } from './validate-batch-for-append.ts';

const codecs = [
  CompressionType.none,
  CompressionType.gzip,
  CompressionType.snappy,
  CompressionType.lz4,
  CompressionType.zstd,
] as const;

const recordArbitrary = (baseTimestamp: bigint): fc.Arbitrary<RecordInput> =>
  fc.record({
    key: fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null }),
    value: fc.option(fc.uint8Array({ maxLength: 300 }), { nil: null }),
    headers: fc.array(
      fc.record({
        // A few keys repeat across records (the decoder reuses a repeated key's string), some of equal length.
        key: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.constantFrom('trace', 'tracf', 'span', '', 'é')),
        value: fc.option(fc.uint8Array({ maxLength: 20 }), { nil: null }),
      }),
      { maxLength: 4 },
    ),
    timestamp: fc.oneof(
      fc.bigInt(-1000n, 1000n),
      fc.bigInt(-(2n ** 45n), 2n ** 45n),
      fc.constantFrom(0n, 1n, 2n ** 31n - 1n, -(2n ** 31n), 2n ** 31n),
    ).map((delta) => baseTimestamp + delta),
  });

const batchArbitrary = (compression: CompressionType): fc.Arbitrary<RecordBatchInput> =>
  // Base timestamps past 2^53 take the decoder's bigint path, the rest its number path.
  fc.oneof(fc.bigInt(0n, 2n ** 50n), fc.bigInt(2n ** 53n, 2n ** 62n)).chain((baseTimestamp) =>
    fc.record({
      compression: fc.constant(compression),
      records: fc.array(recordArbitrary(baseTimestamp), { minLength: 1, maxLength: 12 }),
      baseOffset: fc.oneof(fc.bigInt(0n, 2n ** 62n), fc.bigInt(2n ** 53n - 20n, 2n ** 53n + 20n)),
      partitionLeaderEpoch: fc.integer({ min: -1, max: 0x7fffffff }),
      producerId: fc.bigInt(-1n, 2n ** 63n - 1n),
      producerEpoch: fc.integer({ min: -1, max: 0x7fff }),
      baseSequence: fc.integer({ min: -1, max: 0x7fffffff }),
      isTransactional: fc.boolean(),
    }),
  );

for (const compression of codecs) {
  test(`round trip of random batches, compression ${compression}`, () => {
    fc.assert(
      fc.property(batchArbitrary(compression), (input) => {
        const bytes = encodeRecordBatch(input);
        const batch = decodeRecordBatch(bytes);
        assert.equal(batch.size, bytes.length);
        assert.equal(batch.batchLength, bytes.length - 12);
        assert.equal(batch.magic, 2);
        assert.equal(batch.compression, compression);
        assert.equal(batch.baseOffset, input.baseOffset);
        assert.equal(batch.partitionLeaderEpoch, input.partitionLeaderEpoch);
        assert.equal(batch.producerId, input.producerId);
        assert.equal(batch.producerEpoch, input.producerEpoch);
        assert.equal(batch.baseSequence, input.baseSequence);
        assert.equal(batch.isTransactional, input.isTransactional);
        assert.equal(batch.isControl, false);
        assert.equal(batch.timestampType, TimestampType.createTime);
        assert.equal(batch.recordsCount, input.records.length);
        assert.equal(batch.lastOffsetDelta, input.records.length - 1);
        assert.equal(batch.lastOffset, (input.baseOffset ?? 0n) + BigInt(input.records.length - 1));
        assert.equal(batch.baseTimestamp, input.records[0].timestamp);
        const max = input.records.reduce((m, r) => (r.timestamp > m ? r.timestamp : m), input.records[0].timestamp);
        assert.equal(batch.maxTimestamp, max);
        assert.equal(batch.crc, crc32cSlicingBy8(bytes.subarray(21)));
        batch.records.forEach((record, i) => {
          const sent = input.records[i];
          assert.equal(record.offsetDelta, i);
          assert.equal(record.offset, (input.baseOffset ?? 0n) + BigInt(i));
          assert.equal(record.timestamp, sent.timestamp);
          assert.equal(record.sequence, input.baseSequence! >= 0 ? incrementSequence(input.baseSequence!, i) : -1);
          assert.deepEqual(record.key === null ? null : new Uint8Array(record.key), sent.key);
          assert.deepEqual(record.value === null ? null : new Uint8Array(record.value), sent.value);
          assert.deepEqual(
            record.headers.map((h) => ({ key: h.key, value: h.value === null ? null : new Uint8Array(h.value) })),
            (sent.headers ?? []).map((h) => ({ key: h.key, value: h.value })),
          );
        });
        assert.equal(validateBatchForAppend(bytes, { origin: 'replication' }).ok, true);
      }),
      { numRuns: 40 },
    );
  });
}

/** Builds a batch by hand, byte by byte, without the encoder. */
function handBuiltBatch(records: Buffer, count: number, attributes = 0): Buffer {
  const header = Buffer.alloc(RECORD_BATCH_OVERHEAD);
  header.writeBigInt64BE(0n, 0);
  header.writeInt32BE(RECORD_BATCH_OVERHEAD - 12 + records.length, 8);
  header.writeInt32BE(-1, 12);
  header.writeInt8(2, 16);
  header.writeInt16BE(attributes, 21);
  header.writeInt32BE(count - 1, 23);
  header.writeBigInt64BE(1_700_000_000_000n, 27);
  header.writeBigInt64BE(1_700_000_000_000n, 35);
  header.writeBigInt64BE(-1n, 43);
  header.writeInt16BE(-1, 51);
  header.writeInt32BE(-1, 53);
  header.writeInt32BE(count, 57);
  const batch = Buffer.concat([header, records]);
  batch.writeUInt32BE(crc32cSlicingBy8(batch.subarray(21)), 17);
  return batch;
}

test('known answer: a hand-built batch equals the encoder output byte for byte', () => {
  // One record, key "k", value "v", one header ("h1" -> "x"), timestampDelta 0. Body (13 bytes):
  //   attributes 00, timestampDelta 00, offsetDelta 00, keyLength 02 (zigzag 1) 'k', valueLength 02 'v',
  //   headerCount 02, headerKeyLength 04 (zigzag 2) 'h' '1', headerValueLength 02 'x'
  // Length prefix: zigzag(13) = 26 = 0x1a.
  const record = Buffer.from([0x1a, 0x00, 0x00, 0x00, 0x02, 0x6b, 0x02, 0x76, 0x02, 0x04, 0x68, 0x31, 0x02, 0x78]);
  const expected = handBuiltBatch(record, 1);
  assert.equal(expected.length, 61 + 14);
  // baseOffset 0, batchLength 63 (75 - 12), leader epoch -1, magic 2, then the CRC the pure-JS
  // implementation computed over [21, 75): pinned so a change in either CRC path shows up here.
  assert.equal(expected.subarray(0, 21).toString('hex'), '0000000000000000' + '0000003f' + 'ffffffff' + '02' + 'd2151133');
  const encoded = encodeRecordBatch({
    partitionLeaderEpoch: -1,
    records: [{ key: Buffer.from('k'), value: Buffer.from('v'), headers: [{ key: 'h1', value: Buffer.from('x') }], timestamp: 1_700_000_000_000n }],
  });
  assert.equal(encoded.toString('hex'), expected.toString('hex'));
  assert.equal(encoded.readUInt32BE(BatchField.crc), crc32cSlicingBy8(expected.subarray(21)));
  assert.ok(isCrcValid(encoded, 0, encoded.length));
  const decoded = decodeRecordBatch(expected);
  assert.equal(decoded.records[0].key?.toString(), 'k');
  assert.equal(decoded.records[0].headers[0].key, 'h1');
  assert.equal(decoded.records[0].headers[0].value?.toString(), 'x');
});

test('known answer: the CRC covers [attributes, end) only', () => {
  const batch = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('v'), timestamp: 5n }] });
  const crc = batch.readUInt32BE(BatchField.crc);
  batch.writeBigInt64BE(123456789n, BatchField.baseOffset);
  batch.writeInt32BE(77, BatchField.partitionLeaderEpoch);
  assert.ok(isCrcValid(batch, 0, batch.length), 'baseOffset and leader epoch are outside the CRC');
  batch.writeBigInt64BE(6n, BatchField.maxTimestamp);
  assert.equal(isCrcValid(batch, 0, batch.length), false, 'maxTimestamp is inside the CRC');
  assert.equal(crc, crc32cSlicingBy8(encodeRecordBatch({ records: [{ key: null, value: Buffer.from('v'), timestamp: 5n }] }).subarray(21)));
});

test('LogAppendTime batches report maxTimestamp for every record', () => {
  const bytes = encodeRecordBatch({
    timestampType: TimestampType.logAppendTime,
    maxTimestamp: 999n,
    records: [
      { key: null, value: null, timestamp: 1n },
      { key: null, value: null, timestamp: 2n },
    ],
  });
  const batch = decodeRecordBatch(bytes);
  assert.equal(batch.timestampType, TimestampType.logAppendTime);
  assert.deepEqual(batch.records.map((r) => r.timestamp), [999n, 999n]);
});

test('a batch crossing the sequence wrap numbers its records through 0', () => {
  const bytes = encodeRecordBatch({
    producerId: 1n,
    producerEpoch: 0,
    baseSequence: 0x7ffffffe,
    records: [0n, 1n, 2n].map((timestamp) => ({ key: null, value: null, timestamp })),
  });
  assert.deepEqual(decodeRecordBatch(bytes).records.map((r) => r.sequence), [0x7ffffffe, 0x7fffffff, 0]);
});

test('encoding an empty batch is refused', () => {
  assert.throws(() => encodeRecordBatch({ records: [] }), RangeError);
});

function expectCode(fn: () => unknown, code: number, pattern?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof RecordBatchError, `expected RecordBatchError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (pattern) assert.match(error.message, pattern);
    return true;
  });
}

/** A record written field by field, so tests can lie in any field. */
function rawRecord(fields: {
  length?: number;
  headers?: ReadonlyArray<readonly [number, Buffer | null, number, Buffer | null]>;
  headerCount?: number;
  extra?: Buffer;
}): Buffer {
  const body = new Writer();
  body.int8(0).varint(0).varint(0).varint(1).raw(Buffer.from('k')).varint(1).raw(Buffer.from('v'));
  const headers = fields.headers ?? [];
  body.varint(fields.headerCount ?? headers.length);
  for (const [keyLength, key, valueLength, value] of headers) {
    body.varint(keyLength);
    if (key) body.raw(key);
    body.varint(valueLength);
    if (value) body.raw(value);
  }
  if (fields.extra) body.raw(fields.extra);
  const bodyBytes = body.finish();
  return Buffer.concat([new Writer().varint(fields.length ?? bodyBytes.length).finish(), bodyBytes]);
}

test('a well-formed hand-built record decodes', () => {
  const batch = decodeRecordBatch(handBuiltBatch(rawRecord({ headers: [[1, Buffer.from('a'), -1, null]] }), 1));
  assert.equal(batch.records[0].headers[0].key, 'a');
  assert.equal(batch.records[0].headers[0].value, null);
});

test('a record whose length does not match what it holds is INVALID_RECORD', () => {
  const tooLong = rawRecord({ length: 9, extra: Buffer.from([0]) });
  // Declared 9 bytes but its fields occupy 8: the ninth byte is unread payload.
  expectCode(() => decodeRecordBatch(handBuiltBatch(tooLong, 1)), ErrorCode.INVALID_RECORD, /invalid record size/);
  const tooShort = Buffer.concat([Buffer.from([0x0e]), rawRecord({}).subarray(1)]); // declares 7 of 8 bytes
  expectCode(() => decodeRecordBatch(handBuiltBatch(tooShort, 1)), ErrorCode.INVALID_RECORD);
});

test('a negative header count is INVALID_RECORD', () => {
  expectCode(() => decodeRecordBatch(handBuiltBatch(rawRecord({ headerCount: -1 }), 1)), ErrorCode.INVALID_RECORD, /headers -1/);
});

test('a null header key is INVALID_RECORD', () => {
  const record = rawRecord({ headers: [[-1, null, 1, Buffer.from('x')]] });
  expectCode(() => decodeRecordBatch(handBuiltBatch(record, 1)), ErrorCode.INVALID_RECORD, /negative header key/);
});

test('bytes left after recordsCount records are INVALID_RECORD', () => {
  const records = Buffer.concat([rawRecord({}), Buffer.from([0x00])]);
  expectCode(() => decodeRecordBatch(handBuiltBatch(records, 1)), ErrorCode.INVALID_RECORD, /remain after 1 records/);
});

test('fewer records than recordsCount is INVALID_RECORD', () => {
  expectCode(() => decodeRecordBatch(handBuiltBatch(rawRecord({}), 2)), ErrorCode.INVALID_RECORD, /invalid record structure/);
});

test('a negative record count is INVALID_RECORD', () => {
  const batch = handBuiltBatch(rawRecord({}), 1);
  batch.writeInt32BE(-3, BatchField.recordsCount);
  writeCrc(batch, 0, batch.length);
  expectCode(() => decodeRecordBatch(batch), ErrorCode.INVALID_RECORD, /record count -3/);
});

test('compressed sections get the same checks, and garbage streams are CORRUPT_MESSAGE', () => {
  for (const compression of codecs.slice(1)) {
    const codec = codecFor(compression);
    const trailing = codec.compress(Buffer.concat([rawRecord({}), Buffer.from([1, 2])]));
    expectCode(() => decodeRecordBatch(handBuiltBatch(trailing, 1, compression)), ErrorCode.INVALID_RECORD);
    const short = codec.compress(rawRecord({}));
    expectCode(() => decodeRecordBatch(handBuiltBatch(short, 2, compression)), ErrorCode.INVALID_RECORD);
    const garbage = Buffer.from('definitely not a compressed stream of records');
    expectCode(() => decodeRecordBatch(handBuiltBatch(garbage, 1, compression)), ErrorCode.CORRUPT_MESSAGE);
  }
});

test('a bad CRC is CORRUPT_MESSAGE; verification can be skipped', () => {
  const batch = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('hello'), timestamp: 1n }] });
  batch[batch.length - 2] ^= 0xff;
  expectCode(() => decodeRecordBatch(batch), ErrorCode.CORRUPT_MESSAGE, /crc/);
  assert.equal(decodeRecordBatch(batch, { verifyCrc: false }).records.length, 1);
});

test('framing errors: old magic, unknown codec, too-small and truncated batches', () => {
  const batch = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('x'), timestamp: 1n }] });
  const oldMagic = Buffer.from(batch);
  oldMagic.writeInt8(1, BatchField.magic);
  expectCode(() => decodeRecordBatch(oldMagic), ErrorCode.INVALID_RECORD, /magic 1/);
  const unknownCodec = Buffer.from(batch);
  unknownCodec.writeInt16BE(6, BatchField.attributes);
  writeCrc(unknownCodec, 0, unknownCodec.length);
  expectCode(() => decodeRecordBatch(unknownCodec), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  const tooSmall = Buffer.from(batch);
  tooSmall.writeInt32BE(40, BatchField.batchLength);
  expectCode(() => decodeRecordBatch(tooSmall), ErrorCode.CORRUPT_MESSAGE, /smaller than the minimum/);
  expectCode(() => decodeRecordBatch(batch.subarray(0, batch.length - 1)), ErrorCode.CORRUPT_MESSAGE, /truncated/);
});

test('a records blob yields its complete batches and ignores a partial last one', () => {
  const batches = [0, 1, 2].map((i) =>
    encodeRecordBatch({
      baseOffset: BigInt(i * 10),
      compression: codecs[i + 1],
      records: [{ key: null, value: Buffer.from(`batch ${i}`), timestamp: BigInt(i) }],
    }),
  );
  const fourth = encodeRecordBatch({ baseOffset: 30n, records: [{ key: null, value: Buffer.alloc(100), timestamp: 3n }] });
  for (const cut of [1, 12, 17, 60, fourth.length - 1]) {
    const blob = Buffer.concat([...batches, fourth.subarray(0, cut)]);
    const decoded = [...iterateRecordBatches(blob)];
    assert.deepEqual(decoded.map((b) => b.baseOffset), [0n, 10n, 20n], `cut at ${cut}`);
    assert.deepEqual(decoded.map((b) => b.records[0].value?.toString()), ['batch 0', 'batch 1', 'batch 2']);
    assert.deepEqual([...batchSpans(blob)].map((s) => s.at), [0, batches[0].length, batches[0].length + batches[1].length]);
  }
  assert.equal([...iterateRecordBatches(Buffer.alloc(0))].length, 0);
});
