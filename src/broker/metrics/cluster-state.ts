// What the web console shows, as one JSON-ready value: partitions with their offsets and producer state, the
// transaction coordinator's transactions, consumer groups with their members and lag, and a few counters. The
// in-process broker fills it from its own objects (`describeBrokerState`); against another Kafka the console fills
// it through the admin APIs (DescribeProducers, ListTransactions/DescribeTransactions, groups, ListOffsets).
// int64 values are decimal strings: JSON numbers lose precision past 2^53.
import { Reader } from '../../protocol/wire/reader.ts';
import type { BrokerContext } from '../broker-context.ts';
import { consumerGroupLag } from './broker-metric-registry.ts';

export interface ClusterState {
  /** Where it was read: 'seqlog (in-process)' or 'admin API of <bootstrap>'. */
  readonly source: string;
  readonly clusterId: string;
  readonly takenAtMs: number;
  /** Counters the console shows; null where the source cannot tell (a remote Kafka has no such number). */
  readonly counters: ClusterCounters;
  readonly topics: readonly TopicState[];
  readonly transactions: readonly TransactionView[];
  readonly groups: readonly GroupView[];
}

export interface ClusterCounters {
  readonly requests: number | null;
  readonly bytesIn: number | null;
  readonly messagesIn: number | null;
  /** Retried batches answered from a producer's dedup window. */
  readonly duplicateBatches: number | null;
  readonly transactionsCommitted: number | null;
  readonly transactionsAborted: number | null;
}

export interface TopicState {
  readonly name: string;
  readonly partitions: readonly PartitionState[];
}

export interface PartitionState {
  readonly partition: number;
  readonly logStartOffset: string;
  readonly logEndOffset: string;
  readonly highWatermark: string;
  readonly lastStableOffset: string;
  readonly producers: readonly ProducerView[];
}

export interface ProducerView {
  readonly producerId: string;
  readonly producerEpoch: number;
  readonly lastSequence: number;
  /** The batches kept for deduplication, oldest first (at most 5); null when the source does not expose them. */
  readonly dedupWindow: readonly { firstSequence: number; lastSequence: number; firstOffset: string; lastOffset: string }[] | null;
  /** First offset of the producer's open transaction on this partition, or null. */
  readonly openTransactionStartOffset: string | null;
}

export interface TransactionView {
  readonly transactionalId: string;
  readonly state: string;
  readonly producerId: string;
  readonly producerEpoch: number;
  readonly timeoutMs: number;
  readonly startTimeMs: number;
  readonly partitions: readonly string[];
}

export interface GroupView {
  readonly groupId: string;
  readonly type: string;
  readonly state: string;
  readonly protocol: string;
  readonly members: readonly { memberId: string; clientId: string; clientHost: string; assignment: readonly string[] }[];
  readonly offsets: readonly { topic: string; partition: number; committedOffset: string; lag: string }[];
}

