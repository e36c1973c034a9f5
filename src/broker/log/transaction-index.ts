// The aborted-transaction index of one segment (Kafka's `TransactionIndex`, `.txnindex`): one fixed 34-byte
// entry per transaction aborted by a marker in this segment: int16 version (0), int64 producerId, int64
// firstOffset, int64 lastOffset (the ABORT marker's offset), int64 lastStableOffset (the LSO once it
// completed). READ_COMMITTED fetches list the aborted transactions overlapping the returned data from it.
// Like the other indexes it is kept in memory and written when its segment is rolled or closed.

const ENTRY_SIZE = 34;
const ENTRY_VERSION = 0;

/** Kafka's `AbortedTxn`. */
export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
  lastOffset: bigint;
  lastStableOffset: bigint;
}

export interface AbortedTransactionSearch {
  found: AbortedTransaction[];
  /** An entry's lastStableOffset reached the upper bound: later segments need not be searched. */
  complete: boolean;
}

export class TransactionIndex {
  static readonly entrySize = ENTRY_SIZE;
  private list: AbortedTransaction[] = [];

  /** Loads a file image; null when it is not a whole number of valid, ordered entries. */
  static fromBytes(bytes: Buffer): TransactionIndex | null {
    if (bytes.length % ENTRY_SIZE !== 0) return null;
    const index = new TransactionIndex();
    for (let at = 0; at < bytes.length; at += ENTRY_SIZE) {
      if (bytes.readInt16BE(at) !== ENTRY_VERSION) return null;
      const entry: AbortedTransaction = {
        producerId: bytes.readBigInt64BE(at + 2),
        firstOffset: bytes.readBigInt64BE(at + 10),
        lastOffset: bytes.readBigInt64BE(at + 18),
        lastStableOffset: bytes.readBigInt64BE(at + 26),
      };
      const last = index.list[index.list.length - 1];
      if (entry.firstOffset > entry.lastOffset || (last !== undefined && entry.lastOffset <= last.lastOffset)) return null;
      index.list.push(entry);
    }
    return index;
  }

  get entries(): readonly AbortedTransaction[] {
    return this.list;
  }

  /**
   * Adds an entry. Entries arrive in marker order; one at or below the last marker already indexed is a
   * replay after recovery and is ignored, so producer-state rebuild may re-append freely.
   */
  append(entry: AbortedTransaction): boolean {
    const last = this.list[this.list.length - 1];
    if (last !== undefined && entry.lastOffset <= last.lastOffset) return false;
    this.list.push({ ...entry });
    return true;
  }

  /** Drops the entries whose marker is at or above `offset` (Kafka's `TransactionIndex.truncateTo`). */
  truncateTo(offset: bigint): void {
    while (this.list.length > 0 && this.list[this.list.length - 1].lastOffset >= offset) this.list.pop();
  }

  /**
   * Kafka's `TransactionIndex.collectAbortedTxns`: entries overlapping [fetchOffset, upperBoundOffset), stopping
   * at the first whose lastStableOffset reaches the upper bound.
   */
  collect(fetchOffset: bigint, upperBoundOffset: bigint): AbortedTransactionSearch {
    const found: AbortedTransaction[] = [];
    for (const entry of this.list) {
      if (entry.lastOffset >= fetchOffset && entry.firstOffset < upperBoundOffset) found.push({ ...entry });
      if (entry.lastStableOffset >= upperBoundOffset) return { found, complete: true };
    }
    return { found, complete: false };
  }

  toBytes(): Buffer {
    const bytes = Buffer.alloc(this.list.length * ENTRY_SIZE);
    this.list.forEach((entry, i) => {
      const at = i * ENTRY_SIZE;
      bytes.writeInt16BE(ENTRY_VERSION, at);
      bytes.writeBigInt64BE(entry.producerId, at + 2);
      bytes.writeBigInt64BE(entry.firstOffset, at + 10);
      bytes.writeBigInt64BE(entry.lastOffset, at + 18);
      bytes.writeBigInt64BE(entry.lastStableOffset, at + 26);
    });
    return bytes;
  }
}
