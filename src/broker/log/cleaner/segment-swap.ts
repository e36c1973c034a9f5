// Writing a cleaned segment and swapping it in for the segments it replaces, crash-safely (Kafka's
// `LocalLog.replaceSegments` and the swap handling of `LogLoader`):
//   1. the cleaned segment is written as `<base>.log.cleaned` with its indexes (`.index.cleaned`, ...) and fsynced;
//   2. `<base>.swap-end` records where the replaced group ends (the offset of the segment after it) and the index
//      files are renamed to `.swap`, made durable off the event loop (`prepareSwap`: nothing is committed yet);
//   3. in one synchronous step with the log's segment list (`swapInCleanedSegment`): the .log is renamed to
//      `.swap` and the directory fsynced, which commits the cleaning; every file of the replaced segments is
//      renamed to `.deleted`, and the `.swap` files to their final names;
//   4. off the event loop again (`finishSwap`): the directory is fsynced, the `.deleted` files and `.swap-end`
//      removed.
// Recovery at load (`recoverInterruptedSwaps`), before segments are opened: `.cleaned` files and `.deleted`
// files are removed (an unfinished cleaning is dropped; replaced segments were already superseded); a `.log.swap`
// completes its swap: the segments it replaces (base offsets in [base, swap-end)) are deleted and the `.swap`
// files renamed. Index `.swap` files without their `.log.swap` belong to an uncommitted swap and are removed.
// Kafka finds the end of the replaced range from the swap segment's last offset; the `.swap-end` file is ours:
// with that alone, a replaced segment that cleaning emptied entirely could survive a crash and reorder keys.
import { join } from 'node:path';
import { offsetCheckpointBytes, readOffsetCheckpoint, removeIfExists, writeFully } from '../checkpoint-file.ts';
import { DELETED_FILE_SUFFIX, INDEX_FILE_SUFFIX, LOG_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX, TRANSACTION_INDEX_FILE_SUFFIX, offsetFileName, offsetFromFileName } from '../file-names.ts';
import type { LogFileSystem } from '../log-file-system.ts';
import { LogSegment } from '../log-segment.ts';
import { OffsetIndex } from '../offset-index.ts';
import { TimeIndex } from '../time-index.ts';
import { TransactionIndex } from '../transaction-index.ts';
import type { AbortedTransaction } from '../transaction-index.ts';
import { BatchField } from '../../../protocol/records/batch-header.ts';

export const CLEANED_FILE_SUFFIX = '.cleaned';
export const SWAP_FILE_SUFFIX = '.swap';
export { DELETED_FILE_SUFFIX };
export const SWAP_END_FILE_SUFFIX = '.swap-end';

const SEGMENT_SUFFIXES = [LOG_FILE_SUFFIX, INDEX_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX, TRANSACTION_INDEX_FILE_SUFFIX];
/** Index files are renamed before the .log, whose `.swap` name commits the swap. */
const SWAP_ORDER = [INDEX_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX, TRANSACTION_INDEX_FILE_SUFFIX, LOG_FILE_SUFFIX];

/** The new segment of a cleaning, written batch by batch to `<base>.log.cleaned`, its indexes built on the way. */
export class CleanedSegmentWriter {
  private readonly fd: number;
  private size = 0;
  private readonly offsetIndex: OffsetIndex;
  private readonly timeIndex: TimeIndex;
  private readonly transactionIndex = new TransactionIndex();
  private maxTimestampSoFar = -1n;
  private offsetOfMaxTimestampSoFar: bigint;
  private bytesSinceLastIndexEntry = 0;
  private closed = false;

  constructor(
    private readonly fs: LogFileSystem,
    private readonly directory: string,
    readonly baseOffset: bigint,
    private readonly indexIntervalBytes: number,
  ) {
    this.offsetIndex = new OffsetIndex(baseOffset);
    this.timeIndex = new TimeIndex(baseOffset);
    this.offsetOfMaxTimestampSoFar = baseOffset;
    this.fd = fs.open(this.path(LOG_FILE_SUFFIX, CLEANED_FILE_SUFFIX), 'w+');
  }

  get bytesWritten(): number {
    return this.size;
  }

