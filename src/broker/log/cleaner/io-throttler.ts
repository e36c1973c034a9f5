// The cleaner's I/O rate cap, `log.cleaner.io.max.bytes.per.second` (Kafka's `Throttler` as the cleaner uses it):
// bytes read and written are counted over periods of `checkIntervalMs`; when a period ran faster than the rate,
// the cleaner pauses for as long as the period should have taken at that rate. Unlimited by default.

export class IoThrottler {
  private periodStartMs: number;
  private observedBytes = 0;

  constructor(
    private readonly bytesPerSecond: number,
    private readonly now: () => number = () => performance.now(),
    private readonly checkIntervalMs = 300,
  ) {
    this.periodStartMs = now();
  }

  get limited(): boolean {
    return Number.isFinite(this.bytesPerSecond) && this.bytesPerSecond < Number.MAX_VALUE;
  }

  /** Counts `bytes` of I/O; returns how many ms to pause now to stay within the rate (0: none). */
  record(bytes: number): number {
    if (!this.limited) return 0;
    this.observedBytes += bytes;
    const now = this.now();
    const elapsedMs = now - this.periodStartMs;
    if (elapsedMs < this.checkIntervalMs) return 0;
    const pauseMs = Math.max(0, (this.observedBytes * 1000) / this.bytesPerSecond - elapsedMs);
    this.periodStartMs = now + pauseMs;
    this.observedBytes = 0;
    return pauseMs;
  }
}
