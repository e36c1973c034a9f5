// The "consumer" embedded protocol carried in JoinGroup/SyncGroup bytes (Kafka's `ConsumerProtocol`): an int16
// version, then the versioned struct. Subscriptions are written at v3 (owned partitions for cooperative
// rebalancing, KIP-429; generation, KIP-792); a newer version from another client is read with the v3 layout,
// which every later version extends at the end.
import { Reader } from '../../protocol/wire/reader.ts';
import { Writer } from '../../protocol/wire/writer.ts';
import {
  decodeConsumerProtocolSubscription,
  encodeConsumerProtocolSubscription,
} from '../../protocol/messages/generated/data/consumer-protocol-subscription.ts';
import {
  decodeConsumerProtocolAssignment,
  encodeConsumerProtocolAssignment,
} from '../../protocol/messages/generated/data/consumer-protocol-assignment.ts';

export const CONSUMER_PROTOCOL_TYPE = 'consumer';
const SUBSCRIPTION_VERSION = 3;
const ASSIGNMENT_VERSION = 3;

/** Partitions by topic. */
export type TopicPartitions = Map<string, number[]>;

export interface MemberSubscription {
  readonly topics: readonly string[];
  readonly ownedPartitions: TopicPartitions;
  /** The generation in which the owned partitions were assigned (-1 when unknown). */
  readonly generationId: number;
}

function toList(partitions: TopicPartitions): { topic: string; partitions: number[] }[] {
  return [...partitions].filter(([, list]) => list.length > 0).map(([topic, list]) => ({ topic, partitions: [...list].sort((a, b) => a - b) }));
}

function fromList(list: readonly { topic: string; partitions: number[] }[]): TopicPartitions {
  const map: TopicPartitions = new Map();
  for (const entry of list) map.set(entry.topic, [...(map.get(entry.topic) ?? []), ...entry.partitions]);
  return map;
}

export function encodeSubscription(subscription: MemberSubscription): Buffer {
  const writer = new Writer();
  writer.int16(SUBSCRIPTION_VERSION);
  encodeConsumerProtocolSubscription(writer, {
    topics: [...subscription.topics].sort(),
    userData: null,
    ownedPartitions: toList(subscription.ownedPartitions),
    generationId: subscription.generationId,
    rackId: null,
  }, SUBSCRIPTION_VERSION);
  return writer.finish();
}

export function decodeSubscription(bytes: Buffer): MemberSubscription {
  const reader = new Reader(bytes);
  const version = Math.min(reader.int16(), SUBSCRIPTION_VERSION);
  if (version < 0) throw new Error(`consumer subscription version ${version} is invalid`);
  const decoded = decodeConsumerProtocolSubscription(reader, version);
  return { topics: decoded.topics, ownedPartitions: fromList(decoded.ownedPartitions), generationId: version >= 2 ? decoded.generationId : -1 };
}

export function encodeAssignment(assignment: TopicPartitions): Buffer {
  const writer = new Writer();
  writer.int16(ASSIGNMENT_VERSION);
  encodeConsumerProtocolAssignment(writer, { assignedPartitions: toList(assignment), userData: null }, ASSIGNMENT_VERSION);
  return writer.finish();
}

export function decodeAssignment(bytes: Buffer): TopicPartitions {
  // An empty assignment (a member the leader left out, or skipAssignment) is zero bytes.
  if (bytes.length === 0) return new Map();
  const reader = new Reader(bytes);
  const version = Math.min(reader.int16(), ASSIGNMENT_VERSION);
  if (version < 0) throw new Error(`consumer assignment version ${version} is invalid`);
  return fromList(decodeConsumerProtocolAssignment(reader, version).assignedPartitions);
}
