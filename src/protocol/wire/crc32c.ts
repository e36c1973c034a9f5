// CRC-32C (Castagnoli), the checksum of record batches (Kafka's `Crc32C`) and producer-state snapshots.
// The implementation is a native SIMD addon (@node-rs/crc32): measured on this project's bench machine it is
// several times faster than the best table-driven JavaScript (see bench/crc32c.bench.ts for the numbers).
import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/** CRC-32C of `bytes` as an unsigned 32-bit integer. */
export function crc32c(bytes: Uint8Array): number {
  return nativeCrc32c(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) >>> 0;
}
