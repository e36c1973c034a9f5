// In-memory behaviour of producer state: the cases of Kafka's `ProducerStateManagerTest` that apply (no KIP-890
// verification), plus seqlog's producer-id bound.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { BrokerError } from '../broker-error.ts';
import { AppendOrigin } from './append-origin.ts';
import { ProducerAppendInfo } from './producer-append-info.ts';
import { NUM_BATCHES_TO_RETAIN, ProducerStateEntry } from './producer-state-entry.ts';
import { ProducerStateManager, LATE_TRANSACTION_BUFFER_MS } from './producer-state-manager.ts';
import type { ProducerStateManagerConfig } from './producer-state-manager.ts';
import {
  ABORT,
  COMMIT,
  appendClientEntry,
  appendEndTxnMarker,
  appendEntry,
  appendReplicationEntry,
  tempDirectory,
} from './test-support.ts';

const temp = tempDirectory();
after(() => temp.cleanup());
let counter = 0;

const producerId = 1n;
const epoch = 0;
const INT32_MAX = 0x7fffffff;
const maxTransactionTimeoutMs = 5 * 60 * 1000;

function newManager(config: Partial<ProducerStateManagerConfig> = {}): ProducerStateManager {
  return new ProducerStateManager({ directory: join(temp.path, `p-${counter++}`), config: { maxTransactionTimeoutMs, ...config } });
}

function rejectsWith(code: number, action: () => unknown): void {
  assert.throws(action, (error: unknown) => error instanceof BrokerError && error.code === code);
}

function lastEntry(manager: ProducerStateManager, id = producerId): ProducerStateEntry {
  const entry = manager.lastEntry(id);
  assert.ok(entry, `producer ${id} should have an entry`);
  return entry;
}

