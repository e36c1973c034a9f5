// Kafka's internal topics, `__consumer_offsets` and `__transaction_state`, as clients see them. seqlog keeps
// committed offsets and transaction state in one file each (group/offset-store.ts, txn/transaction-log.ts), not in
// partition logs, so these topics are virtual: they exist once Kafka would have created them (the first
// FindCoordinator for a group or a transactional id, or a Metadata request that may auto-create them, as Kafka's
// `AutoTopicCreationManager` does), are listed by Metadata with `isInternal` true, this node leading each of
// their partitions, and their names are reserved: never created as ordinary topics. Their existence and topic
// ids are kept in `<dataDir>/internal-topics.json`, so they stay listed after a restart as Kafka's do.
import { join } from 'node:path';
import { readSmallFile, writeFileAtomic } from './log/checkpoint-file.ts';
import type { LogFileSystem } from './log/log-file-system.ts';
import { newTopicId, topicIdFromString, topicIdToString, type TopicMetadata } from './log/topic-store.ts';

export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';
export const TRANSACTION_STATE_TOPIC = '__transaction_state';

/** Kafka's `transaction.state.log.num.partitions` default; seqlog's transaction log is one file. */
const TRANSACTION_STATE_PARTITIONS = 50;

const FILE_NAME = 'internal-topics.json';
const FORMAT_VERSION = 1;

/** True for the names Kafka reserves for its internal topics (`Topic.isInternal`). */
export function isInternalTopicName(name: string): boolean {
  return name === CONSUMER_OFFSETS_TOPIC || name === TRANSACTION_STATE_TOPIC;
}

export class InternalTopics {
  private readonly created = new Map<string, TopicMetadata>();

  private constructor(
    private readonly fs: LogFileSystem,
    private readonly path: string,
    private readonly partitionCounts: Readonly<Record<string, number>>,
  ) {}

  /** Loads which internal topics exist; `offsetsTopicPartitions` is `offsets.topic.num.partitions`. */
  static open(fs: LogFileSystem, dataDir: string, offsetsTopicPartitions: number): InternalTopics {
    const topics = new InternalTopics(fs, join(dataDir, FILE_NAME), {
      [CONSUMER_OFFSETS_TOPIC]: offsetsTopicPartitions,
      [TRANSACTION_STATE_TOPIC]: TRANSACTION_STATE_PARTITIONS,
    });
    const bytes = readSmallFile(fs, topics.path);
    if (bytes !== null) {
      const stored = JSON.parse(bytes.toString('utf8')) as { version: number; topics: { name: string; topicId: string }[] };
      if (stored.version !== FORMAT_VERSION) throw new Error(`${FILE_NAME}: unsupported format version ${String(stored.version)}`);
      for (const { name, topicId } of stored.topics) if (isInternalTopicName(name)) topics.created.set(name, topics.metadata(name, topicIdFromString(topicId)));
    }
    return topics;
  }

  private metadata(name: string, topicId: Buffer): TopicMetadata {
    return { name, topicId, partitions: this.partitionCounts[name] ?? 1, configs: {} };
  }

  /** The internal topic `name` if it exists. */
  get(name: string): TopicMetadata | undefined {
    return this.created.get(name);
  }

  getById(topicId: Buffer): TopicMetadata | undefined {
    for (const topic of this.created.values()) if (topic.topicId.equals(topicId)) return topic;
    return undefined;
  }

  /** The internal topics that exist, by name. */
  list(): TopicMetadata[] {
    return [...this.created.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** Creates internal topic `name` if it does not exist yet (durably); returns it. */
  ensure(name: string): TopicMetadata {
    const existing = this.created.get(name);
    if (existing !== undefined) return existing;
    const topic = this.metadata(name, newTopicId());
    const stored = [...this.created.values(), topic].map((t) => ({ name: t.name, topicId: topicIdToString(t.topicId) }));
    writeFileAtomic(this.fs, this.path, Buffer.from(JSON.stringify({ version: FORMAT_VERSION, topics: stored }, null, 2) + '\n', 'utf8'), true);
    this.created.set(name, topic);
    return topic;
  }
}
