// The consumer: `new Consumer(options)`, `subscribe()` (a group) or `assign()` (manual partitions), then
// `for await (const record of consumer)` or `run({ eachRecord | eachBatch })`; `commit`, `seek`, `pause`/`resume`,
// `position`, `committed`, `assignment`, `lag`, `close`.
//
// Delivery is at-least-once by default: what is committed (by `commit()` without arguments and by auto-commit) is
// one past the last record whose handler returned (for the iterator: the record before the one `next()` asks
// for), never the fetch position. Auto-commit runs when records are asked for, every auto.commit.interval.ms, and
// before partitions are revoked and on close, as Java's ConsumerCoordinator does.
import { ErrorCode } from '../../protocol/errors/index.ts';
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ConnectionPool } from '../connection/connection-pool.ts';
import { Metadata } from '../metadata/metadata.ts';
import { resolveConsumerConfig, type ConsumerOptions, type ResolvedConsumerConfig } from '../config/consumer-config.ts';
import { ErrorKind, KafkaClientError } from '../errors/kafka-client-error.ts';
import { readPartitionFetch } from './completed-fetch.ts';
import { ConsumerCoordinator, type CoordinatorHooks, type OffsetAndMetadata } from './consumer-coordinator.ts';
import { ConsumerGroupHeartbeatCoordinator } from './consumer-group-heartbeat-coordinator.ts';
import { ConsumerRecord, type ConsumerBatch } from './consumer-record.ts';
import { Fetcher, type FetcherMetrics } from './fetcher.ts';
import type { ConsumerGroupMetadata } from '../transactions/txn-requests.ts';
import { PartitionState, partitionKey, type OffsetResetStrategy, type TopicPartition } from './partition-state.ts';
import { consumerMetricRegistry } from '../metrics/client-metric-registries.ts';
import type { Registry } from 'prom-client';

export interface RebalanceListener {
  /** Partitions given to this member (after their positions are known to be needed; before any record). */
  onPartitionsAssigned?(partitions: TopicPartition[]): void | Promise<void>;
  /** Partitions taken away in a rebalance; their offsets are already committed when auto-commit is on. */
  onPartitionsRevoked?(partitions: TopicPartition[]): void | Promise<void>;
  /** Partitions lost with the membership (session expired, fenced): another member may already own them. */
  onPartitionsLost?(partitions: TopicPartition[]): void | Promise<void>;
}

export interface TopicPartitionOffset extends TopicPartition {
  readonly offset: bigint;
}

export interface PartitionLag extends TopicPartition {
  /** Next offset to fetch (null until known). */
  readonly position: bigint | null;
  /** One past the last processed record: what a commit would store. */
  readonly consumed: bigint | null;
  readonly highWatermark: bigint;
  readonly lastStableOffset: bigint;
  /** Records not yet processed: end (LSO for read_committed, HW otherwise) minus consumed; null while unknown. */
  readonly lag: bigint | null;
}

export interface RunOptions {
  eachRecord?(record: ConsumerRecord): void | Promise<void>;
  eachBatch?(batch: ConsumerBatch): void | Promise<void>;
  /** Stops the loop (the consumer stays open). */
  signal?: AbortSignal;
}

export interface ConsumerMetrics extends FetcherMetrics {
  readonly abortedBatchesSkipped: number;
  readonly recordsDelivered: number;
}

/**
 * A subscription the broker resolves (KIP-848's `SubscribedTopicRegex`, Java's `SubscriptionPattern`): an RE2
 * regular expression matched against whole topic names, by the broker, as topics come and go. Only with
 * groupProtocol 'consumer'; a RegExp subscription is resolved by the consumer itself under both protocols.
 */
export interface SubscriptionPattern {
  readonly regex: string;
}

type SubscriptionMode = 'none' | 'topics' | 'pattern' | 'regex' | 'manual';

