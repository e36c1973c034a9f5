// Transaction markers on the partition side: the LSO with interleaved transactions, READ_COMMITTED reads that stop
// at it and list the aborted transactions of the range, marker fencing (epoch, coordinator epoch), and the
// aborted-transaction index and open transactions surviving clean and unclean restarts (Kafka's
// `UnifiedLogTest` transaction cases and `LogLoaderTest` recovery of the transaction index).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { silentLogger } from '../logger.ts';
import { LogManager } from './log-manager.ts';
import type { PartitionLog } from './partition-log.ts';
import { batchesIn } from './test-support.ts';
import { writeTxnMarkers } from './txn-markers.ts';
import type { TxnMarker } from './txn-markers.ts';
import { clientBatch, tempDirectory } from '../producer-state/test-support.ts';

const temp = tempDirectory('seqlog-txn-markers-');
after(() => temp.cleanup());
let counter = 0;

async function openLogs(dataDir = join(temp.path, `d-${counter++}`)): Promise<{ logs: LogManager; dataDir: string }> {
  const logs = await LogManager.open({ dataDir, config: { fsync: 'always' } });
  if (logs.topic('t') === undefined) await logs.createTopic('t', { partitions: 2 });
  return { logs, dataDir };
}

function partition(logs: LogManager, index: number): PartitionLog {
  const log = logs.getLog('t', index);
  assert.ok(log);
  return log;
}

async function produceTxn(log: PartitionLog, producerId: bigint, baseSequence: number, records = 2, producerEpoch = 0): Promise<bigint> {
  const result = log.append(clientBatch({ producerId, producerEpoch, baseSequence, records, isTransactional: true }));
  await log.waitDurable(result.lastOffset);
  return result.baseOffset;
}

function markers(logs: LogManager, marker: Omit<TxnMarker, 'partitions'>, partitions: number[]) {
  return writeTxnMarkers(
    { logs, clock: () => 5_000, logger: silentLogger },
    { ...marker, partitions: partitions.map((p) => ({ topic: 't', partition: p })) },
  );
}

function committedOffsets(log: PartitionLog, from = 0n) {
  const read = log.read(from, 1 << 20, { maxOffset: log.lastStableOffset, abortedTransactions: true });
  return { offsets: batchesIn(read.records).map((b) => b.baseOffset), aborted: read.abortedTransactions };
}

