// The log cleaner's statistics as plain read-only data, for monitoring: per partition (what its cleanings read
// and wrote, when the last one ran and how long it took, the dirty ratio that got it picked) and for the cleaner
// as a whole, under the meaning of Kafka's `kafka.log:type=LogCleaner` and `kafka.log:type=LogCleanerManager`
// gauges (`max-buffer-utilization-percent`, `cleaner-recopy-percent`, `max-clean-time-secs`,
// `max-compaction-delay-secs`, `max-dirty-percent`, `time-since-last-run-ms`, `uncleanable-partitions-count`,
// `DeadThreadCount`). Kafka's gauges over several cleaner threads take the max; seqlog has one cleaner.
import type { CleanerStats } from './cleaner.ts';

/** One cleaning of one partition. */
export interface CleaningRunStats {
  readonly startedAtMs: number;
  readonly finishedAtMs: number;
  readonly durationMs: number;
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly recordsRead: number;
  readonly recordsRetained: number;
  readonly segmentsCleaned: number;
  /** The dirty ratio (dirty bytes / cleanable bytes) that got the log picked. */
  readonly dirtyRatio: number;
  /** Where the next cleaning starts (the cleaner offset checkpoint). */
  readonly endOffset: bigint;
}

export interface PartitionCleanerStats {
  readonly topic: string;
  readonly partition: number;
  /** Completed cleanings since the broker started. */
  readonly runs: number;
  /** Cleanings that failed unexpectedly (retried after the backoff). */
  readonly failures: number;
  /** Totals over the completed cleanings. */
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly cleaningTimeMs: number;
  readonly lastRun: CleaningRunStats | null;
  /** True when the last cleaning attempt failed (Kafka would count the partition as uncleanable). */
  readonly lastAttemptFailed: boolean;
}

export interface LogCleanerStats {
  readonly totals: {
    readonly runs: number;
    readonly failures: number;
    readonly bytesRead: number;
    readonly bytesWritten: number;
    readonly recordsRead: number;
    readonly recordsRetained: number;
    readonly segmentsCleaned: number;
    readonly cleaningTimeMs: number;
  };
  /** Kafka's `max-buffer-utilization-percent`: how full the offset map got in the last cleaning. */
  readonly maxBufferUtilizationPercent: number;
  /** Kafka's `cleaner-recopy-percent`: bytes written / bytes read in the last cleaning, in percent. */
  readonly cleanerRecopyPercent: number;
  /** Kafka's `max-clean-time-secs`: the last cleaning's duration. */
  readonly maxCleanTimeSecs: number;
  /** Kafka's `max-compaction-delay-secs`: at the last selection, how far past `max.compaction.lag.ms` a log was. */
  readonly maxCompactionDelaySecs: number;
  /** Kafka's `max-dirty-percent`: the highest dirty ratio at the last selection, in percent. */
  readonly maxDirtyPercent: number;
  /** Kafka's `time-since-last-run-ms`: since the cleaner's last pass (picking a log, cleaning it or not). */
  readonly timeSinceLastRunMs: number;
  /** Kafka's `uncleanable-partitions-count`: partitions whose last cleaning attempt failed. */
  readonly uncleanablePartitionsCount: number;
  /** Kafka's `DeadThreadCount`: 0 while the cleaner loop runs, 1 once it stopped. */
  readonly deadThreadCount: number;
  readonly partitions: readonly PartitionCleanerStats[];
}

interface MutablePartitionStats {
  topic: string;
  partition: number;
  runs: number;
  failures: number;
  bytesRead: number;
  bytesWritten: number;
  cleaningTimeMs: number;
  lastRun: CleaningRunStats | null;
  lastAttemptFailed: boolean;
}

/** Accumulates what the cleaner does; `snapshot` copies it out. */
export class CleanerStatsRecorder {
  private readonly byPartition = new Map<string, MutablePartitionStats>();
  private readonly totals = { runs: 0, failures: 0, bytesRead: 0, bytesWritten: 0, recordsRead: 0, recordsRetained: 0, segmentsCleaned: 0, cleaningTimeMs: 0 };
  private bufferUtilization = 0;
  private lastRun: CleaningRunStats | null = null;
  private maxDirtyRatio = 0;
  private maxCompactionDelayMs = 0;
  private lastPassAtMs: number;

