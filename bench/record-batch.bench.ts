// Record batch encode/decode of 1 MiB of 1 KiB records (1024 records), plus the broker's raw-bytes check.
import { CompressionType } from '../src/protocol/records/batch-header.ts';
import { encodeRecordBatch } from '../src/protocol/records/record-batch-encoder.ts';
import { decodeRecordBatch } from '../src/protocol/records/record-batch-decoder.ts';
import { validateBatchForAppend } from '../src/protocol/records/validate-batch-for-append.ts';
import { readPartitionFetch } from '../src/client/consumer/completed-fetch.ts';
import { jsonRecords } from './fixtures.ts';
import type { BenchCase, Benchmark } from './harness.ts';

export const recordBatchBench: Benchmark = {
  name: 'record-batch',
  description: 'encodeRecordBatch / decodeRecordBatch / validateBatchForAppend, 1024 x 1 KiB records',
  build() {
    const records = jsonRecords(1024);
    const bytes = records.reduce((sum, r) => sum + (r.value?.length ?? 0) + (r.key?.length ?? 0), 0);
    const cases: BenchCase[] = [];
    for (const compression of [CompressionType.none, CompressionType.lz4, CompressionType.zstd]) {
      const input = { producerId: 1000n, producerEpoch: 0, baseSequence: 0, compression, records };
      const batch = encodeRecordBatch(input);
      if (decodeRecordBatch(batch).records.length !== records.length) throw new Error('batch does not round-trip');
      const name = compression === CompressionType.none ? 'none' : compression === CompressionType.lz4 ? 'lz4' : 'zstd';
      cases.push({ label: `encode ${name}`, bytesPerOp: bytes, itemsPerOp: records.length, run: () => encodeRecordBatch(input) });
      cases.push({ label: `decode ${name}`, bytesPerOp: bytes, itemsPerOp: records.length, run: () => decodeRecordBatch(batch) });
      if (compression === CompressionType.none) {
        cases.push({ label: 'validateBatchForAppend', bytesPerOp: batch.length, itemsPerOp: records.length, run: () => validateBatchForAppend(batch) });
        // What the consumer does with one partition's answer: CRC check, decode, one ConsumerRecord per record.
        const answer = { topic: 'events', partition: 0, fetchOffset: 0n, records: batch, abortedTransactions: null, readCommitted: false, lastStableOffset: -1n };
        cases.push({ label: 'consumer read (readPartitionFetch)', bytesPerOp: bytes, itemsPerOp: records.length, run: () => readPartitionFetch(answer) });
      }
    }
    return cases;
  },
};