describe('ProducerStateManager epochs and sequences', () => {
  it('testBasicIdMapping', () => {
    const manager = newManager();
    appendClientEntry(manager, producerId, epoch, 0, 0n);
    appendClientEntry(manager, producerId, epoch, 1, 1n);
    // Duplicates are detected before validation (findDuplicateBatch); validated, they are out of order.
    rejectsWith(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, () => appendClientEntry(manager, producerId, epoch, 1, 1n));
    // A gap.
    rejectsWith(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, () => appendClientEntry(manager, producerId, epoch, 5, 2n));
    appendClientEntry(manager, producerId, epoch + 1, 0, 3n);
    rejectsWith(ErrorCode.INVALID_PRODUCER_EPOCH, () => appendClientEntry(manager, producerId, epoch, 0, 4n));
    assert.equal(lastEntry(manager).producerEpoch, 1);
    assert.equal(manager.mapEndOffset, 4n);
  });

  it('accepts any sequence from an unknown producer (KIP-360: no UNKNOWN_PRODUCER_ID on produce)', () => {
    const manager = newManager();
    appendClientEntry(manager, producerId, 3, 4242, 0n);
    assert.equal(lastEntry(manager).lastSeq, 4242);
    appendClientEntry(manager, producerId, 3, 4243, 1n);
    rejectsWith(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, () => appendClientEntry(manager, producerId, 3, 4245, 2n));
  });

  it('testRejectNonZeroSequenceForDirectEpochBump', () => {
    const manager = newManager();
    appendClientEntry(manager, producerId, epoch, 0, 0n);
    appendClientEntry(manager, producerId, epoch, 1, 1n);
    appendClientEntry(manager, producerId, epoch, 2, 2n);
    const appendInfo = manager.prepareUpdate(producerId, AppendOrigin.client);
    assert.throws(
      () => appendInfo.appendDataBatch(1, 5, 5, 0n, 3n, 3n, false),
      (error: unknown) =>
        error instanceof BrokerError &&
        error.code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER &&
        error.message.includes('1 (request epoch)') &&
        error.message.includes('5 (seq. number)') &&
        error.message.includes('0 (current producer epoch)'),
    );
    const retry = manager.prepareUpdate(producerId, AppendOrigin.client);
    retry.appendDataBatch(1, 0, 0, 0n, 3n, 3n, false);
    manager.update(retry);
    assert.equal(lastEntry(manager).producerEpoch, 1);
    assert.equal(lastEntry(manager).lastSeq, 0);
  });

  it('testProducerSequenceWrapAround', () => {
    const manager = newManager();
    appendReplicationEntry(manager, producerId, 15, INT32_MAX, 735n);
    appendClientEntry(manager, producerId, 15, 0, 1235n);
    const entry = lastEntry(manager);
    assert.equal(entry.producerEpoch, 15);
    assert.equal(entry.firstSeq, INT32_MAX);
    assert.equal(entry.lastSeq, 0);
  });

  it('testProducerSequenceWithWrapAroundBatchRecord', () => {
    const manager = newManager();
    const appendInfo = manager.prepareUpdate(producerId, AppendOrigin.replication);
    appendInfo.appendDataBatch(15, INT32_MAX - 10, 9, 0n, 2000n, 2020n, false);
    assert.equal(manager.lastEntry(producerId), undefined);
    manager.update(appendInfo);
    const entry = lastEntry(manager);
    assert.equal(entry.firstSeq, INT32_MAX - 10);
    assert.equal(entry.lastSeq, 9);
    assert.equal(entry.firstDataOffset, 2000n);
    assert.equal(entry.lastDataOffset, 2020n);
  });

  it('testProducerSequenceInvalidWrapAround', () => {
    const manager = newManager();
    appendReplicationEntry(manager, producerId, 15, INT32_MAX, 735n);
    rejectsWith(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, () => appendClientEntry(manager, producerId, 15, 1, 1235n));
  });

  it('testNoValidationOnFirstEntryWhenLoadingLog', () => {
    const manager = newManager();
    appendReplicationEntry(manager, producerId, 5, 16, 735n);
    const entry = lastEntry(manager);
    assert.equal(entry.producerEpoch, 5);
    assert.equal(entry.firstSeq, 16);
    assert.equal(entry.lastSeq, 16);
    assert.equal(entry.lastDataOffset, 735n);
    assert.equal(entry.firstDataOffset, 735n);
  });

  it('testAcceptAppendWithSequenceGapsOnReplica', () => {
    const manager = newManager();
    appendClientEntry(manager, producerId, epoch, 0, 0n);
    rejectsWith(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, () => appendClientEntry(manager, producerId, epoch, 3, 1n));
    assert.equal(lastEntry(manager).lastSeq, 0);
    appendReplicationEntry(manager, producerId, epoch, 3, 1n);
    assert.equal(lastEntry(manager).lastSeq, 3);
  });

  it('replication origin only logs an older epoch (and takes it)', () => {
    const manager = newManager();
    appendClientEntry(manager, producerId, 4, 0, 0n);
    appendReplicationEntry(manager, producerId, 2, 0, 1n);
    assert.equal(lastEntry(manager).producerEpoch, 2);
  });

  it('testPrepareUpdateDoesNotMutate', () => {
    const manager = newManager();
    const appendInfo = manager.prepareUpdate(producerId, AppendOrigin.client);
    appendInfo.appendDataBatch(epoch, 0, 5, 0n, 15n, 20n, false);
    assert.equal(manager.lastEntry(producerId), undefined);
    manager.update(appendInfo);
    const next = manager.prepareUpdate(producerId, AppendOrigin.client);
    next.appendDataBatch(epoch, 6, 10, 0n, 26n, 30n, false);
    let entry = lastEntry(manager);
    assert.deepEqual([entry.firstSeq, entry.lastSeq, entry.lastDataOffset], [0, 5, 20n]);
    manager.update(next);
    entry = lastEntry(manager);
    assert.deepEqual([entry.firstSeq, entry.lastSeq, entry.lastDataOffset], [0, 10, 30n]);
  });

  it(`keeps only the last ${NUM_BATCHES_TO_RETAIN} batches: the 6th-oldest is no longer a duplicate`, () => {
    const manager = newManager();
    for (let seq = 0; seq <= NUM_BATCHES_TO_RETAIN; seq++) appendClientEntry(manager, producerId, epoch, seq, BigInt(seq));
    assert.equal(lastEntry(manager).batchMetadata.length, NUM_BATCHES_TO_RETAIN);
    assert.equal(manager.findDuplicateBatch(producerId, epoch, 0, 0), null);
    for (let seq = 1; seq <= NUM_BATCHES_TO_RETAIN; seq++) {
      assert.equal(manager.findDuplicateBatch(producerId, epoch, seq, seq)?.lastOffset, BigInt(seq));
    }
    // Another epoch is never a duplicate.
    assert.equal(manager.findDuplicateBatch(producerId, epoch + 1, 3, 3), null);
    rejectsWith(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, () => appendClientEntry(manager, producerId, epoch, 0, 6n));
  });
});