  constructor(private readonly clock: () => number) {
    this.lastPassAtMs = clock();
  }

  /** A selection pass measured the logs. */
  onSelection(maxDirtyRatio: number, maxCompactionDelayMs: number): void {
    this.maxDirtyRatio = maxDirtyRatio;
    this.maxCompactionDelayMs = maxCompactionDelayMs;
  }

  /** A pass of the cleaner loop ended (with or without a cleaning). */
  onPassEnd(): void {
    this.lastPassAtMs = this.clock();
  }

  onCleaned(topic: string, partition: number, stats: CleanerStats, dirtyRatio: number, bufferUtilization: number): CleaningRunStats {
    const finishedAtMs = this.clock();
    const run: CleaningRunStats = {
      startedAtMs: finishedAtMs - stats.elapsedMs,
      finishedAtMs,
      durationMs: stats.elapsedMs,
      bytesRead: stats.bytesRead,
      bytesWritten: stats.bytesWritten,
      recordsRead: stats.recordsRead,
      recordsRetained: stats.recordsRetained,
      segmentsCleaned: stats.segmentsCleaned,
      dirtyRatio,
      endOffset: stats.endOffset,
    };
    const entry = this.entry(topic, partition);
    entry.runs++;
    entry.bytesRead += run.bytesRead;
    entry.bytesWritten += run.bytesWritten;
    entry.cleaningTimeMs += run.durationMs;
    entry.lastRun = run;
    entry.lastAttemptFailed = false;
    this.totals.runs++;
    this.totals.bytesRead += run.bytesRead;
    this.totals.bytesWritten += run.bytesWritten;
    this.totals.recordsRead += run.recordsRead;
    this.totals.recordsRetained += run.recordsRetained;
    this.totals.segmentsCleaned += run.segmentsCleaned;
    this.totals.cleaningTimeMs += run.durationMs;
    this.lastRun = run;
    this.bufferUtilization = bufferUtilization;
    return run;
  }

  onFailed(topic: string, partition: number): void {
    const entry = this.entry(topic, partition);
    entry.failures++;
    entry.lastAttemptFailed = true;
    this.totals.failures++;
  }

  /** Keeps only the partitions in `existing` (`topic-partition` keys): a deleted topic's entries go. */
  retain(existing: ReadonlySet<string>): void {
    for (const key of this.byPartition.keys()) if (!existing.has(key)) this.byPartition.delete(key);
  }

  snapshot(stopped: boolean): LogCleanerStats {
    const partitions = [...this.byPartition.values()].map((entry) => Object.freeze({ ...entry }));
    const last = this.lastRun;
    return Object.freeze({
      totals: Object.freeze({ ...this.totals }),
      maxBufferUtilizationPercent: 100 * this.bufferUtilization,
      cleanerRecopyPercent: last === null || last.bytesRead === 0 ? 0 : (100 * last.bytesWritten) / last.bytesRead,
      maxCleanTimeSecs: last === null ? 0 : last.durationMs / 1000,
      maxCompactionDelaySecs: this.maxCompactionDelayMs / 1000,
      maxDirtyPercent: 100 * this.maxDirtyRatio,
      timeSinceLastRunMs: Math.max(0, this.clock() - this.lastPassAtMs),
      uncleanablePartitionsCount: partitions.filter((entry) => entry.lastAttemptFailed).length,
      deadThreadCount: stopped ? 1 : 0,
      partitions: Object.freeze(partitions),
    });
  }

  private entry(topic: string, partition: number): MutablePartitionStats {
    const key = `${topic}-${partition}`;
    let entry = this.byPartition.get(key);
    if (entry === undefined) {
      entry = { topic, partition, runs: 0, failures: 0, bytesRead: 0, bytesWritten: 0, cleaningTimeMs: 0, lastRun: null, lastAttemptFailed: false };
      this.byPartition.set(key, entry);
    }
    return entry;
  }
}