export class Consumer implements AsyncIterable<ConsumerRecord> {
  readonly config: ResolvedConsumerConfig;
  private readonly pool: ConnectionPool;
  private readonly metadata: Metadata;
  private readonly fetcher: Fetcher;
  private readonly coordinator: ConsumerCoordinator | null;
  private readonly assigned = new Map<string, PartitionState>();
  private mode: SubscriptionMode = 'none';
  private topics: string[] = [];
  private pattern: RegExp | null = null;
  private regex: string | null = null;
  private patternCheckedMs = 0;
  private listener: RebalanceListener = {};
  private waiters: (() => void)[] = [];
  private failure: KafkaClientError | null = null;
  private closed = false;
  private nextAutoCommitMs: number;
  private abortedBatchesSkipped = 0;
  private recordsDelivered = 0;
  private registry: Registry | undefined;
  /** The batch the iterator is walking and its next index. */
  private current: { batch: ConsumerBatch; nextOffset: bigint; index: number } | null = null;
  private running = false;

  constructor(options: ConsumerOptions) {
    this.config = resolveConsumerConfig(options);
    this.pool = new ConnectionPool({
      clientId: this.config.clientId,
      bootstrap: this.config.bootstrap,
      connectTimeoutMs: this.config.requestTimeoutMs,
      reconnectBackoffMs: this.config.reconnectBackoffMs,
      reconnectBackoffMaxMs: this.config.reconnectBackoffMaxMs,
      security: this.config.security,
      onChange: () => this.fetcher.maybeSend(),
    });
    this.metadata = new Metadata(this.pool, this.config.retryBackoffMs, this.config.metadataMaxAgeMs, () => {
      this.coordinator?.checkPartitionCounts((topic) => {
        const known = this.metadata.topic(topic);
        return known === undefined || known.partitions.length === 0 ? undefined : known.partitions.length;
      });
      this.fetcher.maybeSend();
      this.wakeup();
    });
    this.fetcher = new Fetcher(this.config, this.pool, this.metadata, {
      assigned: () => this.assigned,
      wakeup: () => this.wakeup(),
      fail: (error) => {
        this.failure = error;
        this.wakeup();
      },
    });
    this.nextAutoCommitMs = Date.now() + this.config.autoCommitIntervalMs;
    const groupId = this.config.groupId;
    const hooks: CoordinatorHooks = {
      subscribedTopics: () => this.subscribedTopics(),
      subscribedRegex: () => this.regex,
      owned: () => [...this.assigned.values()].map(({ topic, partition }) => ({ topic, partition })),
      partitionCount: async (topic) => {
        try {
          return (await this.metadata.waitForTopic(topic, this.config.requestTimeoutMs)).partitions.length;
        } catch {
          return null;
        }
      },
      revokeBeforeJoin: (lost) => this.revokeAll(lost),
      assigned: (partitions, cooperative) => this.onAssignment(partitions, cooperative),
      wakeup: () => this.wakeup(),
    };
    // group.protocol: the classic JoinGroup/SyncGroup protocol, or KIP-848's ConsumerGroupHeartbeat.
    const Protocol = this.config.groupProtocol === 'consumer' ? ConsumerGroupHeartbeatCoordinator : ConsumerCoordinator;
    this.coordinator = groupId === null ? null : new Protocol({ ...this.config, groupId }, this.pool, hooks);
  }

  // ---- subscription -------------------------------------------------------------------------------------------

  /** Joins the group (group.id required) for these topics, or every topic matching a pattern. */
  subscribe(topics: string | readonly string[] | RegExp | SubscriptionPattern, listener: RebalanceListener = {}): void {
    this.ensureOpen();
    if (this.coordinator === null) throw KafkaClientError.config('subscribe() needs group.id; use assign() without a group', 'consumer');
    if (this.mode === 'manual') throw KafkaClientError.config('subscribe() after assign(): call unsubscribe() first (Java: IllegalStateException)', 'consumer');
    this.listener = listener;
    this.regex = null;
    if (typeof topics === 'object' && !(topics instanceof RegExp) && !Array.isArray(topics) && 'regex' in topics) {
      if (this.config.groupProtocol !== 'consumer') throw KafkaClientError.config('subscribe({ regex }) is resolved by the broker and needs groupProtocol \'consumer\' (KIP-848); use a RegExp with the classic protocol', 'consumer');
      if (typeof topics.regex !== 'string' || topics.regex.length === 0) throw KafkaClientError.config('subscribe({ regex }) needs a non-empty regular expression', 'consumer');
      this.mode = 'regex';
      this.regex = topics.regex;
      this.pattern = null;
      this.topics = [];
    } else if (topics instanceof RegExp) {
      this.mode = 'pattern';
      this.pattern = topics;
      this.topics = [];
      this.patternCheckedMs = 0;
    } else {
      this.mode = 'topics';
      this.pattern = null;
      this.topics = [...new Set(typeof topics === 'string' ? [topics] : topics as readonly string[])];
      for (const topic of this.topics) this.metadata.addTopic(topic);
    }
    this.coordinator.requestRejoin();
  }

