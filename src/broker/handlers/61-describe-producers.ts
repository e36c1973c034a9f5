// DescribeProducers (key 61), version 0 (KIP-664): the producers a partition's producer state tracks — id,
// epoch, last sequence, last timestamp, coordinator epoch and the start offset of an open transaction. The virtual
// internal topics (internal-topics.ts) have no partition logs, so no producer state: their partitions list none.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorize } from '../security/authorizer/authorize.ts';

export const describeProducersHandler: ApiHandler<typeof ApiKey.DescribeProducers> = {
  apiKey: ApiKey.DescribeProducers,
  minVersion: 0,
  maxVersion: 0,
  handle(broker, request, context) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitionIndexes.map((partitionIndex) => {
          if (!authorize(broker, context, apiAuthorization.DescribeProducers.topic, topic.name)) {
            return { partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null, activeProducers: [] };
          }
          const log = broker.logs.getLog(topic.name, partitionIndex);
          const internal = broker.internalTopics.get(topic.name);
          if (log === undefined && internal !== undefined && partitionIndex >= 0 && partitionIndex < internal.partitions) {
            return { partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers: [] };
          }
          if (log === undefined) {
            return { partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null, activeProducers: [] };
          }
          const activeProducers = log.producerState.describeProducers().map((producer) => ({
            producerId: producer.producerId,
            producerEpoch: producer.producerEpoch,
            lastSequence: producer.lastSequence,
            lastTimestamp: producer.lastTimestamp,
            coordinatorEpoch: producer.coordinatorEpoch,
            currentTxnStartOffset: producer.currentTxnStartOffset,
          }));
          return { partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers };
        }),
      })),
    };
  },
};
