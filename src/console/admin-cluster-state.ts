// The console's view of any Kafka cluster, read through the admin APIs: topics and partitions with the high
// watermark and LSO (ListOffsets latest, read_uncommitted and read_committed), each partition's producers
// (DescribeProducers, KIP-664), transactions (ListTransactions + DescribeTransactions), consumer groups with
// members, assignments and committed offsets (ListGroups, DescribeGroups, OffsetFetch). What the admin APIs do not
// expose is left out: the log end offset (shown as "—"), the dedup window of each producer (only the last
// sequence), and the broker's own counters.
import type { Admin } from '../client/index.ts';
import type { ClusterState, GroupView, PartitionState, TopicState, TransactionView } from '../broker/index.ts';

const UNKNOWN = '—';

export async function adminClusterState(admin: Admin, source: string): Promise<ClusterState> {
  const cluster = await admin.describeCluster();
  const names = (await admin.listTopics()).map((topic) => topic.name).sort();
  const described = names.length === 0 ? [] : await admin.describeTopics(names);
  const partitions = described.flatMap((topic) => topic.partitions.map((partition) => ({ topic: topic.name, partition: partition.partition })));
  const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
  const [starts, highWatermarks, stable, producers] =
    partitions.length === 0
      ? [[], [], [], []]
      : await Promise.all([
          admin.listOffsets(partitions.map((tp) => ({ ...tp, spec: 'earliest' as const }))),
          admin.listOffsets(partitions.map((tp) => ({ ...tp, spec: 'latest' as const }))),
          admin.listOffsets(partitions.map((tp) => ({ ...tp, spec: 'latest' as const })), { readCommitted: true }),
          admin.describeProducers(partitions),
        ]);
  const byPartition = <T extends { topic: string; partition: number }>(rows: readonly T[]) => new Map(rows.map((row) => [key(row.topic, row.partition), row]));
  const startOf = byPartition(starts);
  const highWatermarkOf = byPartition(highWatermarks);
  const stableOf = byPartition(stable);
  const producersOf = byPartition(producers);
  const topics: TopicState[] = described.map((topic) => ({
    name: topic.name,
    partitions: topic.partitions.map((partition): PartitionState => {
      const at = key(topic.name, partition.partition);
      return {
        partition: partition.partition,
        logStartOffset: String(startOf.get(at)?.offset ?? UNKNOWN),
        logEndOffset: UNKNOWN,
        highWatermark: String(highWatermarkOf.get(at)?.offset ?? UNKNOWN),
        lastStableOffset: String(stableOf.get(at)?.offset ?? UNKNOWN),
        producers: (producersOf.get(at)?.producers ?? []).map((producer) => ({
          producerId: String(producer.producerId),
          producerEpoch: producer.producerEpoch,
          lastSequence: producer.lastSequence,
          dedupWindow: null,
          openTransactionStartOffset: producer.currentTransactionStartOffset < 0n ? null : String(producer.currentTransactionStartOffset),
        })),
      };
    }),
  }));

  const listedTransactions = await admin.listTransactions();
  const transactions: TransactionView[] = (listedTransactions.length === 0 ? [] : await admin.describeTransactions(listedTransactions.map((t) => t.transactionalId)))
    .map((transaction) => ({
      transactionalId: transaction.transactionalId,
      state: transaction.state,
      producerId: String(transaction.producerId),
      producerEpoch: transaction.producerEpoch,
      timeoutMs: transaction.transactionTimeoutMs,
      startTimeMs: Number(transaction.transactionStartTimeMs),
      partitions: transaction.partitions.map((tp) => `${tp.topic}-${tp.partition}`),
    }))
    .sort((a, b) => (a.transactionalId < b.transactionalId ? -1 : 1));

  const listedGroups = await admin.listGroups();
  const describedGroups = listedGroups.length === 0 ? [] : await admin.describeGroups(listedGroups.map((group) => group.groupId));
  const groups: GroupView[] = [];
  for (const group of describedGroups) {
    const committed = await admin.listConsumerGroupOffsets(group.groupId);
    const listing = listedGroups.find((listed) => listed.groupId === group.groupId);
    groups.push({
      groupId: group.groupId,
      type: listing?.type || 'classic',
      state: group.state,
      protocol: group.protocol,
      members: group.members.map((member) => ({
        memberId: member.memberId,
        clientId: member.clientId,
        clientHost: member.clientHost,
        assignment: member.assignment.map((tp) => `${tp.topic}-${tp.partition}`),
      })),
      offsets: committed
        .filter((offset) => offset.offset >= 0n)
        .map((offset) => {
          const end = highWatermarkOf.get(key(offset.topic, offset.partition))?.offset;
          return {
            topic: offset.topic,
            partition: offset.partition,
            committedOffset: String(offset.offset),
            lag: end === undefined ? UNKNOWN : String(end > offset.offset ? end - offset.offset : 0n),
          };
        }),
    });
  }
  groups.sort((a, b) => (a.groupId < b.groupId ? -1 : 1));

  return {
    source,
    clusterId: cluster.clusterId,
    takenAtMs: Date.now(),
    counters: { requests: null, bytesIn: null, messagesIn: null, duplicateBatches: null, transactionsCommitted: null, transactionsAborted: null },
    topics,
    transactions,
    groups,
  };
}
