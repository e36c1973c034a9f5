// Committed offsets in memory, after Kafka's `OffsetMetadataManager`: group -> topic -> partition ->
// OffsetAndMetadata, what OffsetFetch reads and what the offsets log replays into.
//
// Transactional offsets (TxnOffsetCommit, KIP-98/447) are kept per producer id, as Kafka's
// `pendingTransactionalOffsets`, and move into the committed map when the producer's COMMIT marker reaches the
// group (dropped on ABORT); until then `hasPendingTransactionalOffsets` is true for their partitions, OffsetFetch
// with RequireStable answers UNSTABLE_OFFSET_COMMIT for them, and expiry spares them.
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { OffsetAndMetadata } from './offset-store.ts';

/** `OffsetFetchResponse.INVALID_OFFSET`: no committed offset. */
export const INVALID_OFFSET = -1n;
export const NO_LEADER_EPOCH = -1;
/** `OffsetFetchResponse.NO_METADATA` */
export const NO_METADATA = '';

/** One fetched partition, in the shape of `OffsetFetchResponsePartitions`. */
export interface FetchedPartitionOffset {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

export interface FetchedTopicOffsets {
  name: string;
  partitions: FetchedPartitionOffset[];
}

/**
 * Kafka's `OffsetExpirationCondition`: the time an offset's retention is counted from (its commit, or when its
 * group became Empty). Null: the group's offsets do not expire in its current state.
 */
export type OffsetExpirationBase = ((offset: OffsetAndMetadata) => number) | null;

/** `OffsetExpirationConditionImpl.isOffsetExpired`: an explicit v2-4 expiry wins over the broker's retention. */
export function isOffsetExpired(offset: OffsetAndMetadata, baseTimestampMs: number, nowMs: number, retentionMs: number): boolean {
  if (offset.expireTimestampMs !== null) return nowMs >= offset.expireTimestampMs;
  return nowMs - baseTimestampMs >= retentionMs;
}

export interface ExpiredOffsets {
  readonly expired: readonly { readonly topic: string; readonly partition: number }[];
  /** Nothing is left and no transaction holds an offset of the group: an Empty group may go. */
  readonly allExpired: boolean;
}

export interface RequestedTopic {
  name: string;
  partitionIndexes: readonly number[];
}

interface PendingOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: OffsetAndMetadata;
}

