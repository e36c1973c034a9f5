// ConsumerGroupDescribe (key 69), version 0: KIP-848 consumer groups with their epochs, assignor, members, and
// each member's current and target assignment. A missing group, or a classic one, is GROUP_ID_NOT_FOUND.
// `IncludeAuthorizedOperations`: there is no authorizer, so every group operation is allowed (READ, DELETE,
// DESCRIBE); otherwise Kafka's "not requested" value.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { ApiHandler } from './api-handler.ts';

const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;
/** `AclOperation` codes READ (3), DELETE (6), DESCRIBE (8) as a bit field. */
const GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);

export const consumerGroupDescribeHandler: ApiHandler<typeof ApiKey.ConsumerGroupDescribe> = {
  apiKey: ApiKey.ConsumerGroupDescribe,
  minVersion: 0,
  maxVersion: 0,
  handle(broker, request) {
    const authorizedOperations = request.includeAuthorizedOperations ? GROUP_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED;
    return {
      throttleTimeMs: 0,
      groups: broker.groups.consumerGroupDescribe(request.groupIds, broker.logs).map((group) => ({ ...group, authorizedOperations })),
    };
  },
};
