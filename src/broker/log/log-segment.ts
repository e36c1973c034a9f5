// One segment of a partition log (Kafka's `LogSegment`): a .log file holding record batches exactly as they
// were appended, plus its offset and time indexes. Batches are never decoded here; only their 61-byte headers
// are read, for offsets, sizes and timestamps.
import { join } from 'node:path';
import {
  BatchField,
  CURRENT_MAGIC,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  isCrcValid,
  readBatchHeader,
} from '../../protocol/records/batch-header.ts';
import type { RecordBatchHeader } from '../../protocol/records/batch-header.ts';
import {
  DELETED_FILE_SUFFIX,
  INDEX_FILE_SUFFIX,
  LOG_FILE_SUFFIX,
  TIME_INDEX_FILE_SUFFIX,
  TRANSACTION_INDEX_FILE_SUFFIX,
  offsetFileName,
} from './file-names.ts';
import { readSmallFile, writeFileAtomic } from './checkpoint-file.ts';
import type { LogFileSystem } from './log-file-system.ts';
import { KafkaStorageError } from './log-errors.ts';
import { OffsetIndex } from './offset-index.ts';
import { SegmentFileReader, readAt } from './segment-file-reader.ts';
import type { ReadBuffers } from './read-buffer-pool.ts';
import { TimeIndex } from './time-index.ts';
import { TransactionIndex } from './transaction-index.ts';
import { segmentFileHandles, type SegmentFile } from './segment-file-handles.ts';

/** The header walk of `findBatch` reads through this chunk (one per process: the walk is synchronous). */
const FIND_BATCH_CHUNK = Buffer.allocUnsafeSlow(16 * 1024);

/** Where a batch sits in a segment, from its header alone. */
export interface BatchLocation {
  position: number;
  size: number;
  baseOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
}

/** Why recovery stopped before the end of a segment file (Kafka's `LogSegment.recover` reasons, spelled out). */
export interface SegmentCorruption {
  position: number;
  reason: string;
}

export interface SegmentRecoveryResult {
  validBytes: number;
  truncatedBytes: number;
  corruption: SegmentCorruption | null;
}

/** Called for each batch met by `PartitionLog.replay`, in offset order; `readBatch` reads the whole batch. */
export type BatchVisitor = (header: RecordBatchHeader, location: BatchLocation, readBatch: () => Buffer) => void;

const MAX_RELATIVE_OFFSET = 0x7fffffffn;

export class LogSegment implements SegmentFile {
  /** Bytes in the .log file. */
  size: number;
  /**
   * Counts changes to the file (creation, appends, truncations). An fsync that starts when it reads N covers
   * every change up to N, whatever happens while it runs; the segment is clean when `flushedChanges` caught up.
   */
  changes = 0;
  private flushedChanges = 0;
  /** One past the last offset held (the base offset while empty). */
  nextOffset: bigint;
  offsetIndex: OffsetIndex;
  timeIndex: TimeIndex;
  transactionIndex = new TransactionIndex();
  /** Index files were written without fsync (at roll); the next group commit fsyncs them. */
  indexFilesNeedSync = false;
  maxTimestampSoFar = -1n;
  offsetOfMaxTimestampSoFar: bigint;
  /** maxTimestamp of the first batch: Kafka's `rollingBasedTimestamp` for time-based rolls. */
  rollingBasedTimestamp: bigint | null = null;
  /** Indexes loaded from files are checked against the .log the first time they are used. */
  private indexesVerified: boolean;
  private bytesSinceLastIndexEntry = 0;
  private pins = 0;
  private closed = false;
  /** The open .log descriptor, or null while it is closed to stay under the open-file bound (reopened on use). */
  private openFd: number | null;

  private constructor(
    private readonly fs: LogFileSystem,
    readonly directory: string,
    readonly baseOffset: bigint,
    fd: number,
    size: number,
    /** Wall-clock time the segment was created (or its file's mtime when loaded). */
    readonly createdMs: number,
  ) {
    this.openFd = fd;
    segmentFileHandles.touch(this);
    this.size = size;
    this.nextOffset = baseOffset;
    this.offsetOfMaxTimestampSoFar = baseOffset;
    this.offsetIndex = new OffsetIndex(baseOffset);
    this.timeIndex = new TimeIndex(baseOffset);
    this.indexesVerified = true;
  }

