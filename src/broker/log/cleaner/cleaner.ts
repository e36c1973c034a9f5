// One cleaning of one partition log (Kafka's `Cleaner.doClean`):
//   1. build the key -> latest offset map over the dirty range [firstDirtyOffset, firstUncleanableOffset), skipping
//      aborted transactional data and markers, until the range ends or the map is full;
//   2. rewrite every segment below the end of what the map covers, from the start of the log, in groups that fit
//      one segment, keeping what `filterBatch` keeps;
//   3. swap each cleaned group in for the segments it replaces (`segment-swap.ts`).
// The work is sliced: after `sliceMs` of work (or `yieldEveryBytes` read), it yields to the event loop so produce
// and fetch keep running, and it keeps to `log.cleaner.io.max.bytes.per.second` (Kafka's cleaner `Throttler`);
// fsyncs run off the event loop, and the one synchronous step left is the swap's commit (a rename and a directory
// fsync). The active segment is never read, so appends never wait for the cleaner. A segment that retention,
// DeleteRecords or a truncation removes meanwhile makes this cleaning stop without changing anything.
import { BatchAttribute, BatchField, RECORD_BATCH_OVERHEAD } from '../../../protocol/records/batch-header.ts';
import { decodeRecordBatch } from '../../../protocol/records/record-batch-decoder.ts';
import type { LogFileSystem } from '../log-file-system.ts';
import type { LogSegment } from '../log-segment.ts';
import type { PartitionLog } from '../partition-log.ts';
import { CleanedTransactions } from './cleaned-transactions.ts';
import { filterBatch, markerIsAbort } from './batch-filter.ts';
import type { ActiveProducerLastRecord } from './batch-filter.ts';
import type { OffsetMap } from './offset-map.ts';
import { IoThrottler } from './io-throttler.ts';
import { forEachRecordKey } from './record-keys.ts';
import { CleanedSegmentWriter, discardPreparedSwap, finishSwap, prepareSwap, swapInCleanedSegment } from './segment-swap.ts';

/** What one cleaning is asked to do (Kafka's `LogToClean`). */
export interface LogToClean {
  readonly log: PartitionLog;
  readonly firstDirtyOffset: bigint;
  /** A segment base offset: the active segment's, or lower (transactions still open, min.compaction.lag.ms). */
  readonly firstUncleanableOffset: bigint;
  readonly activeProducers: ReadonlyMap<bigint, ActiveProducerLastRecord>;
}

/** What a cleaning did (Kafka's `CleanerStats`), for the checkpoint and the metrics. */
export interface CleanerStats {
  /** The next cleaning's first dirty offset. */
  readonly endOffset: bigint;
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly recordsRead: number;
  readonly recordsRetained: number;
  readonly segmentsCleaned: number;
  /** The earliest delete horizon among the tombstones and markers kept (a later pass may remove them then). */
  readonly earliestDeleteHorizonMs: bigint | null;
  readonly elapsedMs: number;
}

export interface CleanerOptions {
  readonly fs: LogFileSystem;
  readonly map: OffsetMap;
  readonly clock: () => number;
  /** Bytes read between two yields to the event loop at most (default 256 KiB). */
  readonly yieldEveryBytes?: number;
  /** Milliseconds of work between two yields to the event loop at most (default 0.5). */
  readonly sliceMs?: number;
  /** `log.cleaner.io.max.bytes.per.second`, reads and writes together (default: unlimited). */
  readonly ioMaxBytesPerSecond?: number;
  /** Stops the cleaning at its next yield when it returns true (shutdown). */
  readonly shouldStop?: () => boolean;
}

/** A cleaning stopped without changing the log (a segment it read went away, or the cleaner is stopping). */
export class CleaningAbortedError extends Error {}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class Cleaner {
  private readonly yieldEveryBytes: number;
  private readonly sliceMs: number;
  private readonly throttler: IoThrottler;
  private bytesSinceYield = 0;
  private sliceStartedMs = performance.now();
  private pendingPauseMs = 0;

  constructor(private readonly options: CleanerOptions) {
    this.yieldEveryBytes = options.yieldEveryBytes ?? 256 * 1024;
    this.sliceMs = options.sliceMs ?? 0.5;
    this.throttler = new IoThrottler(options.ioMaxBytesPerSecond ?? Number.MAX_VALUE);
  }

