// One cleaning of one partition log (Kafka's `Cleaner.doClean`), on a plan of plain data (`CleaningPlan`) so that
// it runs in the cleaner's worker thread as well as on the event loop:
//   1. build the key -> latest offset map over the dirty range [firstDirtyOffset, firstUncleanableOffset), skipping
//      aborted transactional data and markers, until the range ends or the map is full;
//   2. rewrite every segment below the end of what the map covers, from the start of the log, in groups that fit
//      one segment, keeping what `filterBatch` keeps;
//   3. hand each cleaned group, prepared for its swap (`segment-swap.ts`), to `CleaningHost.swap`, which runs on the
//      broker's event loop, next to the log's segment list: the commit is atomic with respect to readers and appends.
// Segments are read through files of their own, opened by name: the broker's descriptors stay its own (they may be
// closed and reused at any time), and an inactive segment's bytes never change while it is in the log. A segment
// that retention, DeleteRecords or a truncation removes meanwhile makes the swap (or the host's `checkpoint`) stop
// the cleaning without changing anything. The active segment is never read, so appends never wait for the cleaner.
import { join } from 'node:path';
import { BatchAttribute, BatchField, RECORD_BATCH_OVERHEAD } from '../../../protocol/records/batch-header.ts';
import { decodeRecordBatch } from '../../../protocol/records/record-batch-decoder.ts';
import { LOG_FILE_SUFFIX, offsetFileName } from '../file-names.ts';
import type { LogFileSystem } from '../log-file-system.ts';
import { locateBatch } from '../log-segment.ts';
import { SegmentFileReader } from '../segment-file-reader.ts';
import type { AbortedTransaction } from '../transaction-index.ts';
import { CleanedTransactions } from './cleaned-transactions.ts';
import { filterBatch, markerIsAbort } from './batch-filter.ts';
import type { ActiveProducerLastRecord } from './batch-filter.ts';
import type { OffsetMap } from './offset-map.ts';
import { forEachRecordKey } from './record-keys.ts';
import { CleanedSegmentWriter, discardPreparedSwap, finishSwap, prepareSwap } from './segment-swap.ts';

/** One non-active segment as a cleaning sees it (structured-cloneable: it crosses to the worker thread). */
export interface SegmentToClean {
  readonly baseOffset: bigint;
  /** The next segment's base offset (the active segment's for the last one): where this segment's offsets end. */
  readonly endOffset: bigint;
  /** Bytes of its .log when the cleaning was planned (a non-active segment does not grow). */
  readonly size: number;
  /** The aborted transactions overlapping [baseOffset, endOffset), from the log's transaction indexes. */
  readonly abortedTransactions: readonly AbortedTransaction[];
}

/** What one cleaning is asked to do (Kafka's `LogToClean`), as plain data. */
export interface CleaningPlan {
  readonly directory: string;
  /** The non-active segments below `firstUncleanableOffset`, oldest first. */
  readonly segments: readonly SegmentToClean[];
  readonly firstDirtyOffset: bigint;
  /** A segment base offset: the active segment's, or lower (transactions still open, min.compaction.lag.ms). */
  readonly firstUncleanableOffset: bigint;
  /** The aborted transactions overlapping the dirty range (the offset map skips their data). */
  readonly dirtyAbortedTransactions: readonly AbortedTransaction[];
  readonly activeProducers: ReadonlyMap<bigint, ActiveProducerLastRecord>;
  readonly segmentBytes: number;
  readonly indexIntervalBytes: number;
  readonly deleteRetentionMs: bigint;
  /** The time delete horizons are judged against. */
  readonly nowMs: bigint;
}

/** A cleaned group of segments, written and prepared for its swap, not yet committed. */
export interface PreparedGroup {
  /** The cleaned segment's base offset (the first replaced segment's). */
  readonly baseOffset: bigint;
  /** The base offset of the segment after the group. */
  readonly groupEnd: bigint;
  /** The replaced segments' base offsets. */
  readonly replaced: readonly bigint[];
}

/**
 * What the log did with a prepared group: swapped it in (the `.deleted` files of the replaced segments are the
 * cleaning's to remove), dropped it (the log changed or the cleaner is stopping: its files go), or abandoned it
 * (the swap failed and the log went offline: its files stay for recovery at the next start).
 */
export type SwapOutcome =
  | { readonly kind: 'swapped'; readonly deleted: readonly string[] }
  | { readonly kind: 'dropped'; readonly reason: string }
  | { readonly kind: 'abandoned'; readonly reason: string };

