// ElectLeaders (key 43), versions 0-2 (KIP-460): preferred or unclean leader election. Every partition has one
// replica, this node, and it already leads: a named partition is ELECTION_NOT_NEEDED, as Kafka's controller answers
// for a partition led by its preferred replica, and a partition that does not exist UNKNOWN_TOPIC_OR_PARTITION. A
// request for every partition (null) lists every topic (internal ones included) with no partition results, as
// Kafka's controller leaves out the partitions that needed no election.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ApiHandler } from './api-handler.ts';
import type { BrokerContext } from '../broker-context.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorizeCluster } from '../security/authorizer/authorize.ts';

function partitionExists(broker: BrokerContext, topic: string, partition: number): boolean {
  if (broker.logs.getLog(topic, partition) !== undefined) return true;
  const internal = broker.internalTopics.get(topic);
  return internal !== undefined && partition >= 0 && partition < internal.partitions;
}

export const electLeadersHandler: ApiHandler<typeof ApiKey.ElectLeaders> = {
  apiKey: ApiKey.ElectLeaders,
  minVersion: 0,
  maxVersion: 2,
  handle(broker, request, context) {
    if (!authorizeCluster(broker, context, apiAuthorization.ElectLeaders.cluster)) {
      const denied = { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null };
      const replicaElectionResults = (request.topicPartitions ?? []).map(({ topic, partitions }) => ({ topic, partitionResult: partitions.map((partitionId) => ({ partitionId, ...denied })) }));
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, replicaElectionResults };
    }
    if (request.topicPartitions === null) {
      const topics = [...broker.logs.listTopics(), ...broker.internalTopics.list()];
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: topics.map((topic) => ({ topic: topic.name, partitionResult: [] })) };
    }
    const replicaElectionResults = request.topicPartitions.map(({ topic, partitions }) => ({
      topic,
      partitionResult: partitions.map((partitionId) => partitionExists(broker, topic, partitionId)
        ? { partitionId, errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: 'Leader election not needed for topic partition.' }
        : { partitionId, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null }),
    }));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults };
  },
};
