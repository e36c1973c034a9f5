// CRC-32C throughput: the native addon the record code uses vs. the best portable JavaScript (slicing-by-8).
import { crc32c } from '../src/protocol/wire/crc32c.ts';
import { crc32cSlicingBy8 } from './crc32c-slicing-by-8.ts';
import { jsonBlob } from './fixtures.ts';
import type { Benchmark } from './harness.ts';

export const crc32cBench: Benchmark = {
  name: 'crc32c',
  description: 'CRC-32C over 1 MiB and 4 KiB: native (@node-rs/crc32) vs pure-JS slicing-by-8',
  build() {
    const big = jsonBlob(1024 * 1024);
    const small = big.subarray(0, 4096);
    if (crc32c(big) !== crc32cSlicingBy8(big)) throw new Error('native and JS CRC-32C disagree');
    return [
      { label: 'native 1 MiB', bytesPerOp: big.length, run: () => crc32c(big) },
      { label: 'js slicing-by-8 1 MiB', bytesPerOp: big.length, run: () => crc32cSlicingBy8(big) },
      { label: 'native 4 KiB', bytesPerOp: small.length, run: () => crc32c(small) },
      { label: 'js slicing-by-8 4 KiB', bytesPerOp: small.length, run: () => crc32cSlicingBy8(small) },
    ];
  },
  summarize(results) {
    const speed = (label: string) => results.find((r) => r.label === label)?.mbPerSecond ?? NaN;
    return [
      `native / JS ratio: ${(speed('native 1 MiB') / speed('js slicing-by-8 1 MiB')).toFixed(1)}x at 1 MiB, ` +
        `${(speed('native 4 KiB') / speed('js slicing-by-8 4 KiB')).toFixed(1)}x at 4 KiB`,
    ];
  },
};
