// What OffsetCommit and TxnOffsetCommit share around the group coordinator (Kafka's `KafkaApis` does the same for
// both): a code per request partition, pre-filled with the authorization answer; the partitions that passed and
// exist go to the coordinator, its answers are put back at their request positions, and the response lists the
// topics denied by authorization first, as Kafka's response builder does.
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { BrokerContext } from '../broker-context.ts';
import type { CommitPartition } from '../group/group-coordinator.ts';
import { authorizationEnabled } from '../security/authorizer/authorize.ts';

interface RequestTopic {
  readonly name: string;
  readonly partitions: readonly CommitPartition[];
}

/** The coordinator's answer: per topic sent, a code per partition sent, in order. */
type CoordinatorResults = readonly { readonly partitions: readonly { readonly errorCode: number }[] }[];

/**
 * Sends to `commit` the partitions whose code is still UNKNOWN_TOPIC_OR_PARTITION (authorized) and that exist,
 * and writes its answers into `errors` (indexed like the request). A partition that does not exist keeps
 * UNKNOWN_TOPIC_OR_PARTITION, as Kafka answers before the group sees the request.
 */
export async function commitAuthorizedPartitions(
  broker: BrokerContext,
  requestTopics: readonly RequestTopic[],
  errors: number[][],
  commit: (topics: { name: string; partitions: CommitPartition[] }[]) => Promise<CoordinatorResults>,
): Promise<void> {
  const sent: { topicIndex: number; positions: number[] }[] = [];
  const topics: { name: string; partitions: CommitPartition[] }[] = [];
  requestTopics.forEach((topic, topicIndex) => {
    const positions: number[] = [];
    const partitions: CommitPartition[] = [];
    topic.partitions.forEach((partition, position) => {
      if (errors[topicIndex][position] !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || broker.logs.getLog(topic.name, partition.partitionIndex) === undefined) return;
      positions.push(position);
      partitions.push(partition);
    });
    if (partitions.length === 0) return;
    sent.push({ topicIndex, positions });
    topics.push({ name: topic.name, partitions });
  });
  if (topics.length === 0) return;
  const results = await commit(topics);
  results.forEach((topic, i) => {
    topic.partitions.forEach((partition, j) => {
      errors[sent[i].topicIndex][sent[i].positions[j]] = partition.errorCode;
    });
  });
}

/** The response's topics: denied ones first when an authorizer is on, each partition with its (mapped) code. */
export function commitResponseTopics(
  broker: BrokerContext,
  requestTopics: readonly RequestTopic[],
  errors: readonly (readonly number[])[],
  mapCode: (code: number) => number = (code) => code,
): { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[] {
  const order = requestTopics.map((_, topicIndex) => topicIndex);
  if (authorizationEnabled(broker)) order.sort((a, b) => Number(deniedTopic(errors[b])) - Number(deniedTopic(errors[a])));
  return order.map((topicIndex) => ({
    name: requestTopics[topicIndex].name,
    partitions: requestTopics[topicIndex].partitions.map((partition, position) => ({
      partitionIndex: partition.partitionIndex,
      errorCode: mapCode(errors[topicIndex][position]),
    })),
  }));
}

function deniedTopic(codes: readonly number[]): boolean {
  return codes.length > 0 && codes[0] === ErrorCode.TOPIC_AUTHORIZATION_FAILED;
}
