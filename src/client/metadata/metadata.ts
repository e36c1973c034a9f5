// The producer's view of the cluster (Kafka's `Metadata` / `ProducerMetadata`): which topics it uses, their
// partitions and leaders. Refreshes are single-flight and backed off; one is requested after
// NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE, a broken or refused connection to
// any node (the pool's onDisconnect), or when a topic is first used, and every `metadata.max.age.ms` regardless.
// Metadata requests ask for auto-creation, as the Java producer does.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { MetadataResponse } from '../../protocol/messages/generated/03-metadata.ts';
import { ErrorCode, errorName } from '../../protocol/errors/index.ts';
import type { ConnectionPool } from '../connection/connection-pool.ts';
import { ErrorKind, KafkaClientError } from '../errors/kafka-client-error.ts';

export interface PartitionMetadata {
  readonly partition: number;
  /** -1 when the partition has no leader right now. */
  readonly leaderId: number;
  readonly leaderEpoch: number;
}

export interface TopicMetadata {
  readonly topic: string;
  readonly errorCode: number;
  readonly partitions: readonly PartitionMetadata[];
  /** Partitions with a leader, for the sticky partitioner. */
  readonly availablePartitions: readonly number[];
}

const ZERO_UUID = Buffer.alloc(16);

export class Metadata {
  private readonly topics = new Map<string, TopicMetadata>();
  private readonly wanted = new Set<string>();
  private refreshing: Promise<void> | null = null;
  private updateRequested = false;
  private lastRefreshMs = 0;
  private lastAttemptMs = 0;
  private readonly waiters = new Set<() => void>();
  /** Bumped on every successful update. */
  version = 0;

  constructor(
    private readonly pool: ConnectionPool,
    private readonly retryBackoffMs: number,
    private readonly maxAgeMs: number,
    private readonly onUpdate: () => void,
  ) {
    // A lost or refused connection may mean a lost leader: refresh (backed off) instead of routing to it until
    // metadata.max.age.ms. Until the cluster fences the node, the answer may still name it; the next failed
    // attempt asks again.
    pool.onDisconnect(() => this.requestUpdate());
  }

  topic(name: string): TopicMetadata | undefined {
    return this.topics.get(name);
  }

  leaderFor(topic: string, partition: number): number {
    return this.topics.get(topic)?.partitions[partition]?.leaderId ?? -1;
  }

  /** Asks for a refresh soon (after the backoff since the last attempt). */
  requestUpdate(): void {
    this.updateRequested = true;
    this.maybeRefresh();
  }

  /** Starts a refresh when one is due and none is running. */
  maybeRefresh(): void {
    if (this.refreshing !== null || this.wanted.size === 0) return;
    const now = Date.now();
    const due = this.updateRequested || now - this.lastRefreshMs >= this.maxAgeMs;
    if (!due) return;
    const wait = this.lastAttemptMs + this.retryBackoffMs - now;
    this.refreshing = (async () => {
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      this.updateRequested = false;
      this.lastAttemptMs = Date.now();
      try {
        await this.fetch();
      } catch {
        this.updateRequested = true;
      }
    })().finally(() => {
      this.refreshing = null;
      for (const waiter of [...this.waiters]) waiter();
      if (this.updateRequested && this.hasWaitersOrMissing()) this.maybeRefresh();
    });
  }

  private hasWaitersOrMissing(): boolean {
    if (this.waiters.size > 0) return true;
    for (const topic of this.topics.values()) if (topic.availablePartitions.length < topic.partitions.length) return true;
    return false;
  }

