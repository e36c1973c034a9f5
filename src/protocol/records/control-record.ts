// Control records and transaction markers (Kafka's `ControlRecordType`, `EndTransactionMarker`,
// `MemoryRecords.withEndTransactionMarker`).
//   key   : int16 version (0), int16 type          — readers accept >= 4 bytes and any version >= 0
//   value : int16 version (0), int32 coordinatorEpoch (end-transaction markers only)
// A marker batch is transactional + control (attributes 0x30), uncompressed, CreateTime, baseSequence -1,
// with exactly one record.
import { NO_SEQUENCE } from './batch-header.ts';
import { encodeRecordBatch } from './record-batch-encoder.ts';
import { invalidRecord } from './record-batch-error.ts';
import type { DecodedRecordBatch } from './record-batch-decoder.ts';
import type { DecodedRecord } from './record-types.ts';

export const ControlRecordType = {
  abort: 0,
  commit: 1,
  /** KRaft metadata logs only, like the other types >= 2. */
  leaderChange: 2,
  snapshotHeader: 3,
  snapshotFooter: 4,
  kraftVersion: 5,
  kraftVoters: 6,
  /** Any type id we do not know; readers ignore such records. */
  unknown: -1,
} as const;
export type ControlRecordType = (typeof ControlRecordType)[keyof typeof ControlRecordType];

/** An end-transaction marker's type: the outcome it writes. */
export type TransactionResult = typeof ControlRecordType.abort | typeof ControlRecordType.commit;

const CONTROL_KEY_VERSION = 0;
const CONTROL_KEY_SIZE = 4;
const END_TXN_MARKER_VERSION = 0;
const END_TXN_MARKER_VALUE_SIZE = 6;

export interface ControlRecordKey {
  readonly version: number;
  /** The known type, or `ControlRecordType.unknown`. */
  readonly type: ControlRecordType;
  /** The raw type id as stored. */
  readonly typeId: number;
}

/** Reads a control record key (`ControlRecordType.parse`): throws INVALID_RECORD on < 4 bytes or a negative version. */
export function parseControlRecordKey(key: Uint8Array | null): ControlRecordKey {
  if (key === null || key.length < CONTROL_KEY_SIZE) {
    throw invalidRecord(`invalid control record key: needs at least ${CONTROL_KEY_SIZE} bytes, found ${key?.length ?? 'null'}`);
  }
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  const version = view.getInt16(0);
  if (version < 0) throw invalidRecord(`invalid control record key version ${version}; may indicate data corruption`);
  // Higher versions are read as version 0: the type stays at bytes 2..3.
  const typeId = view.getInt16(2);
  const type = typeId >= ControlRecordType.abort && typeId <= ControlRecordType.kraftVoters ? (typeId as ControlRecordType) : ControlRecordType.unknown;
  return { version, type, typeId };
}

export function encodeControlRecordKey(type: ControlRecordType): Buffer {
  const key = Buffer.allocUnsafe(CONTROL_KEY_SIZE);
  key.writeInt16BE(CONTROL_KEY_VERSION, 0);
  key.writeInt16BE(type, 2);
  return key;
}

export interface EndTransactionMarker {
  readonly type: TransactionResult;
  readonly coordinatorEpoch: number;
  readonly version: number;
}

export function encodeEndTransactionMarkerValue(coordinatorEpoch: number): Buffer {
  const value = Buffer.allocUnsafe(END_TXN_MARKER_VALUE_SIZE);
  value.writeInt16BE(END_TXN_MARKER_VERSION, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return value;
}

/**
 * Reads an end-transaction marker from a control record (`EndTransactionMarker.deserialize`). Returns null
 * when the record is a control record of another type (which readers skip); throws INVALID_RECORD when the
 * key or value is malformed.
 */
export function readEndTransactionMarker(record: Pick<DecodedRecord, 'key' | 'value'>): EndTransactionMarker | null {
  const { type } = parseControlRecordKey(record.key);
  if (type !== ControlRecordType.abort && type !== ControlRecordType.commit) return null;
  const value = record.value;
  if (value === null || value.length < END_TXN_MARKER_VALUE_SIZE) {
    throw invalidRecord(
      `invalid end transaction marker value: needs at least ${END_TXN_MARKER_VALUE_SIZE} bytes, found ${value?.length ?? 'null'}`,
    );
  }
  const version = value.readInt16BE(0);
  if (version < 0) throw invalidRecord(`invalid end transaction marker version ${version}; may indicate data corruption`);
  return { type, coordinatorEpoch: value.readInt32BE(2), version };
}

export interface EndTransactionMarkerBatchInput {
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  readonly result: TransactionResult;
  /** The partition leader's clock when it handles WriteTxnMarkers. */
  readonly timestamp: bigint;
  readonly baseOffset?: bigint;
  readonly partitionLeaderEpoch?: number;
}

/** Builds the one-record control batch the leader appends for WriteTxnMarkers. */
export function encodeEndTransactionMarkerBatch(input: EndTransactionMarkerBatchInput): Buffer {
  return encodeRecordBatch({
    baseOffset: input.baseOffset ?? 0n,
    partitionLeaderEpoch: input.partitionLeaderEpoch,
    producerId: input.producerId,
    producerEpoch: input.producerEpoch,
    baseSequence: NO_SEQUENCE,
    isTransactional: true,
    isControl: true,
    records: [
      {
        key: encodeControlRecordKey(input.result),
        value: encodeEndTransactionMarkerValue(input.coordinatorEpoch),
        timestamp: input.timestamp,
      },
    ],
  });
}

/**
 * The end-transaction marker of a decoded control batch, or null when the batch is not a control batch, is
 * empty (compaction can leave that), or holds another control type.
 */
export function endTransactionMarkerOf(batch: Pick<DecodedRecordBatch, 'isControl' | 'records'>): EndTransactionMarker | null {
  if (!batch.isControl || batch.records.length === 0) return null;
  return readEndTransactionMarker(batch.records[0]);
}
