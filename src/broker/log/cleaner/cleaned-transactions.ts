// Transaction bookkeeping of one cleaning pass (Kafka's `CleanedTransactionMetadata`). Walking the log in
// offset order, it says which transactional batches belong to aborted transactions (their records are
// discarded) and which markers may go:
// - an ABORT marker is kept while this pass still met data of its transaction (the data goes now, the marker on
//   a later pass), and its aborted-index entry moves into the cleaned segment with it;
// - a COMMIT marker is kept while this pass still met a batch of its transaction (the pass after the last one is
//   gone may remove it).
// Whether a marker that may go really goes is decided with its batch's delete horizon (`delete.retention.ms`).
import type { AbortedTransaction } from '../transaction-index.ts';

interface OngoingAbortedTransaction {
  readonly entry: AbortedTransaction;
  /** Last offset of a data batch of this transaction met in this pass, if any. */
  lastObservedBatchOffset: bigint | null;
}

export class CleanedTransactions {
  /** Aborted transactions not yet reached, by first offset. */
  private readonly pending: AbortedTransaction[];
  private next = 0;
  private readonly ongoingAborted = new Map<bigint, OngoingAbortedTransaction>();
  private readonly ongoingCommitted = new Set<bigint>();
  /** Aborted-index entries whose markers this pass keeps (they go into the cleaned segment's index). */
  readonly retainedAbortedTransactions: AbortedTransaction[] = [];

  constructor(abortedTransactions: readonly AbortedTransaction[]) {
    this.pending = [...abortedTransactions].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  }

  /** Adds the aborted transactions of the next segment (already-known ones are ignored). */
  addAbortedTransactions(entries: readonly AbortedTransaction[]): void {
    const known = new Set(this.pending.map((entry) => `${entry.producerId}:${entry.lastOffset}`));
    const fresh = entries.filter((entry) => !known.has(`${entry.producerId}:${entry.lastOffset}`));
    if (fresh.length === 0) return;
    const rest = this.pending.splice(this.next).concat(fresh);
    rest.sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
    this.pending.push(...rest);
  }

  /**
   * A data batch was read. Returns true when it belongs to an aborted transaction (its records are discarded).
   */
  onBatchRead(producerId: bigint, isTransactional: boolean, lastOffset: bigint): boolean {
    this.consumeAbortedUpTo(lastOffset);
    if (!isTransactional) return false;
    const aborted = this.ongoingAborted.get(producerId);
    if (aborted !== undefined) {
      aborted.lastObservedBatchOffset = lastOffset;
      return true;
    }
    this.ongoingCommitted.add(producerId);
    return false;
  }

  /**
   * A control batch was read. Returns true when the marker is no longer needed by any data of its transaction
   * (it may then go once its delete horizon has passed).
   */
  onControlBatchRead(producerId: bigint, markerIsAbort: boolean | null, lastOffset: bigint): boolean {
    this.consumeAbortedUpTo(lastOffset);
    if (markerIsAbort === null) return false;
    if (markerIsAbort) {
      const aborted = this.ongoingAborted.get(producerId);
      this.ongoingAborted.delete(producerId);
      if (aborted !== undefined && aborted.lastObservedBatchOffset !== null) {
        this.retainedAbortedTransactions.push(aborted.entry);
        return false;
      }
      return true;
    }
    // A COMMIT marker may go if this pass met no batch of its transaction.
    return !this.ongoingCommitted.delete(producerId);
  }

  private consumeAbortedUpTo(offset: bigint): void {
    while (this.next < this.pending.length && this.pending[this.next].firstOffset <= offset) {
      const entry = this.pending[this.next++];
      if (!this.ongoingAborted.has(entry.producerId)) this.ongoingAborted.set(entry.producerId, { entry, lastObservedBatchOffset: null });
    }
  }
}