  private async fetch(): Promise<void> {
    const connection = await this.pool.any();
    const version = connection.versionFor(ApiKey.Metadata, 4, 12);
    if (version === null) throw new KafkaClientError({ code: ErrorCode.UNSUPPORTED_VERSION, kind: ErrorKind.fatal, message: 'the broker serves no Metadata version in 4..12' });
    const response = await connection.send(ApiKey.Metadata, version, {
      topics: [...this.wanted].map((name) => ({ topicId: ZERO_UUID, name })),
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    this.apply(response);
  }

  private apply(response: MetadataResponse): void {
    this.pool.updateNodes(response.brokers);
    for (const topic of response.topics) {
      if (topic.name === null) continue;
      if (topic.errorCode !== ErrorCode.NONE) {
        // LEADER_NOT_AVAILABLE while a topic is being created, UNKNOWN_TOPIC_OR_PARTITION without auto-creation.
        const previous = this.topics.get(topic.name);
        if (previous === undefined || topic.errorCode !== ErrorCode.LEADER_NOT_AVAILABLE) {
          this.topics.set(topic.name, { topic: topic.name, errorCode: topic.errorCode, partitions: previous?.partitions ?? [], availablePartitions: previous?.availablePartitions ?? [] });
        }
        this.updateRequested = true;
        continue;
      }
      const partitions: PartitionMetadata[] = [];
      for (const partition of topic.partitions) {
        partitions[partition.partitionIndex] = {
          partition: partition.partitionIndex,
          leaderId: partition.errorCode === ErrorCode.LEADER_NOT_AVAILABLE ? -1 : partition.leaderId,
          leaderEpoch: partition.leaderEpoch,
        };
      }
      const available = partitions.filter((p) => p.leaderId >= 0).map((p) => p.partition);
      if (available.length < partitions.length) this.updateRequested = true;
      this.topics.set(topic.name, { topic: topic.name, errorCode: ErrorCode.NONE, partitions, availablePartitions: available });
    }
    this.lastRefreshMs = Date.now();
    this.version++;
    this.onUpdate();
  }

  /**
   * Metadata for a topic, fetching it first if needed (`KafkaProducer.waitOnMetadata`). Fails after
   * `maxBlockMs` or when `signal` aborts.
   */
  async waitForTopic(name: string, maxBlockMs: number, signal?: AbortSignal): Promise<TopicMetadata> {
    const known = this.topics.get(name);
    if (known !== undefined && known.partitions.length > 0 && known.errorCode === ErrorCode.NONE) return known;
    if (!this.wanted.has(name)) this.wanted.add(name);
    const deadline = Date.now() + maxBlockMs;
    for (;;) {
      signal?.throwIfAborted();
      const topic = this.topics.get(name);
      if (topic !== undefined && topic.partitions.length > 0 && topic.errorCode === ErrorCode.NONE) return topic;
      if (topic !== undefined && (topic.errorCode === ErrorCode.TOPIC_AUTHORIZATION_FAILED || topic.errorCode === ErrorCode.INVALID_TOPIC_EXCEPTION)) {
        throw new KafkaClientError({ code: topic.errorCode, kind: ErrorKind.abortable, message: `topic '${name}': ${errorName(topic.errorCode)}` });
      }
      const refused = this.pool.authenticationFailure();
      if (refused !== null) throw refused;
      const unreachable = this.pool.unreachable();
      if (unreachable !== null) {
        throw new KafkaClientError({ code: ErrorCode.NETWORK_EXCEPTION, kind: ErrorKind.retriable, message: `cannot fetch metadata for topic '${name}': ${unreachable.message}; check that the broker runs and that bootstrap is its address`, cause: unreachable });
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new KafkaClientError({
          code: ErrorCode.REQUEST_TIMED_OUT,
          kind: ErrorKind.retriable,
          message: `topic '${name}' not present in metadata after ${maxBlockMs} ms (max.block.ms); check the topic exists and the broker is reachable`,
        });
      }
      this.requestUpdate();
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.waiters.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(remaining, Math.max(this.retryBackoffMs, 50)));
        this.waiters.add(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  }

  /** Topics whose metadata should be fetched (the producer's topics). */
  addTopic(name: string): void {
    this.wanted.add(name);
  }
}
