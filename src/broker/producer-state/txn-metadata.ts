// Transactions as one partition sees them (Kafka's `TxnMetadata` and `CompletedTxn`): a transaction starts at
// the first transactional data batch of its producer on this partition and ends at its COMMIT/ABORT marker.

/** An open transaction (or a completed one whose marker is still above the high watermark). */
export class TxnMetadata {
  constructor(
    readonly producerId: bigint,
    readonly firstOffset: bigint,
    /** The marker's offset once completed, else null. */
    public lastOffset: bigint | null = null,
  ) {}
}

/**
 * A transaction ended by a marker. Returned by the append that wrote the marker so that the caller can compute
 * its last stable offset, index it if aborted (`.txnindex`), and then complete it in producer state.
 */
export interface CompletedTxn {
  readonly producerId: bigint;
  readonly firstOffset: bigint;
  /** The marker's offset. */
  readonly lastOffset: bigint;
  readonly isAborted: boolean;
}
