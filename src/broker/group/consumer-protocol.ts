// The one piece of the embedded consumer protocol the coordinator reads: the topics of a
// `ConsumerProtocolSubscription` (protocol type "consumer"). Kafka parses every version with the v0 layout,
// which prefixes all later ones (`ClassicGroup.computeSubscribedTopics`): int16 version, then an array of
// int16-length strings. The subscribed topics decide what OffsetDelete may delete (GROUP_SUBSCRIBED_TO_TOPIC)
// and which offsets of a live group may expire.
import { Reader } from '../../protocol/wire/reader.ts';

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