describe('ProducerStateManager transactions', () => {
  it('testAppendTxnMarkerWithNoProducerState', () => {
    const manager = newManager();
    appendEndTxnMarker(manager, producerId, 2, COMMIT, 27n);
    const first = lastEntry(manager);
    assert.equal(first.producerEpoch, 2);
    assert.equal(first.lastSeq, -1);
    // Fencing still works when a marker is all that is left.
    rejectsWith(ErrorCode.INVALID_PRODUCER_EPOCH, () => appendClientEntry(manager, producerId, 0, 0, 28n));
    // Same epoch with a sequence that does not start at 0: the producer must reset.
    rejectsWith(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, () => appendClientEntry(manager, producerId, 2, 17, 28n));
    appendClientEntry(manager, producerId, 2, 0, 28n, { timestamp: 39n });
    assert.equal(lastEntry(manager).lastSeq, 0);
  });

  it('testControlRecordBumpsProducerEpoch', () => {
    const manager = newManager();
    appendClientEntry(manager, producerId, epoch, 0, 0n);
    appendEndTxnMarker(manager, producerId, 1, ABORT, 1n);
    const entry = lastEntry(manager);
    assert.equal(entry.producerEpoch, 1);
    assert.equal(entry.currentTxnFirstOffset, null);
    assert.equal(entry.firstSeq, -1);
    assert.equal(entry.lastSeq, -1);
    appendClientEntry(manager, producerId, 1, 0, 2n);
    assert.equal(lastEntry(manager).firstSeq, 0);
  });

  it('testOutOfSequenceAfterControlRecordEpochBump', () => {
    const manager = newManager();
    appendClientEntry(manager, producerId, epoch, 0, 0n, { isTransactional: true });
    appendClientEntry(manager, producerId, epoch, 1, 1n, { isTransactional: true });
    appendEndTxnMarker(manager, producerId, 1, ABORT, 2n);
    // Same epoch as the marker, but the sequence must restart at 0.
    rejectsWith(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, () => appendClientEntry(manager, producerId, 1, 2, 3n, { isTransactional: true }));
    rejectsWith(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, () => appendClientEntry(manager, producerId, 2, 2, 3n, { isTransactional: true }));
    appendClientEntry(manager, producerId, 1, 0, 3n, { isTransactional: true });
    assert.equal(lastEntry(manager).producerEpoch, 1);
    assert.equal(lastEntry(manager).lastSeq, 0);
  });

  it('a same-epoch marker keeps the sequence going (transaction version 1)', () => {
    const manager = newManager();
    appendClientEntry(manager, producerId, epoch, 0, 0n, { isTransactional: true });
    appendEndTxnMarker(manager, producerId, epoch, COMMIT, 1n);
    rejectsWith(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, () => appendClientEntry(manager, producerId, epoch, 0, 2n, { isTransactional: true }));
    appendClientEntry(manager, producerId, epoch, 1, 2n, { isTransactional: true });
    assert.equal(lastEntry(manager).currentTxnFirstOffset, 2n);
  });

  it('testNonTransactionalAppendWithOngoingTransaction', () => {
    const manager = newManager();
    appendClientEntry(manager, producerId, epoch, 0, 0n, { isTransactional: true });
    rejectsWith(ErrorCode.INVALID_TXN_STATE, () => appendClientEntry(manager, producerId, epoch, 1, 1n));
    // Rejected appends change nothing.
    assert.equal(lastEntry(manager).lastSeq, 0);
    assert.equal(manager.mapEndOffset, 1n);
  });

  it('updateProducerTransactionState', () => {
    const manager = newManager();
    appendClientEntry(manager, producerId, epoch, 0, 9n);
    const appendInfo = manager.prepareUpdate(producerId, AppendOrigin.client);
    appendInfo.appendDataBatch(epoch, 1, 5, 0n, 16n, 20n, true);
    let entry = appendInfo.toEntry();
    assert.deepEqual([entry.firstSeq, entry.lastSeq, entry.firstDataOffset, entry.lastDataOffset, entry.currentTxnFirstOffset], [1, 5, 16n, 20n, 16n]);
    appendInfo.appendDataBatch(epoch, 6, 10, 0n, 26n, 30n, true);
    entry = appendInfo.toEntry();
    assert.deepEqual([entry.firstSeq, entry.lastSeq, entry.firstDataOffset, entry.lastDataOffset, entry.currentTxnFirstOffset], [1, 10, 16n, 30n, 16n]);
    assert.deepEqual(appendInfo.startedTransactions().map((txn) => [txn.producerId, txn.firstOffset]), [[producerId, 16n]]);

    const completedTxn = appendInfo.appendEndTxnMarker({ type: COMMIT, coordinatorEpoch: 15 }, epoch, 40n, 0n);
    assert.deepEqual(completedTxn, { producerId, firstOffset: 16n, lastOffset: 40n, isAborted: false });
    entry = appendInfo.toEntry();
    // The marker does not touch the cached batches.
    assert.deepEqual([entry.firstSeq, entry.lastSeq, entry.firstDataOffset, entry.lastDataOffset, entry.currentTxnFirstOffset], [1, 10, 16n, 30n, null]);
    assert.equal(entry.coordinatorEpoch, 15);
  });

  it('testProducerStateAfterFencingAbortMarker', () => {
    const manager = newManager();
    appendClientEntry(manager, producerId, epoch, 0, 0n, { isTransactional: true, timestamp: 1_000n });
    appendEndTxnMarker(manager, producerId, epoch + 1, ABORT, 1n, { timestamp: 2_000n });
    const entry = lastEntry(manager);
    assert.equal(entry.currentTxnFirstOffset, null);
    assert.equal(entry.lastDataOffset, -1n);
    assert.equal(entry.firstDataOffset, -1n);
    // The fencing epoch is remembered: the entry is not expired (its timestamp is the marker's).
    manager.removeExpiredProducers(2_000);
    assert.ok(manager.lastEntry(producerId));
  });

  it('testOldEpochForControlRecord', () => {
    const manager = newManager();
    assert.equal(manager.firstUndecidedOffset(), null);
    appendClientEntry(manager, producerId, 5, 0, 99n, { isTransactional: true });
    rejectsWith(ErrorCode.INVALID_PRODUCER_EPOCH, () => appendEndTxnMarker(manager, producerId, 3, COMMIT, 100n));
    assert.equal(manager.firstUndecidedOffset(), 99n);
  });

  it('testCoordinatorFencing', () => {
    const manager = newManager();
    appendClientEntry(manager, producerId, 5, 0, 99n, { isTransactional: true });
    appendEndTxnMarker(manager, producerId, 5, COMMIT, 100n, { coordinatorEpoch: 1 });
    assert.equal(lastEntry(manager).coordinatorEpoch, 1);
    appendEndTxnMarker(manager, producerId, 5, COMMIT, 101n, { coordinatorEpoch: 1 });
    appendEndTxnMarker(manager, producerId, 5, COMMIT, 102n, { coordinatorEpoch: 2 });
    rejectsWith(ErrorCode.TRANSACTION_COORDINATOR_FENCED, () => appendEndTxnMarker(manager, producerId, 5, COMMIT, 103n, { coordinatorEpoch: 1 }));
    assert.equal(lastEntry(manager).coordinatorEpoch, 2);
  });

  it('testSequenceNotValidatedForGroupMetadataTopic (coordinator origin checks no sequence)', () => {
    const manager = newManager();
    appendEntry(manager, producerId, epoch, -1, 99n, { origin: AppendOrigin.coordinator, isTransactional: true });
    appendEntry(manager, producerId, epoch, -1, 100n, { origin: AppendOrigin.coordinator, isTransactional: true });
    assert.equal(lastEntry(manager).lastDataOffset, 100n);
    rejectsWith(ErrorCode.INVALID_PRODUCER_EPOCH, () =>
      appendEntry(manager, producerId, epoch - 1, -1, 101n, { origin: AppendOrigin.coordinator, isTransactional: true }),
    );
  });

  it('testAppendEmptyControlBatch', () => {
    const manager = newManager();
    const appendInfo = manager.prepareUpdate(23423n, AppendOrigin.client);
    const completed = appendInfo.append({
      producerId: 23423n,
      producerEpoch: 0,
      baseSequence: -1,
      lastSequence: -1,
      baseOffset: 15n,
      lastOffset: 15n,
      maxTimestamp: 0n,
      isTransactional: true,
      isControl: true,
      endTransactionMarker: null,
      markerTimestamp: -1n,
    });
    assert.equal(completed, null);
    manager.update(appendInfo);
    assert.equal(lastEntry(manager, 23423n).currentTxnFirstOffset, null);
    assert.equal(manager.firstUndecidedOffset(), null);
  });

  it('testFirstUnstableOffset', () => {
    const manager = newManager();
    assert.equal(manager.firstUndecidedOffset(), null);
    appendClientEntry(manager, producerId, 5, 0, 99n, { isTransactional: true });
    assert.equal(manager.firstUndecidedOffset(), 99n);
    assert.equal(manager.firstUnstableOffset(), 99n);

    const anotherProducerId = 2n;
    appendClientEntry(manager, anotherProducerId, 5, 0, 105n, { isTransactional: true });
    assert.equal(manager.firstUndecidedOffset(), 99n);
    assert.equal(manager.firstUnstableOffset(), 99n);

    appendEndTxnMarker(manager, producerId, 5, COMMIT, 109n);
    assert.equal(manager.firstUndecidedOffset(), 105n);
    assert.equal(manager.firstUnstableOffset(), 99n);

    manager.onHighWatermarkUpdated(100n);
    assert.equal(manager.firstUnstableOffset(), 99n);
    manager.onHighWatermarkUpdated(110n);
    assert.equal(manager.firstUnstableOffset(), 105n);

    appendEndTxnMarker(manager, anotherProducerId, 5, ABORT, 112n);
    assert.equal(manager.firstUndecidedOffset(), null);
    assert.equal(manager.firstUnstableOffset(), 105n);
    manager.onHighWatermarkUpdated(113n);
    assert.equal(manager.firstUnstableOffset(), null);
  });

  it('lastStableOffset is min(first unstable offset, high watermark)', () => {
    const manager = newManager();
    assert.equal(manager.lastStableOffset(10n), 10n);
    appendClientEntry(manager, producerId, epoch, 0, 10n, { isTransactional: true });
    assert.equal(manager.lastStableOffset(11n), 10n);
    appendEndTxnMarker(manager, producerId, epoch, COMMIT, 11n);
    // The marker is not below the high watermark yet.
    assert.equal(manager.lastStableOffset(11n), 10n);
    assert.equal(manager.lastStableOffset(12n), 12n);
  });

  it('testLastStableOffsetCompletedTxn', () => {
    const manager = newManager();
    const begin = (id: bigint, offset: bigint) => {
      const appendInfo = new ProducerAppendInfo(id, ProducerStateEntry.empty(id), AppendOrigin.client);
      appendInfo.appendDataBatch(epoch, 0, 0, 0n, offset, offset, true);
      manager.update(appendInfo);
    };
    const producerId1 = producerId;
    const startOffset1 = 992342n;
    begin(producerId1, startOffset1);
    const producerId2 = producerId + 1n;
    const startOffset2 = startOffset1 + 25n;
    begin(producerId2, startOffset2);
    const producerId3 = producerId + 2n;
    const startOffset3 = startOffset1 + 57n;
    begin(producerId3, startOffset3);

    const lastOffset1 = startOffset3 + 15n;
    const completedTxn1 = { producerId: producerId1, firstOffset: startOffset1, lastOffset: lastOffset1, isAborted: false };
    assert.equal(manager.lastStableOffsetForCompletedTxn(completedTxn1), startOffset2);
    manager.completeTxn(completedTxn1);
    manager.onHighWatermarkUpdated(lastOffset1 + 1n);
    assert.equal(manager.firstUnstableOffset(), startOffset2);

    const lastOffset3 = lastOffset1 + 20n;
    const completedTxn3 = { producerId: producerId3, firstOffset: startOffset3, lastOffset: lastOffset3, isAborted: false };
    assert.equal(manager.lastStableOffsetForCompletedTxn(completedTxn3), startOffset2);
    manager.completeTxn(completedTxn3);
    manager.onHighWatermarkUpdated(lastOffset3 + 1n);
    assert.equal(manager.firstUnstableOffset(), startOffset2);

    const lastOffset2 = lastOffset3 + 78n;
    const completedTxn2 = { producerId: producerId2, firstOffset: startOffset2, lastOffset: lastOffset2, isAborted: false };
    assert.equal(manager.lastStableOffsetForCompletedTxn(completedTxn2), lastOffset2 + 1n);
    manager.completeTxn(completedTxn2);
    manager.onHighWatermarkUpdated(lastOffset2 + 1n);
    assert.equal(manager.firstUnstableOffset(), null);
  });

  it('testSkipEmptyTransactions', () => {
    const manager = newManager();
    let seq = 0;
    const appendData = (appendInfo: ProducerAppendInfo, startOffset: bigint, endOffset: bigint) => {
      const count = Number(endOffset - startOffset);
      appendInfo.appendDataBatch(epoch, seq, seq + count, 0n, startOffset, endOffset, true);
      seq += count + 1;
    };
    const end = (appendInfo: ProducerAppendInfo, type: typeof COMMIT | typeof ABORT, offset: bigint) =>
      appendInfo.appendEndTxnMarker({ type, coordinatorEpoch: 27 }, epoch, offset, 0n);

    const firstAppend = manager.prepareUpdate(producerId, AppendOrigin.client);
    appendData(firstAppend, 16n, 20n);
    assert.deepEqual(firstAppend.startedTransactions().map((txn) => txn.firstOffset), [16n]);
    manager.update(firstAppend);
    manager.onHighWatermarkUpdated(21n);
    assert.equal(manager.firstUnstableOffset(), 16n);

    // One append completing the old transaction, with empty transactions, one complete and one open transaction.
    const secondAppend = manager.prepareUpdate(producerId, AppendOrigin.client);
    const firstCompletedTxn = end(secondAppend, COMMIT, 21n);
    assert.deepEqual(firstCompletedTxn, { producerId, firstOffset: 16n, lastOffset: 21n, isAborted: false });
    assert.equal(end(secondAppend, COMMIT, 22n), null);
    assert.equal(end(secondAppend, ABORT, 23n), null);
    appendData(secondAppend, 24n, 27n);
    const secondCompletedTxn = end(secondAppend, ABORT, 28n);
    assert.ok(secondCompletedTxn);
    assert.equal(end(secondAppend, ABORT, 29n), null);
    appendData(secondAppend, 30n, 31n);
    assert.deepEqual(secondAppend.startedTransactions().map((txn) => txn.firstOffset), [24n, 30n]);
    manager.update(secondAppend);
    manager.completeTxn(firstCompletedTxn);
    manager.completeTxn(secondCompletedTxn);
    manager.onHighWatermarkUpdated(32n);
    assert.equal(manager.firstUnstableOffset(), 30n);
  });

  it('completing a transaction that was never started is a bug, not a silent no-op', () => {
    const manager = newManager();
    assert.throws(() => manager.completeTxn({ producerId, firstOffset: 5n, lastOffset: 9n, isAborted: true }), /not started/);
  });

  it('testHasLateTransaction', () => {
    const manager = newManager();
    const lateTransactionTimeoutMs = maxTransactionTimeoutMs + LATE_TRANSACTION_BUFFER_MS;
    let now = 1_000_000;
    appendClientEntry(manager, 39n, 2, 0, 100n, { isTransactional: true, timestamp: BigInt(now) });
    assert.equal(manager.hasLateTransaction(now), false);
    now += 500;
    appendClientEntry(manager, 57n, 9, 0, 150n, { isTransactional: true, timestamp: BigInt(now) });
    assert.equal(manager.hasLateTransaction(now), false);
    now += lateTransactionTimeoutMs - 500 + 1;
    assert.equal(manager.hasLateTransaction(now), true);
    appendEndTxnMarker(manager, 39n, 2, COMMIT, 200n, { timestamp: BigInt(now) });
    // The other one is late too.
    now += 500;
    assert.equal(manager.hasLateTransaction(now), true);
    appendEndTxnMarker(manager, 57n, 9, COMMIT, 250n, { timestamp: BigInt(now) });
    assert.equal(manager.hasLateTransaction(now), false);
  });
});

