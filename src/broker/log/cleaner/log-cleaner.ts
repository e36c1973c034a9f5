// The background log cleaner of one broker (Kafka's `LogCleaner` + `LogCleanerManager`, one cleaner thread):
// every `log.cleaner.backoff.ms` while idle, it picks the compacted log that most needs cleaning and cleans it.
// A log is eligible (`grabFilthiestCompactedLog`) when its `cleanup.policy` includes compact and
// - its dirty ratio (dirty bytes / bytes below the first uncleanable offset) reaches `min.cleanable.dirty.ratio`,
// - or its oldest dirty record is older than `max.compaction.lag.ms`,
// - or the delete horizon of a tombstone or marker kept by its last cleaning has passed (KIP-534).
// The first uncleanable offset is the lowest of the active segment, the first unstable offset (open
// transactions are never cleaned) and the first segment holding a record newer than `min.compaction.lag.ms`,
// rounded down to a segment boundary. Where cleaning stopped is kept per partition in
// `<partition dir>/cleaner-offset-checkpoint` (Kafka keeps one such file per log directory).
import { join } from 'node:path';
import { offsetCheckpointBytes, readOffsetCheckpoint, replaceFileAsync } from '../checkpoint-file.ts';
import type { LogFileSystem } from '../log-file-system.ts';
import { nodeFileSystem } from '../log-file-system.ts';
import type { LogSegment } from '../log-segment.ts';
import type { LogLogger, PartitionLog } from '../partition-log.ts';
import type { ActiveProducerLastRecord } from './batch-filter.ts';
import { CleaningAbortedError, cleanLog } from './cleaner.ts';
import type { CleanerStats, CleaningPlan, CleaningResult, PreparedGroup, SegmentToClean, SwapOutcome } from './cleaner.ts';
import { CleanerThread } from './cleaner-thread.ts';
import { EventLoopCleaningHost } from './event-loop-host.ts';
import { discardUnfinishedCleaning, swapInCleanedSegment } from './segment-swap.ts';
import { CleanerStatsRecorder } from './cleaner-stats.ts';
import type { LogCleanerStats } from './cleaner-stats.ts';
import { OffsetMap } from './offset-map.ts';

export const CLEANER_OFFSET_CHECKPOINT_FILE = 'cleaner-offset-checkpoint';

/** What the cleaner needs of a partition's producer state (it lives outside the log package). */
export interface ProducerStateView {
  /** Per active producer id, its last data offset (null when its last entry is a marker) and epoch. */
  activeProducers(log: PartitionLog): ReadonlyMap<bigint, ActiveProducerLastRecord>;
  /** The first offset of a transaction not yet decided or not yet below the high watermark, else null. */
  firstUnstableOffset(log: PartitionLog): bigint | null;
}

export interface CleanablePartition {
  readonly topic: string;
  readonly partition: number;
  readonly log: PartitionLog;
}

export interface LogCleanerOptions {
  /** The logs to consider, enumerated at each pass. */
  logs: () => Iterable<CleanablePartition>;
  /** `log.cleaner.dedupe.buffer.size`; default 128 MiB. */
  dedupeBufferSize?: number;
  /** `log.cleaner.backoff.ms`; default 15000. */
  backoffMs?: number;
  producerState?: ProducerStateView;
  fs?: LogFileSystem;
  clock?: () => number;
  logger?: LogLogger;
  /**
   * Bytes read between two yields to the event loop at most; default 256 KiB. Only for cleanings on the event
   * loop (with an `fs` other than the real one); the cleaner thread does not share the event loop.
   */
  yieldEveryBytes?: number;
  /** Milliseconds of cleaning work between two yields to the event loop at most; default 0.5 (as `yieldEveryBytes`). */
  sliceMs?: number;
  /** `log.cleaner.io.max.bytes.per.second`; default unlimited. */
  ioMaxBytesPerSecond?: number;
}

/** Per-partition numbers of the last cleaning (Kafka's cleaner metrics, per log). */
export interface CleanerRun extends CleanerStats {
  readonly topic: string;
  readonly partition: number;
  readonly finishedAtMs: number;
  /** The dirty ratio that got the log picked. */
  readonly dirtyRatio: number;
}