  /** A new, empty segment (any leftover file of that name, necessarily from a crashed roll, is replaced). */
  static create(fs: LogFileSystem, directory: string, baseOffset: bigint, nowMs: number): LogSegment {
    for (const suffix of [INDEX_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX, TRANSACTION_INDEX_FILE_SUFFIX]) {
      const path = join(directory, offsetFileName(baseOffset, suffix));
      if (fs.stat(path) !== null) fs.unlink(path);
    }
    const fd = fs.open(join(directory, offsetFileName(baseOffset, LOG_FILE_SUFFIX)), 'w+');
    const segment = new LogSegment(fs, directory, baseOffset, fd, 0, nowMs);
    segment.changes++;
    return segment;
  }

  /** Opens an existing segment file; its indexes are loaded separately (`loadIndexes`) or rebuilt (`recover`). */
  static open(fs: LogFileSystem, directory: string, baseOffset: bigint): LogSegment {
    const fd = fs.open(join(directory, offsetFileName(baseOffset, LOG_FILE_SUFFIX)), 'r+');
    const stats = fs.fstat(fd);
    return new LogSegment(fs, directory, baseOffset, fd, stats.size, stats.mtimeMs);
  }

  /** The .log descriptor, reopened if it was closed to bound open files (`SegmentFileHandles`). */
  get fd(): number {
    if (this.openFd === null) {
      if (this.closed) throw new KafkaStorageError(`segment ${this.logPath} is closed`);
      this.openFd = this.fs.open(this.logPath, 'r+');
    }
    segmentFileHandles.touch(this);
    return this.openFd;
  }

  /** For readers that outlive one call: the descriptor is looked up at each read. */
  private readonly fileDescriptor = (): number => this.fd;

  get canReleaseFile(): boolean {
    return this.pins === 0 && !this.closed;
  }

  releaseFile(): void {
    if (this.openFd === null) return;
    const fd = this.openFd;
    this.openFd = null;
    this.fs.close(fd);
  }

  get logPath(): string {
    return join(this.directory, offsetFileName(this.baseOffset, LOG_FILE_SUFFIX));
  }

  get indexPath(): string {
    return join(this.directory, offsetFileName(this.baseOffset, INDEX_FILE_SUFFIX));
  }

  get timeIndexPath(): string {
    return join(this.directory, offsetFileName(this.baseOffset, TIME_INDEX_FILE_SUFFIX));
  }

  get transactionIndexPath(): string {
    return join(this.directory, offsetFileName(this.baseOffset, TRANSACTION_INDEX_FILE_SUFFIX));
  }

