// Group commit: appends stage bytes synchronously; one fsync then covers every append staged before it began,
// and appends that arrive while it runs wait for the next one. So N concurrent appends cost a couple of fsyncs
// rather than N. The first fsync of a burst starts from setImmediate, after the event loop's I/O phase, so the
// requests that arrived together are all covered by it.
//
// A failed fsync is final (reliability D8): the page cache's state after a failed fsync is unknowable, so no
// later fsync may be trusted to cover the same bytes. Every waiter is rejected and nothing flushes again.

export interface GroupCommitTarget {
  /** Whether anything staged (or truncated) is not yet covered by an fsync. */
  needsFlush(): boolean;
  /**
   * fsyncs everything staged so far; resolves with the offset end (exclusive) that is now durable, or null when
   * a truncation during the fsync made its result meaningless.
   */
  flush(): Promise<bigint | null>;
  /** Called after the durable end advanced. */
  onDurable(durableEnd: bigint): void;
  /** Called once, when an fsync fails. */
  onFailure(error: unknown): void;
}

interface Waiter {
  end: bigint;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class GroupCommit {
  private durable: bigint;
  private waiters: Waiter[] = [];
  private running: Promise<void> | null = null;
  private scheduled = false;
  private failed: unknown = null;
  /** fsyncs started, for tests and metrics. */
  flushCount = 0;

  constructor(
    durableEnd: bigint,
    private readonly target: GroupCommitTarget,
  ) {
    this.durable = durableEnd;
  }

  /** Offsets below this are durable. */
  get durableEnd(): bigint {
    return this.durable;
  }

  get failure(): unknown {
    return this.failed;
  }

  /** Makes sure an fsync covering everything staged so far will run. */
  request(): void {
    if (this.failed !== null || this.scheduled || this.running !== null) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.start();
    });
  }

  /** Resolves once every offset below `end` is durable; rejects if an fsync fails first or the log is truncated below it. */
  wait(end: bigint): Promise<void> {
    if (end <= this.durable) return Promise.resolve();
    if (this.failed !== null) return Promise.reject(this.failed);
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ end, resolve, reject });
      this.request();
    });
  }

  /** Runs fsyncs until nothing is left to flush (used by close). */
  async drain(): Promise<void> {
    for (;;) {
      if (this.running !== null) {
        await this.running;
        continue;
      }
      if (this.failed !== null) throw this.failed;
      if (!this.target.needsFlush()) return;
      this.start();
    }
  }

  /** A truncation moved the log end down to `logEnd`: waiters beyond it will never be satisfied. */
  truncated(logEnd: bigint, error: unknown): void {
    if (this.durable > logEnd) this.durable = logEnd;
    const kept: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (waiter.end > logEnd) waiter.reject(error);
      else kept.push(waiter);
    }
    this.waiters = kept;
  }

  /** Rejects every waiter (the log is closing or went offline). */
  rejectAll(error: unknown): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }

  private start(): void {
    if (this.failed !== null || this.running !== null || !this.target.needsFlush()) return;
    this.running = this.runOnce().finally(() => {
      this.running = null;
      // Appends staged while that fsync ran form the next group.
      if (this.failed === null && this.target.needsFlush()) this.start();
    });
  }

  private async runOnce(): Promise<void> {
    this.flushCount++;
    let end: bigint | null;
    try {
      end = await this.target.flush();
    } catch (error) {
      this.failed = error;
      this.rejectAll(error);
      this.target.onFailure(error);
      return;
    }
    if (end === null || end <= this.durable) return;
    this.durable = end;
    const kept: Waiter[] = [];
    const ready: Waiter[] = [];
    for (const waiter of this.waiters) (waiter.end <= end ? ready : kept).push(waiter);
    this.waiters = kept;
    this.target.onDurable(end);
    for (const waiter of ready) waiter.resolve();
  }
}