/** Kafka's `LogToClean` measurements for one log. */
export interface CleanableMeasure {
  readonly firstDirtyOffset: bigint;
  readonly firstUncleanableOffset: bigint;
  readonly cleanBytes: number;
  readonly cleanableBytes: number;
  readonly dirtyRatio: number;
  readonly needsCompactionNow: boolean;
  /** How long past `max.compaction.lag.ms` its oldest dirty segment is (0 when not). */
  readonly compactionDelayMs: number;
}

const noProducers: ProducerStateView = { activeProducers: () => new Map(), firstUnstableOffset: () => null };
const noopLogger: LogLogger = { info() {}, warn() {}, error() {} };

export class LogCleaner {
  private readonly options: LogCleanerOptions;
  private readonly fs: LogFileSystem;
  private readonly clock: () => number;
  private readonly logger: LogLogger;
  /** The offset map of cleanings on the event loop (the cleaner thread holds its own). */
  private map: OffsetMap | null = null;
  private thread: CleanerThread | null = null;
  /** The log being cleaned, and how to stop that cleaning. */
  private current: { readonly log: PartitionLog; readonly abort: () => void } | null = null;
  private readonly horizons = new WeakMap<PartitionLog, bigint>();
  private readonly runs = new Map<string, CleanerRun>();
  private readonly recorder: CleanerStatsRecorder;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = false;

  constructor(options: LogCleanerOptions) {
    this.options = options;
    this.fs = options.fs ?? nodeFileSystem;
    this.clock = options.clock ?? Date.now;
    this.logger = options.logger ?? noopLogger;
    this.recorder = new CleanerStatsRecorder(this.clock);
  }

  /** The cleaner's statistics now, as a read-only copy (see `cleaner-stats.ts` for Kafka's metric names). */
  stats(): LogCleanerStats {
    return this.recorder.snapshot(this.stopped);
  }

  /** Starts the background loop: a pass, then another right away if it cleaned something, else after the backoff. */
  start(): void {
    this.schedule(0);
  }

