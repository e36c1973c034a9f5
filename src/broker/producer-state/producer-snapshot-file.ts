// Producer-state snapshot files (Kafka's `ProducerStateManager.writeSnapshot` / `readSnapshot`):
// `<partition dir>/<offset, 20 digits>.snapshot`, holding the state of every producer as of that offset (every
// record below it is reflected). Layout, big-endian, ProducerSnapshot version 1:
//   int16 version (1) | uint32 CRC-32C of every byte after the CRC | int32 count | count x entry
//   entry: int64 producerId, int16 epoch, int32 lastSequence, int64 lastOffset, int32 offsetDelta,
//          int64 timestamp, int32 coordinatorEpoch, int64 currentTxnFirstOffset (-1 if none)
// Only the last batch of each producer is kept, so after a restart a retry of that batch alone is recognised,
// unless replaying the log after the snapshot restores more. Files are replaced atomically (temp file, fsync,
// rename, directory fsync).
import { decodeProducerSnapshot, producerSnapshotVersions } from '../../protocol/messages/generated/internal/producer-snapshot.ts';
import { Reader } from '../../protocol/wire/reader.ts';
import { crc32c } from '../../protocol/wire/crc32c.ts';
import { readSmallFile, writeFileAtomic } from '../log/checkpoint-file.ts';
import { offsetFileName, offsetFromFileName } from '../log/file-names.ts';
import type { LogFileSystem } from '../log/log-file-system.ts';
import { BatchMetadata } from './batch-metadata.ts';
import { ProducerStateEntry } from './producer-state-entry.ts';
import type { Int64Slot } from './producer-state-entry.ts';

export const PRODUCER_SNAPSHOT_FILE_SUFFIX = '.snapshot';
export const PRODUCER_SNAPSHOT_VERSION = producerSnapshotVersions.max;

const VERSION_OFFSET = 0;
const CRC_OFFSET = VERSION_OFFSET + 2;
const PRODUCER_ENTRIES_OFFSET = CRC_OFFSET + 4;

/** The snapshot cannot be trusted (Kafka's `CorruptSnapshotException`): the caller deletes it and tries an older one. */
export class CorruptSnapshotError extends Error {
  override readonly name = 'CorruptSnapshotError';
}

export function producerSnapshotFileName(offset: bigint): string {
  return offsetFileName(offset, PRODUCER_SNAPSHOT_FILE_SUFFIX);
}

