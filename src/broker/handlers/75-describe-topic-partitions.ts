// DescribeTopicPartitions (key 75), version 0 (KIP-966). Topics by name (an empty list: every topic, sorted by
// name, internal topics included with isInternal), never auto-created; at most `responsePartitionLimit` partitions per response (the broker caps it at
// 2000, Kafka's `max.request.partition.size.limit` default), continued from `cursor` with `nextCursor`. One node:
// leader, replicas and ISR are this node, leader epoch 0, no eligible leader replicas (ELR is off).
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { DescribeTopicPartitionsResponseTopic } from '../../protocol/messages/generated/75-describe-topic-partitions.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { ZERO_UUID } from '../../protocol/messages/runtime.ts';
import type { ApiHandler } from './api-handler.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorize } from '../security/authorizer/authorize.ts';

/** Kafka's `max.request.partition.size.limit` default. */
const MAX_PARTITIONS_PER_RESPONSE = 2000;
/** Kafka's "not requested" marker for authorized-operations fields. */
const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

export const describeTopicPartitionsHandler: ApiHandler<typeof ApiKey.DescribeTopicPartitions> = {
  apiKey: ApiKey.DescribeTopicPartitions,
  minVersion: 0,
  maxVersion: 0,
  handle(broker, request, context) {
    const nodeId = broker.endpoint.nodeId;
    const limit = Math.max(1, Math.min(request.responsePartitionLimit, MAX_PARTITIONS_PER_RESPONSE));
    const describable = (name: string) => authorize(broker, context, apiAuthorization.DescribeTopicPartitions.topic, name);
    // A listing leaves out the topics the caller may not DESCRIBE; a named one is answered TOPIC_AUTHORIZATION_FAILED.
    const names = request.topics.length === 0
      ? [...broker.logs.listTopics(), ...broker.internalTopics.list()].map((topic) => topic.name).filter(describable).sort()
      : [...new Set(request.topics.map((topic) => topic.name))].sort();
    const cursor = request.cursor;
    const topics: DescribeTopicPartitionsResponseTopic[] = [];
    let remaining = limit;
    let nextCursor: { topicName: string; partitionIndex: number } | null = null;
    for (const name of names) {
      if (cursor !== null && name < cursor.topicName) continue;
      if (!describable(name)) {
        topics.push({ errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED });
        continue;
      }
      const internal = broker.internalTopics.get(name);
      const topic = broker.logs.topic(name) ?? internal;
      if (topic === undefined) {
        topics.push({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED });
        continue;
      }
      if (remaining === 0) {
        nextCursor = { topicName: name, partitionIndex: 0 };
        break;
      }
      const first = cursor !== null && name === cursor.topicName ? Math.max(0, cursor.partitionIndex) : 0;
      const partitions = [];
      let partitionIndex = first;
      for (; partitionIndex < topic.partitions && remaining > 0; partitionIndex++, remaining--) {
        partitions.push({
          errorCode: ErrorCode.NONE,
          partitionIndex,
          leaderId: nodeId,
          leaderEpoch: 0,
          replicaNodes: [nodeId],
          isrNodes: [nodeId],
          eligibleLeaderReplicas: [],
          lastKnownElr: [],
          offlineReplicas: [],
        });
      }
      topics.push({ errorCode: ErrorCode.NONE, name, topicId: topic.topicId, isInternal: internal !== undefined, partitions, topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED });
      if (partitionIndex < topic.partitions) {
        nextCursor = { topicName: name, partitionIndex };
        break;
      }
    }
    return { throttleTimeMs: 0, topics, nextCursor };
  },
};
