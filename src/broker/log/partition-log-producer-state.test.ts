// The leader append path through a real PartitionLog: duplicates, validation, transactions, and producer state
// across clean and unclean restarts (Kafka's `UnifiedLogTest` duplicate/epoch cases and the producer-snapshot
// recovery cases of `LogLoaderTest`).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { ControlRecordType, encodeEndTransactionMarkerBatch } from '../../protocol/records/control-record.ts';
import type { TransactionResult } from '../../protocol/records/control-record.ts';
import { BrokerError } from '../broker-error.ts';
import { LogManager } from './log-manager.ts';
import { PartitionLog } from './partition-log.ts';
import type { AppendResult as LeaderAppendResult } from './partition-log.ts';
import type { LogConfig } from './log-config.ts';
import type { LogLogger } from './partition-log.ts';
import { batchesIn, simpleBatch } from './test-support.ts';
import { AppendOrigin } from '../producer-state/append-origin.ts';
import { producerSnapshotFileName } from '../producer-state/producer-snapshot-file.ts';
import type { ProducerStateManager } from '../producer-state/producer-state-manager.ts';
import { clientBatch, tempDirectory } from '../producer-state/test-support.ts';
import type { ClientBatchOptions } from '../producer-state/test-support.ts';

const temp = tempDirectory('seqlog-partition-append-');
after(() => temp.cleanup());
let counter = 0;

interface Partition {
  dataDir: string;
  log: PartitionLog;
  producerState: ProducerStateManager;
  messages: string[];
}

/** Opens `<dataDir>/topic-0` the way the broker does: the log loads its producer state as it opens. */
async function openPartition(dataDir = join(temp.path, `d-${counter++}`), config: Partial<LogConfig> = {}, clock = () => 1_000_000): Promise<Partition> {
  mkdirSync(dataDir, { recursive: true });
  const messages: string[] = [];
  const logger: LogLogger = {
    info: (_details, message) => messages.push(message),
    warn: (_details, message) => messages.push(message),
    error: (_details, message) => messages.push(message),
  };
  const log = await PartitionLog.open({ directory: join(dataDir, 'topic-0'), config, clock, logger });
  return { dataDir, log, producerState: log.producerState, messages };
}

async function closeCleanly(partition: Partition): Promise<void> {
  await partition.log.close();
}

function append(partition: Partition, batch: Buffer, origin?: typeof AppendOrigin.coordinator): LeaderAppendResult {
  return partition.log.append(batch, origin === undefined ? {} : { origin });
}

async function appendDurable(partition: Partition, batch: Buffer, origin?: typeof AppendOrigin.coordinator): Promise<LeaderAppendResult> {
  const result = append(partition, batch, origin);
  await partition.log.waitDurable(result.lastOffset);
  return result;
}

function marker(producerId: bigint, producerEpoch: number, result: TransactionResult, coordinatorEpoch = 0): Buffer {
  return encodeEndTransactionMarkerBatch({ producerId, producerEpoch, coordinatorEpoch, result, timestamp: 2_000n });
}

function rejectsWith(code: number, action: () => unknown): void {
  assert.throws(action, (error: unknown) => error instanceof BrokerError && error.code === code);
}

function storedBatches(log: PartitionLog): { baseOffset: bigint; lastOffset: bigint }[] {
  return batchesIn(log.read(log.logStartOffset, 1 << 24, { maxOffset: log.logEndOffset }).records).map(({ baseOffset, lastOffset }) => ({
    baseOffset,
    lastOffset,
  }));
}

function batchOf(producerId: bigint, baseSequence: number, options: Partial<ClientBatchOptions> = {}): Buffer {
  return clientBatch({ producerId, producerEpoch: 0, baseSequence, records: 2, ...options });
}

