// Producer state of one partition (Kafka's `ProducerStateManager`): producer id -> ProducerStateEntry, the
// transactions open on the partition (by first offset), the completed ones whose marker is not yet below the
// high watermark, and the snapshot files that let a restart skip replaying the whole log.
//
// `lastMapOffset` is the offset up to which the state reflects the log (exclusive): every append through the
// leader path advances it, and a snapshot is taken at it. The manager itself never reads the log and never
// reads a clock: recovery replays the log into it (producer-state-loader.ts) and callers pass `now`.
//
// Deviation from Kafka, on purpose: an optional bound on the producer ids tracked per partition. When a new
// producer would exceed it, the least recently appended-to producer without an open transaction is evicted
// (it becomes unknown, exactly as if it had expired). Kafka bounds memory only through expiration.
import { basename, join } from 'node:path';
import { NO_PRODUCER_ID } from '../../protocol/records/batch-header.ts';
import type { LogFileSystem } from '../log/log-file-system.ts';
import { nodeFileSystem } from '../log/log-file-system.ts';
import type { LogLogger } from '../log/partition-log.ts';
import type { AppendOrigin } from './append-origin.ts';
import type { BatchMetadata } from './batch-metadata.ts';
import { BackgroundSnapshot } from './background-snapshot.ts';
import { OffsetSortedMap } from './offset-sorted-map.ts';
import { ProducerAppendInfo } from './producer-append-info.ts';
import { ProducerStateEntry, producerKeyOf } from './producer-state-entry.ts';
import type { ProducerKey } from './producer-state-entry.ts';
import {
  CorruptSnapshotError,
  listSnapshotOffsets,
  producerSnapshotFileName,
  readProducerSnapshot,
  writeProducerSnapshot,
} from './producer-snapshot-file.ts';
import { TxnMetadata } from './txn-metadata.ts';
import type { CompletedTxn } from './txn-metadata.ts';

/** An open transaction idle longer than `transaction.max.timeout.ms` plus this is "late" (a hanging transaction). */
export const LATE_TRANSACTION_BUFFER_MS = 5 * 60 * 1000;

export interface ProducerStateManagerConfig {
  /** `producer.id.expiration.ms` (KIP-854): idle producers without an open transaction are forgotten after this. */
  producerIdExpirationMs: number;
  /** seqlog's own bound on producer ids tracked per partition (Kafka has none); <= 0 means unbounded. */
  maxProducerIds: number;
  /** `transaction.max.timeout.ms`, for `hasLateTransaction`. */
  maxTransactionTimeoutMs: number;
}

export const defaultProducerStateManagerConfig: Readonly<ProducerStateManagerConfig> = {
  producerIdExpirationMs: 86_400_000,
  maxProducerIds: 10_000,
  maxTransactionTimeoutMs: 900_000,
};

export interface ProducerStateManagerOptions {
  /** The partition directory, where the `.snapshot` files live. */
  directory: string;
  fs?: LogFileSystem;
  config?: Partial<ProducerStateManagerConfig>;
  logger?: LogLogger;
  /** `topic-partition`, for messages; default: the directory's name. */
  partition?: string;
}

/** One producer as DescribeProducers (KIP-664) reports it. */
export interface ProducerStateDescription {
  producerId: bigint;
  producerEpoch: number;
  /** -1 when no batch of the current epoch is cached. */
  lastSequence: number;
  lastTimestamp: bigint;
  coordinatorEpoch: number;
  /** First offset of the open transaction, -1 if none. */
  currentTxnStartOffset: bigint;
}

/** Counters for metrics (Kafka's `ProducerIdCount` gauge, plus seqlog's eviction and expiration counts). */
export interface ProducerStateMetrics {
  producerIdCount: number;
  evictedProducerIds: number;
  expiredProducerIds: number;
}

const noopLogger: LogLogger = { info() {}, warn() {}, error() {} };