  /**
   * Loads the aborted-transaction index file, keeping only entries whose marker is inside the segment. It
   * cannot be rebuilt from the .log alone (it needs producer state), so an unreadable file counts as empty
   * and returns false; producer-state recovery re-appends the entries when it replays.
   */
  loadTransactionIndex(): boolean {
    const bytes = readSmallFile(this.fs, this.transactionIndexPath);
    if (bytes === null) return true;
    const index = TransactionIndex.fromBytes(bytes);
    this.transactionIndex = index ?? new TransactionIndex();
    this.transactionIndex.truncateTo(this.nextOffset);
    return index !== null;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get isEmpty(): boolean {
    return this.size === 0;
  }

  /**
   * The timestamp retention judges the segment by (Kafka's `LogSegment.largestTimestamp`): its largest record
   * timestamp, or the file's modification time when no batch carries one.
   */
  largestTimestamp(): bigint {
    if (this.maxTimestampSoFar >= 0n) return this.maxTimestampSoFar;
    return BigInt(Math.floor(this.fs.fstat(this.fd).mtimeMs));
  }

  /** Whether a batch ending at `lastOffset` keeps its offset within int32 of the base (Kafka's `canConvertToRelativeOffset`). */
  canHold(lastOffset: bigint): boolean {
    return lastOffset - this.baseOffset <= MAX_RELATIVE_OFFSET;
  }

  /**
   * Writes a batch whose header is already final at the end of the file and indexes it. On a write error the
   * file is cut back to its previous size, so no partial batch stays; if even that fails the segment reports
   * `damaged` and its owner must stop appending.
   */
  append(batch: Buffer, baseOffset: bigint, lastOffset: bigint, maxTimestamp: bigint, indexIntervalBytes: number): void {
    const position = this.size;
    try {
      let done = 0;
      while (done < batch.length) {
        const n = this.fs.write(this.fd, batch, done, batch.length - done, position + done);
        if (n <= 0) throw new Error('write made no progress');
        done += n;
      }
    } catch (error) {
      let rolledBack = true;
      try {
        this.fs.truncate(this.fd, position);
      } catch {
        rolledBack = false;
      }
      this.changes++;
      throw new SegmentWriteError(`append to ${this.logPath} failed`, rolledBack, error);
    }
    if (this.size === 0) this.rollingBasedTimestamp = maxTimestamp;
    this.size += batch.length;
    this.changes++;
    this.nextOffset = lastOffset + 1n;
    this.indexBatch({ position, size: batch.length, baseOffset, lastOffset, maxTimestamp }, indexIntervalBytes);
  }

  /** Kafka's `LogSegment.append` index policy: an entry once more than `index.interval.bytes` went unindexed. */
  private indexBatch(batch: BatchLocation, indexIntervalBytes: number): void {
    if (batch.maxTimestamp > this.maxTimestampSoFar) {
      this.maxTimestampSoFar = batch.maxTimestamp;
      this.offsetOfMaxTimestampSoFar = batch.lastOffset;
    }
    if (this.bytesSinceLastIndexEntry > indexIntervalBytes) {
      this.offsetIndex.append(batch.lastOffset, batch.position);
      this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += batch.size;
  }

  /**
   * Loads the index files of a segment that needs no recovery. `nextOffset` is where the segment ends (the next
   * segment's base offset), or null for the last segment, whose end is then found by walking batch headers
   * from the last index entry. Returns false when the files are missing or fail their sanity checks, in which
   * case the caller recovers the segment instead.
   */
  loadIndexes(nextOffset: bigint | null): boolean {
    const offsetBytes = readSmallFile(this.fs, this.indexPath);
    const timeBytes = readSmallFile(this.fs, this.timeIndexPath);
    if (offsetBytes === null || timeBytes === null) return false;
    const offsetIndex = OffsetIndex.fromBytes(this.baseOffset, offsetBytes, Math.max(this.size, 1));
    if (offsetIndex === null) return false;
    let end = nextOffset;
    if (end === null) {
      // Walk from the last indexed batch to the end of the file: it must end exactly on a batch boundary.
      const start = offsetIndex.lastEntry ?? { offset: this.baseOffset, position: 0 };
      const reader = new SegmentFileReader(this.fs, this.fileDescriptor, this.size);
      let position = start.position;
      let last: bigint | null = null;
      let first = true;
      while (position < this.size) {
        const location = locateBatch(reader, position, this.size);
        if (location === null) return false;
        if (first && offsetIndex.lastEntry !== null && location.lastOffset !== start.offset) return false;
        first = false;
        last = location.lastOffset;
        position += location.size;
      }
      end = last === null ? (offsetIndex.lastEntry === null ? this.baseOffset : null) : last + 1n;
      if (end === null) return false;
    }
    const timeIndex = TimeIndex.fromBytes(this.baseOffset, timeBytes, end > this.baseOffset ? end : this.baseOffset + 1n);
    if (timeIndex === null) return false;
    this.offsetIndex = offsetIndex;
    this.timeIndex = timeIndex;
    this.nextOffset = end;
    const lastTime = timeIndex.lastEntry;
    if (lastTime !== null) {
      this.maxTimestampSoFar = lastTime.timestamp;
      this.offsetOfMaxTimestampSoFar = lastTime.offset;
    }
    // The active segment keeps growing: start counting towards its next index entry from the file's end.
    this.bytesSinceLastIndexEntry = this.size - (offsetIndex.lastEntry?.position ?? 0);
    // Time-based rolls are judged from the first batch's timestamp (Kafka's `loadFirstBatchTimestamp`).
    if (this.size > 0) {
      const first = locateBatch(new SegmentFileReader(this.fs, this.fileDescriptor, this.size, RECORD_BATCH_OVERHEAD), 0, this.size);
      if (first === null) return false;
      this.rollingBasedTimestamp = first.maxTimestamp;
    }
    this.indexesVerified = false;
    return true;
  }

  /**
   * Validates every batch from the start of the file (Kafka's `LogSegment.recover`): size sanity, magic 2,
   * CRC, offsets contiguous from the base offset. Rebuilds both indexes on the way and cuts the file at the
   * first bad batch.
   */
  recover(indexIntervalBytes: number, nextSegmentOffset: bigint | null = null): SegmentRecoveryResult {
    this.offsetIndex = new OffsetIndex(this.baseOffset);
    this.timeIndex = new TimeIndex(this.baseOffset);
    this.maxTimestampSoFar = -1n;
    this.offsetOfMaxTimestampSoFar = this.baseOffset;
    this.rollingBasedTimestamp = null;
    this.bytesSinceLastIndexEntry = 0;
    this.nextOffset = this.baseOffset;
    const fileSize = this.size;
    const reader = new SegmentFileReader(this.fs, this.fileDescriptor, fileSize, 1024 * 1024);
    let position = 0;
    let corruption: SegmentCorruption | null = null;
    while (position < fileSize) {
      const checked = checkBatch(reader, position, fileSize, this.nextOffset, this.baseOffset, nextSegmentOffset);
      if (typeof checked === 'string') {
        corruption = { position, reason: checked };
        break;
      }
      const { location } = checked;
      if (position === 0) this.rollingBasedTimestamp = location.maxTimestamp;
      this.indexBatch(location, indexIntervalBytes);
      this.nextOffset = location.lastOffset + 1n;
      position += location.size;
    }
    if (position < fileSize) {
      this.fs.truncate(this.fd, position);
      this.size = position;
      this.changes++;
    }
    this.indexesVerified = true;
    return { validBytes: position, truncatedBytes: fileSize - position, corruption };
  }

  /** Rebuilds the indexes from the .log without truncating anything (used when a loaded index proves wrong). */
  rebuildIndexes(indexIntervalBytes: number): void {
    const reader = new SegmentFileReader(this.fs, this.fileDescriptor, this.size, 256 * 1024);
    this.offsetIndex = new OffsetIndex(this.baseOffset);
    this.timeIndex = new TimeIndex(this.baseOffset);
    this.maxTimestampSoFar = -1n;
    this.offsetOfMaxTimestampSoFar = this.baseOffset;
    this.bytesSinceLastIndexEntry = 0;
    let position = 0;
    while (position < this.size) {
      const location = locateBatch(reader, position, this.size);
      if (location === null) break;
      if (position === 0) this.rollingBasedTimestamp = location.maxTimestamp;
      this.indexBatch(location, indexIntervalBytes);
      position += location.size;
    }
    this.indexesVerified = true;
  }

  /**
   * The first batch whose last offset is >= `offset` (Kafka's `LogSegment.translateOffset`), found from the
   * offset index and then by walking headers; null when the segment holds no such batch.
   */
  findBatch(offset: bigint, indexIntervalBytes: number): BatchLocation | null {
    const entry = this.offsetIndex.lookup(offset);
    // Every Fetch starts here: the reader borrows one module-wide chunk instead of allocating its own (safe: the
    // walk is synchronous and keeps no view of the chunk).
    const reader = new SegmentFileReader(this.fs, this.fileDescriptor, this.size, FIND_BATCH_CHUNK.length, FIND_BATCH_CHUNK);
    let position = entry.position;
    if (!this.indexesVerified && position > 0) {
      // An index read from disk is trusted only once the batch it points at really ends at its offset.
      const pointed = locateBatch(reader, position, this.size);
      if (pointed === null || pointed.lastOffset !== entry.offset) {
        this.rebuildIndexes(indexIntervalBytes);
        return this.findBatch(offset, indexIntervalBytes);
      }
    }
    while (position < this.size) {
      const location = locateBatch(reader, position, this.size);
      if (location === null) return null;
      if (location.lastOffset >= offset) return location;
      position += location.size;
    }
    return null;
  }

  /** Walks the batch headers from `position` to the end of the file, in order. */
  *batchesFrom(position: number): Generator<BatchLocation> {
    const reader = new SegmentFileReader(this.fs, this.fileDescriptor, this.size);
    while (position < this.size) {
      const location = locateBatch(reader, position, this.size);
      if (location === null) return;
      yield location;
      position += location.size;
    }
  }

  /**
   * Raw bytes [position, position + length) of the .log (fewer if the file is shorter), read into a buffer from
   * `buffers` when given (Fetch reads into reused slabs).
   */
  readBytes(position: number, length: number, buffers?: ReadBuffers): Buffer {
    const size = Math.max(0, Math.min(length, this.size - position));
    const buffer = buffers === undefined ? Buffer.allocUnsafe(size) : buffers.acquire(size);
    const n = readAt(this.fs, this.fd, buffer, position);
    return buffer.subarray(0, n);
  }

  /**
   * Cuts the segment before the first batch whose last offset is >= `offset` (Kafka's `LogSegment.truncateTo`)
   * and returns the new next offset (the cut batch's base offset; a batch is never split).
   */
  truncateTo(offset: bigint, indexIntervalBytes: number): bigint {
    const batch = this.findBatch(offset, indexIntervalBytes);
    if (batch === null) return this.nextOffset;
    this.fs.truncate(this.fd, batch.position);
    this.size = batch.position;
    this.changes++;
    this.rebuildIndexes(indexIntervalBytes);
    this.nextOffset = batch.baseOffset;
    this.transactionIndex.truncateTo(this.nextOffset);
    return this.nextOffset;
  }

  /**
   * Marks the segment inactive (Kafka's `onBecomeInactiveSegment`): the time index gets a final entry for the
   * max timestamp, so that it can be read back from the file later.
   */
  seal(): void {
    if (this.maxTimestampSoFar >= 0n) this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
  }

  /** Writes both index files (atomically; `durable` also fsyncs them). */
  writeIndexes(durable: boolean): void {
    writeFileAtomic(this.fs, this.indexPath, this.offsetIndex.toBytes(), durable);
    writeFileAtomic(this.fs, this.timeIndexPath, this.timeIndex.toBytes(), durable);
    this.writeTransactionIndex(durable);
  }

  /** Writes the .txnindex file (only once there is, or was, something in it). */
  writeTransactionIndex(durable = false): void {
    if (this.transactionIndex.entries.length > 0 || this.fs.stat(this.transactionIndexPath) !== null) {
      writeFileAtomic(this.fs, this.transactionIndexPath, this.transactionIndex.toBytes(), durable);
    }
    this.indexFilesNeedSync = !durable;
  }

  /** fsyncs the index files written by an earlier non-durable `writeIndexes`. */
  async syncIndexFiles(): Promise<void> {
    for (const path of [this.indexPath, this.timeIndexPath, this.transactionIndexPath]) {
      if (this.fs.stat(path) === null) continue;
      const fd = this.fs.open(path, 'r');
      try {
        await this.fs.fsync(fd);
      } finally {
        this.fs.close(fd);
      }
    }
    this.indexFilesNeedSync = false;
  }

  /**
   * Keeps the file open until `unpin`, even if the segment is closed or deleted meanwhile (an fsync that
   * started before a retention pass must not hit a closed, possibly reused, descriptor).
   */
  pin(): void {
    this.pins++;
  }

  unpin(): void {
    this.pins--;
    if (this.closed && this.pins === 0) this.closeFd();
  }

  /** fsyncs the .log; `changes` is the change count this fsync covers (read before it started). */
  async flush(changes = this.changes): Promise<void> {
    // Waiting for a slot bounds the descriptors that fsyncs hold open (a Produce to thousands of partitions).
    await segmentFileHandles.fsyncSlot(async () => {
      // Closed and its descriptor released while waiting: it was flushed before a clean close, or deleted.
      if (this.closed && this.openFd === null) return;
      this.pin();
      try {
        await this.fs.fsync(this.fd);
        if (changes > this.flushedChanges) this.flushedChanges = changes;
      } finally {
        this.unpin();
      }
    });
  }

  get needsFlush(): boolean {
    return this.flushedChanges < this.changes;
  }

  /** Closes the file; deferred while an fsync on it is still running. */
  close(): void {
    this.closed = true;
    if (this.pins === 0) this.closeFd();
  }

  /**
   * Closes the file and removes the segment's files (retention, truncation) without making the caller wait on the
   * unlinks, as Kafka renames a deleted segment's files to `.deleted` and removes them in the background: the
   * rename frees the names at once (a new segment may take them), the unlink runs off the event loop, and a crash
   * before it leaves `.deleted` files that the next load removes.
   */
  deleteFiles(): void {
    this.close();
    for (const path of [this.logPath, this.indexPath, this.timeIndexPath, this.transactionIndexPath]) {
      if (this.fs.stat(path) === null) continue;
      const deleted = path + DELETED_FILE_SUFFIX;
      this.fs.rename(path, deleted);
      removeInBackground(this.fs, deleted);
    }
  }

  private closeFd(): void {
    segmentFileHandles.forget(this);
    this.releaseFile();
  }
}

/** A failed segment write; `rolledBack` says whether the file was cut back to its previous size. */
export class SegmentWriteError extends KafkaStorageError {
  constructor(
    message: string,
    readonly rolledBack: boolean,
    cause: unknown,
  ) {
    super(message, { cause });
  }
}

/** The batch at `position` from its header, or null when no plausible whole batch fits before `end`. */
export function locateBatch(reader: SegmentFileReader, position: number, end: number): BatchLocation | null {
  if (end - position < RECORD_BATCH_OVERHEAD) return null;
  const header = reader.view(position, RECORD_BATCH_OVERHEAD);
  if (header.length < RECORD_BATCH_OVERHEAD) return null;
  const size = header.readInt32BE(BatchField.batchLength) + LOG_OVERHEAD;
  if (size < RECORD_BATCH_OVERHEAD || size > end - position) return null;
  const baseOffset = header.readBigInt64BE(BatchField.baseOffset);
  return {
    position,
    size,
    baseOffset,
    lastOffset: baseOffset + BigInt(header.readInt32BE(BatchField.lastOffsetDelta)),
    maxTimestamp: header.readBigInt64BE(BatchField.maxTimestamp),
  };
}

/** Full validation of the batch at `position` for recovery; a string names what is wrong with it. */
function checkBatch(
  reader: SegmentFileReader,
  position: number,
  end: number,
  expectedBaseOffset: bigint,
  segmentBaseOffset: bigint,
  nextSegmentOffset: bigint | null,
): { header: RecordBatchHeader; location: BatchLocation } | string {
  if (end - position < LOG_OVERHEAD) return `torn batch: ${end - position} bytes left, less than the log overhead`;
  const prefix = reader.view(position, LOG_OVERHEAD);
  const size = prefix.readInt32BE(BatchField.batchLength) + LOG_OVERHEAD;
  if (size < RECORD_BATCH_OVERHEAD) return `batch size ${size} is smaller than a batch header`;
  if (size > end - position) return `torn batch: size ${size} but only ${end - position} bytes left`;
  const bytes = reader.view(position, size);
  if (bytes.length < size) return `short read of a ${size}-byte batch`;
  const header = readBatchHeader(bytes, 0);
  if (header.magic !== CURRENT_MAGIC) return `magic ${header.magic} is not 2`;
  if (!isCrcValid(bytes, 0, size)) return 'CRC mismatch';
  // baseOffset lies outside the CRC: its offsets are its only check. The log cleaner leaves gaps in the segments
  // it rewrites, never in the last one (the active segment is not cleaned), which must stay contiguous; an
  // earlier segment's offsets must increase and stay below the next segment's base offset.
  if (nextSegmentOffset === null ? header.baseOffset !== expectedBaseOffset : header.baseOffset < expectedBaseOffset) {
    return `base offset ${header.baseOffset}, expected ${nextSegmentOffset === null ? '' : 'at least '}${expectedBaseOffset}`;
  }
  if (nextSegmentOffset !== null && header.baseOffset + BigInt(header.lastOffsetDelta) >= nextSegmentOffset) {
    return `batch ends at offset ${header.baseOffset + BigInt(header.lastOffsetDelta)}, past the next segment's base offset ${nextSegmentOffset}`;
  }
  if (header.lastOffsetDelta < 0) return `negative lastOffsetDelta ${header.lastOffsetDelta}`;
  const lastOffset = header.baseOffset + BigInt(header.lastOffsetDelta);
  if (lastOffset - segmentBaseOffset > MAX_RELATIVE_OFFSET) return `offset ${lastOffset} too far from the segment base`;
  return {
    header,
    location: { position, size, baseOffset: header.baseOffset, lastOffset, maxTimestamp: header.maxTimestamp },
  };
}

/** Unlinks `path` later; a failure (the directory went with its topic meanwhile) is of no consequence. */
function removeInBackground(fs: LogFileSystem, path: string): void {
  if (fs.unlinkAsync !== undefined) {
    fs.unlinkAsync(path).catch(() => undefined);
    return;
  }
  setImmediate(() => {
    try {
      fs.unlink(path);
    } catch {
      // Already gone, or the next load removes it.
    }
  });
}
