// The broker's producer state: one ProducerStateManager per partition log, created when the log manager opens
// the log (through `hooksFor`, which also routes the log's roll, truncation and deletion events to it), loaded
// from snapshot + log replay on first use (`forLog`, or all at once with `loadAll` at start), expired
// periodically (KIP-854), and snapshotted at clean shutdown (`close`, before the logs are closed).
//
// Each loaded manager is also attached to its PartitionLog object (`producerStateOf`), and `producerStateFor`
// finds (or loads) it from the log alone, so code that holds only the log uses the same state.
import { basename, join } from 'node:path';
import type { LogFileSystem } from '../log/log-file-system.ts';
import type { LogManager } from '../log/log-manager.ts';
import { partitionDirectoryName } from '../log/log-manager.ts';
import type { LogHooks, LogLogger, PartitionLog } from '../log/partition-log.ts';
import { rebuildProducerState, takeSnapshotSafely } from './producer-state-loader.ts';
import { ProducerStateManager } from './producer-state-manager.ts';
import type { ProducerStateManagerConfig, ProducerStateMetrics } from './producer-state-manager.ts';

/** `producer.id.expiration.check.interval.ms` default: 10 minutes. */
export const DEFAULT_PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS = 600_000;

export interface ProducerStateRegistryOptions {
  /** The log manager's data directory (partition directories are `<dataDir>/<topic>-<partition>`). */
  dataDir: string;
  fs?: LogFileSystem;
  /** Wall clock in ms (expiration); default Date.now. */
  clock?: () => number;
  logger?: LogLogger;
  config?: Partial<ProducerStateManagerConfig>;
  /** `producer.id.expiration.check.interval.ms`; default 600000. */
  producerIdExpirationCheckIntervalMs?: number;
}

interface Slot {
  readonly directory: string;
  producerState: ProducerStateManager | null;
  log: PartitionLog | null;
  detachHighWatermark: (() => void) | null;
}

const noopLogger: LogLogger = { info() {}, warn() {}, error() {} };

const attached = new WeakMap<PartitionLog, ProducerStateManager>();
/** Partition directory -> the open registry whose hooks the log in it was given. */
const registryByDirectory = new Map<string, ProducerStateRegistry>();

/** The producer state loaded for `log`, if any. */
export function producerStateOf(log: PartitionLog): ProducerStateManager | undefined {
  return attached.get(log);
}

/**
 * The producer state of `log`: the one loaded for it, else loaded now by the registry that gave the log its
 * hooks (a topic created after start), else a standalone one (default config, no log hooks, so no snapshots at
 * roll or shutdown) so that idempotence stays correct for code appending to a bare log.
 */
export function producerStateFor(log: PartitionLog): ProducerStateManager {
  const existing = attached.get(log);
  if (existing !== undefined) return existing;
  const registry = registryByDirectory.get(log.directory);
  if (registry !== undefined) return registry.forLog(log);
  const producerState = new ProducerStateManager({ directory: log.directory });
  rebuildProducerState(producerState, log, { nowMs: Date.now(), initialLoad: true });
  attached.set(log, producerState);
  return producerState;
}

export class ProducerStateRegistry {
  private readonly options: ProducerStateRegistryOptions;
  private readonly clock: () => number;
  private readonly logger: LogLogger;
  private readonly slots = new Map<string, Slot>();
  private config: Partial<ProducerStateManagerConfig>;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(options: ProducerStateRegistryOptions) {
    this.options = options;
    this.clock = options.clock ?? Date.now;
    this.logger = options.logger ?? noopLogger;
    this.config = { ...options.config };
  }

  /**
   * For `LogManager.open({ hooksFor })`: called as each partition log is opened or created. Any state of an
   * earlier log in the same directory (a deleted and re-created topic) is dropped.
   */
  readonly hooksFor = (topic: string, partition: number): LogHooks => {
    const directory = join(this.options.dataDir, partitionDirectoryName(topic, partition));
    this.slots.get(directory)?.detachHighWatermark?.();
    const slot: Slot = { directory, producerState: null, log: null, detachHighWatermark: null };
    this.slots.set(directory, slot);
    if (!this.closed) registryByDirectory.set(directory, this);
    return {
      onRoll: (baseOffset) => {
        const producerState = slot.producerState;
        if (producerState === null) return;
        producerState.updateMapEndOffset(baseOffset);
        takeSnapshotSafely(producerState, this.logger);
      },
      onTruncated: () => {
        if (slot.producerState === null || slot.log === null) return;
        rebuildProducerState(slot.producerState, slot.log, { nowMs: this.clock(), logger: this.logger });
      },
      onLogStartOffsetChanged: (logStartOffset) => {
        slot.producerState?.onLogStartOffsetIncremented(logStartOffset);
      },
      onSegmentsDeleted: (baseOffsets) => {
        const producerState = slot.producerState;
        if (producerState === null) return;
        for (const baseOffset of baseOffsets) producerState.deleteSnapshot(baseOffset);
        // Snapshots inside the deleted segments go too: they are below the new log start.
        const firstRemaining = slot.log?.segmentBaseOffsets[0];
        if (firstRemaining !== undefined) producerState.deleteSnapshotsBefore(firstRemaining);
      },
    };
  };