export class ProducerStateManager {
  readonly directory: string;
  readonly partition: string;
  private config: ProducerStateManagerConfig;
  private readonly fs: LogFileSystem;
  private readonly logger: LogLogger;
  /**
   * By `producerKeyOf(producerId)` (a number for every id below 2^53, so no bigint object per producer).
   * Insertion order is recency of the last append: the first entries are the least recently used.
   */
  private readonly producers = new Map<ProducerKey, ProducerStateEntry>();
  private readonly ongoingTxns = new OffsetSortedMap<TxnMetadata>();
  /** Completed transactions whose marker is at or above the high watermark. */
  private readonly unreplicatedTxns = new OffsetSortedMap<TxnMetadata>();
  /** Snapshot offset -> file name. */
  private snapshots = new OffsetSortedMap<string>();
  private lastMapOffset = 0n;
  private lastSnapOffset = 0n;
  private oldestTxnLastTimestamp = -1n;
  private evictions = 0;
  private expirations = 0;
  /** Snapshots being written in the background (at most one or two: one per roll still in progress). */
  private backgroundSnapshots: BackgroundSnapshot[] = [];
  /** Every background snapshot not yet settled, cancelled ones included (they may still hold a temp file). */
  private readonly unsettledSnapshots = new Set<Promise<boolean>>();

  constructor(options: ProducerStateManagerOptions) {
    this.directory = options.directory;
    this.partition = options.partition ?? basename(options.directory);
    this.config = { ...defaultProducerStateManagerConfig, ...options.config };
    this.fs = options.fs ?? nodeFileSystem;
    this.logger = options.logger ?? noopLogger;
    this.snapshots = this.loadSnapshots();
  }

  get producerStateManagerConfig(): Readonly<ProducerStateManagerConfig> {
    return this.config;
  }

  /** Dynamic config change (`producer.id.expiration.ms` is dynamic in Kafka). */
  updateConfig(config: Partial<ProducerStateManagerConfig>): void {
    this.config = { ...this.config, ...config };
  }

  get producerIdCount(): number {
    return this.producers.size;
  }

  get metrics(): ProducerStateMetrics {
    return { producerIdCount: this.producers.size, evictedProducerIds: this.evictions, expiredProducerIds: this.expirations };
  }

  /** The offset up to which the state reflects the log (exclusive): Kafka's `mapEndOffset`. */
  get mapEndOffset(): bigint {
    return this.lastMapOffset;
  }

  get lastSnapshotOffset(): bigint {
    return this.lastSnapOffset;
  }

  /** Producer id -> entry, built on each call (the live map is keyed by ProducerKey). */
  activeProducers(): ReadonlyMap<bigint, ProducerStateEntry> {
    const producers = new Map<bigint, ProducerStateEntry>();
    for (const entry of this.producers.values()) producers.set(entry.producerId, entry);
    return producers;
  }

  isEmpty(): boolean {
    return this.producers.size === 0 && this.unreplicatedTxns.size === 0;
  }

  lastEntry(producerId: bigint): ProducerStateEntry | undefined {
    return this.producers.get(producerKeyOf(producerId));
  }

  /** The cached batch that a client batch retries, if any (`UnifiedLog.analyzeAndValidateProducerState`). */
  findDuplicateBatch(producerId: bigint, producerEpoch: number, firstSeq: number, lastSeq: number): BatchMetadata | null {
    return this.producers.get(producerKeyOf(producerId))?.findDuplicateBatch(producerEpoch, firstSeq, lastSeq) ?? null;
  }

  /** A working copy for one append; it changes nothing until passed to `update`. */
  prepareUpdate(producerId: bigint, origin: AppendOrigin): ProducerAppendInfo {
    const currentEntry = this.producers.get(producerKeyOf(producerId)) ?? ProducerStateEntry.empty(producerId);
    return new ProducerAppendInfo(producerId, currentEntry, origin, this.partition, this.logger);
  }

  /** Stores what an append validated (after the batch is in the log). */
  update(appendInfo: ProducerAppendInfo): void {
    if (appendInfo.producerId === NO_PRODUCER_ID) {
      throw new RangeError(`invalid producer id ${appendInfo.producerId} passed to update for partition ${this.partition}`);
    }
    const updatedEntry = appendInfo.toEntry();
    const key = updatedEntry.key;
    const currentEntry = this.producers.get(key);
    if (currentEntry !== undefined) {
      for (const job of this.backgroundSnapshots) job.beforeChange(currentEntry);
      currentEntry.update(updatedEntry);
      // Most recently used goes last.
      this.producers.delete(key);
      this.producers.set(key, currentEntry);
    } else {
      this.evictForNewProducer();
      this.producers.set(key, updatedEntry);
    }
    for (const txn of appendInfo.startedTransactions()) this.ongoingTxns.set(txn.firstOffset, txn);
    this.updateOldestTxnTimestamp();
  }

