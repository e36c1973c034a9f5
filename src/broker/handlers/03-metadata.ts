// Metadata (key 3), versions 0-12. One broker leads every partition, so leader, replicas and ISR are this node;
// leader epoch is 0. The controller id is this node too (KafkaJS refuses a cluster without a valid controller).
// Auto topic creation (`auto.create.topics.enable`, request v4+ `AllowAutoTopicCreation`) creates the topic
// before answering, so the client gets the topic at once instead of LEADER_NOT_AVAILABLE and a retry.
// Topic ids are real (v10+), so clients may use Fetch v13+. The internal topics (`__consumer_offsets`,
// `__transaction_state`) are listed with isInternal once they exist (internal-topics.ts); a request naming one
// that may auto-create creates it as Kafka's `AutoTopicCreationManager` does, never as an ordinary topic.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { MetadataResponseTopic } from '../../protocol/messages/generated/03-metadata.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { ZERO_UUID } from '../../protocol/messages/runtime.ts';
import type { ApiHandler } from './api-handler.ts';
import { endpointFor, type BrokerContext } from '../broker-context.ts';
import type { TopicMetadata } from '../log/topic-store.ts';
import { errorCodeOf } from '../broker-error.ts';
import { isInternalTopicName } from '../internal-topics.ts';

/** Kafka's "not requested" marker for authorized-operations fields. */
const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

export function describeTopic(broker: BrokerContext, topic: TopicMetadata, isInternal = false): MetadataResponseTopic {
  const nodeId = broker.endpoint.nodeId;
  const partitions = [];
  for (let partitionIndex = 0; partitionIndex < topic.partitions; partitionIndex++) {
    partitions.push({
      errorCode: ErrorCode.NONE,
      partitionIndex,
      leaderId: nodeId,
      leaderEpoch: 0,
      replicaNodes: [nodeId],
      isrNodes: [nodeId],
      offlineReplicas: [],
    });
  }
  return {
    errorCode: ErrorCode.NONE,
    name: topic.name,
    topicId: topic.topicId,
    isInternal,
    partitions,
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}

/** As Kafka, an error entry still says whether the name is an internal topic's. */
function topicError(errorCode: number, name: string | null, topicId: Buffer = ZERO_UUID): MetadataResponseTopic {
  return { errorCode, name, topicId, isInternal: name !== null && isInternalTopicName(name), partitions: [], topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED };
}

export const metadataHandler: ApiHandler<typeof ApiKey.Metadata> = {
  apiKey: ApiKey.Metadata,
  minVersion: 0,
  maxVersion: 12,
  async handle(broker, request, context) {
    // v0: an empty list means all topics; v1+: null means all, empty means none.
    const all = request.topics === null || (context.apiVersion === 0 && request.topics.length === 0);
    const topics: MetadataResponseTopic[] = [];
    if (all) {
      for (const topic of broker.logs.listTopics()) topics.push(describeTopic(broker, topic));
      for (const topic of broker.internalTopics.list()) topics.push(describeTopic(broker, topic, true));
    } else {
      const allowAutoCreate = broker.config.autoCreateTopicsEnable && (context.apiVersion < 4 || request.allowAutoTopicCreation);
      for (const requested of request.topics ?? []) {
        if (requested.name === null) {
          const byId = broker.logs.topicById(requested.topicId);
          const internal = byId === undefined ? broker.internalTopics.getById(requested.topicId) : undefined;
          topics.push(byId ? describeTopic(broker, byId) : internal ? describeTopic(broker, internal, true) : topicError(ErrorCode.UNKNOWN_TOPIC_ID, null, requested.topicId));
          continue;
        }
        if (isInternalTopicName(requested.name)) {
          const internal = broker.internalTopics.get(requested.name) ?? (allowAutoCreate ? broker.internalTopics.ensure(requested.name) : undefined);
          topics.push(internal ? describeTopic(broker, internal, true) : topicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, requested.name));
          continue;
        }
        let topic = broker.logs.topic(requested.name);
        if (topic === undefined && allowAutoCreate) {
          try {
            topic = await broker.logs.createTopic(requested.name, { partitions: broker.config.numPartitions });
            broker.logger.info({ topic: requested.name, partitions: broker.config.numPartitions }, 'auto-created topic');
          } catch (error) {
            // A concurrent creation of the same topic is fine; anything else is that topic's error.
            topic = broker.logs.topic(requested.name);
            if (topic === undefined) {
              topics.push(topicError(errorCodeOf(error, broker.logger), requested.name));
              continue;
            }
          }
        }
        topics.push(topic ? describeTopic(broker, topic) : topicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, requested.name));
      }
    }
    const { nodeId, host, port } = endpointFor(broker, context.connection);
    return {
      throttleTimeMs: 0,
      brokers: [{ nodeId, host, port, rack: null }],
      clusterId: broker.clusterId,
      controllerId: nodeId,
      topics,
      clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    };
  },
};
