// CreateTopics (key 19), versions 2-7 (Kafka 4.0 removed 0-1). Replication factor 1 (or -1: the default) is all
// one node can host; more is INVALID_REPLICATION_FACTOR. Manual replica assignments are accepted only when they
// name this node. Configs are Kafka topic config names; an unknown name or a bad value is INVALID_CONFIG.
// `validateOnly` checks everything without creating. v5+ answers with the topic's partitions and configs.
// A request that would create more than 10,000 partitions in all, or write more than 10,000 metadata records (one
// per topic, partition and config, counted over the topics that pass their checks), fails as a whole with
// POLICY_VIOLATION (Kafka's controller limits per user operation); nothing is created.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type {
  CreateTopicsRequestCreatableTopic,
  CreateTopicsResponseCreatableTopicResult,
} from '../../protocol/messages/generated/19-create-topics.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { ZERO_UUID } from '../../protocol/messages/runtime.ts';
import type { ApiHandler } from './api-handler.ts';
import type { BrokerContext } from '../broker-context.ts';
import { BrokerError, errorCodeOf, errorMessageOf } from '../broker-error.ts';
import { defaultLogConfig, logConfigWithOverrides } from '../log/log-config.ts';
import { validateTopicName } from '../log/log-manager.ts';
import { isInternalTopicName } from '../internal-topics.ts';
import { describeTopicConfigs } from '../configs/config-descriptions.ts';
import { checkRecordsToCreate, checkTotalPartitionsToCreate } from '../admin-limits.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorize, authorizeCluster } from '../security/authorizer/authorize.ts';

type CheckedTopic = { topic: { partitions: number; configs: Record<string, string> } } | { error: unknown };

/** CreateTopics v5+ returns the created topic's partitions, replication factor and configs (KIP-525). */
const DESCRIBES_CREATED_TOPIC_MIN_VERSION = 5;

function checkTopic(broker: BrokerContext, topic: CreateTopicsRequestCreatableTopic): { partitions: number; configs: Record<string, string> } {
  validateTopicName(topic.name);
  if (broker.logs.topic(topic.name) !== undefined || broker.internalTopics.get(topic.name) !== undefined) {
    throw new BrokerError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${topic.name}' already exists.`);
  }
  // Internal topic names are reserved: the offsets and transaction state never live in an ordinary topic here.
  if (isInternalTopicName(topic.name)) throw new BrokerError(ErrorCode.INVALID_REQUEST, `Topic '${topic.name}' is an internal topic; it is created by the broker.`);
  broker.logs.checkTopicCollision(topic.name);
  const nodeId = broker.endpoint.nodeId;
  let partitions = topic.numPartitions === -1 ? broker.config.numPartitions : topic.numPartitions;
  if (topic.assignments.length > 0) {
    if (topic.numPartitions !== -1 || topic.replicationFactor !== -1) {
      throw new BrokerError(ErrorCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set.');
    }
    for (const assignment of topic.assignments) {
      if (assignment.brokerIds.length !== 1 || assignment.brokerIds[0] !== nodeId) {
        throw new BrokerError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `only node ${nodeId} exists`);
      }
    }
    partitions = topic.assignments.length;
  } else if (topic.replicationFactor !== -1 && topic.replicationFactor !== 1) {
    throw new BrokerError(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${topic.replicationFactor} time(s): The target replication factor of ${topic.replicationFactor} cannot be reached because only 1 broker(s) are registered.`);
  }
  if (partitions < 1) throw new BrokerError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.');
  const configs: Record<string, string> = {};
  for (const config of topic.configs) {
    if (config.value === null) throw new BrokerError(ErrorCode.INVALID_CONFIG, `Null value not supported for topic configs: ${config.name}`);
    configs[config.name] = config.value;
  }
  logConfigWithOverrides(defaultLogConfig, configs);
  return { partitions, configs };
}

export const createTopicsHandler: ApiHandler<typeof ApiKey.CreateTopics> = {
  apiKey: ApiKey.CreateTopics,
  minVersion: 2,
  maxVersion: 7,
  async handle(broker, request, context) {
    const topics: CreateTopicsResponseCreatableTopicResult[] = [];
    // CREATE on the cluster allows every topic; otherwise CREATE per topic (Kafka's `ControllerApis.createTopics`).
    const rules = apiAuthorization.CreateTopics;
    const mayCreateAll = authorizeCluster(broker, context, rules.cluster);
    const mayCreate = (name: string): boolean => mayCreateAll || authorize(broker, context, rules.topic, name);
    const describe = context.apiVersion >= DESCRIBES_CREATED_TOPIC_MIN_VERSION;
    let requestError: unknown = null;
    try {
      checkTotalPartitionsToCreate(request.topics, broker.config.numPartitions);
    } catch (error) {
      requestError = error;
    }
    // Every topic is checked before any is created: the records of those that pass count against Kafka's limit
    // per operation, and past it none is created.
    const checked = request.topics.map((requested): CheckedTopic => {
      if (requestError !== null) return { error: requestError };
      if (!mayCreate(requested.name)) return { error: new BrokerError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.') };
      try {
        return { topic: checkTopic(broker, requested) };
      } catch (error) {
        return { error };
      }
    });
    if (requestError === null) {
      try {
        checkRecordsToCreate(checked.flatMap((c) => ('topic' in c ? [{ partitions: c.topic.partitions, configs: Object.keys(c.topic.configs).length }] : [])));
      } catch (error) {
        requestError = error;
      }
    }
    for (const [index, requested] of request.topics.entries()) {
      const result: CreateTopicsResponseCreatableTopicResult = {
        name: requested.name,
        topicId: ZERO_UUID,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        topicConfigErrorCode: ErrorCode.NONE,
        numPartitions: -1,
        replicationFactor: -1,
        // A failed topic answers an empty list, not null: Kafka's CreatableTopicResult defaults Configs to [].
        configs: [],
      };
      topics.push(result);
      try {
        if (requestError !== null) throw requestError;
        const check = checked[index];
        if ('error' in check) throw check.error;
        const { partitions, configs } = check.topic;
        if (request.validateOnly) {
          if (describe) Object.assign(result, { numPartitions: partitions, replicationFactor: 1 });
          continue;
        }
        const created = await broker.logs.createTopic(requested.name, { partitions, configs });
        if (context.apiVersion >= 7) result.topicId = created.topicId;
        if (describe) {
          result.numPartitions = created.partitions;
          result.replicationFactor = 1;
          // Without DESCRIBE_CONFIGS on the new topic Kafka answers neither its configs nor its sizes.
          if (!authorize(broker, context, apiAuthorization.DescribeConfigs.topic, created.name)) Object.assign(result, { topicConfigErrorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, numPartitions: -1, replicationFactor: -1 });
          else result.configs = describeTopicConfigs(broker.dynamicConfigs.layers(), created).map((entry) => ({
            name: entry.name,
            value: entry.value,
            readOnly: entry.readOnly,
            configSource: entry.source,
            isSensitive: false,
          }));
        }
      } catch (error) {
        result.errorCode = errorCodeOf(error, broker.logger);
        result.errorMessage = errorMessageOf(error);
      }
    }
    return { throttleTimeMs: 0, topics };
  },
};