  updateMapEndOffset(lastOffset: bigint): void {
    this.lastMapOffset = lastOffset;
  }

  /**
   * The first offset that READ_COMMITTED consumers may not see yet: the first offset of the earliest open
   * transaction, or of a completed one whose marker is not yet below the high watermark. Null when none.
   */
  firstUnstableOffset(): bigint | null {
    const unreplicated = this.unreplicatedTxns.first()?.[0] ?? null;
    const undecided = this.firstUndecidedOffset();
    if (unreplicated === null) return undecided;
    if (undecided === null) return unreplicated;
    return undecided < unreplicated ? undecided : unreplicated;
  }

  /** The first offset of the earliest open transaction, ignoring replication (null when none). */
  firstUndecidedOffset(): bigint | null {
    return this.ongoingTxns.first()?.[0] ?? null;
  }

  /**
   * The partition's last stable offset given its high watermark (Kafka's `UnifiedLog.lastStableOffset`):
   * min(first unstable offset, high watermark). Acknowledges the transactions completed below it first.
   */
  lastStableOffset(highWatermark: bigint): bigint {
    this.onHighWatermarkUpdated(highWatermark);
    const firstUnstable = this.firstUnstableOffset();
    return firstUnstable !== null && firstUnstable < highWatermark ? firstUnstable : highWatermark;
  }

  /** Forgets completed transactions whose marker is now below the high watermark, letting the LSO advance. */
  onHighWatermarkUpdated(highWatermark: bigint): void {
    this.removeUnreplicatedTransactions(highWatermark);
  }

  /**
   * The LSO to record with a completed transaction in the aborted-transaction index (Kafka's
   * `lastStableOffset(CompletedTxn)`): the first offset of the next open transaction of another producer, else
   * just past the marker. Call before `completeTxn`.
   */
  lastStableOffsetForCompletedTxn(completedTxn: CompletedTxn): bigint {
    for (const txn of this.ongoingTxns.values()) {
      if (txn.producerId !== completedTxn.producerId) return txn.firstOffset;
    }
    return completedTxn.lastOffset + 1n;
  }

  /** Moves a transaction from open to completed; it stays unstable until the high watermark passes its marker. */
  completeTxn(completedTxn: CompletedTxn): void {
    const txn = this.ongoingTxns.delete(completedTxn.firstOffset);
    if (txn === undefined) {
      throw new Error(
        `attempted to complete transaction of producer ${completedTxn.producerId} at ${completedTxn.firstOffset}..` +
          `${completedTxn.lastOffset} on partition ${this.partition}, which was not started`,
      );
    }
    txn.lastOffset = completedTxn.lastOffset;
    this.unreplicatedTxns.set(completedTxn.firstOffset, txn);
    this.updateOldestTxnTimestamp();
  }

  /** Whether the oldest open transaction has been idle past `transaction.max.timeout.ms` + 5 minutes. */
  hasLateTransaction(nowMs: number): boolean {
    const lastTimestamp = this.oldestTxnLastTimestamp;
    return lastTimestamp > 0n && BigInt(nowMs) - lastTimestamp > BigInt(this.config.maxTransactionTimeoutMs + LATE_TRANSACTION_BUFFER_MS);
  }

  /**
   * KIP-854: forgets producers idle for `producer.id.expiration.ms`, judged by their last batch's timestamp
   * (client CreateTime), never while a transaction is open. Returns how many were removed.
   */
  removeExpiredProducers(nowMs: number): number {
    let removed = 0;
    for (const [key, entry] of this.producers) {
      if (!this.isProducerExpired(nowMs, entry)) continue;
      this.producers.delete(key);
      removed++;
    }
    this.expirations += removed;
    return removed;
  }

