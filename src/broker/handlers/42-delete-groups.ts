// DeleteGroups (key 42), versions 0-2. Deletes Empty groups with all their committed offsets, answered once the
// deletion is durable. Per group: NON_EMPTY_GROUP while it has members, GROUP_ID_NOT_FOUND when unknown,
// INVALID_GROUP_ID for "". No simplification vs Kafka.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { ApiHandler } from './api-handler.ts';

export const deleteGroupsHandler: ApiHandler<typeof ApiKey.DeleteGroups> = {
  apiKey: ApiKey.DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  async handle(broker, request) {
    return { throttleTimeMs: 0, results: await broker.groups.deleteGroups(request.groupsNames) };
  },
};
