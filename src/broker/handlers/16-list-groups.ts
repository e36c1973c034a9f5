// ListGroups (key 16), versions 0-5. Every group this node coordinates (all of them), with its protocol type;
// v4+ adds the state and a case-insensitive state filter, v5 the group type ("classic", or "consumer" for KIP-848
// consumer groups, whose protocol type is also "consumer") and a type filter. No simplification vs Kafka.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorize, authorizeCluster } from '../security/authorizer/authorize.ts';

const STATES_FILTER_MIN_VERSION = 4;
const TYPES_FILTER_MIN_VERSION = 5;

export const listGroupsHandler: ApiHandler<typeof ApiKey.ListGroups> = {
  apiKey: ApiKey.ListGroups,
  minVersion: 0,
  maxVersion: 5,
  handle(broker, request, context) {
    const version = context.apiVersion;
    const statesFilter = version >= STATES_FILTER_MIN_VERSION ? request.statesFilter : [];
    const typesFilter = version >= TYPES_FILTER_MIN_VERSION ? request.typesFilter : [];
    const rules = apiAuthorization.ListGroups;
    let groups = broker.groups.listGroups(statesFilter, typesFilter);
    // DESCRIBE on the cluster lists every group; otherwise only the groups the caller may DESCRIBE.
    if (!authorizeCluster(broker, context, rules.cluster)) groups = groups.filter((group) => authorize(broker, context, rules.group, group.groupId));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups };
  },
};