  /** Manual assignment: no group membership, no rebalances (commits still go to group.id when set). */
  assign(partitions: readonly TopicPartition[]): void {
    this.ensureOpen();
    if (this.subscribed) throw KafkaClientError.config('assign() after subscribe(): call unsubscribe() first', 'consumer');
    this.mode = 'manual';
    const wanted = new Set(partitions.map((tp) => partitionKey(tp.topic, tp.partition)));
    for (const key of [...this.assigned.keys()]) if (!wanted.has(key)) this.assigned.delete(key);
    for (const tp of partitions) {
      const key = partitionKey(tp.topic, tp.partition);
      if (!this.assigned.has(key)) this.assigned.set(key, new PartitionState(tp.topic, tp.partition));
      this.metadata.addTopic(tp.topic);
    }
    this.dropStale();
    this.wakeup();
  }

  async unsubscribe(): Promise<void> {
    if (this.coordinator !== null && this.subscribed) {
      await this.revokeAll(false);
      await this.coordinator.leave('the consumer unsubscribed');
    }
    this.assigned.clear();
    this.dropStale();
    this.mode = 'none';
    this.topics = [];
    this.pattern = null;
    this.regex = null;
  }

  /**
   * The group generation this consumer belongs to, for a transactional producer's `sendOffsets` (Kafka's
   * `KafkaConsumer.groupMetadata()`, KIP-447): the coordinator refuses offsets from a member of an older
   * generation, which is what fences a consumer that lost its partitions in a rebalance.
   * With groupProtocol 'consumer' the generation is the member epoch (KIP-848).
   */
  groupMetadata(): ConsumerGroupMetadata {
    if (this.coordinator === null) throw KafkaClientError.config('groupMetadata() needs group.id', 'consumer');
    return {
      groupId: this.config.groupId ?? '',
      generationId: this.coordinator.joinedGeneration.generationId,
      memberId: this.coordinator.joinedGeneration.memberId,
      groupInstanceId: this.config.groupInstanceId,
    };
  }

