// Committed offsets in memory, after Kafka's `OffsetMetadataManager`: group -> topic -> partition ->
// OffsetAndMetadata, what OffsetFetch reads and what the offsets log replays into.
//
// Transactional offsets (TxnOffsetCommit, KIP-447) are not implemented yet. Where they slot in: Kafka keeps them
// per producer id in `pendingTransactionalOffsets` and moves them into this map when the COMMIT marker arrives
// (dropping them on ABORT); until then `hasPendingTransactionalOffsets` is true for their partitions, OffsetFetch
// with RequireStable answers UNSTABLE_OFFSET_COMMIT for them, OffsetDelete and DeleteGroups tombstone them, and
// expiry spares them. Every one of those call sites already asks `hasPendingTransactionalOffsets`.
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

export interface RequestedTopic {
  name: string;
  partitionIndexes: readonly number[];
}

export class OffsetMetadataManager {
  private readonly offsetsByGroup = new Map<string, Map<string, Map<number, OffsetAndMetadata>>>();

  get(groupId: string, topic: string, partition: number): OffsetAndMetadata | undefined {
    return this.offsetsByGroup.get(groupId)?.get(topic)?.get(partition);
  }

  hasCommittedOffset(groupId: string, topic: string, partition: number): boolean {
    return this.get(groupId, topic, partition) !== undefined;
  }

  hasOffsets(groupId: string): boolean {
    return this.offsetsByGroup.has(groupId);
  }

  /** Always false until TxnOffsetCommit exists: no transactional offset is ever pending. */
  hasPendingTransactionalOffsets(_groupId: string, _topic?: string, _partition?: number): boolean {
    return false;
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

  deleteGroup(groupId: string): void {
    this.offsetsByGroup.delete(groupId);
  }

  /** Every committed offset of a group, as (topic, partition, offset) triples. */
  entries(groupId: string): { topic: string; partition: number; offset: OffsetAndMetadata }[] {
    const out: { topic: string; partition: number; offset: OffsetAndMetadata }[] = [];
    for (const [topic, partitions] of this.offsetsByGroup.get(groupId) ?? []) {
      for (const [partition, offset] of partitions) out.push({ topic, partition, offset });
    }
    return out;
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