  async clean(toClean: LogToClean): Promise<CleanerStats> {
    const started = this.options.clock();
    const { log, firstDirtyOffset, firstUncleanableOffset } = toClean;
    const map = this.options.map;
    map.clear();
    const segments = log.inactiveSegments.filter((segment) => segment.baseOffset < firstUncleanableOffset);
    const stats = { bytesRead: 0, bytesWritten: 0, recordsRead: 0, recordsRetained: 0, segmentsCleaned: 0, earliestDeleteHorizonMs: null as bigint | null };

    const full = await this.buildOffsetMap(log, segments, firstDirtyOffset, firstUncleanableOffset, stats);
    const endOffset = full ? map.latestOffset + 1n : firstUncleanableOffset;
    // Offsets the map covers without a key in it are older than nothing: they stay unless expired tombstones.
    if (!full) map.updateLatestOffset(endOffset - 1n);

    const nowMs = BigInt(this.options.clock());
    const toRewrite = segments.filter((segment) => segment.baseOffset < endOffset);
    const all = log.inactiveSegments;
    for (const group of groupSegmentsBySize(toRewrite, all, log.logConfig.segmentBytes)) {
      const next = all[all.indexOf(group[group.length - 1]) + 1] as LogSegment | undefined;
      const groupEnd = next?.baseOffset ?? log.activeSegmentBaseOffset;
      await this.cleanGroup(toClean, group, groupEnd, nowMs, stats);
    }
    return { ...stats, endOffset, elapsedMs: this.options.clock() - started };
  }

  /** Kafka's `buildOffsetMap`: returns true when the map filled up before the end of the dirty range. */
  private async buildOffsetMap(
    log: PartitionLog,
    segments: readonly LogSegment[],
    firstDirtyOffset: bigint,
    firstUncleanableOffset: bigint,
    stats: { bytesRead: number },
  ): Promise<boolean> {
    const map = this.options.map;
    const dirty = segments.filter((segment, i) => (segments[i + 1]?.baseOffset ?? firstUncleanableOffset) > firstDirtyOffset);
    if (dirty.length === 0) return false;
    const transactions = new CleanedTransactions(log.collectAbortedTransactions(dirty[0].baseOffset, firstUncleanableOffset));
    for (const segment of dirty) {
      for (const location of segment.batchesFrom(0)) {
        const bytes = await this.read(segment, location.position, location.size, [segment], stats);
        const header = bytes.readInt16BE(BatchField.attributes);
        const producerId = bytes.readBigInt64BE(BatchField.producerId);
        if ((header & BatchAttribute.control) !== 0) {
          transactions.onControlBatchRead(producerId, markerIsAbort(decodeRecordBatch(bytes, { verifyCrc: false }).records), location.lastOffset);
        } else if (!transactions.onBatchRead(producerId, (header & BatchAttribute.transactional) !== 0, location.lastOffset)) {
          if (location.lastOffset >= firstDirtyOffset && bytes.length > RECORD_BATCH_OVERHEAD) {
            const baseOffset = bytes.readBigInt64BE(BatchField.baseOffset);
            let full = false;
            forEachRecordKey(bytes, (key, offsetDelta) => {
              if (full || key === null) return;
              const offset = baseOffset + BigInt(offsetDelta);
              if (offset < firstDirtyOffset) return;
              if (map.isFull) full = true;
              else map.put(key, offset);
            });
            if (full) return true;
          }
        }
        if (location.lastOffset >= firstDirtyOffset) map.updateLatestOffset(location.lastOffset);
      }
    }
    return false;
  }

