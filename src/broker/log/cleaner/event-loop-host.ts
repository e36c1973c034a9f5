// Cleaning on the broker's event loop, in slices: the host used when the log's file system is one the embedder
// supplied (a fault-injecting disk, for instance), whose calls can only be made from this thread. After `sliceMs`
// of work (or `yieldEveryBytes` read) it yields so that produce and fetch keep running, and it keeps to
// `log.cleaner.io.max.bytes.per.second` (Kafka's cleaner `Throttler`) by pausing.
import type { LogFileSystem } from '../log-file-system.ts';
import { CleaningAbortedError } from './cleaner.ts';
import type { CleaningHost, PreparedGroup, SwapOutcome } from './cleaner.ts';
import { IoThrottler } from './io-throttler.ts';
import type { OffsetMap } from './offset-map.ts';

export interface EventLoopHostOptions {
  readonly fs: LogFileSystem;
  readonly map: OffsetMap;
  readonly swap: (group: PreparedGroup) => SwapOutcome;
  /** Stops the cleaning at its next checkpoint when it returns true (shutdown, the log went offline). */
  readonly shouldStop: () => boolean;
  /** Bytes read between two yields to the event loop at most (default 256 KiB). */
  readonly yieldEveryBytes?: number;
  /** Milliseconds of work between two yields to the event loop at most (default 0.5). */
  readonly sliceMs?: number;
  /** `log.cleaner.io.max.bytes.per.second`, reads and writes together (default: unlimited). */
  readonly ioMaxBytesPerSecond?: number;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class EventLoopCleaningHost implements CleaningHost {
  readonly fs: LogFileSystem;
  readonly map: OffsetMap;
  private readonly yieldEveryBytes: number;
  private readonly sliceMs: number;
  private readonly throttler: IoThrottler;
  private bytesSinceYield = 0;
  private sliceStartedMs = performance.now();

  constructor(private readonly options: EventLoopHostOptions) {
    this.fs = options.fs;
    this.map = options.map;
    this.yieldEveryBytes = options.yieldEveryBytes ?? 256 * 1024;
    this.sliceMs = options.sliceMs ?? 0.5;
    this.throttler = new IoThrottler(options.ioMaxBytesPerSecond ?? Number.MAX_VALUE);
  }

  checkpoint(ioBytes: number): void | Promise<void> {
    this.bytesSinceYield += ioBytes;
    const pauseMs = this.throttler.record(ioBytes);
    if (pauseMs > 0) return pause(pauseMs).then(() => this.startSlice());
    if (this.bytesSinceYield >= this.yieldEveryBytes || performance.now() - this.sliceStartedMs >= this.sliceMs) {
      return yieldToEventLoop().then(() => this.startSlice());
    }
  }

  swap(group: PreparedGroup): SwapOutcome {
    return this.options.swap(group);
  }

  private startSlice(): void {
    this.bytesSinceYield = 0;
    this.sliceStartedMs = performance.now();
    if (this.options.shouldStop()) throw new CleaningAbortedError('the log cleaner is stopping');
  }
}