  /** Stops the loop; an ongoing cleaning stops at its next yield, leaving the log as it was. */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.thread?.stopCleaning();
    await this.running?.catch(() => undefined);
    await this.thread?.close();
    this.thread = null;
    this.map = null;
  }

  /**
   * Stops a cleaning of any of `logs` and waits until it has left them (Kafka's `abortAndPauseCleaning` before a
   * log is deleted): the cleaner thread must not write into a partition directory being removed. A log that went
   * offline (a deleted one does first) is not picked again.
   */
  async abortCleaning(logs: readonly PartitionLog[]): Promise<void> {
    const current = this.current;
    if (current === null || !logs.includes(current.log)) return;
    current.abort();
    await this.running?.catch(() => undefined);
  }

  /** The last cleaning of each partition, by `topic-partition`. */
  get lastRuns(): ReadonlyMap<string, CleanerRun> {
    return this.runs;
  }

  /** Cleans the filthiest eligible log, if any; returns what it did, or null when nothing was eligible. */
  cleanOnce(): Promise<CleanerRun | null> {
    const run = (this.running ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => this.cleanFilthiest())
      .finally(() => this.recorder.onPassEnd());
    this.running = run;
    return run;
  }

  /** Measures one log as the selection does (exported for metrics and tests). */
  measure(log: PartitionLog): CleanableMeasure | null {
    if (!log.logConfig.cleanupPolicy.includes('compact') || log.offline !== null) return null;
    const now = this.clock();
    const config = log.logConfig;
    const segments = log.inactiveSegments;
    let firstDirtyOffset = readOffsetCheckpoint(this.fs, join(log.directory, CLEANER_OFFSET_CHECKPOINT_FILE)) ?? log.logStartOffset;
    // Kafka resets a checkpoint outside the log (truncation, DeleteRecords) to the log start.
    if (firstDirtyOffset < log.logStartOffset || firstDirtyOffset > log.logEndOffset) firstDirtyOffset = log.logStartOffset;

    let uncleanable = log.activeSegmentBaseOffset;
    const unstable = (this.options.producerState ?? noProducers).firstUnstableOffset(log);
    if (unstable !== null && unstable < uncleanable) uncleanable = unstable;
    if (log.highWatermark < uncleanable) uncleanable = log.highWatermark;
    if (config.minCompactionLagMs > 0) {
      for (const segment of segments) {
        if (segment.nextOffset <= firstDirtyOffset && segment.baseOffset < firstDirtyOffset) continue;
        if (BigInt(now) - segment.largestTimestamp() < BigInt(config.minCompactionLagMs)) {
          if (segment.baseOffset < uncleanable) uncleanable = segment.baseOffset;
          break;
        }
      }
    }
    // Rounded down to the base offset of the segment holding it.
    let firstUncleanableOffset = log.activeSegmentBaseOffset;
    for (const segment of segments) {
      if (segment.baseOffset <= uncleanable) firstUncleanableOffset = segment.baseOffset;
    }
    if (uncleanable >= log.activeSegmentBaseOffset) firstUncleanableOffset = log.activeSegmentBaseOffset;
    if (firstDirtyOffset > firstUncleanableOffset) firstDirtyOffset = firstUncleanableOffset;

    let cleanBytes = 0;
    let cleanableBytes = 0;
    let firstDirtySegmentTimestamp: bigint | null = null;
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i];
      const end = segments[i + 1]?.baseOffset ?? log.activeSegmentBaseOffset;
      if (segment.baseOffset >= firstUncleanableOffset) break;
      if (end <= firstDirtyOffset) {
        cleanBytes += segment.size;
      } else {
        cleanableBytes += segment.size;
        firstDirtySegmentTimestamp ??= segment.rollingBasedTimestamp ?? segment.largestTimestamp();
      }
    }
    const total = cleanBytes + cleanableBytes;
    const dirtyRatio = total === 0 ? 0 : cleanableBytes / total;
    const pastLagMs =
      cleanableBytes > 0 && firstDirtySegmentTimestamp !== null && firstDirtySegmentTimestamp >= 0n
        ? Number(BigInt(now) - firstDirtySegmentTimestamp) - config.maxCompactionLagMs
        : 0;
    const needsCompactionNow = pastLagMs > 0;
    return { firstDirtyOffset, firstUncleanableOffset, cleanBytes, cleanableBytes, dirtyRatio, needsCompactionNow, compactionDelayMs: Math.max(0, pastLagMs) };
  }

  private async cleanFilthiest(): Promise<CleanerRun | null> {
    if (this.stopped) return null;
    const now = BigInt(this.clock());
    let best: { partition: CleanablePartition; measure: CleanableMeasure; score: number } | null = null;
    let maxDirtyRatio = 0;
    let maxCompactionDelayMs = 0;
    const seen = new Set<string>();
    for (const partition of this.options.logs()) {
      seen.add(`${partition.topic}-${partition.partition}`);
      let measure: CleanableMeasure | null;
      try {
        measure = this.measure(partition.log);
      } catch (error) {
        this.logger.warn({ directory: partition.log.directory, error }, 'cannot measure a log for cleaning');
        continue;
      }
      if (measure === null) continue;
      if (measure.dirtyRatio > maxDirtyRatio) maxDirtyRatio = measure.dirtyRatio;
      if (measure.compactionDelayMs > maxCompactionDelayMs) maxCompactionDelayMs = measure.compactionDelayMs;
      const horizon = this.horizons.get(partition.log);
      const horizonDue = horizon !== undefined && horizon <= now;
      const dirtyEnough = measure.cleanableBytes > 0 && (measure.dirtyRatio >= partition.log.logConfig.minCleanableDirtyRatio || measure.needsCompactionNow);
      if (!dirtyEnough && !horizonDue) continue;
      // A log that must be cleaned now (max lag, expired horizon) outranks any ratio.
      const score = measure.needsCompactionNow || horizonDue ? 2 + measure.dirtyRatio : measure.dirtyRatio;
      if (best === null || score > best.score) best = { partition, measure, score };
    }
    this.recorder.onSelection(maxDirtyRatio, maxCompactionDelayMs);
    this.recorder.retain(seen);
    for (const key of this.runs.keys()) if (!seen.has(key)) this.runs.delete(key);
    if (best === null) return null;
    const { partition, measure } = best;
    const log = partition.log;
    const key = `${partition.topic}-${partition.partition}`;
    const started = this.clock();
    try {
      const result = await this.clean(log, measure);
      const stats: CleanerStats = {
        endOffset: result.endOffset,
        bytesRead: result.bytesRead,
        bytesWritten: result.bytesWritten,
        recordsRead: result.recordsRead,
        recordsRetained: result.recordsRetained,
        segmentsCleaned: result.segmentsCleaned,
        earliestDeleteHorizonMs: result.earliestDeleteHorizonMs,
        elapsedMs: this.clock() - started,
      };
      // Off the event loop; a checkpoint lost in a crash only makes the next cleaning redo some work.
      await replaceFileAsync(this.fs, join(log.directory, CLEANER_OFFSET_CHECKPOINT_FILE), offsetCheckpointBytes(stats.endOffset));
      await this.fs.fsyncDirectory(log.directory);
      if (stats.earliestDeleteHorizonMs !== null) this.horizons.set(log, stats.earliestDeleteHorizonMs);
      else this.horizons.delete(log);
      const run: CleanerRun = { ...stats, topic: partition.topic, partition: partition.partition, finishedAtMs: this.clock(), dirtyRatio: measure.dirtyRatio };
      this.runs.set(key, run);
      this.recorder.onCleaned(partition.topic, partition.partition, stats, measure.dirtyRatio, result.mapUtilization);
      this.logger.info(
        { topic: partition.topic, partition: partition.partition, bytesRead: stats.bytesRead, bytesWritten: stats.bytesWritten, elapsedMs: stats.elapsedMs },
        'log cleaned',
      );
      return run;
    } catch (error) {
      if (error instanceof CleaningAbortedError) {
        this.logger.info({ topic: partition.topic, partition: partition.partition, reason: error.message }, 'log cleaning stopped');
      } else {
        // Kafka marks the partition uncleanable after an unexpected failure; here it is retried after the backoff.
        this.recorder.onFailed(partition.topic, partition.partition);
        this.logger.error({ topic: partition.topic, partition: partition.partition, error }, 'log cleaning failed');
      }
      return null;
    }
  }

  /**
   * Cleans `log` in the cleaner thread (on the real file system) or, with a file system the embedder supplied, on
   * this event loop; either way each cleaned group is swapped in here (`swapGroup`).
   */
  private async clean(log: PartitionLog, measure: CleanableMeasure): Promise<CleaningResult> {
    const { plan, segments } = planCleaning(log, measure, (this.options.producerState ?? noProducers).activeProducers(log), BigInt(this.clock()));
    const committed = new Set<bigint>();
    let swapFailure: { error: unknown } | null = null;
    let aborted = false;
    this.current = {
      log,
      abort: () => {
        aborted = true;
        this.thread?.stopCleaning();
      },
    };
    const swap = (group: PreparedGroup): SwapOutcome => {
      if (aborted) return { kind: 'dropped', reason: 'the cleaning of this log was aborted' };
      const { outcome, failure } = this.swapGroup(log, segments, group);
      if (outcome.kind === 'swapped') committed.add(group.baseOffset);
      if (failure !== undefined) swapFailure = failure;
      return outcome;
    };
    try {
      if (this.fs !== nodeFileSystem) {
        this.map ??= new OffsetMap(this.options.dedupeBufferSize ?? 128 * 1024 * 1024);
        const host = new EventLoopCleaningHost({
          fs: this.fs,
          map: this.map,
          swap,
          shouldStop: () => this.stopped || aborted || log.offline !== null,
          ...(this.options.yieldEveryBytes === undefined ? {} : { yieldEveryBytes: this.options.yieldEveryBytes }),
          ...(this.options.sliceMs === undefined ? {} : { sliceMs: this.options.sliceMs }),
          ...(this.options.ioMaxBytesPerSecond === undefined ? {} : { ioMaxBytesPerSecond: this.options.ioMaxBytesPerSecond }),
        });
        return await cleanLog(plan, host);
      }
      this.thread ??= new CleanerThread({
        dedupeBufferSize: this.options.dedupeBufferSize ?? 128 * 1024 * 1024,
        ioMaxBytesPerSecond: this.options.ioMaxBytesPerSecond ?? Number.MAX_VALUE,
      });
      const thread = this.thread;
      try {
        return await thread.clean(plan, swap);
      } catch (error) {
        // A thread that died mid-cleaning could not drop what it had written; nothing of it is committed.
        if (!thread.started && !(error instanceof CleaningAbortedError)) discardUnfinishedCleaning(this.fs, log.directory, plan.segments.map((segment) => segment.baseOffset).filter((base) => !committed.has(base)));
        // A segment that went away meanwhile makes the thread fail to read it: that is an aborted cleaning.
        if (!(error instanceof CleaningAbortedError) && [...segments.values()].some((segment) => segment.isClosed)) {
          throw new CleaningAbortedError(`segments of ${log.directory} changed during cleaning`, { cause: error });
        }
        throw error;
      }
    } catch (error) {
      // The swap's own failure (the log went offline) is what the cleaning reports.
      const failure = swapFailure as { error: unknown } | null;
      if (failure !== null) throw failure.error;
      throw error;
    } finally {
      this.current = null;
    }
  }

  /** Swaps a cleaned group into `log`, on this thread, atomically with respect to readers, appends and retention. */
  private swapGroup(
    log: PartitionLog,
    planned: ReadonlyMap<bigint, LogSegment>,
    group: PreparedGroup,
  ): { outcome: SwapOutcome; failure?: { error: unknown } } {
    if (this.stopped) return { outcome: { kind: 'dropped', reason: 'the log cleaner is stopping' } };
    // Left for the recovery at the next start, as a cleaning interrupted by a crash.
    if (log.offline !== null) return { outcome: { kind: 'abandoned', reason: `log ${log.directory} went offline during cleaning` } };
    const replaced: LogSegment[] = [];
    for (const base of group.replaced) {
      const segment = planned.get(base);
      if (segment === undefined || segment.isClosed) return { outcome: { kind: 'dropped', reason: `segment ${base} went away during cleaning` } };
      replaced.push(segment);
    }
    let deleted: string[] = [];
    try {
      const swapped = log.replaceSegments(replaced, () => {
        const result = swapInCleanedSegment(this.fs, log.directory, group.baseOffset, group.groupEnd, replaced, log.logConfig.indexIntervalBytes);
        deleted = result.deleted;
        return result.segment;
      });
      if (!swapped) return { outcome: { kind: 'dropped', reason: `segments of ${log.directory} changed during cleaning` } };
    } catch (error) {
      // Once the log went offline mid-swap, the files are the swap's: a restart completes or discards it.
      return { outcome: { kind: log.offline !== null ? 'abandoned' : 'dropped', reason: 'the swap failed' }, failure: { error } };
    }
    return { outcome: { kind: 'swapped', deleted } };
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.cleanOnce().then(
        (run) => this.schedule(run === null ? (this.options.backoffMs ?? 15_000) : 0),
        () => this.schedule(this.options.backoffMs ?? 15_000),
      );
    }, delayMs);
    this.timer.unref();
  }
}

