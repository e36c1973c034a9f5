// The durable log of one partition (Kafka's `UnifiedLog` + `LocalLog`, single replica): an ordered list of
// segments in `<dataDir>/<topic>-<partition>/`, the last one active.
//
// Append is synchronous: it assigns offsets, patches the batch header in place and writes the bytes (into the
// page cache) before returning, so a Produce handler can validate against producer state, append and update
// that state with no `await` in between (docs/design.md, "Await rules"). Durability is a separate step:
// `waitDurable` resolves once an fsync covers the batch; concurrent appends share fsyncs (group commit).
//
// On this single-replica broker the high watermark is the end of what is durable under the fsync policy:
// with 'always' the fsynced end, otherwise the log end offset. Reads never return data at or above it.
//
// The log owns its partition's producer state (Kafka's `UnifiedLog.producerStateManager`): loaded from the latest
// snapshot plus a replay of the log when the log opens, checked and updated by every append (duplicates, epochs,
// sequences, transactions), snapshotted at each roll and at close, rebuilt after a truncation. The last stable
// offset (the end of what READ_COMMITTED readers see) comes from it.
import { ErrorCode } from '../../protocol/errors/error-table.ts';
import { basename, dirname, join } from 'node:path';
import {
  BatchField,
  CURRENT_MAGIC,
  NO_PRODUCER_ID,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  batchSizeAt,
  readBatchHeader,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
} from '../../protocol/records/batch-header.ts';
import { decompress as decompressRecords, isKnownCompressionType } from '../../protocol/records/compression/codec-registry.ts';
import { BrokerError } from '../broker-error.ts';
import { offsetCheckpointBytes, readOffsetCheckpoint, removeIfExists, replaceFileAsync, writeOffsetCheckpoint } from './checkpoint-file.ts';
import { GroupCommit } from './group-commit.ts';
import { defaultLogConfig, maxSegmentMs, TimestampType } from './log-config.ts';
import type { LogConfig } from './log-config.ts';
import { KafkaStorageError, OffsetOutOfRangeError } from './log-errors.ts';
import { nodeFileSystem } from './log-file-system.ts';
import type { LogFileSystem } from './log-file-system.ts';
import { CLEAN_SHUTDOWN_FILE, LOG_START_OFFSET_FILE, RECOVERY_POINT_FILE, loadLog } from './log-loader.ts';
import type { LogRecoveryReport } from './log-loader.ts';
import { LogSegment, SegmentWriteError } from './log-segment.ts';
import type { BatchLocation, BatchVisitor } from './log-segment.ts';
import { findRecordAtOrAfter } from './record-timestamps.ts';
import type { AbortedTransaction } from './transaction-index.ts';
import type { RecordsDecompressor, TimestampAndOffset } from './record-timestamps.ts';
import { AppendOrigin } from '../producer-state/append-origin.ts';
import { lastSequenceOf, producerBatchOf } from '../producer-state/producer-batch.ts';
import { rebuildProducerState, recordCompletedTxn, takeSnapshotSafely } from '../producer-state/producer-state-loader.ts';
import { ProducerStateManager } from '../producer-state/producer-state-manager.ts';
import type { ProducerStateManagerConfig } from '../producer-state/producer-state-manager.ts';
import type { ProducerAppendInfo } from '../producer-state/producer-append-info.ts';
import type { CompletedTxn } from '../producer-state/txn-metadata.ts';
import type { ReadBuffers } from './read-buffer-pool.ts';

/** The subset of a pino logger the log uses. */
export interface LogLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/** Observers of log events; all run synchronously inside the operation that fires them (after producer state). */
export interface LogHooks {
  /** A new active segment starts at `baseOffset` (Kafka takes a producer-state snapshot here). */
  onRoll?(baseOffset: bigint): void;
  /** The log was truncated; its end is now `logEndOffset` (producer state must be rebuilt). */
  onTruncated?(logEndOffset: bigint): void;
  /** The log start offset moved forward (retention, DeleteRecords). */
  onLogStartOffsetChanged?(logStartOffset: bigint): void;
  /** Whole segments were deleted (their producer snapshots go with them). */
  onSegmentsDeleted?(baseOffsets: readonly bigint[]): void;
}

export interface PartitionLogOptions {
  /** The partition directory, `<dataDir>/<topic>-<partition>`. */
  directory: string;
  config?: Partial<LogConfig>;
  fs?: LogFileSystem;
  /** Wall clock in ms (LogAppendTime, retention, rolls). */
  clock?: () => number;
  logger?: LogLogger;
  hooks?: LogHooks;
  /** How ListOffsets by timestamp reads compressed batches; default: the protocol's codecs. */
  decompress?: RecordsDecompressor;
  /** `producer.id.expiration.ms`, the producer id bound, `transaction.max.timeout.ms`. */
  producerState?: Partial<ProducerStateManagerConfig>;
  /** Told how long each group-commit fsync took, in ms (Kafka's `LogFlushStats`). */
  onFlush?: (timeMs: number) => void;
}

export interface AppendOptions {
  /** Stored in the batch's partitionLeaderEpoch field. Default 0. */
  leaderEpoch?: number;
  /** Default: the topic's `message.timestamp.type`. */
  timestampType?: TimestampType;
  /**
   * Who appends (Kafka's `AppendOrigin`): `CLIENT` (Produce, the default: duplicate detection, epoch and sequence
   * checks) or `COORDINATOR` (transaction markers: epoch and coordinator-epoch checks only).
   */
  origin?: typeof AppendOrigin.client | typeof AppendOrigin.coordinator;
}

export interface AppendResult {
  baseOffset: bigint;
  lastOffset: bigint;
  /** The broker time stamped on the batch with LogAppendTime, else -1; for a duplicate, the original's timestamp. */
  logAppendTime: bigint;
  logStartOffset: bigint;
  /** False when the batch was a duplicate answered with the original's offsets and not stored again. */
  appended: boolean;
  /** The transaction a COMMIT/ABORT marker completed on this partition, if one was open. */
  completedTxn: CompletedTxn | null;
}

