// The facts of one stored (or about to be stored) record batch that producer state needs, taken from its
// header, plus the end-transaction marker of a control batch (the only thing read beyond the header; markers
// are one small uncompressed record).
import {
  NO_SEQUENCE,
  incrementSequence,
  isControl,
  isTransactional,
} from '../../protocol/records/batch-header.ts';
import type { RecordBatchHeader } from '../../protocol/records/batch-header.ts';
import { endTransactionMarkerOf } from '../../protocol/records/control-record.ts';
import type { EndTransactionMarker } from '../../protocol/records/control-record.ts';
import { decodeRecordBatch } from '../../protocol/records/record-batch-decoder.ts';

export interface ProducerBatch {
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  /** baseSequence + lastOffsetDelta with wrap-around (`DefaultRecordBatch.lastSequence`), -1 without sequence. */
  readonly lastSequence: number;
  readonly baseOffset: bigint;
  readonly lastOffset: bigint;
  readonly maxTimestamp: bigint;
  readonly isTransactional: boolean;
  readonly isControl: boolean;
  /** A control batch's end-transaction marker; null for data batches and for empty or other control batches. */
  readonly endTransactionMarker: EndTransactionMarker | null;
  /** The marker record's timestamp (the leader's clock when it wrote the marker); -1 without a marker. */
  readonly markerTimestamp: bigint;
}

/** `DefaultRecordBatch.lastSequence`. */
export function lastSequenceOf(baseSequence: number, lastOffsetDelta: number): number {
  return baseSequence === NO_SEQUENCE ? NO_SEQUENCE : incrementSequence(baseSequence, lastOffsetDelta);
}

/**
 * The producer view of a batch. `readBatch` gives the whole batch; it is called only for control batches.
 * `baseOffset` overrides the header's (a client batch still says 0 before the log assigns its offset).
 */
export function producerBatchOf(header: RecordBatchHeader, readBatch: () => Buffer, baseOffset = header.baseOffset): ProducerBatch {
  const control = isControl(header.attributes);
  let endTransactionMarker: EndTransactionMarker | null = null;
  let markerTimestamp = -1n;
  if (control && header.recordsCount > 0) {
    const decoded = decodeRecordBatch(readBatch(), { verifyCrc: false });
    endTransactionMarker = endTransactionMarkerOf(decoded);
    if (endTransactionMarker !== null) markerTimestamp = decoded.records[0].timestamp;
  }
  return {
    producerId: header.producerId,
    producerEpoch: header.producerEpoch,
    baseSequence: header.baseSequence,
    lastSequence: lastSequenceOf(header.baseSequence, header.lastOffsetDelta),
    baseOffset,
    lastOffset: baseOffset + BigInt(header.lastOffsetDelta),
    maxTimestamp: header.maxTimestamp,
    isTransactional: isTransactional(header.attributes),
    isControl: control,
    endTransactionMarker,
    markerTimestamp,
  };
}