function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export class OffsetMetadataManager {
  private readonly offsetsByGroup = new Map<string, Map<string, Map<number, OffsetAndMetadata>>>();
  /** producer id -> group -> `topic\0partition` -> pending offset. */
  private readonly pendingByProducer = new Map<bigint, Map<string, Map<string, PendingOffset>>>();
  /** group -> `topic\0partition` -> producers with a pending offset there (for RequireStable). */
  private readonly pendingProducersByPartition = new Map<string, Map<string, Set<bigint>>>();

  get(groupId: string, topic: string, partition: number): OffsetAndMetadata | undefined {
    return this.offsetsByGroup.get(groupId)?.get(topic)?.get(partition);
  }

  hasCommittedOffset(groupId: string, topic: string, partition: number): boolean {
    return this.get(groupId, topic, partition) !== undefined;
  }

  hasOffsets(groupId: string): boolean {
    return this.offsetsByGroup.has(groupId);
  }

  /** Whether a transaction holds an uncommitted offset of the group (of that partition, when given). */
  hasPendingTransactionalOffsets(groupId: string, topic?: string, partition?: number): boolean {
    const partitions = this.pendingProducersByPartition.get(groupId);
    if (partitions === undefined) return false;
    if (topic === undefined || partition === undefined) return partitions.size > 0;
    return partitions.has(partitionKey(topic, partition));
  }

  /** Stages a transactional offset until its producer's transaction ends (a later one replaces it). */
  putPending(producerId: bigint, groupId: string, topic: string, partition: number, offset: OffsetAndMetadata): void {
    const key = partitionKey(topic, partition);
    let groups = this.pendingByProducer.get(producerId);
    if (groups === undefined) {
      groups = new Map();
      this.pendingByProducer.set(producerId, groups);
    }
    let entries = groups.get(groupId);
    if (entries === undefined) {
      entries = new Map();
      groups.set(groupId, entries);
    }
    entries.set(key, { topic, partition, offset });
    let partitions = this.pendingProducersByPartition.get(groupId);
    if (partitions === undefined) {
      partitions = new Map();
      this.pendingProducersByPartition.set(groupId, partitions);
    }
    let producers = partitions.get(key);
    if (producers === undefined) {
      producers = new Set();
      partitions.set(key, producers);
    }
    producers.add(producerId);
  }

  /** The groups in which `producerId` has pending offsets. */
  groupsWithPendingOffsets(producerId: bigint): string[] {
    return [...(this.pendingByProducer.get(producerId)?.keys() ?? [])];
  }

  /** The producer's transaction ended in `groupId`: its pending offsets become committed (commit) or vanish. */
  completePending(producerId: bigint, groupId: string, commit: boolean): void {
    const groups = this.pendingByProducer.get(producerId);
    const entries = groups?.get(groupId);
    if (groups === undefined || entries === undefined) return;
    groups.delete(groupId);
    if (groups.size === 0) this.pendingByProducer.delete(producerId);
    const partitions = this.pendingProducersByPartition.get(groupId);
    for (const [key, entry] of entries) {
      const producers = partitions?.get(key);
      producers?.delete(producerId);
      if (producers !== undefined && producers.size === 0) partitions?.delete(key);
      if (commit) this.put(groupId, entry.topic, entry.partition, entry.offset);
    }
    if (partitions !== undefined && partitions.size === 0) this.pendingProducersByPartition.delete(groupId);
  }

  put(groupId: string, topic: string, partition: number, offset: OffsetAndMetadata): void {
    let topics = this.offsetsByGroup.get(groupId);
    if (topics === undefined) {
      topics = new Map();
      this.offsetsByGroup.set(groupId, topics);
    }
    let partitions = topics.get(topic);
    if (partitions === undefined) {
      partitions = new Map();
      topics.set(topic, partitions);
    }
    partitions.set(partition, offset);
  }

  delete(groupId: string, topic: string, partition: number): void {
    const topics = this.offsetsByGroup.get(groupId);
    const partitions = topics?.get(topic);
    if (topics === undefined || partitions === undefined) return;
    partitions.delete(partition);
    if (partitions.size === 0) topics.delete(topic);
    if (topics.size === 0) this.offsetsByGroup.delete(groupId);
  }

  /** The group's committed offsets and its pending transactional ones (Kafka's `deleteAllOffsets`). */
  deleteGroup(groupId: string): void {
    this.offsetsByGroup.delete(groupId);
    this.pendingProducersByPartition.delete(groupId);
    for (const [producerId, groups] of this.pendingByProducer) {
      groups.delete(groupId);
      if (groups.size === 0) this.pendingByProducer.delete(producerId);
    }
  }

  /** Every committed offset of a group, as (topic, partition, offset) triples. */
  entries(groupId: string): { topic: string; partition: number; offset: OffsetAndMetadata }[] {
    const out: { topic: string; partition: number; offset: OffsetAndMetadata }[] = [];
    for (const [topic, partitions] of this.offsetsByGroup.get(groupId) ?? []) {
      for (const [partition, offset] of partitions) out.push({ topic, partition, offset });
    }
    return out;
  }

  /**
   * The group's offsets that have expired (`OffsetMetadataManager.cleanupExpiredOffsets`): only those of topics
   * the group does not consume, never one a transaction is about to overwrite. Changes nothing; the caller writes
   * the tombstones and then deletes them.
   */
  expiredOffsets(groupId: string, base: OffsetExpirationBase, isSubscribedToTopic: (topic: string) => boolean, nowMs: number, retentionMs: number): ExpiredOffsets {
    const topics = this.offsetsByGroup.get(groupId);
    // Without offsets the group may go, unless a transaction is about to commit some.
    if (topics === undefined) return { expired: [], allExpired: !this.hasPendingTransactionalOffsets(groupId) };
    if (base === null) return { expired: [], allExpired: false };
    const expired: { topic: string; partition: number }[] = [];
    let allExpired = true;
    for (const [topic, partitions] of topics) {
      if (isSubscribedToTopic(topic)) {
        allExpired = false;
        continue;
      }
      for (const [partition, offset] of partitions) {
        if (isOffsetExpired(offset, base(offset), nowMs, retentionMs) && !this.hasPendingTransactionalOffsets(groupId, topic, partition)) {
          expired.push({ topic, partition });
        } else {
          allExpired = false;
        }
      }
    }
    return { expired, allExpired: allExpired && !this.hasPendingTransactionalOffsets(groupId) };
  }

  /** Every group with offsets for `topic` (for topic deletion). */
  groupsWithTopic(topic: string): string[] {
    const groups: string[] = [];
    for (const [groupId, topics] of this.offsetsByGroup) if (topics.has(topic)) groups.push(groupId);
    return groups;
  }

  /**
   * OffsetFetch for one group (`fetchOffsets` / `fetchAllOffsets`): the requested partitions, or with
   * `topics === null` every committed one. A partition without an offset gets -1 and no error; with
   * `requireStable`, one with pending transactional offsets gets UNSTABLE_OFFSET_COMMIT.
   */
  fetchOffsets(groupId: string, topics: readonly RequestedTopic[] | null, requireStable: boolean): FetchedTopicOffsets[] {
    const answer = (topic: string, partition: number, offset: OffsetAndMetadata | undefined): FetchedPartitionOffset => {
      if (requireStable && this.hasPendingTransactionalOffsets(groupId, topic, partition)) {
        return { partitionIndex: partition, committedOffset: INVALID_OFFSET, committedLeaderEpoch: NO_LEADER_EPOCH, metadata: NO_METADATA, errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT };
      }
      if (offset === undefined) {
        return { partitionIndex: partition, committedOffset: INVALID_OFFSET, committedLeaderEpoch: NO_LEADER_EPOCH, metadata: NO_METADATA, errorCode: ErrorCode.NONE };
      }
      return { partitionIndex: partition, committedOffset: offset.committedOffset, committedLeaderEpoch: offset.leaderEpoch, metadata: offset.metadata, errorCode: ErrorCode.NONE };
    };
    const groupOffsets = this.offsetsByGroup.get(groupId);
    if (topics === null) {
      const all: FetchedTopicOffsets[] = [];
      for (const [name, partitions] of groupOffsets ?? []) {
        all.push({ name, partitions: [...partitions].map(([partition, offset]) => answer(name, partition, offset)) });
      }
      return all;
    }
    return topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitionIndexes.map((partition) => answer(topic.name, partition, groupOffsets?.get(topic.name)?.get(partition))),
    }));
  }
}