/** Where a cleaning runs: its I/O, its pacing, and the log's swap. */
export interface CleaningHost {
  readonly fs: LogFileSystem;
  readonly map: OffsetMap;
  /**
   * Called before each batch read with the bytes of I/O done since the last call; resolves when the cleaning may
   * go on (after a yield or a rate pause) and throws `CleaningAbortedError` to stop it.
   */
  checkpoint(ioBytes: number): void | Promise<void>;
  /** Commits a prepared group into the log. */
  swap(group: PreparedGroup): SwapOutcome | Promise<SwapOutcome>;
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

/** What `cleanLog` returns: the statistics without the elapsed time (the caller's clock measures it). */
export type CleaningResult = Omit<CleanerStats, 'elapsedMs'> & {
  /** How full the offset map got (Kafka's `SkimpyOffsetMap.utilization`). */
  readonly mapUtilization: number;
};

/** Bytes read from a segment at once (a batch larger than this is read on its own). */
const READ_CHUNK_BYTES = 1024 * 1024;

/** A cleaning stopped without changing the log (a segment it read went away, or the cleaner is stopping). */
export class CleaningAbortedError extends Error {}

interface MutableStats {
  bytesRead: number;
  bytesWritten: number;
  recordsRead: number;
  recordsRetained: number;
  segmentsCleaned: number;
  earliestDeleteHorizonMs: bigint | null;
}

/** Cleans the log `plan` describes, through `host`. */
export async function cleanLog(plan: CleaningPlan, host: CleaningHost): Promise<CleaningResult> {
  const map = host.map;
  map.clear();
  const stats: MutableStats = { bytesRead: 0, bytesWritten: 0, recordsRead: 0, recordsRetained: 0, segmentsCleaned: 0, earliestDeleteHorizonMs: null };
  const full = await buildOffsetMap(plan, host, stats);
  const endOffset = full ? map.latestOffset + 1n : plan.firstUncleanableOffset;
  // Offsets the map covers without a key in it are older than nothing: they stay unless expired tombstones.
  if (!full) map.updateLatestOffset(endOffset - 1n);
  const toRewrite = plan.segments.filter((segment) => segment.baseOffset < endOffset);
  for (const group of groupSegmentsBySize(toRewrite, plan.segmentBytes)) await cleanGroup(plan, host, group, stats);
  return { ...stats, endOffset, mapUtilization: map.utilization };
}

/** Kafka's `buildOffsetMap`: returns true when the map filled up before the end of the dirty range. */
async function buildOffsetMap(plan: CleaningPlan, host: CleaningHost, stats: MutableStats): Promise<boolean> {
  const map = host.map;
  const { firstDirtyOffset } = plan;
  const dirty = plan.segments.filter((segment) => segment.endOffset > firstDirtyOffset);
  if (dirty.length === 0) return false;
  const transactions = new CleanedTransactions(plan.dirtyAbortedTransactions);
  for (const segment of dirty) {
    let full = false;
    await forEachBatch(plan, host, segment, stats, (bytes, lastOffset) => {
      const header = bytes.readInt16BE(BatchField.attributes);
      const producerId = bytes.readBigInt64BE(BatchField.producerId);
      if ((header & BatchAttribute.control) !== 0) {
        transactions.onControlBatchRead(producerId, markerIsAbort(decodeRecordBatch(bytes, { verifyCrc: false }).records), lastOffset);
      } else if (!transactions.onBatchRead(producerId, (header & BatchAttribute.transactional) !== 0, lastOffset)) {
        if (lastOffset >= firstDirtyOffset && bytes.length > RECORD_BATCH_OVERHEAD) {
          const baseOffset = bytes.readBigInt64BE(BatchField.baseOffset);
          forEachRecordKey(bytes, (key, offsetDelta) => {
            if (full || key === null) return;
            const offset = baseOffset + BigInt(offsetDelta);
            if (offset < firstDirtyOffset) return;
            if (map.isFull) full = true;
            else map.put(key, offset);
          });
          if (full) return false;
        }
      }
      if (lastOffset >= firstDirtyOffset) map.updateLatestOffset(lastOffset);
      return true;
    });
    if (full) return true;
  }
  return false;
}

async function cleanGroup(plan: CleaningPlan, host: CleaningHost, group: readonly SegmentToClean[], stats: MutableStats): Promise<void> {
  const fs = host.fs;
  const baseOffset = group[0].baseOffset;
  const groupEnd = group[group.length - 1].endOffset;
  const writer = new CleanedSegmentWriter(fs, plan.directory, baseOffset, plan.indexIntervalBytes);
  let prepared = false;
  let committed = false;
  let leaveFiles = false;
  try {
    const transactions = new CleanedTransactions([]);
    const context = { map: host.map, transactions, activeProducers: plan.activeProducers, nowMs: plan.nowMs, deleteRetentionMs: plan.deleteRetentionMs };
    let written = 0;
    for (const segment of group) {
      transactions.addAbortedTransactions(segment.abortedTransactions);
      await forEachBatch(plan, host, segment, stats, (bytes) => {
        const filtered = filterBatch(bytes, context);
        stats.recordsRead += filtered.recordsRead;
        stats.recordsRetained += filtered.recordsRetained;
        if (filtered.deleteHorizonMs !== null && (stats.earliestDeleteHorizonMs === null || filtered.deleteHorizonMs < stats.earliestDeleteHorizonMs)) {
          stats.earliestDeleteHorizonMs = filtered.deleteHorizonMs;
        }
        if (filtered.bytes !== null) writer.append(filtered.bytes);
        return true;
      }, () => {
        const bytes = writer.bytesWritten - written;
        written = writer.bytesWritten;
        return bytes;
      });
    }
    // Only the entries whose ABORT marker stays (Kafka's cleaned transaction index).
    for (const entry of transactions.retainedAbortedTransactions) writer.addAbortedTransaction(entry);
    await writer.finish();
    await host.checkpoint(writer.bytesWritten - written);
    prepared = true;
    await prepareSwap(fs, plan.directory, baseOffset, groupEnd);
    await host.checkpoint(0);
    const outcome = await host.swap({ baseOffset, groupEnd, replaced: group.map((segment) => segment.baseOffset) });
    if (outcome.kind !== 'swapped') {
      leaveFiles = outcome.kind === 'abandoned';
      throw new CleaningAbortedError(outcome.reason);
    }
    committed = true;
    stats.bytesWritten += writer.bytesWritten;
    stats.segmentsCleaned += group.length;
    await finishSwap(fs, plan.directory, baseOffset, outcome.deleted);
  } catch (error) {
    // Once committed (or abandoned by a log that went offline mid-swap), the files are the swap's: a restart
    // completes or discards it.
    if (!committed && !leaveFiles) {
      writer.abort();
      if (prepared) discardPreparedSwap(fs, plan.directory, baseOffset);
    }
    throw error;
  }
}

/**
 * Calls `visit` with each batch of `segment` (its bytes and last offset) until it returns false. Before each read
 * the host's checkpoint runs, told the bytes read and (through `writtenSince`) written since the last one.
 */
async function forEachBatch(
  plan: CleaningPlan,
  host: CleaningHost,
  segment: SegmentToClean,
  stats: MutableStats,
  visit: (bytes: Buffer, lastOffset: bigint) => boolean,
  writtenSince: () => number = () => 0,
): Promise<void> {
  const fs = host.fs;
  const path = join(plan.directory, offsetFileName(segment.baseOffset, LOG_FILE_SUFFIX));
  let fd: number;
  try {
    fd = fs.open(path, 'r');
  } catch (error) {
    throw new CleaningAbortedError(`segment ${segment.baseOffset} went away during cleaning`, { cause: error });
  }
  try {
    // One read per chunk for headers and batches alike; a batch's bytes are a view valid until the next read,
    // which `visit` (synchronous, copying what it keeps) never outlives.
    const reader = new SegmentFileReader(fs, fd, segment.size, READ_CHUNK_BYTES);
    let position = 0;
    let ioBytes = 0;
    while (position < segment.size) {
      await host.checkpoint(ioBytes + writtenSince());
      const location = locateBatch(reader, position, segment.size);
      if (location === null) throw new CleaningAbortedError(`segment ${segment.baseOffset} changed during cleaning`);
      const bytes = reader.view(position, location.size);
      if (bytes.length !== location.size) throw new CleaningAbortedError(`segment ${segment.baseOffset} changed during cleaning`);
      ioBytes = location.size;
      stats.bytesRead += location.size;
      position += location.size;
      if (!visit(bytes, location.lastOffset)) return;
    }
  } finally {
    fs.close(fd);
  }
}

/**
 * Kafka's `Cleaner.groupSegmentsBySize`: consecutive segments whose total size fits one segment and whose
 * offsets stay within an int32 of the group's base offset.
 */
export function groupSegmentsBySize(segments: readonly SegmentToClean[], maxSize: number): SegmentToClean[][] {
  const groups: SegmentToClean[][] = [];
  let i = 0;
  while (i < segments.length) {
    const group = [segments[i]];
    let size = segments[i].size;
    i++;
    while (i < segments.length) {
      const candidate = segments[i];
      if (size + candidate.size > maxSize || candidate.endOffset - 1n - group[0].baseOffset > 0x7fffffffn) break;
      group.push(candidate);
      size += candidate.size;
      i++;
    }
    groups.push(group);
  }
  return groups;
}