  /** Appends one whole batch (its header final) and indexes it as `LogSegment.append` does. */
  append(batch: Buffer): void {
    const position = this.size;
    writeFully(this.fs, this.fd, batch, position);
    this.size += batch.length;
    const baseOffset = batch.readBigInt64BE(BatchField.baseOffset);
    const lastOffset = baseOffset + BigInt(batch.readInt32BE(BatchField.lastOffsetDelta));
    const maxTimestamp = batch.readBigInt64BE(BatchField.maxTimestamp);
    if (maxTimestamp > this.maxTimestampSoFar) {
      this.maxTimestampSoFar = maxTimestamp;
      this.offsetOfMaxTimestampSoFar = lastOffset;
    }
    if (this.bytesSinceLastIndexEntry > this.indexIntervalBytes) {
      this.offsetIndex.append(lastOffset, position);
      this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += batch.length;
  }

  addAbortedTransaction(entry: AbortedTransaction): void {
    this.transactionIndex.append(entry);
  }

  /** Seals the time index, writes the index files and fsyncs everything (still under `.cleaned` names). */
  async finish(): Promise<void> {
    if (this.maxTimestampSoFar >= 0n) this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
    await this.fs.fsync(this.fd);
    this.fs.close(this.fd);
    this.closed = true;
    await Promise.all([
      this.writeIndexFile(INDEX_FILE_SUFFIX, this.offsetIndex.toBytes()),
      this.writeIndexFile(TIME_INDEX_FILE_SUFFIX, this.timeIndex.toBytes()),
      this.transactionIndex.entries.length > 0 ? this.writeIndexFile(TRANSACTION_INDEX_FILE_SUFFIX, this.transactionIndex.toBytes()) : undefined,
    ]);
  }

  /** Drops the cleaning: closes and removes every `.cleaned` file. */
  abort(): void {
    if (!this.closed) this.fs.close(this.fd);
    this.closed = true;
    for (const suffix of SEGMENT_SUFFIXES) removeIfExists(this.fs, this.path(suffix, CLEANED_FILE_SUFFIX));
  }

  private async writeIndexFile(suffix: string, data: Buffer): Promise<void> {
    await writeDurably(this.fs, this.path(suffix, CLEANED_FILE_SUFFIX), data);
  }

  private path(suffix: string, extra: string): string {
    return join(this.directory, offsetFileName(this.baseOffset, suffix) + extra);
  }
}

/** Writes `data` to a new file at `path` and fsyncs it off the event loop. */
async function writeDurably(fs: LogFileSystem, path: string, data: Buffer): Promise<void> {
  const fd = fs.open(path, 'w+');
  try {
    writeFully(fs, fd, data, 0);
    await fs.fsync(fd);
  } finally {
    fs.close(fd);
  }
}

/**
 * Step 2 above: the group end and the index files' `.swap` names, durable. Not a commit: without a `.log.swap`,
 * recovery removes them.
 */
export async function prepareSwap(fs: LogFileSystem, directory: string, baseOffset: bigint, groupEnd: bigint): Promise<void> {
  const name = (suffix: string) => join(directory, offsetFileName(baseOffset, suffix));
  await writeDurably(fs, name(SWAP_END_FILE_SUFFIX), offsetCheckpointBytes(groupEnd));
  for (const suffix of SWAP_ORDER) {
    if (suffix === LOG_FILE_SUFFIX) continue;
    if (fs.stat(name(suffix) + CLEANED_FILE_SUFFIX) !== null) fs.rename(name(suffix) + CLEANED_FILE_SUFFIX, name(suffix) + SWAP_FILE_SUFFIX);
  }
  // The index renames must be durable before the .log's, which commits the swap.
  await fs.fsyncDirectory(directory);
}

/** Undoes `prepareSwap` for a cleaning that is dropped before its commit. */
export function discardPreparedSwap(fs: LogFileSystem, directory: string, baseOffset: bigint): void {
  const name = (suffix: string) => join(directory, offsetFileName(baseOffset, suffix));
  for (const suffix of SEGMENT_SUFFIXES) if (suffix !== LOG_FILE_SUFFIX) removeIfExists(fs, name(suffix) + SWAP_FILE_SUFFIX);
  removeIfExists(fs, name(SWAP_END_FILE_SUFFIX));
}

/**
 * Removes what uncommitted cleanings of the groups starting at `baseOffsets` may have left (their `.cleaned` files
 * and prepared swap), when the cleaner thread that wrote them died before it could.
 */
export function discardUnfinishedCleaning(fs: LogFileSystem, directory: string, baseOffsets: readonly bigint[]): void {
  for (const baseOffset of baseOffsets) {
    for (const suffix of SEGMENT_SUFFIXES) removeIfExists(fs, join(directory, offsetFileName(baseOffset, suffix) + CLEANED_FILE_SUFFIX));
    discardPreparedSwap(fs, directory, baseOffset);
  }
}

/**
 * Step 3 above, synchronously: commits the swap, moves the files into place and opens the new segment.
 * `replaced` are the segments being replaced (their first has the cleaned segment's base offset); `groupEnd` is
 * the base offset of the segment after them. Returns the new segment and the `.deleted` files for `finishSwap`.
 */
export function swapInCleanedSegment(
  fs: LogFileSystem,
  directory: string,
  baseOffset: bigint,
  groupEnd: bigint,
  replaced: readonly LogSegment[],
  indexIntervalBytes: number,
): { segment: LogSegment; deleted: string[] } {
  const name = (suffix: string) => join(directory, offsetFileName(baseOffset, suffix));
  fs.rename(name(LOG_FILE_SUFFIX) + CLEANED_FILE_SUFFIX, name(LOG_FILE_SUFFIX) + SWAP_FILE_SUFFIX);
  fs.fsyncDirectorySync(directory);
  const deleted: string[] = [];
  for (const segment of replaced) {
    segment.close();
    for (const suffix of SEGMENT_SUFFIXES) {
      const path = join(directory, offsetFileName(segment.baseOffset, suffix));
      if (fs.stat(path) === null) continue;
      fs.rename(path, path + DELETED_FILE_SUFFIX);
      deleted.push(path + DELETED_FILE_SUFFIX);
    }
  }
  // Not fsynced here: if these renames are lost in a crash, recovery completes the swap from the `.swap` files.
  renameSwapFiles(fs, directory, baseOffset);
  return { segment: openSwappedSegment(fs, directory, baseOffset, groupEnd, indexIntervalBytes), deleted };
}

/** Step 4 above: makes the final names durable, then removes what the swap left behind. */
export async function finishSwap(fs: LogFileSystem, directory: string, baseOffset: bigint, deleted: readonly string[]): Promise<void> {
  await fs.fsyncDirectory(directory);
  // One file per turn of the event loop: unlinking a large file can take milliseconds.
  for (const path of deleted) {
    removeIfExists(fs, path);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  removeIfExists(fs, join(directory, offsetFileName(baseOffset, SWAP_END_FILE_SUFFIX)));
}

/** Opens a segment that was just swapped in: its index files are trusted as written, rebuilt if unusable. */
function openSwappedSegment(fs: LogFileSystem, directory: string, baseOffset: bigint, groupEnd: bigint, indexIntervalBytes: number): LogSegment {
  const segment = LogSegment.open(fs, directory, baseOffset);
  if (!segment.loadIndexes(groupEnd)) {
    segment.recover(indexIntervalBytes, groupEnd);
    segment.writeIndexes(true);
  }
  segment.loadTransactionIndex();
  return segment;
}

function renameSwapFiles(fs: LogFileSystem, directory: string, baseOffset: bigint): void {
  for (const suffix of SWAP_ORDER) {
    const path = join(directory, offsetFileName(baseOffset, suffix));
    if (fs.stat(path + SWAP_FILE_SUFFIX) !== null) fs.rename(path + SWAP_FILE_SUFFIX, path);
  }
}

function completeSwap(fs: LogFileSystem, directory: string, baseOffset: bigint): void {
  renameSwapFiles(fs, directory, baseOffset);
  fs.fsyncDirectorySync(directory);
}

/**
 * Finishes or discards what a crash interrupted (see the header). Runs before the segments of `directory` are
 * opened; returns the names of the files it removed or renamed.
 */
export function recoverInterruptedSwaps(fs: LogFileSystem, directory: string): string[] {
  const touched: string[] = [];
  let names: string[];
  try {
    names = fs.readdir(directory);
  } catch {
    return touched;
  }
  const remove = (name: string) => {
    if (removeIfExists(fs, join(directory, name))) touched.push(name);
  };
  for (const name of names) if (name.endsWith(CLEANED_FILE_SUFFIX) || name.endsWith(DELETED_FILE_SUFFIX)) remove(name);
  for (const name of names) {
    const base = name.endsWith(SWAP_FILE_SUFFIX) ? offsetFromFileName(name.slice(0, -SWAP_FILE_SUFFIX.length), LOG_FILE_SUFFIX) : null;
    if (base === null) continue;
    const end = readOffsetCheckpoint(fs, join(directory, offsetFileName(base, SWAP_END_FILE_SUFFIX))) ?? base + 1n;
    for (const other of names) {
      if (other.endsWith(SWAP_FILE_SUFFIX)) continue;
      for (const suffix of SEGMENT_SUFFIXES) {
        const offset = offsetFromFileName(other, suffix);
        if (offset !== null && offset >= base && offset < end) remove(other);
      }
    }
    completeSwap(fs, directory, base);
    touched.push(name);
  }
  for (const name of fs.readdir(directory)) {
    if (name.endsWith(SWAP_FILE_SUFFIX)) remove(name);
    else if (name.endsWith(SWAP_END_FILE_SUFFIX)) remove(name);
  }
  if (touched.length > 0) fs.fsyncDirectorySync(directory);
  return touched;
}
