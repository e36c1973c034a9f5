// Owns every partition log under one data directory (Kafka's `LogManager`): loads them all on start, creates
// and deletes topics, adds partitions, runs retention and recovery-point checkpoints on timers, and closes
// everything cleanly (each log writes its clean-shutdown marker and its producer-state snapshot). Every partition
// log owns its producer state; the manager only runs the periodic producer-id expiration over all of them
// (KIP-854, `producer.id.expiration.check.interval.ms`) and sums their metrics.
//
// Layout: `<dataDir>/topics.json` (topic metadata, see topic-store.ts) and one directory per partition,
// `<dataDir>/<topic>-<partition>/`.
import { ErrorCode } from '../../protocol/errors/error-table.ts';
import { join } from 'node:path';
import { BrokerError } from '../broker-error.ts';
import { defaultLogConfig, logConfigWithOverrides } from './log-config.ts';
import type { LogConfig } from './log-config.ts';

import { nodeFileSystem } from './log-file-system.ts';
import type { LogFileSystem } from './log-file-system.ts';
import { PartitionLog } from './partition-log.ts';
import type { LogLogger } from './partition-log.ts';
import type { ProducerStateManagerConfig, ProducerStateMetrics } from '../producer-state/producer-state-manager.ts';
import type { RecordsDecompressor } from './record-timestamps.ts';
import { loadTopics, newTopicId, saveTopics, topicIdToString } from './topic-store.ts';
import type { TopicMetadata } from './topic-store.ts';

export type { TopicMetadata } from './topic-store.ts';

export interface LogManagerOptions {
  dataDir: string;
  /** Broker-wide log defaults (`log.segment.bytes`, ...); topic overrides apply on top. */
  config?: Partial<LogConfig>;
  fs?: LogFileSystem;
  clock?: () => number;
  logger?: LogLogger;
  /** `log.retention.check.interval.ms`; default 300000. */
  retentionCheckIntervalMs?: number;
  /** `log.flush.offset.checkpoint.interval.ms`; default 60000. */
  recoveryPointCheckpointIntervalMs?: number;
  decompress?: RecordsDecompressor;
  /** Producer-state settings of every partition (`producer.id.expiration.ms`, the producer id bound). */
  producerState?: Partial<ProducerStateManagerConfig>;
  /** `producer.id.expiration.check.interval.ms`; default 600000. */
  producerIdExpirationCheckIntervalMs?: number;
  /** Told how long each partition-log fsync took, in ms (metrics). */
  onFlush?: (timeMs: number) => void;
  /** Told when a topic is deleted (its per-topic metrics go with it, as Kafka removes its BrokerTopicMetrics). */
  onTopicDeleted?: (name: string) => void;
  /** Awaited before a deleted topic's logs are removed (the log cleaner stops cleaning them first). */
  beforeLogsDeleted?: (logs: readonly PartitionLog[]) => Promise<void>;
}

/** `producer.id.expiration.check.interval.ms` default: 10 minutes. */
export const DEFAULT_PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS = 600_000;

export interface CreateTopicOptions {
  partitions: number;
  configs?: Record<string, string>;
}

/** Kafka's `Topic.MAX_NAME_LENGTH`. */
const MAX_TOPIC_NAME_LENGTH = 249;