  /** The producer state of `log`, loaded (snapshot + replay + snapshot) on first use. Synchronous. */
  forLog(log: PartitionLog): ProducerStateManager {
    let slot = this.slots.get(log.directory);
    if (slot === undefined) {
      // Opened without our hooks: state still works, but rolls and deletions are not seen.
      slot = { directory: log.directory, producerState: null, log: null, detachHighWatermark: null };
      this.slots.set(log.directory, slot);
    }
    if (slot.producerState !== null && slot.log === log) return slot.producerState;
    const producerState = new ProducerStateManager({
      directory: log.directory,
      fs: this.options.fs,
      config: this.config,
      logger: this.logger,
      partition: basename(log.directory),
    });
    rebuildProducerState(producerState, log, { nowMs: this.clock(), logger: this.logger, initialLoad: true });
    slot.detachHighWatermark?.();
    slot.producerState = producerState;
    slot.log = log;
    slot.detachHighWatermark = log.onHighWatermark((highWatermark) => producerState.onHighWatermarkUpdated(highWatermark));
    attached.set(log, producerState);
    return producerState;
  }

  /** Loads the producer state of every partition of `logs` (at broker start) and starts the expiration check. */
  loadAll(logs: Pick<LogManager, 'listTopics' | 'getLog'>): void {
    for (const topic of logs.listTopics()) {
      for (let partition = 0; partition < topic.partitions; partition++) {
        const log = logs.getLog(topic.name, partition);
        if (log !== undefined) this.forLog(log);
      }
    }
    this.startExpirationCheck();
  }

  /** Runs `removeExpiredProducers` every `producer.id.expiration.check.interval.ms`. */
  startExpirationCheck(): void {
    if (this.timer !== null || this.closed) return;
    const interval = this.options.producerIdExpirationCheckIntervalMs ?? DEFAULT_PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS;
    this.timer = setInterval(() => this.removeExpiredProducers(), interval);
    this.timer.unref();
  }

  /** One expiration pass over every loaded partition; returns how many producer ids were removed. */
  removeExpiredProducers(): number {
    const now = this.clock();
    let removed = 0;
    for (const producerState of this.live()) removed += producerState.removeExpiredProducers(now);
    return removed;
  }

  /** Applies a changed `producer.id.expiration.ms` (dynamic in Kafka) or producer bound to every partition. */
  updateConfig(config: Partial<ProducerStateManagerConfig>): void {
    this.config = { ...this.config, ...config };
    for (const slot of this.slots.values()) slot.producerState?.updateConfig(config);
  }

  /** Totals over every loaded partition (the `ProducerIdCount` gauge and seqlog's counters). */
  metrics(): ProducerStateMetrics {
    const total: ProducerStateMetrics = { producerIdCount: 0, evictedProducerIds: 0, expiredProducerIds: 0 };
    for (const producerState of this.live()) {
      const metrics = producerState.metrics;
      total.producerIdCount += metrics.producerIdCount;
      total.evictedProducerIds += metrics.evictedProducerIds;
      total.expiredProducerIds += metrics.expiredProducerIds;
    }
    return total;
  }

  /**
   * Clean shutdown: stops the expiration check and snapshots every partition at its map end offset (the log
   * end), so the next start loads it without replaying. Call after appends stop and before the logs close.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    for (const slot of this.slots.values()) {
      if (registryByDirectory.get(slot.directory) === this) registryByDirectory.delete(slot.directory);
      if (slot.producerState === null || slot.log === null) continue;
      slot.detachHighWatermark?.();
      slot.detachHighWatermark = null;
      if (slot.log.offline === null) takeSnapshotSafely(slot.producerState, this.logger);
    }
  }

  private *live(): Generator<ProducerStateManager> {
    for (const slot of this.slots.values()) {
      // A deleted topic's log is offline for good; its slot lingers until its directory is reused.
      if (slot.producerState !== null && slot.log !== null && slot.log.offline === null) yield slot.producerState;
    }
  }
}
