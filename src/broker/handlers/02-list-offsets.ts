// ListOffsets (key 2), versions 1-10. Special timestamps as in Kafka's `ListOffsetsRequest`: -1 latest (the high
// watermark, or the last stable offset for read_committed), -2 earliest (log start offset), -3 the record with
// the largest timestamp (KIP-734, v7+), -4 earliest local (v8+; no tiered storage here, so the log start), -5
// latest tiered (v9+; nothing is tiered, so no offset, as Kafka answers without remote storage).
// Any other timestamp finds the first offset whose record timestamp is >= it (-1 offset when none). As in Kafka's
// `Partition.fetchOffsetForTimestamp`, lookups by timestamp only answer offsets below the last fetchable offset:
// the last stable offset for read_committed, else the high watermark. v10's TimeoutMs only matters for remote
// lookups.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { ListOffsetsResponseListOffsetsPartitionResponse } from '../../protocol/messages/generated/02-list-offsets.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { errorCodeOf } from '../broker-error.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorize } from '../security/authorizer/authorize.ts';

const LATEST_TIMESTAMP = -1n;
const EARLIEST_TIMESTAMP = -2n;
const MAX_TIMESTAMP = -3n;
const EARLIEST_LOCAL_TIMESTAMP = -4n;
const LATEST_TIERED_TIMESTAMP = -5n;
const READ_COMMITTED = 1;

export const listOffsetsHandler: ApiHandler<typeof ApiKey.ListOffsets> = {
  apiKey: ApiKey.ListOffsets,
  minVersion: 1,
  maxVersion: 10,
  handle(broker, request, context) {
    const topics = request.topics.map((topic) => {
      const describable = authorize(broker, context, apiAuthorization.ListOffsets.topic, topic.name);
      return {
      name: topic.name,
      partitions: topic.partitions.map((partition): ListOffsetsResponseListOffsetsPartitionResponse => {
        const answer = { partitionIndex: partition.partitionIndex, errorCode: ErrorCode.NONE, oldStyleOffsets: [], timestamp: -1n, offset: -1n, leaderEpoch: -1 };
        if (!describable) return { ...answer, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
        const log = broker.logs.getLog(topic.name, partition.partitionIndex);
        if (log === undefined) return { ...answer, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
        if (partition.currentLeaderEpoch > 0) return { ...answer, errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH };
        try {
          const lastFetchable = request.isolationLevel === READ_COMMITTED ? log.lastStableOffset : log.highWatermark;
          switch (partition.timestamp) {
            case LATEST_TIMESTAMP:
              return { ...answer, offset: lastFetchable, leaderEpoch: 0 };
            case LATEST_TIERED_TIMESTAMP:
              return answer;
            case EARLIEST_TIMESTAMP:
            case EARLIEST_LOCAL_TIMESTAMP:
              return { ...answer, offset: log.logStartOffset, leaderEpoch: 0 };
            case MAX_TIMESTAMP: {
              const found = log.maxTimestampOffset({ maxOffset: lastFetchable });
              return found === null ? answer : { ...answer, timestamp: found.timestamp, offset: found.offset, leaderEpoch: 0 };
            }
            default: {
              const found = log.offsetForTimestamp(partition.timestamp, { maxOffset: lastFetchable });
              return found === null ? answer : { ...answer, timestamp: found.timestamp, offset: found.offset, leaderEpoch: 0 };
            }
          }
        } catch (error) {
          return { ...answer, errorCode: errorCodeOf(error, broker.logger) };
        }
      }),
      };
    });
    return { throttleTimeMs: 0, topics };
  },
};
