// What one Fetch request reads, before any log is touched: its partitions with repeats merged, in answer order,
// and the byte limit of the whole answer.
//
// Kafka keys a full fetch's partitions by topic-partition (`FetchRequest.fetchData`, a LinkedHashMap): a partition
// named again replaces the earlier entry's offset and limits but keeps its place, and the answer names it once.
// Answer topics follow the merged order, consecutive partitions of one topic sharing a topic entry
// (`FetchResponse.toMessage`). So a 4 KB request naming one partition 256 times reads it once.
//
// The answer is capped at min(request max_bytes, broker `fetch.max.bytes`) (KIP-541), and further at the room left
// in the connection memory budget: an answer is read into memory here (Kafka sends stored bytes from the file), so
// under memory pressure it shrinks, always keeping KIP-74's first batch so that a consumer makes progress.
import type { FetchRequest, FetchRequestFetchPartition, FetchRequestFetchTopic } from '../protocol/messages/generated/01-fetch.ts';

/** Topic ids replace names from Fetch v13 (KIP-516). */
export const TOPIC_ID_MIN_VERSION = 13;

export interface PlannedTopic {
  /** The request's topic entry (name or id) the answer echoes. */
  readonly topic: FetchRequestFetchTopic;
  readonly partitions: FetchRequestFetchPartition[];
}

export interface FetchPlan {
  readonly topics: PlannedTopic[];
  /** Bytes of record data the whole answer may carry (KIP-74: the first batch may exceed it). */
  readonly maxResponseBytes: number;
}

export interface FetchLimits {
  /** Broker `fetch.max.bytes`. */
  readonly fetchMaxBytes: number;
  /** Room left in the connection memory budget (Infinity when unbounded). */
  readonly availableMemoryBytes: number;
}

function topicKey(topic: FetchRequestFetchTopic, byId: boolean): string {
  return byId ? topic.topicId.toString('hex') : topic.topic;
}

export function planFetch(request: FetchRequest, version: number, limits: FetchLimits): FetchPlan {
  const byId = version >= TOPIC_ID_MIN_VERSION;
  const merged = new Map<string, { topicKey: string; topic: FetchRequestFetchTopic; partition: FetchRequestFetchPartition }>();
  for (const topic of request.topics) {
    const key = topicKey(topic, byId);
    for (const partition of topic.partitions) {
      const partitionKey = `${partition.partition}:${key}`;
      const earlier = merged.get(partitionKey);
      // Map.set on an existing key keeps its position, as LinkedHashMap.put does.
      merged.set(partitionKey, { topicKey: key, topic: earlier?.topic ?? topic, partition });
    }
  }
  const topics: PlannedTopic[] = [];
  let lastKey: string | null = null;
  for (const entry of merged.values()) {
    if (entry.topicKey !== lastKey) {
      topics.push({ topic: entry.topic, partitions: [] });
      lastKey = entry.topicKey;
    }
    topics[topics.length - 1].partitions.push(entry.partition);
  }
  return { topics, maxResponseBytes: maxResponseBytes(request, limits) };
}

/** Bytes of record data one answer may carry; an incremental fetch reads its session's partitions under it. */
export function maxResponseBytes(request: FetchRequest, limits: FetchLimits): number {
  return Math.max(0, Math.min(request.maxBytes, limits.fetchMaxBytes, limits.availableMemoryBytes));
}