  private async cleanGroup(
    toClean: LogToClean,
    group: readonly LogSegment[],
    groupEnd: bigint,
    nowMs: bigint,
    stats: {
      bytesRead: number;
      bytesWritten: number;
      recordsRead: number;
      recordsRetained: number;
      segmentsCleaned: number;
      earliestDeleteHorizonMs: bigint | null;
    },
  ): Promise<void> {
    const { log } = toClean;
    const fs = this.options.fs;
    const writer = new CleanedSegmentWriter(fs, log.directory, group[0].baseOffset, log.logConfig.indexIntervalBytes);
    let prepared = false;
    let committed = false;
    try {
      const transactions = new CleanedTransactions([]);
      const context = {
        map: this.options.map,
        transactions,
        activeProducers: toClean.activeProducers,
        nowMs,
        deleteRetentionMs: BigInt(log.logConfig.deleteRetentionMs),
      };
      for (let i = 0; i < group.length; i++) {
        const segment = group[i];
        const upperBound = group[i + 1]?.baseOffset ?? groupEnd;
        transactions.addAbortedTransactions(log.collectAbortedTransactions(segment.baseOffset, upperBound));
        for (const location of segment.batchesFrom(0)) {
          const bytes = await this.read(segment, location.position, location.size, group, stats);
          const filtered = filterBatch(bytes, context);
          stats.recordsRead += filtered.recordsRead;
          stats.recordsRetained += filtered.recordsRetained;
          if (filtered.deleteHorizonMs !== null && (stats.earliestDeleteHorizonMs === null || filtered.deleteHorizonMs < stats.earliestDeleteHorizonMs)) {
            stats.earliestDeleteHorizonMs = filtered.deleteHorizonMs;
          }
          if (filtered.bytes !== null) {
            writer.append(filtered.bytes);
            this.pendingPauseMs += this.throttler.record(filtered.bytes.length);
          }
        }
      }
      // Only the entries whose ABORT marker stays (Kafka's cleaned transaction index).
      for (const entry of transactions.retainedAbortedTransactions) writer.addAbortedTransaction(entry);
      await writer.finish();
      this.ensureAlive(group);
      prepared = true;
      await prepareSwap(fs, log.directory, group[0].baseOffset, groupEnd);
      this.ensureAlive(group);
      let deleted: string[] = [];
      const swapped = log.replaceSegments(group, () => {
        const result = swapInCleanedSegment(fs, log.directory, group[0].baseOffset, groupEnd, group, log.logConfig.indexIntervalBytes);
        deleted = result.deleted;
        return result.segment;
      });
      if (!swapped) throw new CleaningAbortedError(`segments of ${log.directory} changed during cleaning`);
      committed = true;
      stats.bytesWritten += writer.bytesWritten;
      stats.segmentsCleaned += group.length;
      await finishSwap(fs, log.directory, group[0].baseOffset, deleted);
    } catch (error) {
      // Once committed (or the log went offline mid-swap), the files are the swap's: a restart completes it.
      if (!committed && log.offline === null) {
        writer.abort();
        if (prepared) discardPreparedSwap(fs, log.directory, group[0].baseOffset);
      }
      throw error;
    }
  }

  /**
   * Reads one batch; first yields to the event loop when the current slice is over, or pauses when the I/O rate
   * cap says so. Stops the cleaning if a segment it reads went away meanwhile.
   */
  private async read(segment: LogSegment, position: number, size: number, group: readonly LogSegment[], stats: { bytesRead: number }): Promise<Buffer> {
    if (this.pendingPauseMs > 0) {
      const ms = this.pendingPauseMs;
      this.pendingPauseMs = 0;
      await pause(ms);
      this.startSlice(group);
    } else if (this.bytesSinceYield >= this.yieldEveryBytes || performance.now() - this.sliceStartedMs >= this.sliceMs) {
      await yieldToEventLoop();
      this.startSlice(group);
    }
    this.bytesSinceYield += size;
    this.pendingPauseMs += this.throttler.record(size);
    stats.bytesRead += size;
    return segment.readBytes(position, size);
  }

  private startSlice(group: readonly LogSegment[]): void {
    this.bytesSinceYield = 0;
    this.sliceStartedMs = performance.now();
    this.ensureAlive(group);
  }

  private ensureAlive(group: readonly LogSegment[]): void {
    if (this.options.shouldStop?.() === true) throw new CleaningAbortedError('the log cleaner is stopping');
    for (const segment of group) if (segment.isClosed) throw new CleaningAbortedError(`segment ${segment.baseOffset} went away during cleaning`);
  }
}

/**
 * Kafka's `Cleaner.groupSegmentsBySize`: consecutive segments whose total size fits one segment and whose
 * offsets stay within an int32 of the group's base offset. `all` is the log's segment list (for each one's end).
 */
export function groupSegmentsBySize(segments: readonly LogSegment[], all: readonly LogSegment[], maxSize: number): LogSegment[][] {
  const groups: LogSegment[][] = [];
  let i = 0;
  while (i < segments.length) {
    const group = [segments[i]];
    let size = segments[i].size;
    i++;
    while (i < segments.length) {
      const candidate = segments[i];
      const end = all[all.indexOf(candidate) + 1]?.baseOffset ?? candidate.nextOffset;
      if (size + candidate.size > maxSize || end - 1n - group[0].baseOffset > 0x7fffffffn) break;
      group.push(candidate);
      size += candidate.size;
      i++;
    }
    groups.push(group);
  }
  return groups;
}