describe('transaction markers on partitions', () => {
  it('LSO with two interleaved transactions; an abort is indexed and listed to READ_COMMITTED readers', async () => {
    const { logs } = await openLogs();
    const p0 = partition(logs, 0);
    const p1 = partition(logs, 1);
    assert.equal(await produceTxn(p0, 1n, 0), 0n); // offsets 0-1, producer 1
    assert.equal(await produceTxn(p0, 2n, 0), 2n); // offsets 2-3, producer 2
    assert.equal(await produceTxn(p1, 1n, 0), 0n);
    assert.equal(p0.highWatermark, 4n);
    assert.equal(p0.lastStableOffset, 0n);
    assert.deepEqual(committedOffsets(p0), { offsets: [], aborted: [] });
    assert.equal(p0.producerState.describeProducers().find((p) => p.producerId === 2n)?.currentTxnStartOffset, 2n);

    const aborted = await markers(logs, { producerId: 1n, producerEpoch: 0, coordinatorEpoch: 0, commit: false }, [0, 1]);
    assert.deepEqual(aborted.map((r) => r.errorCode), [ErrorCode.NONE, ErrorCode.NONE]);
    // Producer 2's transaction still pins partition 0; partition 1 is stable up to its end (marker included).
    assert.equal(p0.lastStableOffset, 2n);
    assert.equal(p1.lastStableOffset, 3n);
    assert.deepEqual(committedOffsets(p0), { offsets: [0n], aborted: [{ producerId: 1n, firstOffset: 0n, lastOffset: 4n, lastStableOffset: 2n }] });

    const committed = await markers(logs, { producerId: 2n, producerEpoch: 0, coordinatorEpoch: 0, commit: true }, [0]);
    assert.equal(committed[0].errorCode, ErrorCode.NONE);
    assert.equal(p0.lastStableOffset, 6n);
    const all = committedOffsets(p0);
    assert.deepEqual(all.offsets, [0n, 2n, 4n, 5n]);
    assert.deepEqual(all.aborted?.map((a) => [a.producerId, a.firstOffset]), [[1n, 0n]]);
    // Reading past the aborted transaction: it no longer overlaps.
    assert.deepEqual(committedOffsets(p0, 5n).aborted, []);
    assert.equal(p0.producerState.describeProducers().find((p) => p.producerId === 2n)?.currentTxnStartOffset, -1n);
    await logs.close();
  });

  it('refuses a marker with an older epoch or an older coordinator epoch; unknown partitions are named', async () => {
    const { logs } = await openLogs();
    const p0 = partition(logs, 0);
    await produceTxn(p0, 7n, 0, 1, 3);
    const stale = await markers(logs, { producerId: 7n, producerEpoch: 2, coordinatorEpoch: 0, commit: true }, [0, 9]);
    assert.deepEqual(stale.map((r) => r.errorCode), [ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    const bumped = await markers(logs, { producerId: 7n, producerEpoch: 4, coordinatorEpoch: 5, commit: false }, [0]);
    assert.equal(bumped[0].errorCode, ErrorCode.NONE);
    // The marker's epoch fences the producer's old epoch on this partition.
    assert.throws(() => p0.append(clientBatch({ producerId: 7n, producerEpoch: 3, baseSequence: 1, isTransactional: true })), { code: ErrorCode.INVALID_PRODUCER_EPOCH });
    const zombie = await markers(logs, { producerId: 7n, producerEpoch: 4, coordinatorEpoch: 4, commit: false }, [0]);
    assert.equal(zombie[0].errorCode, ErrorCode.TRANSACTION_COORDINATOR_FENCED);
    assert.equal(p0.logEndOffset, 2n);
    await logs.close();
  });

  it('an aborted transaction spanning segments is listed for a fetch from its first segment (the index lives with the marker)', async () => {
    const logs = await LogManager.open({ dataDir: join(temp.path, `d-${counter++}`), config: { fsync: 'always', segmentBytes: 300 } });
    await logs.createTopic('t', { partitions: 1 });
    const log = partition(logs, 0);
    await produceTxn(log, 1n, 0, 3); // offsets 0-2, a batch of about 200 bytes
    for (let i = 0; i < 3; i++) await produceTxn(log, 2n + BigInt(i), 0, 3); // other producers' transactions roll segments
    await markers(logs, { producerId: 1n, producerEpoch: 0, coordinatorEpoch: 0, commit: false }, [0]);
    for (let i = 0; i < 3; i++) await markers(logs, { producerId: 2n + BigInt(i), producerEpoch: 0, coordinatorEpoch: 0, commit: true }, [0]);
    assert.ok(log.segmentCount >= 3, `segments: ${log.segmentCount}`);
    const marker = 12n; // after 4 batches of 3 records
    const fromFirstSegment = log.read(0n, 100, { maxOffset: log.lastStableOffset, abortedTransactions: true });
    assert.deepEqual(fromFirstSegment.abortedTransactions, [{ producerId: 1n, firstOffset: 0n, lastOffset: marker, lastStableOffset: 3n }]);
    await logs.close();
    // And after a restart, from the segments' .txnindex files.
    const reopened = await LogManager.open({ dataDir: logs.dataDir, config: { fsync: 'always', segmentBytes: 300 } });
    const again = partition(reopened, 0).read(0n, 100, { maxOffset: partition(reopened, 0).lastStableOffset, abortedTransactions: true });
    assert.deepEqual(again.abortedTransactions, [{ producerId: 1n, firstOffset: 0n, lastOffset: marker, lastStableOffset: 3n }]);
    await reopened.close();
  });

  it('counts a partition whose open transaction is idle past transaction.max.timeout.ms + 5 min as late', async () => {
    let now = 1_000;
    const logs = await LogManager.open({ dataDir: join(temp.path, `d-${counter++}`), clock: () => now, producerState: { maxTransactionTimeoutMs: 60_000 } });
    await logs.createTopic('t', { partitions: 2 });
    await produceTxn(partition(logs, 0), 1n, 0); // batch timestamps 1000-1001
    now = 1_001 + 60_000 + 300_000;
    assert.equal(logs.partitionsWithLateTransactions(), 0);
    now += 1;
    assert.equal(logs.partitionsWithLateTransactions(), 1);
    await markers(logs, { producerId: 1n, producerEpoch: 0, coordinatorEpoch: 0, commit: false }, [0]);
    assert.equal(logs.partitionsWithLateTransactions(), 0);
    await logs.close();
  });

  it('open transactions and the aborted index survive a clean restart and a crash', async () => {
    for (const clean of [true, false]) {
      const { logs, dataDir } = await openLogs();
      const p0 = partition(logs, 0);
      await produceTxn(p0, 1n, 0);
      await markers(logs, { producerId: 1n, producerEpoch: 0, coordinatorEpoch: 0, commit: false }, [0]);
      await produceTxn(p0, 2n, 0); // offsets 3-4, left open
      if (clean) {
        await logs.close();
      } else {
        // A crash: nothing of the close runs (no index write, no snapshot, no clean-shutdown marker).
        for (const log of [p0, partition(logs, 1)]) (log as unknown as { closed: boolean }).closed = true;
      }
      const reopened = (await openLogs(dataDir)).logs;
      const r0 = partition(reopened, 0);
      assert.equal(r0.lastStableOffset, 3n, `clean=${clean}`);
      assert.deepEqual(committedOffsets(r0).aborted?.map((a) => [a.producerId, a.firstOffset, a.lastOffset]), [[1n, 0n, 2n]], `clean=${clean}`);
      await markers(reopened, { producerId: 2n, producerEpoch: 0, coordinatorEpoch: 0, commit: true }, [0]);
      assert.equal(r0.lastStableOffset, 6n);
      await reopened.close();
    }
  });
});
