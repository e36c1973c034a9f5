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
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { SUPPORTED_OPERATIONS, authorizationEnabled, authorize, authorizeCluster, authorizedOperations } from '../security/authorizer/authorize.ts';
import { CLUSTER_NAME, ResourceType } from '../security/authorizer/acl.ts';
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
    // Kafka answers the topics the caller may not see after the others (`KafkaApis.handleTopicMetadataRequest`).
    const denied: MetadataResponseTopic[] = [];
    const rules = apiAuthorization.Metadata;
    if (all) {
      for (const topic of broker.logs.listTopics()) if (authorize(broker, context, rules.topic, topic.name)) topics.push(describeTopic(broker, topic));
      for (const topic of broker.internalTopics.list()) if (authorize(broker, context, rules.topic, topic.name)) topics.push(describeTopic(broker, topic, true));
    } else {
      const allowAutoCreate = broker.config.autoCreateTopicsEnable && (context.apiVersion < 4 || request.allowAutoTopicCreation);
      for (const requested of request.topics ?? []) {
        if (requested.name === null) {
          const byId = broker.logs.topicById(requested.topicId);
          const internal = byId === undefined ? broker.internalTopics.getById(requested.topicId) : undefined;
          const found = byId ?? internal;
          if (found !== undefined && !authorize(broker, context, rules.topic, found.name)) {
            // Topic ids are not secret: the id's topic is named as denied, without its name.
            denied.push(topicError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, null, requested.topicId));
            continue;
          }
          topics.push(byId ? describeTopic(broker, byId) : internal ? describeTopic(broker, internal, true) : topicError(ErrorCode.UNKNOWN_TOPIC_ID, null, requested.topicId));
          continue;
        }
        // Whether a topic the caller may not see exists is not disclosed.
        if (!authorize(broker, context, rules.topic, requested.name)) {
          denied.push(topicError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, requested.name));
          continue;
        }
        if (isInternalTopicName(requested.name)) {
          const internal = broker.internalTopics.get(requested.name) ?? (allowAutoCreate ? broker.internalTopics.ensure(requested.name) : undefined);
          topics.push(internal ? describeTopic(broker, internal, true) : topicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, requested.name));
          continue;
        }
        let topic = broker.logs.topic(requested.name);
        if (topic === undefined && allowAutoCreate) {
          if (!authorizeCluster(broker, context, rules.createCluster) && !authorize(broker, context, rules.createTopic, requested.name)) {
            denied.push(topicError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, requested.name));
            continue;
          }
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
    topics.push(...denied);
    // With an authorizer, the operations the caller may perform, when asked (v8+; Kafka's `authorizedOperations`).
    if (authorizationEnabled(broker) && context.apiVersion >= 8 && request.includeTopicAuthorizedOperations) {
      for (const topic of topics) {
        if (topic.errorCode === ErrorCode.NONE && topic.name !== null) topic.topicAuthorizedOperations = authorizedOperations(broker, context, ResourceType.TOPIC, topic.name, SUPPORTED_OPERATIONS.topic) ?? AUTHORIZED_OPERATIONS_OMITTED;
      }
    }
    const clusterAuthorizedOperations =
      authorizationEnabled(broker) && context.apiVersion >= 8 && context.apiVersion <= 10 && request.includeClusterAuthorizedOperations
        ? (authorizedOperations(broker, context, ResourceType.CLUSTER, CLUSTER_NAME, SUPPORTED_OPERATIONS.cluster) ?? AUTHORIZED_OPERATIONS_OMITTED)
        : AUTHORIZED_OPERATIONS_OMITTED;
    const { nodeId, host, port } = endpointFor(broker, context.connection);
    return {
      throttleTimeMs: 0,
      brokers: [{ nodeId, host, port, rack: null }],
      clusterId: broker.clusterId,
      controllerId: nodeId,
      topics,
      clusterAuthorizedOperations,
    };
  },
};