/** Everything the console shows, read from the broker's own objects. */
export async function describeBrokerState(broker: BrokerContext): Promise<ClusterState> {
  const topics: TopicState[] = [];
  for (const topic of broker.logs.listTopics()) {
    const partitions: PartitionState[] = [];
    for (let index = 0; index < topic.partitions; index++) {
      const log = broker.logs.getLog(topic.name, index);
      if (log === undefined || log.offline !== null) continue;
      const producers: ProducerView[] = [];
      for (const entry of log.producerState.activeProducers().values()) {
        producers.push({
          producerId: String(entry.producerId),
          producerEpoch: entry.producerEpoch,
          lastSequence: entry.lastSeq,
          dedupWindow: entry.batchMetadata.map((batch) => ({
            firstSequence: batch.firstSeq,
            lastSequence: batch.lastSeq,
            firstOffset: String(batch.firstOffset),
            lastOffset: String(batch.lastOffset),
          })),
          openTransactionStartOffset: entry.currentTxnFirstOffset === null ? null : String(entry.currentTxnFirstOffset),
        });
      }
      partitions.push({
        partition: index,
        logStartOffset: String(log.logStartOffset),
        logEndOffset: String(log.logEndOffset),
        highWatermark: String(log.highWatermark),
        lastStableOffset: String(log.lastStableOffset),
        producers,
      });
    }
    topics.push({ name: topic.name, partitions });
  }

  const listed = broker.transactions.list([], [], -1n).transactionStates.map((transaction) => transaction.transactionalId);
  const transactions: TransactionView[] = broker.transactions.describe(listed).map((transaction) => ({
    transactionalId: transaction.transactionalId,
    state: transaction.transactionState,
    producerId: String(transaction.producerId),
    producerEpoch: transaction.producerEpoch,
    timeoutMs: transaction.transactionTimeoutMs,
    startTimeMs: Number(transaction.transactionStartTimeMs),
    partitions: transaction.topics.flatMap(({ topic, partitions }) => partitions.map((partition) => `${topic}-${partition}`)),
  }));
  transactions.sort((a, b) => (a.transactionalId < b.transactionalId ? -1 : 1));

  const lag = await consumerGroupLag(broker.logs, broker.groups);
  const groups: GroupView[] = [];
  const listedGroups = broker.groups.listGroups([], []);
  const classic = new Map(broker.groups.describeGroups(listedGroups.filter((g) => g.groupType === 'classic').map((g) => g.groupId)).map((g) => [g.groupId, g]));
  const consumer = new Map(
    broker.groups.consumerGroupDescribe(listedGroups.filter((g) => g.groupType === 'consumer').map((g) => g.groupId), broker.logs).map((g) => [g.groupId, g]),
  );
  for (const listedGroup of listedGroups) {
    const offsets = lag
      .filter((row) => row.groupId === listedGroup.groupId)
      .map((row) => ({ topic: row.topic, partition: row.partition, committedOffset: String(row.committedOffset), lag: String(row.lag) }));
    const described = classic.get(listedGroup.groupId);
    const described848 = consumer.get(listedGroup.groupId);
    groups.push({
      groupId: listedGroup.groupId,
      type: listedGroup.groupType,
      state: listedGroup.groupState,
      protocol: described?.protocolData ?? described848?.assignorName ?? '',
      members:
        described?.members.map((member) => ({
          memberId: member.memberId,
          clientId: member.clientId,
          clientHost: member.clientHost,
          assignment: assignedPartitions(member.memberAssignment),
        })) ??
        described848?.members.map((member) => ({
          memberId: member.memberId,
          clientId: member.clientId,
          clientHost: member.clientHost,
          assignment: member.assignment.topicPartitions.flatMap(({ topicName, partitions }) => partitions.map((partition) => `${topicName}-${partition}`)),
        })) ??
        [],
      offsets,
    });
  }
  groups.sort((a, b) => (a.groupId < b.groupId ? -1 : 1));

  return {
    source: 'seqlog (in-process)',
    clusterId: broker.clusterId,
    takenAtMs: broker.clock(),
    counters: await broker.metrics.counters(),
    topics,
    transactions,
    groups,
  };
}

/**
 * The partitions of a `ConsumerProtocolAssignment` (int16 version, then [topic, [partition]]; later versions only
 * append fields), as `topic-partition`; empty when the bytes are not one.
 */
export function assignedPartitions(assignment: Buffer): string[] {
  if (assignment.length < 2) return [];
  try {
    const reader = new Reader(assignment);
    if (reader.int16() < 0) return [];
    const topics = reader.int32();
    const assigned: string[] = [];
    for (let t = 0; t < topics && t < 10_000; t++) {
      const topic = reader.string();
      const count = reader.int32();
      for (let p = 0; p < count && p < 100_000; p++) assigned.push(`${topic}-${reader.int32()}`);
    }
    return assigned;
  } catch {
    return [];
  }
}