export interface ReadOptions {
  /** Exclusive bound: batches reaching this offset are not returned. Default: the high watermark. */
  maxOffset?: bigint;
  /** Return the first batch even when it is larger than maxBytes (KIP-74). Default true. */
  minOneMessage?: boolean;
  /** READ_COMMITTED: also list the aborted transactions overlapping the data returned. Default false. */
  abortedTransactions?: boolean;
  /** Where the bytes are read into (Fetch: reused slabs, released once the answer is written). Default: a new buffer. */
  buffers?: ReadBuffers;
}

export interface ReadResult {
  /** Whole batches, as stored. The first may start before the fetch offset. */
  records: Buffer;
  /** Base offset of the first batch returned, or null when none. */
  firstOffset: bigint | null;
  /** Last offset of the last batch returned, or null when none. */
  lastOffset: bigint | null;
  /** With `abortedTransactions`: the aborted transactions a READ_COMMITTED reader needs (empty when none), else null. */
  abortedTransactions: AbortedTransaction[] | null;
}

export interface TimestampLookupOptions {
  /** Only offsets below this are answered (the high watermark or last stable offset). Default: high watermark. */
  maxOffset?: bigint;
}

export type { TimestampAndOffset } from './record-timestamps.ts';
export type { AbortedTransaction } from './transaction-index.ts';

const noopLogger: LogLogger = { info() {}, warn() {}, error() {} };

/** Decompresses with the protocol's codecs, bounded like a fetch so a hostile batch cannot balloon. */
const protocolDecompressor: RecordsDecompressor = (compression, data) => {
  if (!isKnownCompressionType(compression)) throw new RangeError(`unknown compression type ${compression}`);
  return decompressRecords(compression, data, 64 * 1024 * 1024);
};

export class PartitionLog {
  readonly directory: string;
  /** This partition's producer state (idempotence and transactions), loaded when the log opens. */
  readonly producerState: ProducerStateManager;
  private config: LogConfig;
  private readonly fs: LogFileSystem;
  private readonly clock: () => number;
  private readonly logger: LogLogger;
  private readonly decompress: RecordsDecompressor | undefined;
  private hooks: LogHooks;
  private readonly onFlush: ((timeMs: number) => void) | undefined;
  private segments: LogSegment[];
  private logStart: bigint;
  private logEnd: bigint;
  private readonly groupCommit: GroupCommit;
  /** Bumped by every truncation, so that an fsync that started before one cannot claim the new bytes. */
  private truncations = 0;
  private directoryNeedsFlush: boolean;
  private checkpointedRecoveryPoint: bigint;
  private readonly highWatermarkListeners = new Set<(highWatermark: bigint) => void>();
  private lastNotifiedHighWatermark: bigint;
  private intervalTimer: NodeJS.Timeout | null = null;
  private offlineError: KafkaStorageError | null = null;
  private closed = false;
  /** The last append queued behind an asynchronous step (see `enqueueAppend`); null when none is waiting. */
  private appendQueueTail: Promise<void> | null = null;
  /** What loading found. */
  readonly recoveryReport: LogRecoveryReport;

  private constructor(options: PartitionLogOptions, loaded: ReturnType<typeof loadLog>, recoveryPoint: bigint) {
    this.directory = options.directory;
    this.config = { ...defaultLogConfig, ...options.config };
    this.fs = options.fs ?? nodeFileSystem;
    this.clock = options.clock ?? Date.now;
    this.logger = options.logger ?? noopLogger;
    this.hooks = options.hooks ?? {};
    this.onFlush = options.onFlush;
    this.decompress = options.decompress ?? protocolDecompressor;
    this.segments = loaded.segments;
    this.logStart = loaded.logStartOffset;
    this.logEnd = this.activeSegment.nextOffset;
    this.recoveryReport = loaded.report;
    this.directoryNeedsFlush = false;
    this.checkpointedRecoveryPoint = recoveryPoint;
    this.groupCommit = new GroupCommit(this.logEnd, {
      needsFlush: () => this.needsFlush(),
      flush: () => this.flushSegments(),
      onDurable: () => this.maybeNotifyHighWatermark(),
      onFailure: (error) => this.goOffline('fsync failed', error),
    });
    this.lastNotifiedHighWatermark = this.highWatermark;
    this.producerState = new ProducerStateManager({
      directory: this.directory,
      fs: this.fs,
      logger: this.logger,
      partition: basename(this.directory),
      ...(options.producerState === undefined ? {} : { config: options.producerState }),
    });
    this.startIntervalFlush();
  }

  /**
   * Opens (creating if needed) the log in `options.directory` and recovers it. Anything recovery rewrote is
   * fsynced before this resolves, so the whole log is durable and visible (high watermark = log end offset).
   */
  static async open(options: PartitionLogOptions): Promise<PartitionLog> {
    const fs = options.fs ?? nodeFileSystem;
    const config = { ...defaultLogConfig, ...options.config };
    const clock = options.clock ?? Date.now;
    const logger = options.logger ?? noopLogger;
    const created = fs.stat(options.directory) === null;
    const loaded = loadLog({ fs, directory: options.directory, indexIntervalBytes: config.indexIntervalBytes, nowMs: clock() });
    const report = loaded.report;
    if (report.corruption !== null) {
      logger.error(
        { directory: options.directory, ...report.corruption, deletedSegments: report.deletedSegments.map(String) },
        'log recovery found a corrupt batch: the log was truncated there',
      );
    } else if (report.truncatedBytes > 0) {
      logger.warn({ directory: options.directory, truncatedBytes: report.truncatedBytes }, 'log recovery cut a torn tail');
    }
    const last = loaded.segments[loaded.segments.length - 1];
    try {
      if (loaded.needsFlush) {
        for (const segment of loaded.segments) {
          // Recovered bytes may have survived a process crash in the page cache only.
          if (segment.needsFlush || report.recoveredSegments.includes(segment.baseOffset)) await segment.flush();
        }
        await fs.fsyncDirectory(options.directory);
      }
      // A new partition directory is itself an entry of the data directory.
      if (created) await fs.fsyncDirectory(dirname(options.directory));
      // Segments recovered on this start get index files, so the next start can load them.
      for (const segment of loaded.segments) {
        if (segment !== last && report.recoveredSegments.includes(segment.baseOffset)) segment.writeIndexes(true);
      }
      // Both file changes become durable with one directory fsync, all off the event loop: a broker with thousands
      // of partitions opens them concurrently (LogManager) instead of waiting on three fsyncs each in turn.
      // After a clean shutdown the recovery point already holds the log end (written before the marker).
      const recoveryPointCurrent = report.cleanShutdown && !loaded.needsFlush && report.recoveredSegments.length === 0;
      if (!recoveryPointCurrent) await replaceFileAsync(fs, join(options.directory, RECOVERY_POINT_FILE), offsetCheckpointBytes(last.nextOffset));
      // The marker must be gone for good before any append, or a crash would be taken for a clean stop.
      removeIfExists(fs, join(options.directory, CLEAN_SHUTDOWN_FILE));
      await fs.fsyncDirectory(options.directory);
    } catch (error) {
      for (const segment of loaded.segments) segment.close();
      throw new KafkaStorageError(`cannot open log ${options.directory}`, { cause: error });
    }
    const log = new PartitionLog(options, loaded, last.nextOffset);
    try {
      // Kafka's `UnifiedLog.rebuildProducerState`: latest snapshot, then replay, then a snapshot at the log end.
      rebuildProducerState(log.producerState, log, { nowMs: clock(), logger, initialLoad: true });
    } catch (error) {
      await log.close().catch(() => undefined);
      throw error;
    }
    return log;
  }