  /** One entry per producer for DescribeProducers (KIP-664). */
  describeProducers(): ProducerStateDescription[] {
    return [...this.producers.values()].map((entry) => ({
      producerId: entry.producerId,
      producerEpoch: entry.producerEpoch,
      lastSequence: entry.lastSeq,
      lastTimestamp: entry.lastTimestamp,
      coordinatorEpoch: entry.coordinatorEpoch,
      currentTxnStartOffset: entry.currentTxnFirstOffset ?? -1n,
    }));
  }

  /** Adds an entry read from a snapshot (Kafka's `loadProducerEntry`), re-opening its transaction. */
  loadProducerEntry(entry: ProducerStateEntry): void {
    this.producers.set(entry.key, entry);
    if (entry.currentTxnFirstOffset !== null) {
      this.ongoingTxns.set(entry.currentTxnFirstOffset, new TxnMetadata(entry.producerId, entry.currentTxnFirstOffset));
    }
  }

  /**
   * Writes a snapshot at `mapEndOffset` unless one at or above it was already written (Kafka's `takeSnapshot`).
   * Returns whether a file was written.
   */
  takeSnapshot(durable = true): boolean {
    if (this.lastMapOffset <= this.lastSnapOffset) return false;
    const offset = this.lastMapOffset;
    const name = producerSnapshotFileName(offset);
    const started = performance.now();
    writeProducerSnapshot(this.fs, join(this.directory, name), this.producers.values(), durable);
    this.snapshots.set(offset, name);
    this.lastSnapOffset = offset;
    this.logger.info(
      { partition: this.partition, offset: String(offset), producerIds: this.producers.size, ms: Math.round(performance.now() - started) },
      'wrote producer snapshot',
    );
    return true;
  }

  /**
   * `takeSnapshot` for a segment roll: the state is captured now, at `mapEndOffset`, and the file is encoded and
   * written without holding the event loop (background-snapshot.ts). Until the file is in place it is not among
   * `snapshotOffsets()`; truncation or deletion of its offset meanwhile cancels it. Returns whether one started.
   */
  takeSnapshotInBackground(): boolean {
    if (this.lastMapOffset <= this.lastSnapOffset) return false;
    const offset = this.lastMapOffset;
    const name = producerSnapshotFileName(offset);
    const started = performance.now();
    const job = new BackgroundSnapshot(
      this.fs,
      offset,
      join(this.directory, name),
      [...this.producers.values()],
      (written) => {
        this.removeBackgroundSnapshot(written);
        this.snapshots.set(offset, name);
        this.logger.info(
          { partition: this.partition, offset: String(offset), producerIds: this.producers.size, ms: Math.round(performance.now() - started) },
          'wrote producer snapshot',
        );
      },
      (failed, error) => {
        this.removeBackgroundSnapshot(failed);
        // Costs only a longer replay at the next start.
        this.logger.warn({ partition: this.partition, offset: String(offset), error }, 'cannot write a producer snapshot');
      },
    );
    this.backgroundSnapshots.push(job);
    this.unsettledSnapshots.add(job.done);
    void job.done.then(() => this.unsettledSnapshots.delete(job.done));
    this.lastSnapOffset = offset;
    return true;
  }

  /** Waits for the snapshots being written in the background (log close and delete). */
  async drainBackgroundSnapshots(): Promise<void> {
    while (this.unsettledSnapshots.size > 0) await Promise.all(this.unsettledSnapshots);
  }

  latestSnapshotOffset(): bigint | null {
    let latest: bigint | null = null;
    for (const [offset] of this.snapshots.entries()) latest = offset;
    return latest;
  }

  oldestSnapshotOffset(): bigint | null {
    return this.snapshots.first()?.[0] ?? null;
  }

  snapshotOffsets(): bigint[] {
    return [...this.snapshots.entries()].map(([offset]) => offset);
  }