  /** The partitions this consumer owns now. */
  assignment(): TopicPartition[] {
    return [...this.assigned.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  private get subscribed(): boolean {
    return this.mode === 'topics' || this.mode === 'pattern' || this.mode === 'regex';
  }

  private subscribedTopics(): string[] {
    return [...this.topics].sort();
  }

  // ---- positions ----------------------------------------------------------------------------------------------

  private stateOf(tp: TopicPartition, what: string): PartitionState {
    const state = this.assigned.get(partitionKey(tp.topic, tp.partition));
    if (state === undefined) throw new KafkaClientError({ code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, kind: ErrorKind.abortable, message: `${what}: ${tp.topic}-${tp.partition} is not assigned to this consumer` });
    return state;
  }

  /** Moves where the next fetch of a partition starts (an offset, or 'earliest'/'latest'). */
  seek(target: TopicPartition & { offset: bigint | OffsetResetStrategy }): void {
    const state = this.stateOf(target, 'seek');
    if (typeof target.offset === 'bigint') {
      if (target.offset < 0n) throw KafkaClientError.config(`seek offset must be >= 0, got ${target.offset}`, 'consumer');
      state.moveTo(target.offset);
    } else {
      state.position = null;
      state.fetchPosition = null;
      state.resetTo = target.offset;
      state.epoch++;
    }
    this.dropStale();
    this.wakeup();
  }

  /** The next offset this consumer will fetch for a partition (null until known). */
  position(tp: TopicPartition): bigint | null {
    return this.stateOf(tp, 'position').position;
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) {
      const state = this.stateOf(tp, 'pause');
      state.paused = true;
      state.dropFetched();
    }
    this.dropStale();
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.stateOf(tp, 'resume').paused = false;
    this.fetcher.maybeSend();
    this.wakeup();
  }

  paused(): TopicPartition[] {
    return [...this.assigned.values()].filter((state) => state.paused).map(({ topic, partition }) => ({ topic, partition }));
  }

  /** Per-partition lag as of the last fetch. */
  lag(): PartitionLag[] {
    return [...this.assigned.values()].map((state) => {
      const end = this.config.isolationLevel === 1 ? state.lastStableOffset : state.highWatermark;
      const from = state.consumed ?? state.position;
      return {
        topic: state.topic,
        partition: state.partition,
        position: state.position,
        consumed: state.consumed,
        highWatermark: state.highWatermark,
        lastStableOffset: state.lastStableOffset,
        lag: end >= 0n && from !== null ? (end > from ? end - from : 0n) : null,
      };
    });
  }

  metrics(): ConsumerMetrics {
    return { ...this.fetcher.metrics, abortedBatchesSkipped: this.abortedBatchesSkipped, recordsDelivered: this.recordsDelivered };
  }

  /**
   * This consumer's prom-client registry (its own): records consumed and per-partition lag under the Java
   * consumer's JMX names as the JMX exporter maps them (`records-lag` -> `..._records_lag`).
   */
  get metricRegistry(): Registry {
    this.registry ??= consumerMetricRegistry(this.config.clientId, () => ({
      recordsDelivered: this.recordsDelivered,
      abortedBatchesSkipped: this.abortedBatchesSkipped,
      lag: this.lag(),
    }));
    return this.registry;
  }

  /** Drops buffered data and the iterator's batch for partitions that were sought, paused or revoked. */
  private dropStale(): void {
    this.fetcher.discard(({ state, epoch }) => this.assigned.get(state.key) === state && !state.paused && state.epoch === epoch);
    if (this.current !== null) {
      const { batch } = this.current;
      const state = this.assigned.get(partitionKey(batch.topic, batch.partition));
      if (state === undefined || state.paused || state.position !== this.current.nextOffset) this.current = null;
    }
  }

  // ---- commits ------------------------------------------------------------------------------------------------

  /**
   * Commits offsets synchronously: the given ones, or, without arguments, one past the last processed record of
   * every owned partition (at-least-once). The offset committed is the next record to read, as in Kafka.
   */
  async commit(offsets?: readonly TopicPartitionOffset[]): Promise<void> {
    this.ensureOpen();
    const coordinator = this.requireGroup('commit');
    const map = new Map<string, TopicPartitionOffset>();
    if (offsets !== undefined) {
      for (const entry of offsets) map.set(partitionKey(entry.topic, entry.partition), entry);
    } else {
      for (const state of this.assigned.values()) {
        if (state.consumed !== null && state.consumed !== state.lastCommitted) map.set(state.key, { topic: state.topic, partition: state.partition, offset: state.consumed });
      }
    }
    await coordinator.commit(map, this.subscribed);
    for (const [key, entry] of map) {
      const state = this.assigned.get(key);
      if (state !== undefined) state.lastCommitted = entry.offset;
    }
  }

  /** The group's committed offsets for these partitions (absent when none is committed). */
  async committed(partitions: readonly TopicPartition[]): Promise<(TopicPartition & OffsetAndMetadata)[]> {
    const found = await this.requireGroup('committed').fetchCommitted(partitions);
    return [...found.values()];
  }

  private requireGroup(what: string): ConsumerCoordinator {
    if (this.coordinator === null) throw KafkaClientError.config(`${what}() needs group.id`, 'consumer');
    return this.coordinator;
  }

  private async maybeAutoCommit(): Promise<void> {
    if (!this.config.enableAutoCommit || Date.now() < this.nextAutoCommitMs) return;
    this.nextAutoCommitMs = Date.now() + this.config.autoCommitIntervalMs;
    try {
      await this.commit();
    } catch {
      // ConsumerCoordinator.maybeAutoCommitOffsetsAsync only logs: the next interval commits again.
    }
  }

  // ---- rebalance callbacks ------------------------------------------------------------------------------------

  private async revokeAll(lost: boolean): Promise<void> {
    const partitions = this.assignment();
    if (partitions.length === 0) return;
    if (!lost && this.config.enableAutoCommit) {
      // Commit before giving the partitions up (ConsumerCoordinator.onJoinPrepare).
      try {
        await this.commit();
      } catch {
        // The generation may already be gone; the records will be redelivered (at-least-once).
      }
    }
    if (lost) await this.listener.onPartitionsLost?.(partitions);
    else await this.listener.onPartitionsRevoked?.(partitions);
    this.assigned.clear();
    this.dropStale();
  }

  private async onAssignment(partitions: TopicPartition[], cooperative: boolean): Promise<void> {
    const next = new Set(partitions.map((tp) => partitionKey(tp.topic, tp.partition)));
    const revoked = [...this.assigned.values()].filter((state) => !next.has(state.key));
    if (revoked.length > 0) {
      const list = revoked.map(({ topic, partition }) => ({ topic, partition }));
      if (this.config.enableAutoCommit) {
        try {
          await this.commit(revoked.filter((s) => s.consumed !== null && s.consumed !== s.lastCommitted).map((s) => ({ topic: s.topic, partition: s.partition, offset: s.consumed as bigint })));
        } catch {
          // see revokeAll
        }
      }
      await this.listener.onPartitionsRevoked?.(list);
      for (const state of revoked) this.assigned.delete(state.key);
      this.dropStale();
      // KIP-429: revoked partitions are handed to their new owner in a follow-up rebalance.
      if (cooperative) this.coordinator?.requestRejoin();
    }
    const added: TopicPartition[] = [];
    for (const tp of partitions) {
      const key = partitionKey(tp.topic, tp.partition);
      if (this.assigned.has(key)) continue;
      this.assigned.set(key, new PartitionState(tp.topic, tp.partition));
      this.metadata.addTopic(tp.topic);
      added.push(tp);
    }
    await this.listener.onPartitionsAssigned?.(added);
  }

  // ---- polling ------------------------------------------------------------------------------------------------

  private wakeup(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }

  private waitForWakeup(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.waiters.push(done);
    });
  }

  private ensureOpen(): void {
    if (this.closed) throw new KafkaClientError({ code: ErrorCode.UNKNOWN_SERVER_ERROR, kind: ErrorKind.fatal, message: 'the consumer is closed; create a new one' });
  }

  /** Keeps the pattern subscription in step with the cluster's topics (every metadata.max.age.ms). */
  private async refreshPattern(): Promise<void> {
    if (this.mode !== 'pattern' || this.pattern === null || Date.now() - this.patternCheckedMs < this.config.metadataMaxAgeMs) return;
    this.patternCheckedMs = Date.now();
    const connection = await this.pool.any();
    const version = connection.versionFor(ApiKey.Metadata, 4, 12) ?? 4;
    const response = await connection.send(ApiKey.Metadata, version, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    const matched = response.topics.filter((t) => t.name !== null && !t.isInternal && t.errorCode === 0 && (this.pattern as RegExp).test(t.name)).map((t) => t.name as string).sort();
    if (matched.join('\u0000') !== this.subscribedTopics().join('\u0000')) {
      this.topics = matched;
      for (const topic of matched) this.metadata.addTopic(topic);
      this.coordinator?.requestRejoin();
    }
  }

  /** Starting positions: the committed offset, else auto.offset.reset (`updateFetchPositions`). */
  private async updateFetchPositions(): Promise<void> {
    const missing = [...this.assigned.values()].filter((state) => state.position === null && state.resetTo === null);
    if (missing.length > 0) {
      const committed = this.coordinator !== null ? await this.coordinator.fetchCommitted(missing) : new Map<string, OffsetAndMetadata>();
      for (const state of missing) {
        if (this.assigned.get(state.key) !== state || state.position !== null) continue;
        const found = committed.get(state.key);
        if (found !== undefined) {
          state.moveTo(found.offset);
          state.lastCommitted = found.offset;
        } else if (this.config.autoOffsetReset === 'none') {
          throw new KafkaClientError({ code: ErrorCode.OFFSET_OUT_OF_RANGE, kind: ErrorKind.abortable, message: `no committed offset for ${state.topic}-${state.partition} and auto.offset.reset is 'none'; seek() first` });
        } else {
          state.resetTo = this.config.autoOffsetReset;
        }
      }
    }
    const toReset = [...this.assigned.values()].filter((state) => state.resetTo !== null && state.backoffUntilMs <= Date.now());
    if (toReset.length > 0) await this.resetOffsets(toReset);
  }

  /** ListOffsets for the partitions due a reset; a failure backs the partition off and refreshes metadata. */
  private async resetOffsets(states: PartitionState[]): Promise<void> {
    const asked = new Map(states.map((state) => [state.key, state.resetTo]));
    const groups = new Map<OffsetResetStrategy, PartitionState[]>();
    for (const state of states) groups.set(state.resetTo as OffsetResetStrategy, [...(groups.get(state.resetTo as OffsetResetStrategy) ?? []), state]);
    for (const [strategy, list] of groups) {
      const found = await this.listOffsets(list, strategy);
      for (const state of list) {
        // Skip when a seek or revoke happened meanwhile.
        if (this.assigned.get(state.key) !== state || state.resetTo === null || state.resetTo !== asked.get(state.key)) continue;
        const offset = found.get(state.key);
        if (offset !== undefined) state.moveTo(offset);
        else state.backoffUntilMs = Date.now() + this.config.retryBackoffMs;
      }
    }
  }

  /**
   * ListOffsets to each partition's leader: earliest (-2) is the log start offset, latest (-1) the end a reader
   * of this isolation level sees (the LSO for read_committed, the high watermark otherwise). Partitions whose
   * leader failed to answer are missing from the result (metadata is refreshed).
   */
  private async listOffsets(partitions: readonly TopicPartition[], strategy: OffsetResetStrategy): Promise<Map<string, bigint>> {
    const result = new Map<string, bigint>();
    const byLeader = new Map<number, TopicPartition[]>();
    for (const tp of partitions) {
      let leader = this.metadata.leaderFor(tp.topic, tp.partition);
      if (leader < 0) {
        try {
          await this.metadata.waitForTopic(tp.topic, this.config.requestTimeoutMs);
        } catch {
          continue;
        }
        leader = this.metadata.leaderFor(tp.topic, tp.partition);
        if (leader < 0) continue;
      }
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), tp]);
    }
    await Promise.all([...byLeader].map(async ([leader, list]) => {
      try {
        const connection = await this.pool.connect(leader);
        const version = connection.versionFor(ApiKey.ListOffsets, 2, 7);
        if (version === null) throw new KafkaClientError({ code: ErrorCode.UNSUPPORTED_VERSION, kind: ErrorKind.fatal, message: 'the broker serves no ListOffsets 2..7' });
        const topics = new Map<string, number[]>();
        for (const tp of list) topics.set(tp.topic, [...(topics.get(tp.topic) ?? []), tp.partition]);
        const response = await connection.send(ApiKey.ListOffsets, version, {
          replicaId: -1,
          isolationLevel: this.config.isolationLevel,
          timeoutMs: this.config.requestTimeoutMs,
          topics: [...topics].map(([name, indexes]) => ({
            name,
            partitions: indexes.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: strategy === 'earliest' ? -2n : -1n, maxNumOffsets: 1 })),
          })),
        });
        for (const topic of response.topics) {
          for (const partition of topic.partitions) {
            if (partition.errorCode === ErrorCode.NONE) result.set(partitionKey(topic.name, partition.partitionIndex), partition.offset);
            else this.metadata.requestUpdate();
          }
        }
      } catch (error) {
        if (error instanceof KafkaClientError && error.kind === ErrorKind.fatal) throw error;
        this.metadata.requestUpdate();
      }
    }));
    return result;
  }

  /** The first offset of each partition (Java's `beginningOffsets`). */
  async beginningOffsets(partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    return this.offsetsWithRetry(partitions, 'earliest');
  }

  /** The end of each partition for this consumer's isolation level: the LSO or the high watermark (`endOffsets`). */
  async endOffsets(partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    return this.offsetsWithRetry(partitions, 'latest');
  }

  private async offsetsWithRetry(partitions: readonly TopicPartition[], strategy: OffsetResetStrategy): Promise<TopicPartitionOffset[]> {
    this.ensureOpen();
    const deadline = Date.now() + this.config.requestTimeoutMs;
    const found = new Map<string, bigint>();
    for (;;) {
      const missing = partitions.filter((tp) => !found.has(partitionKey(tp.topic, tp.partition)));
      for (const [key, offset] of await this.listOffsets(missing, strategy)) found.set(key, offset);
      if (found.size >= new Set(partitions.map((tp) => partitionKey(tp.topic, tp.partition))).size) break;
      if (Date.now() > deadline) throw new KafkaClientError({ code: ErrorCode.REQUEST_TIMED_OUT, kind: ErrorKind.retriable, message: `no ${strategy} offsets for every partition within request.timeout.ms` });
      await new Promise((resolve) => setTimeout(resolve, this.config.retryBackoffMs));
    }
    return partitions.map((tp) => ({ topic: tp.topic, partition: tp.partition, offset: found.get(partitionKey(tp.topic, tp.partition)) as bigint }));
  }

  /** The partition numbers of a topic, from metadata (Java's `partitionsFor`). */
  async partitionsFor(topic: string): Promise<number[]> {
    this.ensureOpen();
    this.metadata.addTopic(topic);
    const found = await this.metadata.waitForTopic(topic, this.config.requestTimeoutMs);
    return found.partitions.map((p) => p.partition).sort((a, b) => a - b);
  }

  /**
   * The next batch of records of one partition, waiting for one while the consumer is open (and `signal` has not
   * aborted). Group work (join, rebalance, auto-commit) happens here, between batches, never during a handler.
   */
  async nextBatch(signal?: AbortSignal): Promise<ConsumerBatch | null> {
    for (;;) {
      if (this.closed || signal?.aborted) return null;
      if (this.failure !== null) {
        const failure = this.failure;
        this.failure = null;
        throw failure;
      }
      // metadata.max.age.ms: leaders and partition counts are refreshed even when nothing fails.
      this.metadata.maybeRefresh();
      if (this.coordinator !== null && this.subscribed) {
        await this.refreshPattern();
        await this.coordinator.ensureActiveGroup();
        if (this.closed) return null;
      }
      if (this.coordinator !== null) await this.maybeAutoCommit();
      await this.updateFetchPositions();
      for (let completed = this.fetcher.take(); completed !== undefined; completed = this.fetcher.take()) {
        const { state, fetchOffset, data } = completed;
        if (this.assigned.get(state.key) !== state || state.paused || state.epoch !== completed.epoch || state.position !== fetchOffset) continue;
        let result;
        try {
          result = readPartitionFetch({
            topic: state.topic,
            partition: state.partition,
            fetchOffset,
            records: data.records,
            abortedTransactions: data.abortedTransactions,
            readCommitted: this.config.isolationLevel === 1,
            lastStableOffset: data.lastStableOffset,
            checkCrcs: this.config.checkCrcs,
          });
        } catch (error) {
          // CompletedFetch: corrupt data is the application's to decide (seek past it, or stop). What was fetched
          // after it is dropped, so that nothing beyond the unreadable batch is delivered by accident.
          state.dropFetched();
          this.dropStale();
          this.fetcher.maybeSend();
          throw new KafkaClientError({ code: ErrorCode.CORRUPT_MESSAGE, kind: ErrorKind.abortable, message: `records of ${state.topic}-${state.partition} at offset ${fetchOffset} cannot be read: ${(error as Error).message}; seek() past them to continue`, cause: error });
        }
        this.abortedBatchesSkipped += result.abortedBatchesSkipped;
        state.position = result.nextFetchOffset;
        if (result.records.length === 0) {
          // Only aborted or control batches: everything before the position is done with.
          if (state.consumed === fetchOffset) state.consumed = result.nextFetchOffset;
          continue;
        }
        this.fetcher.maybeSend();
        this.recordsDelivered += result.records.length;
        return { topic: state.topic, partition: state.partition, records: result.records, highWatermark: state.highWatermark, lastStableOffset: state.lastStableOffset, nextOffset: result.nextFetchOffset };
      }
      this.fetcher.maybeSend();
      await this.waitForWakeup(Math.min(this.config.heartbeatIntervalMs, 1000), signal);
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ConsumerRecord> {
    for (;;) {
      if (this.coordinator?.lostMembership === true) this.current = null;
      if (this.current === null || this.current.index >= this.current.batch.records.length) {
        this.current = null;
        const batch = await this.nextBatch();
        if (batch === null) return;
        this.current = { batch, nextOffset: batch.nextOffset, index: 0 };
      }
      const current = this.current;
      const record = current.batch.records[current.index++];
      yield record;
      // The caller asked for the next record: this one is processed.
      const last = current.index === current.batch.records.length;
      const state = this.assigned.get(partitionKey(record.topic, record.partition));
      if (state !== undefined && (this.current === current || last)) {
        state.consumed = last && state.position === current.nextOffset ? current.nextOffset : record.offset + 1n;
      }
      if (this.coordinator !== null) this.coordinator.lastPollMs = Date.now();
    }
  }

  /**
   * Runs handlers until `close()` or `signal` aborts. A handler that throws stops the loop with its error; the
   * failed record (or batch) is not marked processed and the partition is sought back to it, so it is delivered
   * again by the next `run` or iteration.
   */
  async run(options: RunOptions): Promise<void> {
    if ((options.eachRecord === undefined) === (options.eachBatch === undefined)) throw KafkaClientError.config('run() needs exactly one of eachRecord or eachBatch', 'consumer');
    if (this.running) throw KafkaClientError.config('run() is already running', 'consumer');
    this.running = true;
    try {
      for (;;) {
        const batch = await this.nextBatch(options.signal);
        if (batch === null) return;
        const state = this.assigned.get(partitionKey(batch.topic, batch.partition));
        if (options.eachBatch !== undefined) {
          try {
            await options.eachBatch(batch);
          } catch (error) {
            if (state !== undefined && this.assigned.get(state.key) === state) this.seek({ topic: batch.topic, partition: batch.partition, offset: batch.records[0].offset });
            throw error;
          }
          if (state !== undefined && this.assigned.get(state.key) === state) state.consumed = state.position === batch.nextOffset ? batch.nextOffset : batch.records[batch.records.length - 1].offset + 1n;
        } else {
          for (let i = 0; i < batch.records.length; i++) {
            const record = batch.records[i];
            if (state === undefined || this.assigned.get(state.key) !== state || state.position !== batch.nextOffset || state.paused) break;
            // Another member may own the partition already: stop handing out its records (they are not committed).
            if (this.coordinator?.lostMembership === true) break;
            try {
              await (options.eachRecord as (record: ConsumerRecord) => void | Promise<void>)(record);
            } catch (error) {
              if (this.assigned.get(state.key) === state) this.seek({ topic: record.topic, partition: record.partition, offset: record.offset });
              throw error;
            }
            if (this.assigned.get(state.key) === state) state.consumed = i === batch.records.length - 1 && state.position === batch.nextOffset ? batch.nextOffset : record.offset + 1n;
          }
        }
        if (this.coordinator !== null) this.coordinator.lastPollMs = Date.now();
      }
    } finally {
      this.running = false;
    }
  }

  /** Commits processed offsets (auto-commit on), revokes, leaves the group (dynamic members), closes connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.coordinator !== null && this.subscribed && this.coordinator.generationId >= 0) {
      try {
        await this.revokeAll(false);
      } catch {
        // closing anyway
      }
      await this.coordinator.leave('the consumer is closing');
    } else if (this.coordinator !== null && this.config.enableAutoCommit) {
      try {
        await this.commit();
      } catch {
        // closing anyway
      }
    }
    this.closed = true;
    this.coordinator?.close();
    this.fetcher.close();
    this.pool.close();
    this.wakeup();
  }
}
