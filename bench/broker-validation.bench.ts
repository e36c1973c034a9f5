// The broker's per-batch validation of a Produce (`validateBatchForAppend`): header, CRC, and the walk over every
// record (Kafka's `LogValidator`), decompressing compressed batches. ns/record is the cost the walk adds per
// record; it allocates nothing per record. Batches of 1000 records of ~100 bytes, a common producer batch shape,
// and of 1024 x 1 KiB.
import { CompressionType } from '../src/protocol/records/batch-header.ts';
import { encodeRecordBatch } from '../src/protocol/records/record-batch-encoder.ts';
import { validateBatchForAppend } from '../src/protocol/records/validate-batch-for-append.ts';
import { jsonRecords } from './fixtures.ts';
import type { BenchCase, Benchmark } from './harness.ts';

const codecs = [
  ['none', CompressionType.none],
  ['lz4', CompressionType.lz4],
  ['zstd', CompressionType.zstd],
  ['snappy', CompressionType.snappy],
  ['gzip', CompressionType.gzip],
] as const;

export const brokerValidationBench: Benchmark = {
  name: 'broker-validation',
  description: 'validateBatchForAppend (header, CRC, every record; decompressing), uncompressed and compressed, ns/record',
  build() {
    const cases: BenchCase[] = [];
    for (const [count, size] of [
      [1000, 100],
      [1024, 1024],
    ] as const) {
      const records = jsonRecords(count, size).map((record, i) => ({ ...record, headers: i % 2 === 0 ? [{ key: 'trace', value: Buffer.from('abc') }] : [] }));
      for (const [name, compression] of codecs) {
        const batch = encodeRecordBatch({ producerId: 1000n, producerEpoch: 0, baseSequence: 0, compression, records });
        const check = validateBatchForAppend(batch);
        if (!check.ok) throw new Error(`the ${name} batch does not validate: ${check.message}`);
        cases.push({ label: `${count} x ${size} B, ${name}`, bytesPerOp: batch.length, itemsPerOp: count, run: () => validateBatchForAppend(batch) });
      }
    }
    return cases;
  },
};
