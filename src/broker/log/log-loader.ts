// Opens the segments of one partition directory and recovers them (Kafka's `LogLoader`). After a clean
// shutdown (marker file present) the index files are trusted after sanity checks. After an unclean stop every
// segment from the one holding the recovery point onwards is validated batch by batch: a torn or corrupt tail
// is cut at the first bad batch, later segments are dropped (their offsets would no longer follow on), and
// the indexes of recovered segments are rebuilt.
import { join } from 'node:path';
import {
  INDEX_FILE_SUFFIX,
  LOG_FILE_SUFFIX,
  TEMP_FILE_SUFFIX,
  TIME_INDEX_FILE_SUFFIX,
  TRANSACTION_INDEX_FILE_SUFFIX,
  offsetFromFileName,
} from './file-names.ts';
import { readOffsetCheckpoint } from './checkpoint-file.ts';
import type { LogFileSystem } from './log-file-system.ts';
import { LogSegment } from './log-segment.ts';
import { recoverInterruptedSwaps } from './cleaner/segment-swap.ts';
import type { SegmentCorruption } from './log-segment.ts';

export const CLEAN_SHUTDOWN_FILE = 'clean-shutdown';
export const RECOVERY_POINT_FILE = 'recovery-point';
export const LOG_START_OFFSET_FILE = 'log-start-offset';

/** What loading found and did, for logs and tests. */
export interface LogRecoveryReport {
  cleanShutdown: boolean;
  /** The checkpointed recovery point the scan started from (null after a clean shutdown). */
  recoveryPoint: bigint | null;
  /** Base offsets of the segments that were validated batch by batch. */
  recoveredSegments: bigint[];
  /** Base offsets of segments whose index files were unusable and were rebuilt. */
  rebuiltIndexes: bigint[];
  /** Base offsets of segments whose aborted-transaction index file was unreadable and was emptied. */
  unreadableTransactionIndexes: bigint[];
  /** Bytes cut from the end of recovered segments. */
  truncatedBytes: number;
  /** Where a segment was found corrupt (null if none). */
  corruption: (SegmentCorruption & { segmentBaseOffset: bigint }) | null;
  /** Base offsets of segments deleted because they followed a corruption. */
  deletedSegments: bigint[];
  /** Leftover files removed (temp files, indexes without a .log). */
  removedFiles: string[];
}

export interface LoadedLog {
  segments: LogSegment[];
  logStartOffset: bigint;
  /** Whether any segment file now holds bytes not covered by an fsync (truncation or unclean recovery). */
  needsFlush: boolean;
  report: LogRecoveryReport;
}

export interface LoadOptions {
  fs: LogFileSystem;
  directory: string;
  indexIntervalBytes: number;
  nowMs: number;
}

