import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../errors/error-table.ts';
import { BatchField, writeCrc } from './batch-header.ts';
import { encodeRecordBatch, type RecordBatchInput } from './record-batch-encoder.ts';
import { encodeEndTransactionMarkerBatch, ControlRecordType } from './control-record.ts';
import { AppendOrigin, BatchRejectReason, validateBatchForAppend } from './validate-batch-for-append.ts';

const idempotent: RecordBatchInput = {
  producerId: 42n,
  producerEpoch: 3,
  baseSequence: 10,
  records: [1n, 2n, 3n].map((timestamp) => ({ key: null, value: Buffer.from(`v${timestamp}`), timestamp })),
};

function mutated(change: (batch: Buffer) => void, recomputeCrc = true, input: RecordBatchInput = idempotent): Buffer {
  const batch = encodeRecordBatch(input);
  change(batch);
  if (recomputeCrc) writeCrc(batch, 0, batch.length);
  return batch;
}

test('a well-formed idempotent client batch is accepted with its header', () => {
  const batch = encodeRecordBatch(idempotent);
  const result = validateBatchForAppend(batch);
  assert.equal(result.ok, true);
  if (!result.ok) return;
  assert.equal(result.size, batch.length);
  assert.equal(result.header.producerId, 42n);
  assert.equal(result.header.baseSequence, 10);
  assert.equal(result.header.recordsCount, 3);
});

const cases: ReadonlyArray<readonly [string, () => Buffer, number, BatchRejectReason]> = [
  ['fewer bytes than a header up to magic', () => encodeRecordBatch(idempotent).subarray(0, 10), ErrorCode.CORRUPT_MESSAGE, 'truncated'],
  ['batchLength larger than the bytes sent', () => encodeRecordBatch(idempotent).subarray(0, 70), ErrorCode.INVALID_RECORD, 'size-mismatch'],
  ['trailing bytes after the batch', () => Buffer.concat([encodeRecordBatch(idempotent), Buffer.alloc(3)]), ErrorCode.INVALID_RECORD, 'not-one-batch'],
  ['two batches', () => Buffer.concat([encodeRecordBatch(idempotent), encodeRecordBatch(idempotent)]), ErrorCode.INVALID_RECORD, 'not-one-batch'],
  ['magic 0', () => mutated((b) => b.writeInt8(0, BatchField.magic), false), ErrorCode.INVALID_RECORD, 'old-message-format'],
  ['magic 1', () => mutated((b) => b.writeInt8(1, BatchField.magic), false), ErrorCode.INVALID_RECORD, 'old-message-format'],
  ['magic 3', () => mutated((b) => b.writeInt8(3, BatchField.magic), false), ErrorCode.INVALID_RECORD, 'unknown-magic'],
  [
    'batch smaller than the 61-byte header',
    () => mutated((b) => b.writeInt32BE(40, BatchField.batchLength), false).subarray(0, 52),
    ErrorCode.CORRUPT_MESSAGE,
    'too-small',
  ],
  ['compression id 5', () => mutated((b) => b.writeInt16BE(5, BatchField.attributes)), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'unknown-compression'],
  ['compression id 7', () => mutated((b) => b.writeInt16BE(7, BatchField.attributes)), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'unknown-compression'],
  ['client baseOffset not 0', () => mutated((b) => b.writeBigInt64BE(5n, BatchField.baseOffset), false), ErrorCode.INVALID_RECORD, 'non-zero-base-offset'],
  ['corrupted payload byte', () => mutated((b) => (b[b.length - 1] ^= 1), false), ErrorCode.CORRUPT_MESSAGE, 'crc-mismatch'],
  ['corrupted stored CRC', () => mutated((b) => b.writeUInt32BE(b.readUInt32BE(BatchField.crc) ^ 1, BatchField.crc), false), ErrorCode.CORRUPT_MESSAGE, 'crc-mismatch'],
  ['lastOffsetDelta -1', () => mutated((b) => b.writeInt32BE(-1, BatchField.lastOffsetDelta)), ErrorCode.INVALID_RECORD, 'invalid-offset-range'],
  ['recordsCount 0', () => mutated((b) => b.writeInt32BE(0, BatchField.recordsCount)), ErrorCode.INVALID_RECORD, 'invalid-count'],
  ['lastOffsetDelta + 1 != recordsCount', () => mutated((b) => b.writeInt32BE(5, BatchField.lastOffsetDelta)), ErrorCode.INVALID_RECORD, 'count-mismatch'],
  ['control batch from a client', () => encodeEndTransactionMarkerBatch({ producerId: 1n, producerEpoch: 0, coordinatorEpoch: 0, result: ControlRecordType.abort, timestamp: 1n }), ErrorCode.INVALID_RECORD, 'control-from-client'],
  ['producerId without a sequence', () => mutated((b) => b.writeInt32BE(-1, BatchField.baseSequence)), ErrorCode.INVALID_RECORD, 'missing-sequence'],
];

for (const [name, build, code, reason] of cases) {
  test(`rejects ${name}: ${reason}`, () => {
    const result = validateBatchForAppend(build());
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.code, code, result.message);
    assert.equal(result.reason, reason);
    assert.ok(result.message.length > 0);
  });
}

test('old message format is reported as such', () => {
  const result = validateBatchForAppend(mutated((b) => b.writeInt8(1, BatchField.magic), false));
  assert.equal(result.ok, false);
  if (!result.ok) assert.match(result.message, /unsupported old message format/);
});

test('max.message.bytes gives MESSAGE_TOO_LARGE, checked before the CRC', () => {
  const batch = encodeRecordBatch(idempotent);
  const result = validateBatchForAppend(batch, { maxMessageBytes: batch.length - 1 });
  assert.equal(result.ok, false);
  if (!result.ok) assert.equal(result.code, ErrorCode.MESSAGE_TOO_LARGE);
  assert.equal(validateBatchForAppend(batch, { maxMessageBytes: batch.length }).ok, true);
});

test('coordinator-origin appends skip the client-only checks (markers, assigned offsets)', () => {
  const marker = encodeEndTransactionMarkerBatch({
    producerId: 1n,
    producerEpoch: 0,
    coordinatorEpoch: 0,
    result: ControlRecordType.commit,
    timestamp: 1n,
    baseOffset: 99n,
  });
  assert.equal(validateBatchForAppend(marker, { origin: AppendOrigin.coordinator }).ok, true);
  const corrupt = Buffer.from(marker);
  corrupt[corrupt.length - 1] ^= 1;
  const result = validateBatchForAppend(corrupt, { origin: AppendOrigin.coordinator });
  assert.equal(result.ok, false);
  if (!result.ok) assert.equal(result.code, ErrorCode.CORRUPT_MESSAGE);
});

test('a non-idempotent batch needs no sequence', () => {
  const batch = encodeRecordBatch({ records: [{ key: null, value: null, timestamp: 0n }] });
  assert.equal(validateBatchForAppend(batch).ok, true);
});
