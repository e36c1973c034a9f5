// The read_committed filter against logs built batch by batch, mirroring the cases of Kafka's FetcherTest
// (testReadCommittedWithCommittedAndAbortedTransactions, testReturnCommittedTransactions,
// testConsumingViaIncrementalFetchRequests' skipping of control batches, testReadCommittedAbortMarkerWithNoData).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BatchField, ControlRecordType, encodeEndTransactionMarkerBatch, encodeRecordBatch, RecordBatchError, writeCrc } from '../../protocol/records/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { fetchEndOffset, readPartitionFetch, type AbortedTransaction } from './completed-fetch.ts';

interface Piece {
  data?: { producerId: bigint; values: string[]; transactional: boolean };
  marker?: { producerId: bigint; result: typeof ControlRecordType.abort | typeof ControlRecordType.commit };
}

/** Lays batches out at consecutive offsets, as a leader would. */
function log(pieces: readonly Piece[]): Buffer {
  let offset = 0n;
  const batches: Buffer[] = [];
  for (const piece of pieces) {
    if (piece.data !== undefined) {
      const { producerId, values, transactional } = piece.data;
      batches.push(encodeRecordBatch({ baseOffset: offset, producerId, producerEpoch: 0, baseSequence: 0, isTransactional: transactional, records: values.map((v) => ({ key: null, value: Buffer.from(v), timestamp: 1n })) }));
      offset += BigInt(values.length);
    } else if (piece.marker !== undefined) {
      batches.push(encodeEndTransactionMarkerBatch({ producerId: piece.marker.producerId, producerEpoch: 0, coordinatorEpoch: 0, result: piece.marker.result, timestamp: 1n, baseOffset: offset }));
      offset += 1n;
    }
  }
  return Buffer.concat(batches);
}

function read(records: Buffer, aborted: AbortedTransaction[] | null, readCommitted: boolean, fetchOffset = 0n, lastStableOffset = -1n) {
  const result = readPartitionFetch({ topic: 't', partition: 0, fetchOffset, records, abortedTransactions: aborted, readCommitted, lastStableOffset });
  // The fetcher fetches ahead from the header-only walk: it must land where decoding does.
  assert.equal(fetchEndOffset(records, fetchOffset, readCommitted ? lastStableOffset : -1n), result.nextFetchOffset);
  return { values: result.records.map((r) => r.valueString()), offsets: result.records.map((r) => r.offset), next: result.nextFetchOffset, skipped: result.abortedBatchesSkipped };
}

const A = 1n;
const B = 2n;

describe('read_committed filtering (CompletedFetch)', () => {
  // offsets: a0 a1 (A, 0-1) | b0 b1 (B, 2-3) | ABORT A (4) | a2 (A, 5) | COMMIT B (6) | COMMIT A (7) | plain (8)
  const records = log([
    { data: { producerId: A, values: ['a0', 'a1'], transactional: true } },
    { data: { producerId: B, values: ['b0', 'b1'], transactional: true } },
    { marker: { producerId: A, result: ControlRecordType.abort } },
    { data: { producerId: A, values: ['a2'], transactional: true } },
    { marker: { producerId: B, result: ControlRecordType.commit } },
    { marker: { producerId: A, result: ControlRecordType.commit } },
    { data: { producerId: -1n, values: ['plain'], transactional: false } },
  ]);

  it('drops the aborted transaction, keeps committed ones and the same producer\'s next transaction, skips markers', () => {
    const got = read(records, [{ producerId: A, firstOffset: 0n }], true);
    assert.deepEqual(got.values, ['b0', 'b1', 'a2', 'plain']);
    assert.deepEqual(got.offsets, [2n, 3n, 5n, 8n]);
    assert.equal(got.next, 9n);
    assert.equal(got.skipped, 1);
  });

  it('read_uncommitted returns every data record and still skips control batches', () => {
    const got = read(records, null, false);
    assert.deepEqual(got.values, ['a0', 'a1', 'b0', 'b1', 'a2', 'plain']);
    assert.equal(got.next, 9n);
  });

  it('an aborted transaction whose first offset comes later does not hide earlier batches of the producer', () => {
    const later = log([
      { data: { producerId: A, values: ['c0'], transactional: true } },
      { marker: { producerId: A, result: ControlRecordType.commit } },
      { data: { producerId: A, values: ['d0'], transactional: true } },
      { marker: { producerId: A, result: ControlRecordType.abort } },
    ]);
    const got = read(later, [{ producerId: A, firstOffset: 2n }], true);
    assert.deepEqual(got.values, ['c0']);
    assert.equal(got.next, 4n);
  });

  it('an abort marker alone (aborted transaction with no data here) moves the position past it', () => {
    const only = log([{ marker: { producerId: A, result: ControlRecordType.abort } }]);
    const got = read(only, [{ producerId: A, firstOffset: 0n }], true);
    assert.deepEqual(got.values, []);
    assert.equal(got.next, 1n);
  });

  it('skips records before the fetch offset inside the first batch', () => {
    const got = read(records, [{ producerId: A, firstOffset: 0n }], true, 3n);
    assert.deepEqual(got.offsets, [3n, 5n, 8n]);
  });

  it('never moves past the last stable offset', () => {
    const got = read(records, [{ producerId: A, firstOffset: 0n }], true, 0n, 5n);
    assert.deepEqual(got.values, ['b0', 'b1']);
    assert.equal(got.next, 5n);
  });

  it('skips an aborted batch without decoding its records, as Java\'s CompletedFetch does', () => {
    // The aborted batch claims one record more than it holds (its CRC recomputed, so only decoding finds out).
    const broken = log([
      { data: { producerId: A, values: ['a0', 'a1'], transactional: true } },
      { marker: { producerId: A, result: ControlRecordType.abort } },
      { data: { producerId: -1n, values: ['plain'], transactional: false } },
    ]);
    const firstSize = broken.readInt32BE(BatchField.batchLength) + 12;
    broken.writeInt32BE(3, BatchField.recordsCount);
    writeCrc(broken, 0, firstSize);
    const got = read(broken, [{ producerId: A, firstOffset: 0n }], true);
    assert.deepEqual(got.values, ['plain']);
    assert.equal(got.skipped, 1);
    assert.throws(() => read(broken, null, false), (error: unknown) => error instanceof RecordBatchError && error.code === ErrorCode.INVALID_RECORD);
  });

  it('a batch whose CRC does not match is CORRUPT_MESSAGE, unless check.crcs is off', () => {
    const damaged = log([{ data: { producerId: -1n, values: ['x', 'y'], transactional: false } }]);
    damaged[damaged.length - 2] ^= 0x01; // the last value byte: "y" becomes "x"
    const input = { topic: 't', partition: 0, fetchOffset: 0n, records: damaged, abortedTransactions: null, readCommitted: false, lastStableOffset: -1n };
    assert.throws(() => readPartitionFetch(input), (error: unknown) => error instanceof RecordBatchError && error.code === ErrorCode.CORRUPT_MESSAGE);
    const unchecked = readPartitionFetch({ ...input, checkCrcs: false });
    assert.deepEqual(unchecked.records.map((r) => r.valueString()), ['x', 'x']);
  });
});
