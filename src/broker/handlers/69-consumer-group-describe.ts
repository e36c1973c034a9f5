// ConsumerGroupDescribe (key 69), version 0: KIP-848 consumer groups with their epochs, assignor, members, and
// each member's current and target assignment. A missing group, or a classic one, is GROUP_ID_NOT_FOUND.
// `IncludeAuthorizedOperations`: there is no authorizer, so every group operation is allowed (READ, DELETE,
// DESCRIBE); otherwise Kafka's "not requested" value.
import { ErrorCode } from '../../protocol/errors/index.ts';
import { defaultConsumerGroupDescribeResponseDescribedGroup } from '../../protocol/messages/generated/69-consumer-group-describe.ts';
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { SUPPORTED_OPERATIONS, authorize, authorizedOperations } from '../security/authorizer/authorize.ts';
import { ResourceType } from '../security/authorizer/acl.ts';

const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;
/** `AclOperation` codes READ (3), DELETE (6), DESCRIBE (8) as a bit field. */
const GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);

export const consumerGroupDescribeHandler: ApiHandler<typeof ApiKey.ConsumerGroupDescribe> = {
  apiKey: ApiKey.ConsumerGroupDescribe,
  minVersion: 0,
  maxVersion: 0,
  handle(broker, request, context) {
    const deniedOperations = request.includeAuthorizedOperations ? GROUP_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED;
    const describable = (groupId: string) => authorize(broker, context, apiAuthorization.ConsumerGroupDescribe.group, groupId);
    const described = broker.groups.consumerGroupDescribe(request.groupIds.filter(describable), broker.logs);
    let next = 0;
    return {
      throttleTimeMs: 0,
      groups: request.groupIds.map((groupId) =>
        describable(groupId)
          ? { ...described[next++], authorizedOperations: request.includeAuthorizedOperations ? (authorizedOperations(broker, context, ResourceType.GROUP, groupId, SUPPORTED_OPERATIONS.group) ?? GROUP_OPERATIONS) : AUTHORIZED_OPERATIONS_OMITTED }
          : { ...defaultConsumerGroupDescribeResponseDescribedGroup(), groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null, authorizedOperations: deniedOperations },
      ),
    };
  },
};
