// The embedded consumer protocol as the coordinator reads it. For classic groups, one piece: the topics of a
// `ConsumerProtocolSubscription` (protocol type "consumer"). Kafka parses every version with the v0 layout,
// which prefixes all later ones (`ClassicGroup.computeSubscribedTopics`): int16 version, then an array of
// int16-length strings. The subscribed topics decide what OffsetDelete may delete (GROUP_SUBSCRIBED_TO_TOPIC)
// and which offsets of a live group may expire. Classic members inside a KIP-848 consumer group need the whole
// subscription (owned partitions, rack) and get their assignment written by the coordinator (Kafka's
// `ConsumerProtocol` as used by `GroupMetadataManager` for online migration).
import { Reader } from '../../protocol/wire/reader.ts';
import { Writer } from '../../protocol/wire/writer.ts';
import { decodeConsumerProtocolAssignment, encodeConsumerProtocolAssignment } from '../../protocol/messages/generated/data/consumer-protocol-assignment.ts';
import { decodeConsumerProtocolSubscription } from '../../protocol/messages/generated/data/consumer-protocol-subscription.ts';

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

/** The subscribed topics, or null when the metadata is not a valid subscription. */
export function subscriptionTopics(metadata: Buffer): string[] | null {
  try {
    const reader = new Reader(metadata);
    const version = reader.int16();
    if (version < 0) return null;
    const count = reader.int32();
    if (count < 0 || count > reader.remaining / 2) return null;
    const topics: string[] = [];
    for (let i = 0; i < count; i++) {
      const topic = reader.string();
      if (topic === null) return null;
      topics.push(topic);
    }
    return topics;
  } catch {
    return null;
  }
}

// ---- The whole subscription and assignment, for classic members inside a KIP-848 consumer group ----

/** Versions the generated codecs know; a newer one is read with the latest layout, which every later one extends. */
const LATEST_SUBSCRIPTION_VERSION = 3;
const LATEST_ASSIGNMENT_VERSION = 3;

export interface ConsumerSubscription {
  readonly version: number;
  readonly topics: readonly string[];
  /** topic name -> partitions the member still owns (cooperative members, KIP-429). */
  readonly ownedPartitions: ReadonlyMap<string, readonly number[]>;
  readonly rackId: string | null;
}

/** A `ConsumerProtocolSubscription`; throws when malformed (Kafka's `SchemaException`). */
export function decodeConsumerSubscription(metadata: Buffer): ConsumerSubscription {
  const reader = new Reader(metadata);
  const version = reader.int16();
  if (version < 0) throw new Error(`consumer subscription version ${version} is invalid`);
  const decoded = decodeConsumerProtocolSubscription(reader, Math.min(version, LATEST_SUBSCRIPTION_VERSION));
  const ownedPartitions = new Map<string, number[]>();
  for (const entry of decoded.ownedPartitions) ownedPartitions.set(entry.topic, [...(ownedPartitions.get(entry.topic) ?? []), ...entry.partitions]);
  return { version, topics: decoded.topics, ownedPartitions, rackId: version >= 3 ? decoded.rackId : null };
}

/** The embedded protocol version of a subscription (0 when unreadable); assignments are written at it. */
export function consumerProtocolVersion(metadata: Buffer): number {
  return metadata.length >= 2 ? Math.max(0, metadata.readInt16BE(0)) : 0;
}

/** A `ConsumerProtocolAssignment` at `version` (capped at the newest this codec knows). */
export function encodeConsumerAssignment(partitions: ReadonlyMap<string, readonly number[]>, version: number): Buffer {
  const writer = new Writer();
  const written = Math.min(version, LATEST_ASSIGNMENT_VERSION);
  writer.int16(written);
  const assignedPartitions = [...partitions].filter(([, list]) => list.length > 0).map(([topic, list]) => ({ topic, partitions: [...list].sort((a, b) => a - b) }));
  encodeConsumerProtocolAssignment(writer, { assignedPartitions, userData: null }, written);
  return writer.finish();
}

/** The partitions of a `ConsumerProtocolAssignment` by topic name; zero bytes are no assignment. */
export function decodeConsumerAssignment(bytes: Buffer): Map<string, number[]> {
  const result = new Map<string, number[]>();
  if (bytes.length === 0) return result;
  const reader = new Reader(bytes);
  const version = reader.int16();
  if (version < 0) throw new Error(`consumer assignment version ${version} is invalid`);
  for (const entry of decodeConsumerProtocolAssignment(reader, Math.min(version, LATEST_ASSIGNMENT_VERSION)).assignedPartitions) {
    result.set(entry.topic, [...(result.get(entry.topic) ?? []), ...entry.partitions]);
  }
  return result;
}