  get logStartOffset(): bigint {
    return this.logStart;
  }

  get logEndOffset(): bigint {
    return this.logEnd;
  }

  /** End of what consumers may see: the durable end with fsync 'always', else the log end offset. */
  get highWatermark(): bigint {
    if (this.config.fsync === 'always') {
      const durable = this.groupCommit.durableEnd;
      return durable < this.logEnd ? durable : this.logEnd;
    }
    return this.logEnd;
  }

  /**
   * End of what READ_COMMITTED readers see (Kafka's `UnifiedLog.lastStableOffset`): the first offset of the
   * earliest transaction still open (or completed with its marker not yet below the high watermark), else the
   * high watermark.
   */
  get lastStableOffset(): bigint {
    return this.producerState.lastStableOffset(this.highWatermark);
  }

  /** Offsets below this are on disk (covered by an fsync). */
  get recoveryPoint(): bigint {
    return this.groupCommit.durableEnd;
  }

  /** Total bytes of all segment files. */
  get size(): number {
    let total = 0;
    for (const segment of this.segments) total += segment.size;
    return total;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** Base offsets of the segments, oldest first. */
  get segmentBaseOffsets(): bigint[] {
    return this.segments.map((segment) => segment.baseOffset);
  }

  /** The segments below the active one, oldest first (read by the log cleaner; Kafka's `nonActiveLogSegmentsFrom`). */
  get inactiveSegments(): readonly LogSegment[] {
    return this.segments.slice(0, -1);
  }

  /** Base offset of the active segment, which the log cleaner never touches. */
  get activeSegmentBaseOffset(): bigint {
    return this.activeSegment.baseOffset;
  }

  /**
   * The log cleaner's swap (Kafka's `LocalLog.replaceSegments`): replaces `replaced`, consecutive non-active
   * segments of this log, with the segment `swapFiles` moves into place and opens. Returns false, without calling
   * it, when `replaced` no longer are (retention, DeleteRecords or a truncation changed the log meanwhile).
   */
  replaceSegments(replaced: readonly LogSegment[], swapFiles: () => LogSegment): boolean {
    this.ensureWritable();
    const first = this.segments.indexOf(replaced[0]);
    if (replaced.length === 0 || first < 0 || first + replaced.length >= this.segments.length) return false;
    for (let i = 0; i < replaced.length; i++) if (this.segments[first + i] !== replaced[i]) return false;
    let replacement: LogSegment;
    try {
      replacement = swapFiles();
    } catch (error) {
      // Files may be half-renamed: only a restart (which completes or discards the swap) can tell.
      this.goOffline('a cleaned segment could not be swapped in', error);
      throw this.offlineError;
    }
    this.segments.splice(first, replaced.length, replacement);
    return true;
  }

  /** fsyncs started so far (for tests and metrics). */
  get flushCount(): number {
    return this.groupCommit.flushCount;
  }

  /** Non-null once the log went offline after an I/O failure; appends and durability waits then fail. */
  get offline(): KafkaStorageError | null {
    return this.offlineError;
  }

  get logConfig(): Readonly<LogConfig> {
    return this.config;
  }

  /** Applies changed topic configs (AlterConfigs); takes effect from the next append or retention pass. */
  updateConfig(config: Partial<LogConfig>): void {
    const fsyncChanged = config.fsync !== undefined && config.fsync !== this.config.fsync;
    this.config = { ...this.config, ...config };
    if (fsyncChanged || config.fsyncIntervalMs !== undefined) this.startIntervalFlush();
  }

  setHooks(hooks: LogHooks): void {
    this.hooks = hooks;
  }

  /**
   * Appends one record batch as the partition leader (Kafka's `UnifiedLog.append`; magic 2, already validated by
   * the caller, `batch` exactly one batch). For a batch with a producer id, in this order and with no
   * interleaving point (the event-loop form of Kafka's partition lock):
   *   1. client origin: a retry of one of the producer's last 5 batches (same epoch, same sequence range) is not
   *      stored again; it is answered with the original's offsets and, as logAppendTime, the original's
   *      timestamp (Kafka does so even on CreateTime topics);
   *   2. offsets, leader epoch and LogAppendTime are assigned in place;
   *   3. the batch, as it will be stored, is validated into one ProducerAppendInfo (epoch, sequence and
   *      transaction rules): a failure throws a BrokerError with Kafka's code and nothing is written;
   *   4. the bytes are written, and that same ProducerAppendInfo is stored; a marker's completed transaction is
   *      indexed if aborted and moves the last stable offset.
   * Synchronous: the offsets are final when it returns, but the batch is durable (and visible to consumers
   * with fsync 'always') only once `waitDurable(result.lastOffset)` resolves.
   */
  append(batch: Buffer, options: AppendOptions = {}): AppendResult {
    this.ensureWritable();
    if (batch.length < RECORD_BATCH_OVERHEAD || batchSizeAt(batch, 0) !== batch.length) {
      throw new BrokerError(ErrorCode.INVALID_RECORD, 'append takes exactly one whole record batch');
    }
    if (batch.readInt8(BatchField.magic) !== CURRENT_MAGIC) {
      throw new BrokerError(ErrorCode.INVALID_RECORD, 'only magic 2 record batches can be appended');
    }
    const lastOffsetDelta = batch.readInt32BE(BatchField.lastOffsetDelta);
    if (lastOffsetDelta < 0) throw new BrokerError(ErrorCode.INVALID_RECORD, 'negative lastOffsetDelta');
    const origin = options.origin ?? AppendOrigin.client;
    const producerId = batch.readBigInt64BE(BatchField.producerId);
    const hasProducer = producerId !== NO_PRODUCER_ID;
    if (hasProducer && origin === AppendOrigin.client) {
      const duplicate = this.findDuplicate(batch, producerId, lastOffsetDelta);
      if (duplicate !== null) return duplicate;
    }

    const baseOffset = this.logEnd;
    const lastOffset = baseOffset + BigInt(lastOffsetDelta);
    const timestampType = options.timestampType ?? this.config.messageTimestampType;
    const now = this.clock();
    let logAppendTime = -1n;

    setBaseOffset(batch, 0, baseOffset);
    setPartitionLeaderEpoch(batch, 0, options.leaderEpoch ?? 0);
    if (timestampType === TimestampType.logAppendTime) {
      logAppendTime = BigInt(now);
      setLogAppendTime(batch, 0, batch.length, logAppendTime);
    }
    const maxTimestamp = batch.readBigInt64BE(BatchField.maxTimestamp);

    // Validated once, on the batch as it will be stored (real offsets and timestamp); stored after the write.
    let appendInfo: ProducerAppendInfo | null = null;
    let completedTxn: CompletedTxn | null = null;
    if (hasProducer) {
      appendInfo = this.producerState.prepareUpdate(producerId, origin);
      completedTxn = appendInfo.append(producerBatchOf(readBatchHeader(batch, 0), () => batch));
    }

    let segment = this.activeSegment;
    if (this.shouldRoll(segment, batch.length, maxTimestamp, lastOffset, now)) segment = this.roll(now);
    try {
      segment.append(batch, baseOffset, lastOffset, maxTimestamp, this.config.indexIntervalBytes);
    } catch (error) {
      // A failed write that was cut back leaves the log as it was: that append fails, the next may succeed.
      // Anything else — a write that could not be cut back, or a failure after the bytes were written (indexing) —
      // leaves the segment ahead of the log end: appending again would store a batch twice at one offset, so the
      // log goes offline until a restart recovers it from disk.
      if (!(error instanceof SegmentWriteError) || !error.rolledBack) {
        this.goOffline('an append failed after its bytes may have reached the segment', error);
      }
      throw error instanceof KafkaStorageError ? error : new KafkaStorageError('append failed', { cause: error });
    }
    this.logEnd = lastOffset + 1n;
    if (appendInfo !== null) {
      this.producerState.update(appendInfo);
      if (completedTxn !== null) recordCompletedTxn(this.producerState, this, completedTxn, this.logger);
    }
    this.producerState.updateMapEndOffset(this.logEnd);
    if (this.config.fsync === 'always') this.groupCommit.request();
    else this.maybeNotifyHighWatermark();
    return { baseOffset, lastOffset, logAppendTime, logStartOffset: this.logStart, appended: true, completedTxn };
  }

  /** Step 1 of `append`: the answer to a retried batch, or null. */
  private findDuplicate(batch: Buffer, producerId: bigint, lastOffsetDelta: number): AppendResult | null {
    const baseSequence = batch.readInt32BE(BatchField.baseSequence);
    const duplicate = this.producerState.findDuplicateBatch(
      producerId,
      batch.readInt16BE(BatchField.producerEpoch),
      baseSequence,
      lastSequenceOf(baseSequence, lastOffsetDelta),
    );
    if (duplicate === null) return null;
    return {
      baseOffset: duplicate.firstOffset,
      lastOffset: duplicate.lastOffset,
      logAppendTime: duplicate.timestamp,
      logStartOffset: this.logStart,
      appended: false,
      completedTxn: null,
    };
  }

  /**
   * Runs `task` after every task queued before it, in arrival order. An append that must first wait for
   * something asynchronous (a TV2 transactional batch whose partition the coordinator adds on the producer's
   * behalf, KIP-890 part 2) goes through here, and so does every later append of this partition while one is
   * queued: the event-loop form of Kafka's partition lock, so batches keep their arrival order. `task` itself
   * must append synchronously once its wait is over.
   */
  enqueueAppend<T>(task: () => T | Promise<T>): Promise<T> {
    const run = (this.appendQueueTail ?? Promise.resolve()).then(task);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.appendQueueTail = tail;
    void tail.then(() => {
      if (this.appendQueueTail === tail) this.appendQueueTail = null;
    });
    return run;
  }

  /** Whether appends are queued (`enqueueAppend`): a new append must then queue too, to keep the order. */
  get hasQueuedAppends(): boolean {
    return this.appendQueueTail !== null;
  }

  /**
   * Resolves once every offset up to and including `offset` is durable under the fsync policy: after an fsync
   * with 'always', at once with 'interval' and 'never' (acknowledged before the fsync). Rejects with
   * KAFKA_STORAGE_ERROR when the fsync fails or the log is truncated below it.
   */
  waitDurable(offset: bigint): Promise<void> {
    if (this.offlineError !== null && offset >= this.groupCommit.durableEnd) return Promise.reject(this.offlineError);
    if (this.config.fsync !== 'always') return Promise.resolve();
    return this.groupCommit.wait(offset + 1n);
  }

  /**
   * Calls `listener` with the new high watermark whenever it advances (Fetch long-polls wait on this).
   * Returns a function that removes the listener. Listeners run synchronously; they must not throw.
   */
  onHighWatermark(listener: (highWatermark: bigint) => void): () => void {
    this.highWatermarkListeners.add(listener);
    return () => this.highWatermarkListeners.delete(listener);
  }

  /**
   * Whole batches from the one containing `fetchOffset`, up to `maxBytes` (at least one batch with
   * minOneMessage, KIP-74), never reaching `maxOffset`. Reads from one segment, like Kafka. Throws
   * OFFSET_OUT_OF_RANGE when `fetchOffset` is below the log start offset or above the log end offset; an
   * offset between the high watermark and the log end gets no data.
   */
  read(fetchOffset: bigint, maxBytes: number, options: ReadOptions = {}): ReadResult {
    this.ensureOpen();
    if (fetchOffset < this.logStart || fetchOffset > this.logEnd) {
      throw new OffsetOutOfRangeError(fetchOffset, this.logStart, this.logEnd);
    }
    const maxOffset = options.maxOffset ?? this.highWatermark;
    const minOneMessage = options.minOneMessage ?? true;
    const empty: ReadResult = { records: Buffer.alloc(0), firstOffset: null, lastOffset: null, abortedTransactions: options.abortedTransactions === true ? [] : null };
    if (fetchOffset >= maxOffset) return empty;
    for (let i = this.segmentIndexFor(fetchOffset); i < this.segments.length; i++) {
      const segment = this.segments[i];
      const first = segment.findBatch(fetchOffset, this.config.indexIntervalBytes);
      if (first === null) continue; // fetchOffset is this segment's end: the data starts in the next one
      if (first.lastOffset >= maxOffset) return empty;
      if (first.size > maxBytes && !minOneMessage) return empty;
      const length = Math.max(Math.min(maxBytes, segment.size - first.position), minOneMessage ? first.size : 0);
      const bytes = segment.readBytes(first.position, length, options.buffers);
      let end = 0;
      let lastOffset: bigint | null = null;
      while (end + RECORD_BATCH_OVERHEAD <= bytes.length) {
        const size = bytes.readInt32BE(end + BatchField.batchLength) + LOG_OVERHEAD;
        if (size < RECORD_BATCH_OVERHEAD || end + size > bytes.length) break;
        const batchLast =
          bytes.readBigInt64BE(end + BatchField.baseOffset) + BigInt(bytes.readInt32BE(end + BatchField.lastOffsetDelta));
        if (batchLast >= maxOffset) break;
        end += size;
        lastOffset = batchLast;
      }
      if (end === 0) return empty;
      // The read ends inside a batch that does not fit: the answer holds the whole batches before it. One that
      // holds under half its read moves to a buffer of its size, so it does not pin a large read buffer.
      const records = end === bytes.length ? bytes : end >= bytes.length / 2 ? bytes.subarray(0, end) : (options.buffers?.trim(bytes, end) ?? Buffer.from(bytes.subarray(0, end)));
      const abortedTransactions =
        options.abortedTransactions === true ? this.collectAbortedTransactions(fetchOffset, this.fetchUpperBoundOffset(i, first.position, end)) : null;
      return { records, firstOffset: first.baseOffset, lastOffset, abortedTransactions };
    }
    return empty;
  }

  /**
   * ListOffsets by timestamp (Kafka's `UnifiedLog.fetchOffsetByTimestamp`): the first record, at or after the
   * log start offset, whose timestamp is >= `timestamp`, with that record's timestamp. The time index finds
   * where to start, batch headers find the batch, and the batch's records give the exact offset (batch-grained
   * only for a compressed batch that cannot be decompressed). Null when there is none below `maxOffset`.
   */
  offsetForTimestamp(timestamp: bigint, options: TimestampLookupOptions = {}): TimestampAndOffset | null {
    this.ensureOpen();
    const maxOffset = options.maxOffset ?? this.highWatermark;
    for (const segment of this.segments) {
      if (segment.nextOffset <= this.logStart || segment.maxTimestampSoFar < timestamp) continue;
      const fromIndex = segment.timeIndex.lookup(timestamp).offset;
      const start = fromIndex > this.logStart ? fromIndex : this.logStart;
      const first = segment.findBatch(start, this.config.indexIntervalBytes);
      if (first === null) continue;
      for (const batch of segment.batchesFrom(first.position)) {
        if (batch.baseOffset >= maxOffset) return null;
        if (batch.maxTimestamp < timestamp || batch.lastOffset < this.logStart) continue;
        const found = findRecordAtOrAfter(segment.readBytes(batch.position, batch.size), timestamp, this.logStart, this.decompress);
        if (found !== null) return found.offset < maxOffset ? found : null;
      }
    }
    return null;
  }

  /**
   * ListOffsets MAX_TIMESTAMP (KIP-734): the record with the largest timestamp (the first one, if several
   * share it) and that timestamp; null for an empty log or when it lies at or above `maxOffset`.
   */
  maxTimestampOffset(options: TimestampLookupOptions = {}): TimestampAndOffset | null {
    this.ensureOpen();
    const maxOffset = options.maxOffset ?? this.highWatermark;
    let best: LogSegment | null = null;
    for (const segment of this.segments) {
      if (segment.nextOffset <= this.logStart || segment.maxTimestampSoFar < 0n) continue;
      if (best === null || segment.maxTimestampSoFar > best.maxTimestampSoFar) best = segment;
    }
    if (best === null) return null;
    const target = best.maxTimestampSoFar;
    const from = best.offsetOfMaxTimestampSoFar > this.logStart ? best.offsetOfMaxTimestampSoFar : this.logStart;
    const first = best.findBatch(from, this.config.indexIntervalBytes);
    if (first === null) return null;
    for (const batch of best.batchesFrom(first.position)) {
      if (batch.maxTimestamp !== target) continue;
      const found = findRecordAtOrAfter(best.readBytes(batch.position, batch.size), target, this.logStart, this.decompress);
      if (found === null) continue;
      return found.offset < maxOffset ? found : null;
    }
    return null;
  }

  /**
   * Visits every batch whose last offset is >= `fromOffset`, up to the log end, in order (producer-state
   * rebuild replays from its snapshot offset). `readBatch` returns the whole batch's bytes when the header is
   * not enough (e.g. a control batch's marker type).
   */
  replay(fromOffset: bigint, visit: BatchVisitor): void {
    this.ensureOpen();
    for (const segment of this.segments) {
      if (segment.nextOffset <= fromOffset) continue;
      const first = segment.findBatch(fromOffset, this.config.indexIntervalBytes);
      if (first === null) continue;
      for (const batch of segment.batchesFrom(first.position)) {
        const header = readBatchHeader(segment.readBytes(batch.position, RECORD_BATCH_OVERHEAD), 0);
        visit(header, batch, () => segment.readBytes(batch.position, batch.size));
      }
    }
  }

  /**
   * Records a transaction aborted by the marker at `entry.lastOffset` in the aborted-transaction index of the
   * segment holding that marker (called by the transaction path right after appending an ABORT marker).
   * Idempotent for replays: an entry at or below the segment's last indexed marker is ignored.
   *
   * Recovery contract: the index of a segment listed in `recoveryReport.recoveredSegments` may miss entries
   * (the active segment's index is only written at roll and close), so producer-state recovery must replay
   * from at most the first recovered segment's base offset and re-append the aborted transactions it meets.
   */
  appendAbortedTransaction(entry: AbortedTransaction): void {
    this.ensureWritable();
    if (entry.lastOffset >= this.logEnd || entry.lastOffset < this.segments[0].baseOffset || entry.firstOffset > entry.lastOffset) {
      throw new RangeError(`aborted transaction ${entry.firstOffset}..${entry.lastOffset} is outside the log`);
    }
    const segment = this.segments[this.segmentIndexFor(entry.lastOffset)];
    if (!segment.transactionIndex.append(entry) || segment === this.activeSegment) return;
    // A rolled segment's indexes were already written: rewrite its transaction index now (replay after recovery).
    try {
      segment.writeTransactionIndex();
      this.groupCommit.request();
    } catch (error) {
      this.logger.warn({ directory: this.directory, error }, 'cannot write a transaction index');
    }
  }

  /**
   * Fetch AbortedTransactions for READ_COMMITTED (Kafka's `LocalLog.collectAbortedTransactions`): entries with
   * lastOffset >= `fetchOffset` and firstOffset < `upperBoundOffset` (the offset just past the returned
   * data), searching from the segment holding `fetchOffset` until an entry's lastStableOffset reaches the bound.
   */
  collectAbortedTransactions(fetchOffset: bigint, upperBoundOffset: bigint): AbortedTransaction[] {
    this.ensureOpen();
    const found: AbortedTransaction[] = [];
    for (let i = this.segmentIndexFor(fetchOffset); i < this.segments.length; i++) {
      const search = this.segments[i].transactionIndex.collect(fetchOffset, upperBoundOffset);
      found.push(...search.found);
      if (search.complete) break;
    }
    return found;
  }

  /**
   * Where the aborted-transaction search of a read stops (Kafka's `LocalLog.addAbortedTransactions`): the offset
   * index entry at or past the end of the bytes read, else the next segment's base offset, else the log end.
   */
  private fetchUpperBoundOffset(segmentIndex: number, position: number, fetchSize: number): bigint {
    const fromIndex = this.segments[segmentIndex].offsetIndex.fetchUpperBoundOffset(position, fetchSize);
    if (fromIndex !== null) return fromIndex.offset;
    const next = this.segments[segmentIndex + 1];
    return next === undefined ? this.logEnd : next.baseOffset;
  }

  /**
   * DeleteRecords: moves the log start offset up to `offset` (at most the high watermark) and deletes the
   * segments wholly below it. Returns the new log start offset (the partition's low watermark).
   */
  deleteRecordsBefore(offset: bigint): bigint {
    this.ensureWritable();
    if (offset > this.highWatermark || offset < 0n) {
      throw new OffsetOutOfRangeError(offset, this.logStart, this.highWatermark);
    }
    if (offset > this.logStart) {
      this.logStart = offset;
      this.persistLogStartOffset(true);
      this.producerState.onLogStartOffsetIncremented(offset);
      this.hooks.onLogStartOffsetChanged?.(offset);
      this.deleteSegmentsWhile((segment, next) => next !== null && next.baseOffset <= this.logStart);
    }
    return this.logStart;
  }

  /**
   * Retention (Kafka's `UnifiedLog.deleteOldSegments`): deletes the oldest segments (the active one too, after a
   * roll) that are wholly below the high watermark and past `retention.ms` (judged by their largest timestamp) or beyond
   * `retention.bytes`, or below the log start offset. Returns how many segments were deleted.
   */
  deleteOldSegments(): number {
    if (this.closed || this.offlineError) return 0;
    const now = BigInt(this.clock());
    let deleted = this.deleteSegmentsWhile((segment, next) => next !== null && next.baseOffset <= this.logStart);
    // Time and size retention apply only with `cleanup.policy` delete (alone or with compact).
    if (!this.config.cleanupPolicy.includes('delete')) return deleted;
    const retentionMs = this.config.retentionMs;
    if (retentionMs >= 0) {
      deleted += this.deleteSegmentsWhile((segment) => now - segment.largestTimestamp() > BigInt(retentionMs));
    }
    const retentionBytes = this.config.retentionBytes;
    if (retentionBytes >= 0) {
      let excess = this.size - retentionBytes;
      deleted += this.deleteSegmentsWhile((segment) => {
        if (excess - segment.size < 0) return false;
        excess -= segment.size;
        return true;
      });
    }
    return deleted;
  }

  /**
   * Removes every batch from the one containing `offset` onwards (a batch is never split, so the new log end
   * is that batch's base offset). Below the log start offset the log is emptied and restarts at `offset`
   * (Kafka's `truncateFullyAndStartAt`). Waiters for removed offsets are rejected.
   */
  truncateTo(offset: bigint): void {
    this.ensureWritable();
    if (offset >= this.logEnd) return;
    const now = this.clock();
    try {
      if (offset <= this.logStart || offset <= this.segments[0].baseOffset) {
        for (const segment of this.segments) segment.deleteFiles();
        const start = offset < this.logStart ? offset : this.logStart;
        this.segments = [LogSegment.create(this.fs, this.directory, start, now)];
        this.logStart = start;
        this.persistLogStartOffset(true);
      } else {
        while (this.activeSegment.baseOffset >= offset) {
          const removed = this.segments.pop() as LogSegment;
          removed.deleteFiles();
        }
        this.activeSegment.truncateTo(offset, this.config.indexIntervalBytes);
      }
    } catch (error) {
      this.goOffline('truncation failed', error);
      throw this.offlineError;
    }
    this.logEnd = this.activeSegment.nextOffset;
    this.truncations++;
    this.directoryNeedsFlush = true;
    const error = new KafkaStorageError(`log truncated to ${this.logEnd}`);
    this.groupCommit.truncated(this.logEnd, error);
    if (this.checkpointedRecoveryPoint > this.logEnd) {
      // A recovery point above the new end would let a crash skip validating bytes appended from here on.
      writeOffsetCheckpoint(this.fs, join(this.directory, RECOVERY_POINT_FILE), this.logEnd);
      this.checkpointedRecoveryPoint = this.logEnd;
    }
    this.lastNotifiedHighWatermark = this.highWatermark;
    this.groupCommit.request();
    rebuildProducerState(this.producerState, this, { nowMs: now, logger: this.logger });
    this.hooks.onTruncated?.(this.logEnd);
  }

  /** Writes the recovery-point checkpoint if it moved (called periodically by the log manager). */
  checkpointRecoveryPoint(): void {
    if (this.closed || this.offlineError) return;
    const recoveryPoint = this.groupCommit.durableEnd;
    if (recoveryPoint === this.checkpointedRecoveryPoint) return;
    try {
      // Not fsynced: a lost or torn checkpoint reads as missing, which only means a longer recovery scan.
      writeOffsetCheckpoint(this.fs, join(this.directory, RECOVERY_POINT_FILE), recoveryPoint, false);
      this.checkpointedRecoveryPoint = recoveryPoint;
    } catch (error) {
      this.logger.warn({ directory: this.directory, error }, 'cannot write the recovery-point checkpoint');
    }
  }

  /**
   * Flushes everything, writes the indexes, checkpoints and the clean-shutdown marker, and closes the files.
   * A log that went offline is closed without the marker, so the next open recovers it.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.stopIntervalFlush();
    try {
      if (this.offlineError === null) await this.groupCommit.drain();
    } catch {
      // The failure has taken the log offline; it is closed without a clean-shutdown marker below.
    }
    // A roll's snapshot still being written finishes first, so the files below match what close leaves.
    await this.producerState.drainBackgroundSnapshots();
    this.closed = true;
    const closedError = new KafkaStorageError('log closed');
    this.groupCommit.rejectAll(closedError);
    try {
      if (this.offlineError === null) {
        // A clean shutdown snapshots producer state at the log end, so the next start replays nothing.
        this.producerState.updateMapEndOffset(this.logEnd);
        takeSnapshotSafely(this.producerState, this.logger);
        const active = this.activeSegment;
        active.seal();
        active.writeIndexes(true);
        writeOffsetCheckpoint(this.fs, join(this.directory, RECOVERY_POINT_FILE), this.logEnd);
        this.persistLogStartOffset(true);
        writeOffsetCheckpoint(this.fs, join(this.directory, CLEAN_SHUTDOWN_FILE), this.logEnd);
      }
    } finally {
      for (const segment of this.segments) segment.close();
    }
  }

  /** Closes the log and removes its directory (topic deletion). */
  async delete(): Promise<void> {
    this.offlineError ??= new KafkaStorageError('log deleted');
    await this.close();
    this.fs.removeDirectory(this.directory);
  }

  private get activeSegment(): LogSegment {
    return this.segments[this.segments.length - 1];
  }

  /**
   * Kafka's `LogSegment.shouldRoll`: size, age of the first batch (`LogConfig.maxSegmentMs`: on a compacted log
   * also `max.compaction.lag.ms`, so the active segment, which is never cleaned, cannot hold a record past that
   * lag), or offsets no longer fitting an int32 delta.
   */
  private shouldRoll(segment: LogSegment, size: number, maxTimestamp: bigint, lastOffset: bigint, nowMs: number): boolean {
    if (segment.isEmpty) return false;
    if (segment.size > this.config.segmentBytes - size) return true;
    if (!segment.canHold(lastOffset)) return true;
    const base = segment.rollingBasedTimestamp;
    const waited = base !== null && base >= 0n ? Number(maxTimestamp - base) : nowMs - segment.createdMs;
    return waited > maxSegmentMs(this.config);
  }

  /** Starts a new active segment at the log end; the old one is sealed and its indexes written. */
  private roll(nowMs: number): LogSegment {
    const old = this.activeSegment;
    let created: LogSegment;
    try {
      created = LogSegment.create(this.fs, this.directory, this.logEnd, nowMs);
    } catch (error) {
      throw new KafkaStorageError(`cannot create a segment at offset ${this.logEnd}`, { cause: error });
    }
    old.seal();
    try {
      old.writeIndexes(false);
    } catch (error) {
      // Indexes are rebuilt from the .log when missing, so this costs only a slower next start.
      this.logger.warn({ directory: this.directory, error }, 'cannot write segment indexes');
    }
    this.segments.push(created);
    this.directoryNeedsFlush = true;
    // The rolled segment is flushed now whatever the policy, as Kafka does, so recovery scans only the tail.
    this.groupCommit.request();
    // Kafka snapshots producer state at every roll, at the new segment's base offset. The state is captured now;
    // the file is encoded and written without holding the event loop.
    this.producerState.updateMapEndOffset(created.baseOffset);
    this.producerState.takeSnapshotInBackground();
    this.hooks.onRoll?.(created.baseOffset);
    return created;
  }

  private needsFlush(): boolean {
    if (this.closed) return false;
    if (this.directoryNeedsFlush || this.groupCommit.durableEnd < this.logEnd) return true;
    for (let i = this.segments.length - 1; i >= 0; i--) {
      if (this.segments[i].needsFlush || this.segments[i].indexFilesNeedSync) return true;
    }
    return false;
  }

  /** One group-commit fsync: every segment with unflushed bytes, then the directory if entries changed. */
  private async flushSegments(): Promise<bigint | null> {
    // Everything is captured before the first await: `end` is exactly what these change counts hold.
    const end = this.logEnd;
    const truncations = this.truncations;
    const dirty = this.segments.filter((segment) => segment.needsFlush).map((segment) => ({ segment, changes: segment.changes }));
    // Index files written at roll become durable with the data, so a recovery point past their segment
    // (which makes the next unclean start trust them) never outruns them.
    const indexes = this.segments.filter((segment) => segment.indexFilesNeedSync);
    const directory = this.directoryNeedsFlush || indexes.length > 0;
    this.directoryNeedsFlush = false;
    for (const { segment } of dirty) segment.pin();
    const started = performance.now();
    try {
      for (const { segment, changes } of dirty) await segment.flush(changes);
      for (const segment of indexes) if (!segment.isClosed) await segment.syncIndexFiles();
      if (directory) await this.fs.fsyncDirectory(this.directory);
    } catch (error) {
      if (directory) this.directoryNeedsFlush = true;
      throw new KafkaStorageError(`fsync of ${this.directory} failed`, { cause: error });
    } finally {
      for (const { segment } of dirty) segment.unpin();
    }
    this.onFlush?.(performance.now() - started);
    return truncations === this.truncations ? end : null;
  }

  private maybeNotifyHighWatermark(): void {
    const highWatermark = this.highWatermark;
    if (highWatermark <= this.lastNotifiedHighWatermark) return;
    // Completed transactions whose marker is now below the high watermark stop holding back the LSO.
    this.producerState.onHighWatermarkUpdated(highWatermark);
    this.lastNotifiedHighWatermark = highWatermark;
    for (const listener of this.highWatermarkListeners) {
      try {
        listener(highWatermark);
      } catch (error) {
        this.logger.error({ directory: this.directory, error }, 'high watermark listener threw');
      }
    }
  }

  /** Deletes the oldest segments while `predicate` holds; never the active one, never above the high watermark. */
  private deleteSegmentsWhile(predicate: (segment: LogSegment, next: LogSegment | null) => boolean): number {
    const deleted: bigint[] = [];
    const highWatermark = this.highWatermark;
    while (this.segments.length > 1) {
      const segment = this.segments[0];
      const next = this.segments[1];
      if (next.baseOffset > highWatermark || !predicate(segment, next)) break;
      this.segments.shift();
      try {
        segment.deleteFiles();
      } catch (error) {
        this.logger.warn({ directory: this.directory, error }, 'cannot delete a segment file');
      }
      deleted.push(segment.baseOffset);
    }
    // Kafka's `UnifiedLog.deletableSegments` also takes the active segment when it is wholly below the high
    // watermark, not empty and matched (retention past on a quiet topic, or `retention.ms` lowered to purge it):
    // the log rolls first so that it always keeps one, empty, active segment at the log end.
    if (this.segments.length === 1 && !this.activeSegment.isEmpty && highWatermark >= this.logEnd && predicate(this.activeSegment, null)) {
      const active = this.activeSegment;
      let rolled = false;
      try {
        this.roll(this.clock());
        rolled = true;
      } catch (error) {
        this.logger.warn({ directory: this.directory, error }, 'cannot roll the active segment to delete it');
      }
      if (rolled) {
        this.segments.shift();
        try {
          active.deleteFiles();
        } catch (error) {
          this.logger.warn({ directory: this.directory, error }, 'cannot delete a segment file');
        }
        deleted.push(active.baseOffset);
      }
    }
    if (deleted.length === 0) return 0;
    const first = this.segments[0].baseOffset;
    if (first > this.logStart) {
      this.logStart = first;
      this.producerState.onLogStartOffsetIncremented(first);
      this.hooks.onLogStartOffsetChanged?.(first);
    }
    // Snapshots go with their segments, and so do any inside the deleted range (below the new log start).
    for (const baseOffset of deleted) this.producerState.deleteSnapshot(baseOffset);
    this.producerState.deleteSnapshotsBefore(first);
    this.persistLogStartOffset(false);
    this.fs.fsyncDirectory(this.directory).catch((error: unknown) => {
      this.logger.warn({ directory: this.directory, error }, 'directory fsync after segment deletion failed');
    });
    this.hooks.onSegmentsDeleted?.(deleted);
    return deleted.length;
  }

  private persistLogStartOffset(durable: boolean): void {
    const path = join(this.directory, LOG_START_OFFSET_FILE);
    if (readOffsetCheckpoint(this.fs, path) === this.logStart) return;
    writeOffsetCheckpoint(this.fs, path, this.logStart, durable);
  }

  /** Index of the segment holding `offset` (the last one whose base offset is <= it). */
  private segmentIndexFor(offset: bigint): number {
    let low = 0;
    let high = this.segments.length - 1;
    let found = 0;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if (this.segments[mid].baseOffset <= offset) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    return found;
  }

  private startIntervalFlush(): void {
    this.stopIntervalFlush();
    if (this.config.fsync !== 'interval') return;
    this.intervalTimer = setInterval(() => this.groupCommit.request(), Math.max(1, this.config.fsyncIntervalMs));
    this.intervalTimer.unref();
  }

  private stopIntervalFlush(): void {
    if (this.intervalTimer !== null) clearInterval(this.intervalTimer);
    this.intervalTimer = null;
  }

  private goOffline(reason: string, cause: unknown): void {
    if (this.offlineError !== null) return;
    this.offlineError = new KafkaStorageError(`log ${this.directory} is offline: ${reason}`, { cause });
    this.logger.error({ directory: this.directory, error: cause }, `log offline: ${reason}`);
    this.stopIntervalFlush();
    this.groupCommit.rejectAll(this.offlineError);
  }

  private ensureOpen(): void {
    if (this.closed) throw new KafkaStorageError(`log ${this.directory} is closed`);
  }

  private ensureWritable(): void {
    this.ensureOpen();
    if (this.offlineError !== null) throw this.offlineError;
  }
}

export type { BatchLocation, BatchVisitor };
