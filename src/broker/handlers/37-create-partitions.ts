// CreatePartitions (key 37), versions 0-3: grows a topic's partition count. Assignments must name this node.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { BrokerError, errorCodeOf, errorMessageOf } from '../broker-error.ts';
import { checkPartitionsToAdd } from '../admin-limits.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorize } from '../security/authorizer/authorize.ts';

export const createPartitionsHandler: ApiHandler<typeof ApiKey.CreatePartitions> = {
  apiKey: ApiKey.CreatePartitions,
  minVersion: 0,
  maxVersion: 3,
  async handle(broker, request, context) {
    const results = [];
    for (const topic of request.topics) {
      const result = { name: topic.name, errorCode: ErrorCode.NONE as number, errorMessage: null as string | null };
      results.push(result);
      try {
        if (!authorize(broker, context, apiAuthorization.CreatePartitions.topic, topic.name)) throw new BrokerError(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
        const current = broker.logs.topic(topic.name);
        if (current === undefined) throw new BrokerError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${topic.name}' does not exist.`);
        // The wording of Kafka's ReplicationControlManager.createPartitions for each case.
        if (topic.count === current.partitions) {
          throw new BrokerError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current.partitions} partition(s).`);
        }
        if (topic.count < current.partitions) {
          throw new BrokerError(ErrorCode.INVALID_PARTITIONS, `The topic ${topic.name} currently has ${current.partitions} partition(s); ${topic.count} would not be an increase.`);
        }
        checkPartitionsToAdd(topic.count - current.partitions);
        for (const assignment of topic.assignments ?? []) {
          if (assignment.brokerIds.some((id) => id !== broker.endpoint.nodeId)) {
            throw new BrokerError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `only node ${broker.endpoint.nodeId} exists`);
          }
        }
        if (!request.validateOnly) await broker.logs.createPartitions(topic.name, topic.count);
      } catch (error) {
        result.errorCode = errorCodeOf(error, broker.logger);
        result.errorMessage = errorMessageOf(error);
      }
    }
    return { throttleTimeMs: 0, results };
  },
};