describe('PartitionLog.append with producer state', () => {
  it('testDuplicateAppends: the last 5 batches are answered with their original offsets, never stored twice', async () => {
    const partition = await openPartition();
    const producerId = 10n;
    const originals: LeaderAppendResult[] = [];
    for (let i = 0; i < 6; i++) {
      originals.push(await appendDurable(partition, batchOf(producerId, i * 2, { timestamp: 5_000n + BigInt(i * 10) })));
    }
    assert.deepEqual(originals.map((r) => r.baseOffset), [0n, 2n, 4n, 6n, 8n, 10n]);
    assert.ok(originals.every((r) => r.appended && r.logAppendTime === -1n));
    const logEnd = partition.log.logEndOffset;

    for (let i = 1; i < 6; i++) {
      const retry = append(partition, batchOf(producerId, i * 2, { timestamp: 5_000n + BigInt(i * 10) }));
      assert.equal(retry.appended, false);
      assert.equal(retry.baseOffset, originals[i].baseOffset);
      assert.equal(retry.lastOffset, originals[i].lastOffset);
      // Kafka answers a duplicate with the cached batch timestamp as logAppendTime, even on CreateTime topics.
      assert.equal(retry.logAppendTime, 5_000n + BigInt(i * 10) + 1n);
      assert.equal(retry.logStartOffset, 0n);
    }
    // The 6th-oldest batch fell out of the window: validated, it is out of order.
    rejectsWith(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, () => append(partition, batchOf(producerId, 0)));
    // A partial overlap with a cached batch.
    rejectsWith(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, () => append(partition, batchOf(producerId, 3)));
    assert.equal(partition.log.logEndOffset, logEnd);
    assert.equal(storedBatches(partition.log).length, 6);
    await closeCleanly(partition);
  });

  it('rejects a gap, an old epoch and a bumped epoch not starting at 0, appending nothing', async () => {
    const partition = await openPartition();
    const producerId = 11n;
    await appendDurable(partition, batchOf(producerId, 0, { producerEpoch: 1 }));
    rejectsWith(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, () => append(partition, batchOf(producerId, 3, { producerEpoch: 1 })));
    rejectsWith(ErrorCode.INVALID_PRODUCER_EPOCH, () => append(partition, batchOf(producerId, 2, { producerEpoch: 0 })));
    rejectsWith(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, () => append(partition, batchOf(producerId, 2, { producerEpoch: 2 })));
    assert.equal(partition.log.logEndOffset, 2n);
    assert.equal(partition.producerState.mapEndOffset, 2n);
    const bumped = append(partition, batchOf(producerId, 0, { producerEpoch: 2 }));
    assert.deepEqual([bumped.appended, bumped.baseOffset], [true, 2n]);
    assert.equal(partition.producerState.lastEntry(producerId)?.producerEpoch, 2);
    await closeCleanly(partition);
  });

  it('testProducerSequenceWrapAround with real batches: a batch may cross Int32.MAX', async () => {
    const partition = await openPartition();
    const producerId = 13n;
    const INT32_MAX = 0x7fffffff;
    // Unknown producer: accepted at any sequence. Sequences MAX-1, MAX, 0.
    const crossing = append(partition, clientBatch({ producerId, producerEpoch: 0, baseSequence: INT32_MAX - 1, records: 3 }));
    assert.equal(partition.producerState.lastEntry(producerId)?.lastSeq, 0);
    const retry = append(partition, clientBatch({ producerId, producerEpoch: 0, baseSequence: INT32_MAX - 1, records: 3 }));
    assert.deepEqual([retry.appended, retry.baseOffset], [false, crossing.baseOffset]);
    rejectsWith(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, () => append(partition, clientBatch({ producerId, producerEpoch: 0, baseSequence: 2 })));
    const next = append(partition, clientBatch({ producerId, producerEpoch: 0, baseSequence: 1 }));
    assert.deepEqual([next.appended, next.baseOffset], [true, 3n]);
    await closeCleanly(partition);
  });

  it('appends batches without a producer id untouched and still advances the map end offset', async () => {
    const partition = await openPartition();
    const first = append(partition, simpleBatch(3));
    const again = append(partition, simpleBatch(3));
    assert.deepEqual([first.baseOffset, again.baseOffset, again.appended], [0n, 3n, true]);
    assert.equal(partition.producerState.mapEndOffset, 6n);
    assert.equal(partition.producerState.producerIdCount, 0);
    await closeCleanly(partition);
  });

  it('on a LogAppendTime topic caches the broker timestamp and returns it for a duplicate', async () => {
    const partition = await openPartition(undefined, { messageTimestampType: 'LogAppendTime' }, () => 777_000);
    const producerId = 12n;
    const original = append(partition, batchOf(producerId, 0, { timestamp: 1_000n }));
    assert.equal(original.logAppendTime, 777_000n);
    assert.equal(partition.producerState.lastEntry(producerId)?.lastTimestamp, 777_000n);
    const retry = append(partition, batchOf(producerId, 0, { timestamp: 1_000n }));
    assert.deepEqual([retry.appended, retry.baseOffset, retry.logAppendTime], [false, 0n, 777_000n]);
    await closeCleanly(partition);
  });

  it('opens a transaction, pins the LSO, and completes it with a marker; an abort is indexed', async () => {
    const partition = await openPartition();
    const { log, producerState } = partition;
    const producerId = 20n;
    await appendDurable(partition, simpleBatch(1));
    const data = await appendDurable(partition, batchOf(producerId, 0, { isTransactional: true }));
    assert.equal(data.baseOffset, 1n);
    assert.equal(producerState.lastStableOffset(log.highWatermark), 1n);
    assert.equal(producerState.lastEntry(producerId)?.currentTxnFirstOffset, 1n);
    rejectsWith(ErrorCode.INVALID_TXN_STATE, () => append(partition, batchOf(producerId, 2)));
    // A bumped epoch starting at sequence 0 joins the open transaction.
    const bumped = await appendDurable(partition, batchOf(producerId, 0, { producerEpoch: 6, isTransactional: true, records: 1 }));
    assert.equal(bumped.baseOffset, 3n);
    assert.equal(producerState.lastEntry(producerId)?.currentTxnFirstOffset, 1n);
    // A zombie marker with an older producer epoch.
    rejectsWith(ErrorCode.INVALID_PRODUCER_EPOCH, () => append(partition, marker(producerId, 5, ControlRecordType.abort), AppendOrigin.coordinator));
    assert.equal(log.logEndOffset, 4n);

    const abort = await appendDurable(partition, marker(producerId, 6, ControlRecordType.abort, 3), AppendOrigin.coordinator);
    assert.deepEqual(abort.completedTxn, { producerId, firstOffset: 1n, lastOffset: 4n, isAborted: true });
    assert.equal(producerState.lastStableOffset(log.highWatermark), 5n);
    assert.deepEqual(log.collectAbortedTransactions(0n, 5n), [{ producerId, firstOffset: 1n, lastOffset: 4n, lastStableOffset: 5n }]);
    // A marker with no open transaction is written but completes nothing.
    const empty = append(partition, marker(producerId, 6, ControlRecordType.commit, 3), AppendOrigin.coordinator);
    assert.equal(empty.completedTxn, null);
    rejectsWith(ErrorCode.TRANSACTION_COORDINATOR_FENCED, () => append(partition, marker(producerId, 6, ControlRecordType.commit, 2), AppendOrigin.coordinator));
    await closeCleanly(partition);
  });

  it('keeps deduplicating the last batch of each producer across a clean restart (snapshot at the log end)', async () => {
    const first = await openPartition();
    const producerId = 30n;
    const originals: LeaderAppendResult[] = [];
    for (let i = 0; i < 3; i++) originals.push(await appendDurable(first, batchOf(producerId, i * 2)));
    const logEnd = first.log.logEndOffset;
    await closeCleanly(first);
    assert.ok(existsSync(join(first.log.directory, producerSnapshotFileName(logEnd))), 'a snapshot at the log end');

    const second = await openPartition(first.dataDir);
    assert.equal(second.log.recoveryReport.cleanShutdown, true);
    assert.equal(second.producerState.mapEndOffset, logEnd);
    assert.equal(second.producerState.lastSnapshotOffset, logEnd, 'loaded from the snapshot, nothing replayed');
    assert.ok(!second.messages.includes('replayed the log into producer state'));
    const retry = append(second, batchOf(producerId, 4));
    assert.deepEqual([retry.appended, retry.baseOffset, retry.lastOffset], [false, originals[2].baseOffset, originals[2].lastOffset]);
    // Only the last batch of a producer is in the snapshot (as in Kafka).
    rejectsWith(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, () => append(second, batchOf(producerId, 2)));
    const next = append(second, batchOf(producerId, 6));
    assert.deepEqual([next.appended, next.baseOffset], [true, logEnd]);
    await closeCleanly(second);
  });

  it('keeps deduplicating after a crash (no clean shutdown): the log is replayed', async () => {
    const crashed = await openPartition();
    const idempotent = 40n;
    const open = 41n;
    const aborted = 42n;
    const originals: LeaderAppendResult[] = [];
    for (let i = 0; i < 3; i++) originals.push(await appendDurable(crashed, batchOf(idempotent, i * 2)));
    await appendDurable(crashed, batchOf(aborted, 0, { isTransactional: true }));
    await appendDurable(crashed, marker(aborted, 0, ControlRecordType.abort), AppendOrigin.coordinator);
    const openTxn = await appendDurable(crashed, batchOf(open, 0, { isTransactional: true }));
    const logEnd = crashed.log.logEndOffset;
    // The process dies here: no log close, no snapshot, no clean-shutdown marker.

    const restarted = await openPartition(crashed.dataDir);
    try {
      assert.equal(restarted.log.recoveryReport.cleanShutdown, false);
      assert.equal(restarted.log.logEndOffset, logEnd);
      assert.ok(restarted.messages.includes('replayed the log into producer state'));
      // Replay restored all of the producer's batches, not just the last one.
      for (let i = 0; i < 3; i++) {
        const retry = append(restarted, batchOf(idempotent, i * 2));
        assert.deepEqual([retry.appended, retry.baseOffset, retry.lastOffset], [false, originals[i].baseOffset, originals[i].lastOffset]);
      }
      assert.equal(restarted.log.logEndOffset, logEnd);
      // The open transaction is open again, and the aborted one is back in the (never written) index.
      assert.equal(restarted.producerState.firstUndecidedOffset(), openTxn.baseOffset);
      assert.equal(restarted.producerState.lastStableOffset(restarted.log.highWatermark), openTxn.baseOffset);
      assert.deepEqual(restarted.log.collectAbortedTransactions(0n, logEnd), [
        { producerId: aborted, firstOffset: 6n, lastOffset: 8n, lastStableOffset: 9n },
      ]);
      assert.ok(existsSync(join(restarted.log.directory, producerSnapshotFileName(logEnd))), 'snapshot taken after recovery');
    } finally {
      await closeCleanly(restarted);
      await crashed.log.close().catch(() => undefined);
    }
  });

  it('recovers from the snapshot taken at a roll plus a replay of the tail', async () => {
    const first = await openPartition(undefined, { segmentBytes: 300 });
    const producerId = 50n;
    const originals: LeaderAppendResult[] = [];
    for (let i = 0; i < 8; i++) originals.push(await appendDurable(first, batchOf(producerId, i * 2)));
    const bases = first.log.segmentBaseOffsets;
    assert.ok(bases.length >= 3, `rolled into ${bases.length} segments`);
    await first.producerState.drainBackgroundSnapshots();
    const rollSnapshots = readdirSync(first.log.directory).filter((name) => name.endsWith('.snapshot'));
    assert.deepEqual(rollSnapshots, bases.slice(1).map(producerSnapshotFileName), 'a snapshot at each roll');
    // The recovery point covers everything: only the active segment is revalidated after the crash.
    first.log.checkpointRecoveryPoint();
    const logEnd = first.log.logEndOffset;

    const restarted = await openPartition(first.dataDir, { segmentBytes: 300 });
    try {
      const active = bases[bases.length - 1];
      assert.deepEqual(restarted.log.recoveryReport.recoveredSegments, [active]);
      assert.ok(restarted.messages.includes('loaded producer state from snapshot'));
      assert.equal(restarted.producerState.mapEndOffset, logEnd);
      // The batch before the snapshot came from it, the ones after from the replay.
      const lastInSnapshot = originals.findIndex((r) => r.baseOffset === active) - 1;
      assert.ok(lastInSnapshot >= 1);
      // Older than the snapshot's one batch and not replayed: no longer known.
      rejectsWith(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, () => append(restarted, batchOf(producerId, (lastInSnapshot - 1) * 2)));
      for (let i = lastInSnapshot; i < originals.length; i++) {
        const retry = append(restarted, batchOf(producerId, i * 2));
        assert.deepEqual([retry.appended, retry.baseOffset], [false, originals[i].baseOffset]);
      }
      assert.equal(restarted.log.logEndOffset, logEnd);
    } finally {
      await closeCleanly(restarted);
      await first.log.close().catch(() => undefined);
    }
  });

  it('deletes the snapshots of deleted segments', async () => {
    const partition = await openPartition(undefined, { segmentBytes: 300 });
    for (let i = 0; i < 8; i++) await appendDurable(partition, batchOf(51n, i * 2));
    const bases = partition.log.segmentBaseOffsets;
    const snapshots = () => readdirSync(partition.log.directory).filter((name) => name.endsWith('.snapshot'));
    // Roll snapshots are written in the background; count the files once the last roll's is on disk.
    await partition.producerState.drainBackgroundSnapshots();
    assert.equal(snapshots().length, bases.length - 1);
    partition.log.deleteRecordsBefore(bases[2]);
    assert.deepEqual(partition.log.segmentBaseOffsets[0], bases[2]);
    assert.deepEqual(snapshots(), bases.slice(2).map(producerSnapshotFileName));
    await closeCleanly(partition);
  });

  it('rebuilds producer state when the log is truncated', async () => {
    const partition = await openPartition();
    const producerId = 52n;
    for (let i = 0; i < 3; i++) await appendDurable(partition, batchOf(producerId, i * 2));
    assert.equal(append(partition, batchOf(producerId, 4)).appended, false);
    partition.log.truncateTo(4n);
    assert.equal(partition.producerState.mapEndOffset, 4n);
    assert.equal(partition.producerState.lastEntry(producerId)?.lastSeq, 3);
    // The truncated batch is gone: its retry is a new append now.
    const again = append(partition, batchOf(producerId, 4));
    assert.deepEqual([again.appended, again.baseOffset], [true, 4n]);
    await closeCleanly(partition);
  });
});

