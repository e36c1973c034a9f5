// The aborted-transaction index (Kafka's `TransactionIndexTest`, `LogSegmentTest` txn-index cases).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TransactionIndex } from './transaction-index.ts';
import type { AbortedTransaction } from './transaction-index.ts';
import { PartitionLog } from './partition-log.ts';
import { simpleBatch, tempDirectory } from './test-support.ts';

const temp = tempDirectory();
after(() => temp.cleanup());

const txn = (producerId: bigint, firstOffset: bigint, lastOffset: bigint, lastStableOffset: bigint): AbortedTransaction => ({
  producerId,
  firstOffset,
  lastOffset,
  lastStableOffset,
});

describe('TransactionIndex', () => {
  it('collects entries overlapping the fetch range and stops at a last stable offset past it', () => {
    const index = new TransactionIndex();
    index.append(txn(1n, 0n, 10n, 11n));
    index.append(txn(2n, 5n, 20n, 21n));
    index.append(txn(3n, 25n, 30n, 40n));
    index.append(txn(4n, 31n, 45n, 46n));
    assert.deepEqual(index.collect(11n, 26n).found.map((e) => e.producerId), [2n, 3n]);
    assert.equal(index.collect(11n, 26n).complete, true);
    assert.deepEqual(index.collect(0n, 5n).found.map((e) => e.producerId), [1n]);
    assert.equal(index.collect(46n, 100n).complete, false);
  });

  it('ignores replayed entries, truncates, and round-trips through its file image', () => {
    const index = new TransactionIndex();
    assert.ok(index.append(txn(1n, 0n, 10n, 11n)));
    assert.ok(!index.append(txn(1n, 0n, 10n, 11n)), 'a replay of the same marker');
    assert.ok(index.append(txn(2n, 12n, 15n, 16n)));
    const loaded = TransactionIndex.fromBytes(index.toBytes());
    assert.deepEqual(loaded?.entries, index.entries);
    assert.equal(TransactionIndex.fromBytes(index.toBytes().subarray(0, 40)), null);
    index.truncateTo(15n);
    assert.deepEqual(index.entries.map((e) => e.lastOffset), [10n]);
  });
});

describe('PartitionLog aborted transactions', () => {
  it('indexes per segment, searches across segments, persists at roll/close and truncates with the log', async () => {
    const directory = join(temp.path, 'txn-0');
    const log = await PartitionLog.open({ directory, config: { segmentBytes: 200 } });
    for (let i = 0; i < 6; i++) log.append(simpleBatch(2));
    await log.waitDurable(11n);
    assert.deepEqual(log.segmentBaseOffsets, [0n, 4n, 8n]);
    log.appendAbortedTransaction(txn(7n, 0n, 3n, 4n)); // marker in segment 0
    log.appendAbortedTransaction(txn(8n, 2n, 9n, 10n)); // marker in segment 2
    assert.deepEqual(log.collectAbortedTransactions(4n, 10n).map((e) => e.producerId), [8n]);
    assert.deepEqual(log.collectAbortedTransactions(0n, 4n).map((e) => e.producerId), [7n]);
    assert.throws(() => log.appendAbortedTransaction(txn(9n, 0n, 12n, 13n)), RangeError);
    await log.close();

    const reopened = await PartitionLog.open({ directory, config: { segmentBytes: 200 } });
    assert.deepEqual(reopened.collectAbortedTransactions(0n, 12n).map((e) => e.producerId), [7n, 8n]);
    reopened.truncateTo(8n);
    assert.deepEqual(reopened.collectAbortedTransactions(0n, 12n).map((e) => e.producerId), [7n]);
    await reopened.close();
  });

  it('after an unclean stop the active segment index is replayed idempotently', async () => {
    const directory = join(temp.path, 'txn-1');
    const log = await PartitionLog.open({ directory, config: { segmentBytes: 200 } });
    for (let i = 0; i < 6; i++) log.append(simpleBatch(2));
    await log.waitDurable(11n);
    log.appendAbortedTransaction(txn(7n, 0n, 3n, 4n)); // a rolled segment: its index file is rewritten at once
    log.appendAbortedTransaction(txn(8n, 8n, 9n, 10n)); // the active segment: written only at roll or close
    const crashed = await PartitionLog.open({ directory, config: { segmentBytes: 200 } });
    assert.equal(crashed.recoveryReport.cleanShutdown, false);
    assert.deepEqual(crashed.collectAbortedTransactions(0n, 12n).map((e) => e.producerId), [7n]);
    // Producer-state replay re-appends every ABORT it meets; doing it twice changes nothing.
    for (let round = 0; round < 2; round++) {
      crashed.appendAbortedTransaction(txn(7n, 0n, 3n, 4n));
      crashed.appendAbortedTransaction(txn(8n, 8n, 9n, 10n));
    }
    assert.deepEqual(crashed.collectAbortedTransactions(0n, 12n).map((e) => e.producerId), [7n, 8n]);
    await crashed.close();
  });
});
