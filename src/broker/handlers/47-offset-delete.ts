// OffsetDelete (key 47), version 0 (KIP-496). Deletes committed offsets of a group, answered once durable.
// Top-level errors: GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP (a group with members whose subscriptions are unknown,
// i.e. not protocol type "consumer"). Per partition: UNKNOWN_TOPIC_OR_PARTITION for partitions that do not exist,
// GROUP_SUBSCRIBED_TO_TOPIC for topics the group's members consume. Deleting an offset that was never committed
// succeeds. No simplification vs Kafka.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorize } from '../security/authorizer/authorize.ts';

export const offsetDeleteHandler: ApiHandler<typeof ApiKey.OffsetDelete> = {
  apiKey: ApiKey.OffsetDelete,
  minVersion: 0,
  maxVersion: 0,
  async handle(broker, request, context) {
    const rules = apiAuthorization.OffsetDelete;
    if (!authorize(broker, context, rules.group, request.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, throttleTimeMs: 0, topics: [] };
    const readable = (topic: string) => authorize(broker, context, rules.topic, topic);
    const existing = (topic: string, partition: number) => readable(topic) && broker.logs.getLog(topic, partition) !== undefined;
    const known = request.topics
      .map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((partition) => partition.partitionIndex).filter((partition) => existing(topic.name, partition)),
      }))
      .filter((topic) => topic.partitions.length > 0);
    const result = await broker.groups.deleteOffsets(request.groupId, known);
    if (result.errorCode !== ErrorCode.NONE) return { errorCode: result.errorCode, throttleTimeMs: 0, topics: [] };
    const errors = new Map<string, number>();
    for (const topic of result.topics) {
      for (const partition of topic.partitions) errors.set(`${topic.name}\u0000${partition.partitionIndex}`, partition.errorCode);
    }
    return {
      errorCode: ErrorCode.NONE,
      throttleTimeMs: 0,
      topics: request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map(({ partitionIndex }) => ({
          partitionIndex,
          errorCode: errors.get(`${topic.name}\u0000${partitionIndex}`) ?? (readable(topic.name) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.TOPIC_AUTHORIZATION_FAILED),
        })),
      })),
    };
  },
};
