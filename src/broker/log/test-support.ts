// Helpers for the log's tests: tiny record batches built by hand (header + uncompressed records + CRC), a
// file system wrapper that counts and can fail operations, and temp directories.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchField, RECORD_BATCH_OVERHEAD, writeCrc } from '../../protocol/records/batch-header.ts';
import { nodeFileSystem } from './log-file-system.ts';
import type { LogFileSystem } from './log-file-system.ts';

export interface TestRecord {
  /** Absolute timestamp in ms. */
  timestamp: bigint;
  value: string;
}

export interface TestBatchOptions {
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  attributes?: number;
}

function zigzagVarint(value: bigint): number[] {
  let n = value >= 0n ? value << 1n : (-value << 1n) - 1n;
  const out: number[] = [];
  while (n >= 0x80n) {
    out.push(Number(n & 0x7fn) | 0x80);
    n >>= 7n;
  }
  out.push(Number(n));
  return out;
}

/** A magic-2 batch of uncompressed records, baseOffset 0 and epoch -1 as a client sends it. */
export function makeBatch(records: readonly TestRecord[], options: TestBatchOptions = {}): Buffer {
  const baseTimestamp = records.length > 0 ? records[0].timestamp : -1n;
  let maxTimestamp = -1n;
  const encoded: Buffer[] = records.map((record, i) => {
    if (record.timestamp > maxTimestamp) maxTimestamp = record.timestamp;
    const value = Buffer.from(record.value);
    const body = Buffer.from([
      0, // attributes
      ...zigzagVarint(record.timestamp - baseTimestamp),
      ...zigzagVarint(BigInt(i)),
      ...zigzagVarint(-1n), // null key
      ...zigzagVarint(BigInt(value.length)),
      ...value,
      ...zigzagVarint(0n), // no headers
    ]);
    return Buffer.concat([Buffer.from(zigzagVarint(BigInt(body.length))), body]);
  });
  const body = Buffer.concat(encoded);
  const batch = Buffer.alloc(RECORD_BATCH_OVERHEAD + body.length);
  batch.writeBigInt64BE(0n, BatchField.baseOffset);
  batch.writeInt32BE(batch.length - 12, BatchField.batchLength);
  batch.writeInt32BE(-1, BatchField.partitionLeaderEpoch);
  batch.writeInt8(2, BatchField.magic);
  batch.writeInt16BE(options.attributes ?? 0, BatchField.attributes);
  batch.writeInt32BE(records.length - 1, BatchField.lastOffsetDelta);
  batch.writeBigInt64BE(baseTimestamp, BatchField.baseTimestamp);
  batch.writeBigInt64BE(maxTimestamp, BatchField.maxTimestamp);
  batch.writeBigInt64BE(options.producerId ?? -1n, BatchField.producerId);
  batch.writeInt16BE(options.producerEpoch ?? -1, BatchField.producerEpoch);
  batch.writeInt32BE(options.baseSequence ?? -1, BatchField.baseSequence);
  batch.writeInt32BE(records.length, BatchField.recordsCount);
  body.copy(batch, RECORD_BATCH_OVERHEAD);
  writeCrc(batch, 0, batch.length);
  return batch;
}

/** `count` records with values `${prefix}${i}` and timestamps from `timestamp` on, one ms apart. */
export function simpleBatch(count: number, timestamp = 1_000n, prefix = 'v'): Buffer {
  return makeBatch(Array.from({ length: count }, (_, i) => ({ timestamp: timestamp + BigInt(i), value: `${prefix}${i}` })));
}

/** Walks concatenated batches: (baseOffset, lastOffset, size) of each. */
export function batchesIn(records: Buffer): { baseOffset: bigint; lastOffset: bigint; size: number }[] {
  const out: { baseOffset: bigint; lastOffset: bigint; size: number }[] = [];
  let at = 0;
  while (at < records.length) {
    const size = records.readInt32BE(at + BatchField.batchLength) + 12;
    const baseOffset = records.readBigInt64BE(at);
    out.push({ baseOffset, lastOffset: baseOffset + BigInt(records.readInt32BE(at + BatchField.lastOffsetDelta)), size });
    at += size;
  }
  return out;
}

export interface InstrumentedFileSystem extends LogFileSystem {
  fsyncCount: number;
  directoryFsyncCount: number;
  /** When set, called before each fsync; throwing or returning a rejected promise fails it. */
  beforeFsync: ((fd: number) => Promise<void> | void) | null;
  /** When set, called before each write; throwing fails it. Returning a number writes only that many bytes. */
  beforeWrite: ((fd: number, length: number) => number | void) | null;
}

/** Wraps the real file system to count fsyncs and inject failures. */
export function instrumentedFileSystem(base: LogFileSystem = nodeFileSystem): InstrumentedFileSystem {
  const fs: InstrumentedFileSystem = {
    ...base,
    fsyncCount: 0,
    directoryFsyncCount: 0,
    beforeFsync: null,
    beforeWrite: null,
    write(fd, buffer, offset, length, position) {
      const allowed = fs.beforeWrite?.(fd, length);
      if (typeof allowed === 'number') {
        const written = base.write(fd, buffer, offset, Math.min(allowed, length), position);
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC', written });
      }
      return base.write(fd, buffer, offset, length, position);
    },
    async fsync(fd) {
      fs.fsyncCount++;
      await fs.beforeFsync?.(fd);
      await base.fsync(fd);
    },
    fsyncSync(fd) {
      fs.fsyncCount++;
      base.fsyncSync(fd);
    },
    async fsyncDirectory(path) {
      fs.directoryFsyncCount++;
      await base.fsyncDirectory(path);
    },
  };
  return fs;
}

/** A fresh temp directory and a cleanup function. */
export function tempDirectory(): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'seqlog-log-'));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}
