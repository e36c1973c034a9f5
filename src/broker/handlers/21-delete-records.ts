// DeleteRecords (key 21), versions 0-2: moves a partition's log start offset forward (Kafka's
// `ReplicaManager.deleteRecords`). Offset -1 means the high watermark; an offset below 0 or above the high
// watermark is OFFSET_OUT_OF_RANGE. Whole segments below the new start are deleted; the answer's low watermark is
// the new log start offset, persisted before the answer.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { errorCodeOf } from '../broker-error.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorize } from '../security/authorizer/authorize.ts';

const HIGH_WATERMARK = -1n;

export const deleteRecordsHandler: ApiHandler<typeof ApiKey.DeleteRecords> = {
  apiKey: ApiKey.DeleteRecords,
  minVersion: 0,
  maxVersion: 2,
  handle(broker, request, context) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((partition) => {
          if (!authorize(broker, context, apiAuthorization.DeleteRecords.topic, topic.name)) {
            return { partitionIndex: partition.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
          }
          const log = broker.logs.getLog(topic.name, partition.partitionIndex);
          if (log === undefined) return { partitionIndex: partition.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
          try {
            const offset = partition.offset === HIGH_WATERMARK ? log.highWatermark : partition.offset;
            return { partitionIndex: partition.partitionIndex, lowWatermark: log.deleteRecordsBefore(offset), errorCode: ErrorCode.NONE };
          } catch (error) {
            return { partitionIndex: partition.partitionIndex, lowWatermark: -1n, errorCode: errorCodeOf(error, broker.logger) };
          }
        }),
      })),
    };
  },
};
