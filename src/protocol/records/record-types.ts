// The record-level shapes shared by the batch encoder and decoder.
//
// Timestamps are `bigint` milliseconds everywhere, like the batch header (int64 on the wire; DESIGN: int64 is
// bigint). Offsets and producer ids are bigint; offset deltas and sequences are numbers (int32).

export const TimestampType = { createTime: 0, logAppendTime: 1 } as const;
export type TimestampType = (typeof TimestampType)[keyof typeof TimestampType];

/** Kafka's `Header`: a UTF-8 key (never null) and an optional value. */
export interface RecordHeader {
  readonly key: string;
  readonly value: Uint8Array | null;
}

/** One record to encode. Its offset delta is its index in the batch. */
export interface RecordInput {
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers?: readonly RecordHeader[];
  /** Milliseconds since the epoch (CreateTime). */
  readonly timestamp: bigint;
}

/** Kafka's `DefaultRecord` as read from a batch. `key`, `value` and header values are views, not copies. */
export interface DecodedRecord {
  readonly offset: bigint;
  readonly offsetDelta: number;
  /** The record's CreateTime, or the batch's maxTimestamp when the batch is LogAppendTime. */
  readonly timestamp: bigint;
  /** baseSequence + offsetDelta with wrap-around, or -1 when the batch has no sequence. */
  readonly sequence: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly DecodedRecordHeader[];
}

export interface DecodedRecordHeader {
  readonly key: string;
  readonly value: Buffer | null;
}