/** Kafka's `Topic.validate`: 1-249 characters of [a-zA-Z0-9._-], and not '.' or '..'. */
export function validateTopicName(name: string): void {
  // Each refusal says which rule the name breaks, as Kafka's Topic.validate does.
  if (name.length === 0) throw new BrokerError(ErrorCode.INVALID_TOPIC_EXCEPTION, 'Topic name is illegal, it can\'t be empty');
  if (name === '.' || name === '..') throw new BrokerError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic name cannot be "." or ".."`);
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    throw new BrokerError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters (it has ${name.length}), topic name: ${name}`);
  }
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) {
    throw new BrokerError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`);
  }
}

/**
 * Kafka's `Topic.unifyCollisionChars`: '.' and '_' collide in metric names, so two topics that differ only there
 * cannot both exist (the controller answers INVALID_TOPIC_EXCEPTION to the second).
 */
export function topicCollisionKey(name: string): string {
  return name.replaceAll('.', '_');
}

/** Partition logs opened at once (start-up, topic creation). */
const OPEN_CONCURRENCY = 16;

/** Synchronous file-system calls made in a row before topic creation lets other work run. */
const FILE_SYSTEM_BATCH = 64;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function partitionDirectoryName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export class LogManager {
  readonly dataDir: string;
  private baseConfig: LogConfig;
  private readonly fs: LogFileSystem;
  private readonly options: LogManagerOptions;
  private readonly topicsByName = new Map<string, TopicMetadata>();
  /** Topic names by their `topicCollisionKey`. */
  private readonly topicsByCollisionKey = new Map<string, string>();
  private readonly logsByTopic = new Map<string, PartitionLog[]>();
  /** Topic-changing operations run one at a time: each awaits log opens, and two must not interleave. */
  private adminQueue: Promise<unknown> = Promise.resolve();
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;

  private constructor(options: LogManagerOptions) {
    this.options = options;
    this.dataDir = options.dataDir;
    this.baseConfig = { ...defaultLogConfig, ...options.config };
    this.fs = options.fs ?? nodeFileSystem;
  }

  /** Opens every partition log listed in `<dataDir>/topics.json` (recovering as needed). */
  static async open(options: LogManagerOptions): Promise<LogManager> {
    const manager = new LogManager(options);
    manager.fs.mkdir(manager.dataDir);
    const topics = loadTopics(manager.fs, manager.dataDir);
    try {
      for (const topic of topics) {
        const config = logConfigWithOverrides(manager.baseConfig, topic.configs, { stored: true });
        const logs: PartitionLog[] = [];
        manager.logsByTopic.set(topic.name, logs);
        await manager.openLogs(topic.name, 0, topic.partitions, config, logs);
        manager.topicsByName.set(topic.name, topic);
        manager.topicsByCollisionKey.set(topicCollisionKey(topic.name), topic.name);
      }
    } catch (error) {
      await manager.closeLogs();
      throw error;
    }
    manager.startTimers();
    return manager;
  }

  /** All topics, sorted by name. */
  listTopics(): TopicMetadata[] {
    return [...this.topicsByName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  topic(name: string): TopicMetadata | undefined {
    return this.topicsByName.get(name);
  }

  /**
   * INVALID_TOPIC_EXCEPTION when `name` is new but another topic differs from it only by '.' versus '_'
   * (Kafka's ReplicationControlManager refuses to create it).
   */
  checkTopicCollision(name: string): void {
    const existing = this.topicsByCollisionKey.get(topicCollisionKey(name));
    if (existing !== undefined && existing !== name) {
      throw new BrokerError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${name}' collides with existing topic: ${existing}`);
    }
  }

  topicById(topicId: Buffer): TopicMetadata | undefined {
    for (const topic of this.topicsByName.values()) if (topic.topicId.equals(topicId)) return topic;
    return undefined;
  }

  /** The log of one partition, or undefined when the topic or partition does not exist. */
  getLog(topic: string, partition: number): PartitionLog | undefined {
    if (!this.topicsByName.has(topic)) return undefined;
    return this.logsByTopic.get(topic)?.[partition];
  }

  /** The effective log config of a topic (broker defaults with its overrides). */
  topicConfig(name: string): LogConfig | undefined {
    const topic = this.topicsByName.get(name);
    return topic ? logConfigWithOverrides(this.baseConfig, topic.configs) : undefined;
  }

  /**
   * Creates a topic: validates name, partition count and configs (INVALID_TOPIC_EXCEPTION, INVALID_PARTITIONS,
   * INVALID_CONFIG, TOPIC_ALREADY_EXISTS), persists its metadata, then opens its partition logs.
   */
  createTopic(name: string, options: CreateTopicOptions): Promise<TopicMetadata> {
    return this.serialized(async () => {
      this.ensureOpen();
      validateTopicName(name);
      if (this.topicsByName.has(name)) throw new BrokerError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${name}' already exists`);
      this.checkTopicCollision(name);
      if (!Number.isInteger(options.partitions) || options.partitions < 1) {
        throw new BrokerError(ErrorCode.INVALID_PARTITIONS, `number of partitions must be at least 1, got ${options.partitions}`);
      }
      const configs = { ...options.configs };
      const config = logConfigWithOverrides(this.baseConfig, configs);
      const topic: TopicMetadata = { name, topicId: newTopicId(), partitions: options.partitions, configs };
      // A directory left by a deletion that crashed half-way must not leak old data into the new topic.
      await this.removePartitionDirectories(name, 0, topic.partitions);
      // Metadata first: after a crash the topic exists and its missing partition directories are created empty.
      saveTopics(this.fs, this.dataDir, [...this.topicsByName.values(), topic]);
      const logs: PartitionLog[] = [];
      this.logsByTopic.set(name, logs);
      try {
        await this.openLogs(name, 0, topic.partitions, config, logs);
      } catch (error) {
        this.logsByTopic.delete(name);
        for (const log of logs) await log.delete().catch(() => undefined);
        saveTopics(this.fs, this.dataDir, this.topicsByName.values());
        throw error;
      }
      this.topicsByName.set(name, topic);
      this.topicsByCollisionKey.set(topicCollisionKey(name), name);
      this.options.logger?.info({ topic: name, topicId: topicIdToString(topic.topicId), partitions: topic.partitions }, 'topic created');
      return topic;
    });
  }

  /** Deletes a topic and all its data (UNKNOWN_TOPIC_OR_PARTITION if it does not exist). */
  deleteTopic(name: string): Promise<void> {
    return this.serialized(async () => {
      this.ensureOpen();
      const topic = this.topicsByName.get(name);
      if (!topic) throw new BrokerError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic '${name}'`);
      this.topicsByName.delete(name);
      this.topicsByCollisionKey.delete(topicCollisionKey(name));
      this.options.onTopicDeleted?.(name);
      saveTopics(this.fs, this.dataDir, this.topicsByName.values());
      const logs = this.logsByTopic.get(name) ?? [];
      this.logsByTopic.delete(name);
      await this.options.beforeLogsDeleted?.(logs);
      for (const log of logs) await log.delete();
      this.options.logger?.info({ topic: name }, 'topic deleted');
    });
  }

  /** CreatePartitions: grows a topic to `totalCount` partitions (INVALID_PARTITIONS if not larger). */
  createPartitions(name: string, totalCount: number): Promise<TopicMetadata> {
    return this.serialized(async () => {
      this.ensureOpen();
      const topic = this.topicsByName.get(name);
      if (!topic) throw new BrokerError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic '${name}'`);
      if (!Number.isInteger(totalCount) || totalCount <= topic.partitions) {
        throw new BrokerError(
          ErrorCode.INVALID_PARTITIONS,
          `topic '${name}' has ${topic.partitions} partitions; the new count must be larger, got ${totalCount}`,
        );
      }
      const config = logConfigWithOverrides(this.baseConfig, topic.configs);
      const logs = this.logsByTopic.get(name) ?? [];
      await this.removePartitionDirectories(name, topic.partitions, totalCount);
      const updated: TopicMetadata = { ...topic, partitions: totalCount };
      saveTopics(this.fs, this.dataDir, [...this.topicsByName.values()].map((t) => (t.name === name ? updated : t)));
      await this.openLogs(name, topic.partitions, totalCount, config, logs);
      this.topicsByName.set(name, updated);
      return updated;
    });
  }

  /** Replaces a topic's config overrides (AlterConfigs) and applies them to its open logs. */
  setTopicConfigs(name: string, configs: Record<string, string>): Promise<TopicMetadata> {
    return this.updateTopicConfigs(name, () => configs);
  }

  /**
   * Computes a topic's new config overrides from its current ones and applies them (IncrementalAlterConfigs).
   * `update` runs inside the serialized section, so two concurrent alterations cannot lose each other's changes.
   */
  updateTopicConfigs(name: string, update: (current: Readonly<Record<string, string>>) => Record<string, string>): Promise<TopicMetadata> {
    return this.serialized(async () => {
      this.ensureOpen();
      const topic = this.topicsByName.get(name);
      if (!topic) throw new BrokerError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic '${name}'`);
      const configs = update(topic.configs);
      const config = logConfigWithOverrides(this.baseConfig, configs);
      const updated: TopicMetadata = { ...topic, configs: { ...configs } };
      saveTopics(this.fs, this.dataDir, [...this.topicsByName.values()].map((t) => (t.name === name ? updated : t)));
      this.topicsByName.set(name, updated);
      for (const log of this.logsByTopic.get(name) ?? []) log.updateConfig(config);
      return updated;
    });
  }

  /**
   * Replaces the broker-wide log defaults (a dynamic broker config changed, Kafka's `DynamicLogConfig`): every
   * topic's log gets the new defaults under its own overrides at once, without a restart.
   */
  updateDefaultConfig(config: Partial<LogConfig>): Promise<void> {
    return this.serialized(async () => {
      this.ensureOpen();
      this.baseConfig = { ...defaultLogConfig, ...config };
      for (const [name, topic] of this.topicsByName) {
        const effective = logConfigWithOverrides(this.baseConfig, topic.configs, { stored: true });
        for (const log of this.logsByTopic.get(name) ?? []) log.updateConfig(effective);
      }
    });
  }

  /** One retention pass over every log; returns the number of segments deleted. */
  runRetention(): number {
    let deleted = 0;
    for (const logs of this.logsByTopic.values()) {
      for (const log of logs) {
        try {
          deleted += log.deleteOldSegments();
        } catch (error) {
          this.options.logger?.error({ directory: log.directory, error }, 'retention failed');
        }
      }
    }
    return deleted;
  }

  /** One producer-id expiration pass over every partition (KIP-854); returns how many producer ids were removed. */
  removeExpiredProducers(): number {
    const now = (this.options.clock ?? Date.now)();
    let removed = 0;
    for (const log of this.onlineLogs()) removed += log.producerState.removeExpiredProducers(now);
    return removed;
  }

  /** Producer-state totals over every partition (Kafka's `ProducerIdCount` gauge and seqlog's counters). */
  producerStateMetrics(): ProducerStateMetrics {
    const total: ProducerStateMetrics = { producerIdCount: 0, evictedProducerIds: 0, expiredProducerIds: 0 };
    for (const log of this.onlineLogs()) {
      const metrics = log.producerState.metrics;
      total.producerIdCount += metrics.producerIdCount;
      total.evictedProducerIds += metrics.evictedProducerIds;
      total.expiredProducerIds += metrics.expiredProducerIds;
    }
    return total;
  }

  /**
   * Kafka's `PartitionsWithLateTransactionsCount` gauge: partitions whose oldest open transaction has been idle
   * longer than `transaction.max.timeout.ms` plus 5 minutes (a hanging transaction pinning the LSO).
   */
  partitionsWithLateTransactions(): number {
    const now = (this.options.clock ?? Date.now)();
    let count = 0;
    for (const log of this.onlineLogs()) if (log.producerState.hasLateTransaction(now)) count++;
    return count;
  }

  private *onlineLogs(): Generator<PartitionLog> {
    for (const logs of this.logsByTopic.values()) for (const log of logs) if (log.offline === null) yield log;
  }

  /** Writes every log's recovery-point checkpoint. */
  checkpointRecoveryPoints(): void {
    for (const logs of this.logsByTopic.values()) for (const log of logs) log.checkpointRecoveryPoint();
  }

  /** Stops the timers and closes every log cleanly. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.adminQueue.catch(() => undefined);
    await this.closeLogs();
  }

  private async closeLogs(): Promise<void> {
    const logs = [...this.logsByTopic.values()].flat();
    const results = await Promise.allSettled(logs.map((log) => log.close()));
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * Removes leftover directories of partitions [from, to) in small synchronous batches, yielding to the event loop
   * between them: a topic of thousands of partitions must not hold up every connection while it is created.
   */
  private async removePartitionDirectories(topic: string, from: number, to: number): Promise<void> {
    for (let partition = from; partition < to; partition++) {
      this.fs.removeDirectory(join(this.dataDir, partitionDirectoryName(topic, partition)));
      if ((partition - from) % FILE_SYSTEM_BATCH === FILE_SYSTEM_BATCH - 1) await yieldToEventLoop();
    }
  }

  /**
   * Opens partitions [from, to) of a topic into `logs[from..to)`, up to OPEN_CONCURRENCY at a time: opening waits
   * mostly on fsyncs, which the disk serves better together than one after another. On a failure the logs
   * opened so far are in `logs` (for the caller to close) and the first error is thrown once the others settle.
   */
  private async openLogs(topic: string, from: number, to: number, config: LogConfig, logs: PartitionLog[]): Promise<void> {
    // Opened into a private array and published whole: `logs` is visible to the periodic tasks (expiration,
    // checkpoints, metrics) while the opening awaits, and they must never meet a hole.
    const opening: (PartitionLog | undefined)[] = [];
    let next = from;
    let failure: unknown = null;
    const worker = async (): Promise<void> => {
      while (failure === null && next < to) {
        const partition = next++;
        try {
          opening[partition - from] = await this.openLog(topic, partition, config);
        } catch (error) {
          failure ??= error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(OPEN_CONCURRENCY, to - from) }, () => worker()));
    const opened = opening.filter((log): log is PartitionLog => log !== undefined);
    // After a failure only the opened logs are handed back, so that the caller's clean-up finds no gaps.
    logs.push(...opened);
    if (failure !== null) throw failure;
  }

  private openLog(topic: string, partition: number, config: LogConfig): Promise<PartitionLog> {
    return PartitionLog.open({
      directory: join(this.dataDir, partitionDirectoryName(topic, partition)),
      config,
      fs: this.fs,
      clock: this.options.clock,
      logger: this.options.logger,
      decompress: this.options.decompress,
      ...(this.options.onFlush === undefined ? {} : { onFlush: this.options.onFlush }),
      ...(this.options.producerState === undefined ? {} : { producerState: this.options.producerState }),
    });
  }

  private startTimers(): void {
    const retention = setInterval(() => this.runRetention(), this.options.retentionCheckIntervalMs ?? 300_000);
    const checkpoint = setInterval(() => this.checkpointRecoveryPoints(), this.options.recoveryPointCheckpointIntervalMs ?? 60_000);
    const expiration = setInterval(
      () => this.removeExpiredProducers(),
      this.options.producerIdExpirationCheckIntervalMs ?? DEFAULT_PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS,
    );
    retention.unref();
    checkpoint.unref();
    expiration.unref();
    this.timers.push(retention, checkpoint, expiration);
  }

  private serialized<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.adminQueue.then(operation, operation);
    this.adminQueue = result.catch(() => undefined);
    return result;
  }

  private ensureOpen(): void {
    if (this.closed) throw new BrokerError(ErrorCode.KAFKA_STORAGE_ERROR, 'the log manager is closed');
  }
}
