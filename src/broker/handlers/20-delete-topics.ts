// DeleteTopics (key 20), versions 1-6 (Kafka 4.0 removed 0). Up to v5 topics are named in `TopicNames`; v6 names
// them or gives topic ids in `Topics` (KIP-516).
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { DeleteTopicsResponseDeletableTopicResult } from '../../protocol/messages/generated/20-delete-topics.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { ZERO_UUID } from '../../protocol/messages/runtime.ts';
import type { ApiHandler } from './api-handler.ts';
import { errorCodeOf, errorMessageOf } from '../broker-error.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorize, authorizeCluster } from '../security/authorizer/authorize.ts';

const TOPIC_IDS_MIN_VERSION = 6;

export const deleteTopicsHandler: ApiHandler<typeof ApiKey.DeleteTopics> = {
  apiKey: ApiKey.DeleteTopics,
  minVersion: 1,
  maxVersion: 6,
  async handle(broker, request, context) {
    const byId = context.apiVersion >= TOPIC_IDS_MIN_VERSION;
    const targets = byId ? request.topics : request.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    const responses: DeleteTopicsResponseDeletableTopicResult[] = [];
    const rules = apiAuthorization.DeleteTopics;
    const mayDeleteAll = authorizeCluster(broker, context, rules.cluster);
    const mayDelete = (name: string): boolean => mayDeleteAll || authorize(broker, context, rules.topic, name);
    for (const target of targets) {
      const topic = target.name !== null ? broker.logs.topic(target.name) : broker.logs.topicById(target.topicId);
      const result: DeleteTopicsResponseDeletableTopicResult = {
        name: target.name,
        topicId: byId ? target.topicId : ZERO_UUID,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
      };
      responses.push(result);
      // Kafka checks DELETE before telling whether a named topic exists.
      if (target.name !== null && !mayDelete(target.name)) {
        result.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        continue;
      }
      if (topic === undefined) {
        result.errorCode = target.name !== null ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.UNKNOWN_TOPIC_ID;
        continue;
      }
      if (target.name === null && !mayDelete(topic.name)) {
        result.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        continue;
      }
      if (byId) {
        result.name = topic.name;
        result.topicId = topic.topicId;
      }
      try {
        await broker.logs.deleteTopic(topic.name);
        // Committed offsets of a deleted topic go with it (Kafka's GroupCoordinator.onPartitionsDeleted).
        await broker.groups.onTopicsDeleted([topic.name]);
      } catch (error) {
        result.errorCode = errorCodeOf(error, broker.logger);
        result.errorMessage = byId ? errorMessageOf(error) : null;
      }
    }
    return { throttleTimeMs: 0, responses };
  },
};
