// OffsetCommit (key 8), versions 2-9 (v0 stored offsets in ZooKeeper, v1 carried a commit timestamp; no client
// we target needs them). Offsets are acknowledged once durable in the offsets log. The group checks the member,
// its static instance id (v7+) and the generation (`ClassicGroup.validateOffsetCommit`): ILLEGAL_GENERATION,
// UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, REBALANCE_IN_PROGRESS while the group awaits its assignment. Generation
// -1 without a member id commits for a group with no members (the admin client, or a consumer assigning
// partitions itself); a missing group is then created as a "simple" group. An unknown group with a generation
// is ILLEGAL_GENERATION (GROUP_ID_NOT_FOUND from v9). Per partition: UNKNOWN_TOPIC_OR_PARTITION for partitions
// that do not exist (checked here, as `KafkaApis` does, before the group sees the request),
// OFFSET_METADATA_TOO_LARGE beyond `offset.metadata.max.bytes`. v2-4 `RetentionTimeMs` overrides the offsets'
// retention. No simplification vs Kafka.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorize } from '../security/authorizer/authorize.ts';
import { commitAuthorizedPartitions, commitResponseTopics } from './offset-commit-routing.ts';

const GROUP_ID_NOT_FOUND_MIN_VERSION = 9;

export const offsetCommitHandler: ApiHandler<typeof ApiKey.OffsetCommit> = {
  apiKey: ApiKey.OffsetCommit,
  minVersion: 2,
  maxVersion: 9,
  async handle(broker, request, context) {
    const rules = apiAuthorization.OffsetCommit;
    const groupDenied = !authorize(broker, context, rules.group, request.groupId);
    const errors = request.topics.map((topic) => {
      // Kafka: a group the caller may not READ fails every partition; a topic it may not READ fails its partitions.
      const code = groupDenied ? ErrorCode.GROUP_AUTHORIZATION_FAILED : !authorize(broker, context, rules.topic, topic.name) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      return topic.partitions.map((): number => code);
    });
    await commitAuthorizedPartitions(broker, request.topics, errors, (topics) =>
      broker.groups.commitOffsets({
        groupId: request.groupId,
        generationId: request.generationIdOrMemberEpoch,
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId,
        retentionTimeMs: request.retentionTimeMs,
        topics,
        groupIdNotFoundForUnknownGroup: context.apiVersion >= GROUP_ID_NOT_FOUND_MIN_VERSION,
      }, broker.logs),
    );
    return { throttleTimeMs: 0, topics: commitResponseTopics(broker, request.topics, errors) };
  },
};

