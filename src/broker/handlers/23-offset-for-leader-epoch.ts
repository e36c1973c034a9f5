// OffsetForLeaderEpoch (key 23), versions 2-4 (librdkafka uses exactly v2). This broker has led every partition
// since it was created, always at leader epoch 0, so the end offset of epoch 0 is the log end offset and any
// later epoch is unknown (Kafka's `LeaderEpochFileCache.endOffsetFor`: UNDEFINED_EPOCH / UNDEFINED_EPOCH_OFFSET).
// A newer `currentLeaderEpoch` than ours is UNKNOWN_LEADER_EPOCH; an older one cannot exist (ours is 0).
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorize } from '../security/authorizer/authorize.ts';

const UNDEFINED_EPOCH = -1;
const UNDEFINED_EPOCH_OFFSET = -1n;

export const offsetForLeaderEpochHandler: ApiHandler<typeof ApiKey.OffsetForLeaderEpoch> = {
  apiKey: ApiKey.OffsetForLeaderEpoch,
  minVersion: 2,
  maxVersion: 4,
  handle(broker, request, context) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((topic) => ({
        topic: topic.topic,
        partitions: topic.partitions.map((partition) => {
          const answer = { errorCode: ErrorCode.NONE, partition: partition.partition, leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
          if (!authorize(broker, context, apiAuthorization.OffsetForLeaderEpoch.topic, topic.topic)) return { ...answer, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
          const log = broker.logs.getLog(topic.topic, partition.partition);
          if (log === undefined) return { ...answer, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
          if (partition.currentLeaderEpoch > 0) return { ...answer, errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH };
          if (partition.leaderEpoch > 0) return answer;
          return { ...answer, leaderEpoch: 0, endOffset: log.logEndOffset };
        }),
      })),
    };
  },
};