export function loadLog(options: LoadOptions): LoadedLog {
  const { fs, directory, indexIntervalBytes } = options;
  fs.mkdir(directory);
  const report: LogRecoveryReport = {
    cleanShutdown: false,
    recoveryPoint: null,
    recoveredSegments: [],
    rebuiltIndexes: [],
    unreadableTransactionIndexes: [],
    truncatedBytes: 0,
    corruption: null,
    deletedSegments: [],
    removedFiles: [],
  };

  // A log cleaning cut short by a crash is completed or dropped before any segment is opened.
  report.removedFiles.push(...recoverInterruptedSwaps(fs, directory));
  const names = fs.readdir(directory);
  const baseOffsets: bigint[] = [];
  const present = new Set(names);
  for (const name of names) {
    const base = offsetFromFileName(name, LOG_FILE_SUFFIX);
    if (base !== null) baseOffsets.push(base);
  }
  for (const name of names) {
    const orphanIndex =
      (offsetFromFileName(name, INDEX_FILE_SUFFIX) ??
        offsetFromFileName(name, TIME_INDEX_FILE_SUFFIX) ??
        offsetFromFileName(name, TRANSACTION_INDEX_FILE_SUFFIX)) !== null &&
      !present.has(name.replace(/\.(index|timeindex|txnindex)$/, LOG_FILE_SUFFIX));
    if (name.endsWith(TEMP_FILE_SUFFIX) || orphanIndex) {
      fs.unlink(join(directory, name));
      report.removedFiles.push(name);
    }
  }
  baseOffsets.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

  const cleanShutdownOffset = readOffsetCheckpoint(fs, join(directory, CLEAN_SHUTDOWN_FILE));
  const clean = cleanShutdownOffset !== null;
  report.cleanShutdown = clean;
  const recoveryPoint = clean ? null : (readOffsetCheckpoint(fs, join(directory, RECOVERY_POINT_FILE)) ?? 0n);
  report.recoveryPoint = recoveryPoint;
  const checkpointedLogStart = readOffsetCheckpoint(fs, join(directory, LOG_START_OFFSET_FILE));

  const segments: LogSegment[] = [];
  let needsFlush = false;
  try {
    for (let i = 0; i < baseOffsets.length; i++) {
      const segment = LogSegment.open(fs, directory, baseOffsets[i]);
      segments.push(segment);
      const next = i + 1 < baseOffsets.length ? baseOffsets[i + 1] : null;
      const trusted = clean || (recoveryPoint !== null && next !== null && next <= recoveryPoint);
      if (trusted && segment.loadIndexes(next)) continue;
      if (trusted) report.rebuiltIndexes.push(segment.baseOffset);
      const result = segment.recover(indexIntervalBytes, next);
      report.recoveredSegments.push(segment.baseOffset);
      report.truncatedBytes += result.truncatedBytes;
      if (result.truncatedBytes > 0) needsFlush = true;
      if (result.corruption !== null && report.corruption === null) {
        report.corruption = { ...result.corruption, segmentBaseOffset: segment.baseOffset };
      }
      // Later segments must start where this one ends, or their offsets no longer follow on. A cleaned segment
      // may end before the next one starts (compaction leaves gaps), but never after, and a cut one breaks the chain.
      if (next !== null && segment.nextOffset < next && result.truncatedBytes === 0) segment.nextOffset = next;
      if (next !== null && segment.nextOffset !== next) {
        for (let j = i + 1; j < baseOffsets.length; j++) {
          const later = LogSegment.open(fs, directory, baseOffsets[j]);
          later.deleteFiles();
          report.deletedSegments.push(baseOffsets[j]);
        }
        if (report.corruption === null) {
          report.corruption = {
            segmentBaseOffset: segment.baseOffset,
            position: segment.size,
            reason: `segment ends at offset ${segment.nextOffset} but the next one starts at ${next}`,
          };
        }
        needsFlush = true;
        break;
      }
    }

    if (segments.length === 0) {
      const start = checkpointedLogStart !== null && checkpointedLogStart > 0n ? checkpointedLogStart : 0n;
      segments.push(LogSegment.create(fs, directory, start, options.nowMs));
      needsFlush = true;
    }
  } catch (error) {
    for (const segment of segments) segment.close();
    throw error;
  }

  const first = segments[0];
  const last = segments[segments.length - 1];
  if (clean && cleanShutdownOffset !== last.nextOffset && !report.recoveredSegments.includes(last.baseOffset)) {
    // The marker disagrees with the files: trust nothing about the last segment.
    const result = last.recover(indexIntervalBytes);
    report.recoveredSegments.push(last.baseOffset);
    report.truncatedBytes += result.truncatedBytes;
    if (result.corruption !== null && report.corruption === null) {
      report.corruption = { ...result.corruption, segmentBaseOffset: last.baseOffset };
    }
    needsFlush = true;
  }
  let logStartOffset = checkpointedLogStart ?? first.baseOffset;
  if (logStartOffset < first.baseOffset) logStartOffset = first.baseOffset;
  if (logStartOffset > last.nextOffset) logStartOffset = last.nextOffset;
  // Last, once every segment's end is final: entries past it are dropped.
  for (const segment of segments) {
    if (!segment.loadTransactionIndex()) report.unreadableTransactionIndexes.push(segment.baseOffset);
  }
  return { segments, logStartOffset, needsFlush: needsFlush || !clean, report };
}
