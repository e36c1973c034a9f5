// The broker-wide bound on connection memory (`queued.max.request.bytes`): request bytes read from sockets and not
// yet answered, plus answer bytes written to sockets and not yet taken by the kernel. Kafka's `SocketServer`
// bounds the first with a `MemoryPool` and mutes every channel while the pool is empty; it needs no bound on the
// second because it answers Fetch from the file (zero copy). Here both live in the heap, so both are counted.
//
// The budget never refuses a charge: bytes already read must be accounted for. Connections ask `hasRoom` before
// reading more and are told (`onRoom`) when usage falls back under the limit, so usage exceeds the limit by at
// most one socket read per connection and the answers to requests already read.

export class MemoryBudget {
  private usedBytes = 0;
  private peakBytes = 0;
  private readonly waiters = new Set<() => void>();

  /** `limit` < 0 means unbounded. */
  constructor(readonly limit: number) {}

  get used(): number {
    return this.usedBytes;
  }

  /** The highest usage seen (a gauge for metrics and tests). */
  get peak(): number {
    return this.peakBytes;
  }

  hasRoom(): boolean {
    return this.limit < 0 || this.usedBytes < this.limit;
  }

  /** Bytes that may still be queued before the limit; Infinity when unbounded. */
  available(): number {
    return this.limit < 0 ? Number.POSITIVE_INFINITY : Math.max(0, this.limit - this.usedBytes);
  }

  charge(bytes: number): void {
    this.usedBytes += bytes;
    if (this.usedBytes > this.peakBytes) this.peakBytes = this.usedBytes;
  }

  release(bytes: number): void {
    const wasFull = !this.hasRoom();
    this.usedBytes -= bytes;
    if (this.usedBytes < 0) this.usedBytes = 0;
    if (wasFull && this.hasRoom()) {
      for (const waiter of [...this.waiters]) waiter();
    }
  }

  /** Calls `listener` each time usage falls back under the limit. Returns the remover. */
  onRoom(listener: () => void): () => void {
    this.waiters.add(listener);
    return () => this.waiters.delete(listener);
  }
}