describe('producer state under the log manager', () => {
  it('every partition, including topics created later, owns its state; idle producers expire periodically', async () => {
    const dataDir = join(temp.path, `d-${counter++}`);
    let now = 1_000_000;
    const logs = await LogManager.open({
      dataDir,
      clock: () => now,
      producerState: { producerIdExpirationMs: 60_000 },
      producerIdExpirationCheckIntervalMs: 5,
    });
    await logs.createTopic('orders', { partitions: 2 });
    const log = logs.getLog('orders', 1);
    assert.ok(log);
    log.append(batchOf(60n, 0, { timestamp: BigInt(now) }));
    assert.equal(log.producerState.producerIdCount, 1);
    assert.equal(logs.producerStateMetrics().producerIdCount, 1);
    assert.equal(log.append(batchOf(60n, 0, { timestamp: BigInt(now) })).appended, false);

    now += 60_001; // the batch's maxTimestamp is its last record's, one ms after the first
    for (let i = 0; i < 100 && logs.producerStateMetrics().producerIdCount > 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(logs.producerStateMetrics(), { producerIdCount: 0, evictedProducerIds: 0, expiredProducerIds: 1 });
    // Expired, so unknown: a retry of the old batch is appended again (why expiration must exceed delivery.timeout.ms).
    assert.equal(log.append(batchOf(60n, 0, { timestamp: BigInt(now) })).appended, true);

    await logs.close();
    assert.deepEqual(
      readdirSync(log.directory).filter((name) => name.endsWith('.snapshot')),
      [producerSnapshotFileName(4n)],
      'clean shutdown snapshot at the log end',
    );
  });
});