/**
 * The plan of one cleaning (Kafka's `LogToClean`) as plain data for the cleaner thread, with the segments it
 * names. The aborted transactions come from one search of the transaction indexes over the range, split per
 * segment as `collectAbortedTransactions(base, end)` would return them.
 */
function planCleaning(
  log: PartitionLog,
  measure: CleanableMeasure,
  activeProducers: ReadonlyMap<bigint, ActiveProducerLastRecord>,
  nowMs: bigint,
): { plan: CleaningPlan; segments: Map<bigint, LogSegment> } {
  const { firstDirtyOffset, firstUncleanableOffset } = measure;
  const inactive = log.inactiveSegments;
  const segments = new Map<bigint, LogSegment>();
  const bounds: { segment: LogSegment; endOffset: bigint }[] = [];
  for (let i = 0; i < inactive.length && inactive[i].baseOffset < firstUncleanableOffset; i++) {
    bounds.push({ segment: inactive[i], endOffset: inactive[i + 1]?.baseOffset ?? log.activeSegmentBaseOffset });
    segments.set(inactive[i].baseOffset, inactive[i]);
  }
  const aborted = bounds.length === 0 ? [] : log.collectAbortedTransactions(bounds[0].segment.baseOffset, firstUncleanableOffset);
  const overlapping = (from: bigint, to: bigint) => aborted.filter((entry) => entry.lastOffset >= from && entry.firstOffset < to);
  const planned: SegmentToClean[] = bounds.map(({ segment, endOffset }) => ({
    baseOffset: segment.baseOffset,
    endOffset,
    size: segment.size,
    abortedTransactions: overlapping(segment.baseOffset, endOffset),
  }));
  const firstDirty = planned.find((segment) => segment.endOffset > firstDirtyOffset);
  const config = log.logConfig;
  return {
    plan: {
      directory: log.directory,
      segments: planned,
      firstDirtyOffset,
      firstUncleanableOffset,
      dirtyAbortedTransactions: firstDirty === undefined ? [] : overlapping(firstDirty.baseOffset, firstUncleanableOffset),
      activeProducers,
      segmentBytes: config.segmentBytes,
      indexIntervalBytes: config.indexIntervalBytes,
      deleteRetentionMs: BigInt(config.deleteRetentionMs),
      nowMs,
    },
    segments,
  };
}
