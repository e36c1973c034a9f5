// The broker's topic metadata (name, topic id, partition count, config overrides), persisted as one JSON file,
// `<dataDir>/topics.json`, replaced atomically (temp file + fsync + rename + directory fsync) on every change.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readSmallFile, writeFileAtomic } from './checkpoint-file.ts';
import type { LogFileSystem } from './log-file-system.ts';

export interface TopicMetadata {
  readonly name: string;
  /** Kafka's 16-byte topic id (`Uuid`). */
  readonly topicId: Buffer;
  readonly partitions: number;
  /** Topic config overrides, by Kafka name (`retention.ms`, ...). */
  readonly configs: Readonly<Record<string, string>>;
}

export const TOPICS_FILE = 'topics.json';
const FORMAT_VERSION = 1;

interface StoredTopic {
  name: string;
  topicId: string;
  partitions: number;
  configs: Record<string, string>;
}

/** Kafka's string form of a Uuid: URL-safe base64 without padding (`Uuid.toString`). */
export function topicIdToString(topicId: Buffer): string {
  return topicId.toString('base64url');
}

export function topicIdFromString(text: string): Buffer {
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.length !== 16) throw new Error(`not a topic id: '${text}'`);
  return bytes;
}

/**
 * A random topic id as Kafka's `Uuid.randomUuid` makes them: never the zero id or the reserved metadata-topic
 * id (1), and never one whose string form starts with '-' (it would read as a command-line flag).
 */
export function newTopicId(random: (size: number) => Buffer = randomBytes): Buffer {
  for (;;) {
    const id = random(16);
    const isZero = id.every((byte) => byte === 0);
    const isMetadata = id.subarray(0, 15).every((byte) => byte === 0) && id[15] === 1;
    if (!isZero && !isMetadata && !topicIdToString(id).startsWith('-')) return id;
  }
}

export function loadTopics(fs: LogFileSystem, dataDir: string): TopicMetadata[] {
  const bytes = readSmallFile(fs, join(dataDir, TOPICS_FILE));
  if (bytes === null) return [];
  const parsed = JSON.parse(bytes.toString('utf8')) as { version: number; topics: StoredTopic[] };
  if (parsed.version !== FORMAT_VERSION || !Array.isArray(parsed.topics)) {
    throw new Error(`${TOPICS_FILE}: unsupported format version ${String(parsed.version)}`);
  }
  return parsed.topics.map((topic) => ({
    name: topic.name,
    topicId: topicIdFromString(topic.topicId),
    partitions: topic.partitions,
    configs: { ...topic.configs },
  }));
}

export function saveTopics(fs: LogFileSystem, dataDir: string, topics: Iterable<TopicMetadata>): void {
  const stored: StoredTopic[] = [];
  for (const topic of topics) {
    stored.push({ name: topic.name, topicId: topicIdToString(topic.topicId), partitions: topic.partitions, configs: { ...topic.configs } });
  }
  stored.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const text = JSON.stringify({ version: FORMAT_VERSION, topics: stored }, null, 2) + '\n';
  writeFileAtomic(fs, join(dataDir, TOPICS_FILE), Buffer.from(text, 'utf8'), true);
}
