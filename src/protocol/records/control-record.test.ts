import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../errors/error-table.ts';
import { BatchField, NO_SEQUENCE } from './batch-header.ts';
import {
  ControlRecordType,
  encodeControlRecordKey,
  encodeEndTransactionMarkerBatch,
  encodeEndTransactionMarkerValue,
  endTransactionMarkerOf,
  parseControlRecordKey,
  readEndTransactionMarker,
} from './control-record.ts';
import { decodeRecordBatch } from './record-batch-decoder.ts';
import { encodeRecordBatch } from './record-batch-encoder.ts';
import { RecordBatchError } from './record-batch-error.ts';

test('a COMMIT marker batch has the shape Kafka writes', () => {
  const bytes = encodeEndTransactionMarkerBatch({
    producerId: 4000n,
    producerEpoch: 7,
    coordinatorEpoch: 12,
    result: ControlRecordType.commit,
    timestamp: 1_700_000_000_123n,
  });
  assert.equal(bytes.readInt16BE(BatchField.attributes), 0x30);
  assert.equal(bytes.readInt32BE(BatchField.baseSequence), NO_SEQUENCE);
  const batch = decodeRecordBatch(bytes);
  assert.equal(batch.isControl, true);
  assert.equal(batch.isTransactional, true);
  assert.equal(batch.compression, 0);
  assert.equal(batch.recordsCount, 1);
  assert.equal(batch.producerId, 4000n);
  assert.equal(batch.producerEpoch, 7);
  assert.equal(batch.records[0].timestamp, 1_700_000_000_123n);
  assert.equal(batch.records[0].key?.toString('hex'), '00000001');
  assert.equal(batch.records[0].value?.toString('hex'), '00000000000c');
  assert.deepEqual(endTransactionMarkerOf(batch), { type: ControlRecordType.commit, coordinatorEpoch: 12, version: 0 });
});

test('an ABORT marker round-trips', () => {
  const batch = decodeRecordBatch(
    encodeEndTransactionMarkerBatch({ producerId: 1n, producerEpoch: 0, coordinatorEpoch: -1, result: ControlRecordType.abort, timestamp: 0n }),
  );
  assert.deepEqual(endTransactionMarkerOf(batch), { type: ControlRecordType.abort, coordinatorEpoch: -1, version: 0 });
});

test('control keys: higher versions read as v0, unknown types reported as unknown', () => {
  assert.deepEqual(parseControlRecordKey(Buffer.from('00030001ffff', 'hex')), { version: 3, type: ControlRecordType.commit, typeId: 1 });
  assert.deepEqual(parseControlRecordKey(Buffer.from('00000063', 'hex')), { version: 0, type: ControlRecordType.unknown, typeId: 99 });
  assert.deepEqual(parseControlRecordKey(encodeControlRecordKey(ControlRecordType.leaderChange)).type, ControlRecordType.leaderChange);
  assert.equal(readEndTransactionMarker({ key: Buffer.from('00000063', 'hex'), value: null }), null);
});

test('malformed control keys and marker values are INVALID_RECORD', () => {
  const invalid = (fn: () => unknown) =>
    assert.throws(fn, (e: unknown) => e instanceof RecordBatchError && e.code === ErrorCode.INVALID_RECORD);
  invalid(() => parseControlRecordKey(Buffer.from('000001', 'hex')));
  invalid(() => parseControlRecordKey(null));
  invalid(() => parseControlRecordKey(Buffer.from('ffff0001', 'hex')));
  invalid(() => readEndTransactionMarker({ key: encodeControlRecordKey(ControlRecordType.commit), value: Buffer.from('0000000000', 'hex') }));
  invalid(() => readEndTransactionMarker({ key: encodeControlRecordKey(ControlRecordType.abort), value: Buffer.from('ffff00000001', 'hex') }));
  assert.equal(encodeEndTransactionMarkerValue(5).toString('hex'), '000000000005');
});

test('non-control and empty control batches have no marker', () => {
  const data = decodeRecordBatch(encodeRecordBatch({ records: [{ key: encodeControlRecordKey(1), value: null, timestamp: 0n }] }));
  assert.equal(endTransactionMarkerOf(data), null);
  assert.equal(endTransactionMarkerOf({ isControl: true, records: [] }), null);
});