  /**
   * Reloads the state for a log that now spans [logStartOffset, logEndOffset) (Kafka's `truncateAndReload`):
   * snapshots outside (logStartOffset, logEndOffset] are deleted; unless the state already ends exactly at
   * logEndOffset, it is cleared and loaded from the latest remaining snapshot (at most `maxSnapshotOffset` when
   * given), dropping expired producers. The caller then replays the log from `mapEndOffset`.
   */
  truncateAndReload(logStartOffset: bigint, logEndOffset: bigint, nowMs: number, maxSnapshotOffset: bigint | null = null): void {
    this.cancelBackgroundSnapshots((offset) => offset > logEndOffset || offset <= logStartOffset);
    for (const [offset] of [...this.snapshots.entries()]) {
      if (offset > logEndOffset || offset <= logStartOffset) this.removeAndDeleteSnapshot(offset);
    }
    if (logEndOffset !== this.lastMapOffset || (maxSnapshotOffset !== null && maxSnapshotOffset < this.lastMapOffset)) {
      this.producers.clear();
      this.ongoingTxns.clear();
      // The log end is assumed to be at most the high watermark, so no completed transaction is unreplicated.
      this.unreplicatedTxns.clear();
      this.updateOldestTxnTimestamp();
      this.loadFromSnapshot(logStartOffset, nowMs, maxSnapshotOffset);
    } else {
      this.onLogStartOffsetIncremented(logStartOffset);
    }
  }

  /**
   * The log start offset moved up (retention, DeleteRecords): drop completed transactions below it. Producer
   * entries are kept, as Kafka does; they are lost only if reloaded from a snapshot that no longer covers them.
   */
  onLogStartOffsetIncremented(logStartOffset: bigint): void {
    this.removeUnreplicatedTransactions(logStartOffset);
    if (this.lastMapOffset < logStartOffset) this.lastMapOffset = logStartOffset;
    this.lastSnapOffset = this.latestSnapshotOffset() ?? logStartOffset;
  }

  /** Clears all state and snapshots; the log restarts at `offset` (Kafka's `truncateFullyAndStartAt`). */
  truncateFullyAndStartAt(offset: bigint): void {
    this.cancelBackgroundSnapshots(() => true);
    this.producers.clear();
    this.ongoingTxns.clear();
    this.unreplicatedTxns.clear();
    for (const [snapshotOffset] of [...this.snapshots.entries()]) this.removeAndDeleteSnapshot(snapshotOffset);
    this.lastSnapOffset = 0n;
    this.lastMapOffset = offset;
    this.updateOldestTxnTimestamp();
  }

  /** Deletes the snapshots below `offset`. */
  deleteSnapshotsBefore(offset: bigint): void {
    this.cancelBackgroundSnapshots((pending) => pending < offset);
    for (const [snapshotOffset] of [...this.snapshots.entries()]) {
      if (snapshotOffset < offset) this.removeAndDeleteSnapshot(snapshotOffset);
    }
  }

  /** Deletes the snapshot at `offset` if there is one (its segment was deleted). */
  deleteSnapshot(offset: bigint): void {
    this.cancelBackgroundSnapshots((pending) => pending === offset);
    this.removeAndDeleteSnapshot(offset);
  }

  /**
   * Deletes snapshots that match no segment base offset, keeping the largest stray one when it is above every
   * segment base: that is the snapshot written at clean shutdown (Kafka's `removeStraySnapshots`).
   */
  removeStraySnapshots(segmentBaseOffsets: readonly bigint[]): void {
    const bases = new Set(segmentBaseOffsets);
    let maxSegmentBaseOffset: bigint | null = null;
    for (const base of segmentBaseOffsets) if (maxSegmentBaseOffset === null || base > maxSegmentBaseOffset) maxSegmentBaseOffset = base;
    this.snapshots = this.loadSnapshots();
    let latestStray: bigint | null = null;
    for (const [offset] of [...this.snapshots.entries()]) {
      if (bases.has(offset)) continue;
      if (latestStray !== null) this.removeAndDeleteSnapshot(latestStray);
      latestStray = offset;
    }
    if (latestStray !== null && maxSegmentBaseOffset !== null && latestStray < maxSegmentBaseOffset) {
      this.removeAndDeleteSnapshot(latestStray);
    }
  }

  private cancelBackgroundSnapshots(matches: (offset: bigint) => boolean): void {
    for (const job of [...this.backgroundSnapshots]) {
      if (!matches(job.offset)) continue;
      job.cancel();
      this.removeBackgroundSnapshot(job);
    }
  }

  private removeBackgroundSnapshot(job: BackgroundSnapshot): void {
    const index = this.backgroundSnapshots.indexOf(job);
    if (index >= 0) this.backgroundSnapshots.splice(index, 1);
  }

