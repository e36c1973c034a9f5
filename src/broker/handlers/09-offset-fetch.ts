// OffsetFetch (key 9), versions 1-9 (v0 read ZooKeeper offsets). v1-7 fetch one group, v8+ several (KIP-709).
// A null topic list (v2+) fetches every committed offset of the group. Partitions without an offset, and
// unknown groups, get offset -1 and no error. The answer waits until the offsets it returns are durable.
// v7+ `RequireStable` (KIP-447): partitions with pending transactional offsets get UNSTABLE_OFFSET_COMMIT —
// there are none until TxnOffsetCommit exists, but the check is in place. v9's member id and epoch only matter
// to KIP-848 consumer groups (UNKNOWN_MEMBER_ID, STALE_MEMBER_EPOCH as the group's error) and are ignored for
// classic groups, as Kafka does. A group-level error is the
// top-level error (v2-7), each partition's error (v1), or the group's error (v8+).
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { OffsetFetchResponseTopic } from '../../protocol/messages/generated/09-offset-fetch.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ApiHandler, RequestContext } from './api-handler.ts';
import type { BrokerContext } from '../broker-context.ts';
import type { OffsetFetchGroupParams, OffsetFetchGroupResult } from '../group/group-coordinator.ts';
import { INVALID_OFFSET, NO_LEADER_EPOCH, NO_METADATA } from '../group/offset-metadata-manager.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorize, authorizationEnabled } from '../security/authorizer/authorize.ts';

const TOP_LEVEL_ERROR_MIN_VERSION = 2;
const REQUIRE_STABLE_MIN_VERSION = 7;
const MULTIPLE_GROUPS_MIN_VERSION = 8;

export const offsetFetchHandler: ApiHandler<typeof ApiKey.OffsetFetch> = {
  apiKey: ApiKey.OffsetFetch,
  minVersion: 1,
  maxVersion: 9,
  async handle(broker, request, context) {
    const version = context.apiVersion;
    const requireStable = version >= REQUIRE_STABLE_MIN_VERSION && request.requireStable;
    if (version >= MULTIPLE_GROUPS_MIN_VERSION) {
      const results = await fetchAuthorizedOffsets(broker, context, request.groups, requireStable);
      return { throttleTimeMs: 0, topics: [], errorCode: ErrorCode.NONE, groups: results };
    }
    const [result] = await fetchAuthorizedOffsets(broker, context, [{ groupId: request.groupId, topics: request.topics }], requireStable);
    let topics: OffsetFetchResponseTopic[] = result.topics;
    if (version < TOP_LEVEL_ERROR_MIN_VERSION && result.errorCode !== ErrorCode.NONE) {
      // v1 has no top-level error: every requested partition carries it.
      topics = (request.topics ?? []).map((topic) => ({
        name: topic.name,
        partitions: topic.partitionIndexes.map((partitionIndex) => ({
          partitionIndex,
          committedOffset: INVALID_OFFSET,
          committedLeaderEpoch: NO_LEADER_EPOCH,
          metadata: NO_METADATA,
          errorCode: result.errorCode,
        })),
      }));
    }
    return { throttleTimeMs: 0, topics, errorCode: result.errorCode, groups: [] };
  },
};

/**
 * The coordinator's answer with Kafka's checks applied: a group the caller may not DESCRIBE is
 * GROUP_AUTHORIZATION_FAILED; of the topics, those it may not DESCRIBE are left out of an all-topics answer and
 * answered TOPIC_AUTHORIZATION_FAILED when named.
 */
async function fetchAuthorizedOffsets(broker: BrokerContext, context: RequestContext, groups: readonly OffsetFetchGroupParams[], requireStable: boolean): Promise<OffsetFetchGroupResult[]> {
  if (!authorizationEnabled(broker)) return broker.groups.fetchOffsets(groups, requireStable);
  const rules = apiAuthorization.OffsetFetch;
  const allowed = groups.filter((group) => authorize(broker, context, rules.group, group.groupId));
  const results = allowed.length === 0 ? [] : await broker.groups.fetchOffsets(allowed, requireStable);
  let next = 0;
  return groups.map((group): OffsetFetchGroupResult => {
    if (!allowed.includes(group)) return { groupId: group.groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: [] };
    const result = results[next++];
    const topics = result.topics.flatMap((topic) => {
      if (authorize(broker, context, rules.topic, topic.name)) return [topic];
      if (group.topics === null) return [];
      return [{ ...topic, partitions: topic.partitions.map((partition) => ({ ...partition, committedOffset: INVALID_OFFSET, committedLeaderEpoch: NO_LEADER_EPOCH, metadata: NO_METADATA, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })) }];
    });
    return { ...result, topics };
  });
}
