// Each codec's compress/decompress throughput on ~1 MiB of 1 KiB JSON-ish events, in Kafka's stream formats.
import { codecFor } from '../src/protocol/records/compression/codec-registry.ts';
import { CompressionType } from '../src/protocol/records/batch-header.ts';
import { jsonBlob } from './fixtures.ts';
import type { BenchCase, Benchmark } from './harness.ts';

const compressed: string[] = [];

export const compressionBench: Benchmark = {
  name: 'compression',
  description: 'gzip / snappy (xerial) / lz4 (frame) / zstd on 1 MiB of 1 KiB JSON events; MB/s of uncompressed bytes',
  build() {
    const input = jsonBlob(1024 * 1024);
    const cases: BenchCase[] = [];
    compressed.length = 0;
    for (const id of [CompressionType.gzip, CompressionType.snappy, CompressionType.lz4, CompressionType.zstd]) {
      const codec = codecFor(id);
      const packed = codec.compress(input);
      if (!codec.decompress(packed).equals(input)) throw new Error(`${codec.name} does not round-trip`);
      compressed.push(`${codec.name} ${(input.length / packed.length).toFixed(2)}:1`);
      cases.push({ label: `${codec.name} compress`, bytesPerOp: input.length, run: () => codec.compress(input) });
      cases.push({ label: `${codec.name} decompress`, bytesPerOp: input.length, run: () => codec.decompress(packed) });
    }
    return cases;
  },
  summarize: () => [`compression ratios: ${compressed.join(', ')}`],
};