describe('ProducerStateManager expiration and bounds', () => {
  const expirationMs = 86_400_000;

  it('testPidExpirationTimeout', () => {
    const manager = newManager();
    appendClientEntry(manager, producerId, 5, 0, 1n, { timestamp: 0n });
    assert.equal(manager.removeExpiredProducers(expirationMs - 1), 0);
    assert.equal(manager.removeExpiredProducers(expirationMs + 1), 1);
    assert.equal(manager.lastEntry(producerId), undefined);
    // Unknown again: any sequence is accepted.
    appendClientEntry(manager, producerId, 5, 1, 2n, { timestamp: BigInt(expirationMs + 1) });
    assert.equal(manager.activeProducers().size, 1);
    assert.equal(lastEntry(manager).lastSeq, 1);
    assert.equal(manager.mapEndOffset, 3n);
    assert.equal(manager.metrics.expiredProducerIds, 1);
  });

  it('judges expiration by the batch timestamp (client CreateTime), not by arrival', () => {
    const manager = newManager({ producerIdExpirationMs: 1_000 });
    appendClientEntry(manager, producerId, epoch, 0, 0n, { timestamp: 5_000n });
    assert.equal(manager.removeExpiredProducers(5_999), 0);
    assert.equal(manager.removeExpiredProducers(6_000), 1);
  });

  it('testProducersWithOngoingTransactionsDontExpire', () => {
    const manager = newManager();
    appendClientEntry(manager, producerId, 5, 0, 99n, { isTransactional: true, timestamp: 0n });
    assert.equal(manager.firstUndecidedOffset(), 99n);
    manager.removeExpiredProducers(expirationMs + 1);
    assert.ok(manager.lastEntry(producerId));
    assert.equal(manager.firstUndecidedOffset(), 99n);
  });

  it('evicts the least recently used producer without an open transaction beyond maxProducerIds', () => {
    const manager = newManager({ maxProducerIds: 3 });
    appendClientEntry(manager, 1n, epoch, 0, 0n, { isTransactional: true });
    appendClientEntry(manager, 2n, epoch, 0, 1n);
    appendClientEntry(manager, 3n, epoch, 0, 2n);
    // Producer 2 is used again: 3 is now the least recently used idle one.
    appendClientEntry(manager, 2n, epoch, 1, 3n);
    appendClientEntry(manager, 4n, epoch, 0, 4n);
    assert.deepEqual([...manager.activeProducers().keys()].sort(), [1n, 2n, 4n]);
    assert.equal(manager.metrics.evictedProducerIds, 1);
    assert.equal(manager.metrics.producerIdCount, 3);
    // The evicted producer is unknown again: its next batch is accepted at any sequence.
    appendClientEntry(manager, 3n, epoch, 7, 5n);
    assert.equal(lastEntry(manager, 3n).lastSeq, 7);
    assert.ok(manager.lastEntry(1n), 'a producer with an open transaction is never evicted');
  });

  it('exceeds the bound rather than forget an open transaction', () => {
    const manager = newManager({ maxProducerIds: 2 });
    appendClientEntry(manager, 1n, epoch, 0, 0n, { isTransactional: true });
    appendClientEntry(manager, 2n, epoch, 0, 1n, { isTransactional: true });
    appendClientEntry(manager, 3n, epoch, 0, 2n);
    assert.equal(manager.producerIdCount, 3);
    assert.equal(manager.firstUndecidedOffset(), 0n);
  });

  it('describes producers for DescribeProducers (KIP-664)', () => {
    const manager = newManager();
    appendClientEntry(manager, 7n, 3, 0, 10n, { isTransactional: true, timestamp: 123n });
    appendEndTxnMarker(manager, 8n, 1, COMMIT, 11n, { coordinatorEpoch: 4, timestamp: 456n });
    const described = manager.describeProducers().sort((a, b) => Number(a.producerId - b.producerId));
    assert.deepEqual(described, [
      { producerId: 7n, producerEpoch: 3, lastSequence: 0, lastTimestamp: 123n, coordinatorEpoch: -1, currentTxnStartOffset: 10n },
      { producerId: 8n, producerEpoch: 1, lastSequence: -1, lastTimestamp: 456n, coordinatorEpoch: 4, currentTxnStartOffset: -1n },
    ]);
  });
});
