// The broker-side cost of READ_COMMITTED versus READ_UNCOMMITTED reads: one partition log holding 200
// transactions of 10 x 1 KiB records (every other one aborted, so the aborted-transaction index has 100 entries),
// read 1 MiB at a time from the start. READ_COMMITTED adds the LSO bound and the aborted-transaction lookup
// (offset-index upper bound + `.txnindex` scan); the records themselves are the same bytes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlRecordType, encodeEndTransactionMarkerBatch } from '../src/protocol/records/control-record.ts';
import { encodeRecordBatch } from '../src/protocol/records/record-batch-encoder.ts';
import { PartitionLog } from '../src/broker/log/partition-log.ts';
import { AppendOrigin } from '../src/broker/producer-state/append-origin.ts';
import type { BenchCase, Benchmark } from './harness.ts';

const TRANSACTIONS = 200;
const RECORDS = 10;
const READ_BYTES = 1 << 20;

export const fetchIsolationBench: Benchmark = {
  name: 'fetch-isolation',
  description: 'PartitionLog.read of 1 MiB, READ_UNCOMMITTED vs READ_COMMITTED (LSO + aborted transactions)',
  async build() {
    const directory = mkdtempSync(join(tmpdir(), 'seqlog-bench-isolation-'));
    process.once('exit', () => rmSync(directory, { recursive: true, force: true }));
    const log = await PartitionLog.open({ directory: join(directory, 't-0'), config: { fsync: 'never' } });
    const value = Buffer.alloc(1024, 'x');
    for (let i = 0; i < TRANSACTIONS; i++) {
      const producerId = BigInt(1000 + (i % 10));
      const sequence = Math.floor(i / 10) * RECORDS;
      log.append(
        encodeRecordBatch({
          producerId,
          producerEpoch: 0,
          baseSequence: sequence,
          isTransactional: true,
          records: Array.from({ length: RECORDS }, () => ({ key: null, value, timestamp: 1_000n })),
        }),
      );
      const result = i % 2 === 0 ? ControlRecordType.commit : ControlRecordType.abort;
      log.append(encodeEndTransactionMarkerBatch({ producerId, producerEpoch: 0, coordinatorEpoch: 0, result, timestamp: 1_000n }), {
        origin: AppendOrigin.coordinator,
      });
    }
    if (log.lastStableOffset !== log.highWatermark) throw new Error('a transaction is still open');
    const uncommitted = log.read(0n, READ_BYTES, { maxOffset: log.highWatermark });
    const committed = log.read(0n, READ_BYTES, { maxOffset: log.lastStableOffset, abortedTransactions: true });
    if (!uncommitted.records.equals(committed.records) || (committed.abortedTransactions?.length ?? 0) === 0) {
      throw new Error('the two reads should return the same bytes, and READ_COMMITTED some aborted transactions');
    }
    const bytes = uncommitted.records.length;
    const cases: BenchCase[] = [
      { label: 'read_uncommitted 1 MiB', bytesPerOp: bytes, run: () => log.read(0n, READ_BYTES, { maxOffset: log.highWatermark }) },
      {
        label: 'read_committed 1 MiB',
        bytesPerOp: bytes,
        run: () => log.read(0n, READ_BYTES, { maxOffset: log.lastStableOffset, abortedTransactions: true }),
      },
    ];
    return cases;
  },
  summarize(results) {
    const time = (label: string) => results.find((r) => r.label === label)?.medianNsPerOp ?? NaN;
    return [`read_committed / read_uncommitted time: ${(time('read_committed 1 MiB') / time('read_uncommitted 1 MiB')).toFixed(2)}x`];
  },
};
