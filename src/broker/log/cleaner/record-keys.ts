// The keys of a stored batch's records, read on the raw bytes: the cleaner looks at the key of every record it
// reads (twice: building the offset map, then deciding what stays), and a decoded record object per record made
// most of its cost. Stored batches passed the broker's record walk at append, so only bounds are checked here;
// a batch that breaks them throws, which fails that cleaning and leaves the log as it was.
import { BatchAttribute, BatchField, RECORD_BATCH_OVERHEAD } from '../../../protocol/records/batch-header.ts';
import { decompress } from '../../../protocol/records/compression/codec-registry.ts';
import type { CompressionType } from '../../../protocol/records/batch-header.ts';

/** Called per record: its key (a view into the batch or its decompressed section; null for none), offset delta, and whether its value is null. */
export type RecordKeyVisitor = (key: Buffer | null, offsetDelta: number, isTombstone: boolean) => void;

/** The record section of `batch` (one whole stored batch): a view of it, or its decompressed copy. */
export function recordSection(batch: Buffer): Buffer {
  const compression = (batch.readInt16BE(BatchField.attributes) & BatchAttribute.compressionMask) as CompressionType;
  const section = batch.subarray(RECORD_BATCH_OVERHEAD);
  return compression === 0 ? section : decompress(compression, section);
}

let bytes: Buffer = Buffer.alloc(0);
let pos = 0;

function corrupt(): never {
  throw new RangeError('a stored record batch does not parse: its records run past the batch');
}

/** Zigzag varint (`ByteUtils.readVarint`); a varlong too when only skipped (`skipVarint`). */
function readVarint(): number {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (pos >= bytes.length || shift > 28) corrupt();
    const b = bytes[pos++];
    value |= (b & 0x7f) << shift;
    if (b < 0x80) return (value >>> 1) ^ -(value & 1);
    shift += 7;
  }
}

function skipVarint(): void {
  for (let i = 0; i < 10; i++) {
    if (pos >= bytes.length) corrupt();
    if (bytes[pos++] < 0x80) return;
  }
  corrupt();
}

/** Visits the records of `batch` in order; returns how many it visited. */
export function forEachRecordKey(batch: Buffer, visit: RecordKeyVisitor): number {
  const count = batch.readInt32BE(BatchField.recordsCount);
  const section = recordSection(batch);
  bytes = section;
  pos = 0;
  try {
    for (let i = 0; i < count; i++) {
      const length = readVarint();
      const end = pos + length;
      if (length < 0 || end > section.length) corrupt();
      pos++; // attributes
      skipVarint(); // timestamp delta (varlong)
      const offsetDelta = readVarint();
      const keyLength = readVarint();
      let key: Buffer | null = null;
      if (keyLength >= 0) {
        if (pos + keyLength > end) corrupt();
        key = section.subarray(pos, pos + keyLength);
        pos += keyLength;
      }
      const valueLength = readVarint();
      pos = end;
      visit(key, offsetDelta, valueLength < 0);
    }
  } finally {
    bytes = EMPTY;
  }
  return count;
}

const EMPTY = Buffer.alloc(0);