  private loadFromSnapshot(logStartOffset: bigint, nowMs: number, maxSnapshotOffset: bigint | null): void {
    for (;;) {
      const offset = this.latestSnapshotAtOrBelow(maxSnapshotOffset);
      if (offset === null) {
        this.lastSnapOffset = logStartOffset;
        this.lastMapOffset = logStartOffset;
        return;
      }
      const path = join(this.directory, producerSnapshotFileName(offset));
      try {
        const entries = readProducerSnapshot(this.fs, path);
        for (const entry of entries) if (!this.isProducerExpired(nowMs, entry)) this.loadProducerEntry(entry);
        this.lastSnapOffset = offset;
        this.lastMapOffset = offset;
        this.enforceProducerLimit();
        this.updateOldestTxnTimestamp();
        this.logger.info({ partition: this.partition, offset: String(offset), producerIds: this.producers.size }, 'loaded producer state from snapshot');
        return;
      } catch (error) {
        if (!(error instanceof CorruptSnapshotError)) throw error;
        this.logger.warn({ partition: this.partition, path, reason: error.message }, 'cannot load producer snapshot: deleting it');
        this.removeAndDeleteSnapshot(offset);
      }
    }
  }

  private latestSnapshotAtOrBelow(maxOffset: bigint | null): bigint | null {
    let latest: bigint | null = null;
    for (const [offset] of this.snapshots.entries()) {
      if (maxOffset !== null && offset > maxOffset) break;
      latest = offset;
    }
    return latest;
  }

  private isProducerExpired(nowMs: number, entry: ProducerStateEntry): boolean {
    return entry.currentTxnFirstOffset === null && BigInt(nowMs) - entry.lastTimestamp >= BigInt(this.config.producerIdExpirationMs);
  }

  /** Makes room for one more producer under `maxProducerIds`, evicting the least recently used idle one. */
  private evictForNewProducer(): void {
    const max = this.config.maxProducerIds;
    if (max <= 0 || this.producers.size < max) return;
    for (const [key, entry] of this.producers) {
      if (this.producers.size < max) return;
      // A producer with an open transaction pins the LSO; forgetting it would leave the transaction hanging.
      if (entry.currentTxnFirstOffset !== null) continue;
      this.producers.delete(key);
      this.evictions++;
    }
    if (this.producers.size >= max) {
      this.logger.warn({ partition: this.partition, producerIds: this.producers.size, max }, 'every tracked producer has an open transaction: exceeding the producer id bound');
    }
  }

  /** After loading a snapshot written under a larger bound. */
  private enforceProducerLimit(): void {
    const max = this.config.maxProducerIds;
    if (max <= 0) return;
    for (const [key, entry] of this.producers) {
      if (this.producers.size <= max) return;
      if (entry.currentTxnFirstOffset !== null) continue;
      this.producers.delete(key);
      this.evictions++;
    }
  }

  private removeUnreplicatedTransactions(offset: bigint): void {
    this.unreplicatedTxns.deleteWhere((txn) => txn.lastOffset !== null && txn.lastOffset < offset);
  }

  private updateOldestTxnTimestamp(): void {
    const first = this.ongoingTxns.first();
    if (first === undefined) {
      this.oldestTxnLastTimestamp = -1n;
      return;
    }
    this.oldestTxnLastTimestamp = this.producers.get(producerKeyOf(first[1].producerId))?.lastTimestamp ?? -1n;
  }

  private loadSnapshots(): OffsetSortedMap<string> {
    const snapshots = new OffsetSortedMap<string>();
    for (const offset of listSnapshotOffsets(this.fs, this.directory)) snapshots.set(offset, producerSnapshotFileName(offset));
    return snapshots;
  }

  private removeAndDeleteSnapshot(offset: bigint): void {
    const name = this.snapshots.delete(offset);
    if (name === undefined) return;
    const path = join(this.directory, name);
    try {
      if (this.fs.stat(path) !== null) this.fs.unlink(path);
    } catch (error) {
      this.logger.warn({ partition: this.partition, path, error }, 'cannot delete a producer snapshot');
    }
  }
}
