// DeleteGroups (key 42), versions 0-2. Deletes Empty groups with all their committed offsets, answered once the
// deletion is durable. Per group: NON_EMPTY_GROUP while it has members, GROUP_ID_NOT_FOUND when unknown,
// INVALID_GROUP_ID for "". No simplification vs Kafka.
import { ErrorCode } from '../../protocol/errors/index.ts';
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorize } from '../security/authorizer/authorize.ts';

export const deleteGroupsHandler: ApiHandler<typeof ApiKey.DeleteGroups> = {
  apiKey: ApiKey.DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  async handle(broker, request, context) {
    const deletable = (groupId: string) => authorize(broker, context, apiAuthorization.DeleteGroups.group, groupId);
    const deleted = await broker.groups.deleteGroups(request.groupsNames.filter(deletable));
    let next = 0;
    return {
      throttleTimeMs: 0,
      results: request.groupsNames.map((groupId) => (deletable(groupId) ? deleted[next++] : { groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED })),
    };
  },
};