/** Offsets of the snapshot files in `directory`, ascending. */
export function listSnapshotOffsets(fs: LogFileSystem, directory: string): bigint[] {
  if (fs.stat(directory) === null) return [];
  const offsets: bigint[] = [];
  for (const name of fs.readdir(directory)) {
    const offset = offsetFromFileName(name, PRODUCER_SNAPSHOT_FILE_SUFFIX);
    if (offset !== null) offsets.push(offset);
  }
  return offsets.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export const PRODUCER_SNAPSHOT_CRC_OFFSET = CRC_OFFSET;
export const PRODUCER_SNAPSHOT_ENTRIES_OFFSET = PRODUCER_ENTRIES_OFFSET;
/** producerId, epoch, lastSequence, lastOffset, offsetDelta, timestamp, coordinatorEpoch, currentTxnFirstOffset. */
export const PRODUCER_SNAPSHOT_ENTRY_SIZE = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8;
const TWO_POW_32 = 2 ** 32;

/** Writes an int64 held as a number (exact below 2^53) or a bigint, without allocating a bigint for the number. */
function writeInt64Slot(view: DataView, value: Int64Slot, offset: number): void {
  if (typeof value === 'bigint') {
    view.setBigInt64(offset, value);
    return;
  }
  const high = Math.floor(value / TWO_POW_32);
  view.setInt32(offset, high);
  view.setUint32(offset + 4, value - high * TWO_POW_32);
}

/** The version and entry count; the CRC is filled in once the entries are written. */
export function encodeProducerSnapshotHeader(view: DataView, count: number): void {
  view.setInt16(VERSION_OFFSET, PRODUCER_SNAPSHOT_VERSION);
  view.setUint32(CRC_OFFSET, 0);
  view.setInt32(PRODUCER_ENTRIES_OFFSET, count);
}

/**
 * One entry at byte `offset`, field by field: no object per entry and no bigint per int64. (DataView writes are
 * inlined by the optimizing compiler; Buffer's writeXxxBE methods are not.) The layout is the generated
 * ProducerSnapshot v1 codec's, which reads these files back; the tests compare the two byte for byte.
 */
export function encodeProducerSnapshotEntry(view: DataView, entry: ProducerStateEntry, offset: number): void {
  writeInt64Slot(view, entry.key, offset);
  view.setInt16(offset + 8, entry.producerEpoch);
  view.setInt32(offset + 10, entry.lastSeq);
  writeInt64Slot(view, entry.lastDataOffsetSlot, offset + 14);
  view.setInt32(offset + 22, entry.lastOffsetDelta);
  writeInt64Slot(view, entry.lastTimestampSlot, offset + 26);
  view.setInt32(offset + 34, entry.coordinatorEpoch);
  writeInt64Slot(view, entry.currentTxnFirstOffset ?? -1, offset + 38);
}

/** The file image of a snapshot of `entries`, encoded in one go (startup, clean shutdown, tests). */
export function encodeProducerSnapshotFile(entries: Iterable<ProducerStateEntry>): Buffer {
  const list = Array.isArray(entries) ? (entries as ProducerStateEntry[]) : [...entries];
  const bytes = Buffer.allocUnsafe(PRODUCER_ENTRIES_OFFSET + 4 + list.length * PRODUCER_SNAPSHOT_ENTRY_SIZE);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  encodeProducerSnapshotHeader(view, list.length);
  let at = PRODUCER_ENTRIES_OFFSET + 4;
  for (const entry of list) {
    encodeProducerSnapshotEntry(view, entry, at);
    at += PRODUCER_SNAPSHOT_ENTRY_SIZE;
  }
  bytes.writeUInt32BE(crc32c(bytes.subarray(PRODUCER_ENTRIES_OFFSET)), CRC_OFFSET);
  return bytes;
}

/** Reads a snapshot file image; throws CorruptSnapshotError when it is short, of another version or fails its CRC. */
export function decodeProducerSnapshotFile(bytes: Buffer): ProducerStateEntry[] {
  if (bytes.length < PRODUCER_ENTRIES_OFFSET) throw new CorruptSnapshotError(`snapshot is ${bytes.length} bytes long`);
  const version = bytes.readInt16BE(VERSION_OFFSET);
  if (version !== PRODUCER_SNAPSHOT_VERSION) throw new CorruptSnapshotError(`snapshot contained an unknown file version ${version}`);
  const storedCrc = bytes.readUInt32BE(CRC_OFFSET);
  const computedCrc = crc32c(bytes.subarray(PRODUCER_ENTRIES_OFFSET));
  if (storedCrc !== computedCrc) {
    throw new CorruptSnapshotError(`snapshot is corrupt (CRC is no longer valid): stored ${storedCrc}, computed ${computedCrc}`);
  }
  const reader = new Reader(bytes, CRC_OFFSET);
  let decoded;
  try {
    decoded = decodeProducerSnapshot(reader, version);
  } catch (error) {
    throw new CorruptSnapshotError(`snapshot failed schema validation: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (reader.remaining !== 0) throw new CorruptSnapshotError(`snapshot has ${reader.remaining} bytes after its entries`);
  return decoded.producerEntries.map((entry) => {
    const batch = entry.lastOffset >= 0n ? new BatchMetadata(entry.lastSequence, entry.lastOffset, entry.offsetDelta, entry.timestamp) : null;
    return new ProducerStateEntry(
      entry.producerId,
      entry.epoch,
      entry.coordinatorEpoch,
      entry.timestamp,
      entry.currentTxnFirstOffset >= 0n ? entry.currentTxnFirstOffset : null,
      batch,
    );
  });
}

export function writeProducerSnapshot(fs: LogFileSystem, path: string, entries: Iterable<ProducerStateEntry>, durable = true): void {
  writeFileAtomic(fs, path, encodeProducerSnapshotFile(entries), durable);
}

export function readProducerSnapshot(fs: LogFileSystem, path: string): ProducerStateEntry[] {
  const bytes = readSmallFile(fs, path);
  if (bytes === null) throw new CorruptSnapshotError(`snapshot ${path} does not exist`);
  return decodeProducerSnapshotFile(bytes);
}
