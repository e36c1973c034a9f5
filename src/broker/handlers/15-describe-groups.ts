// DescribeGroups (key 15), versions 0-5. State, protocol type, selected protocol and members of each group;
// member metadata only once the group is Stable (Kafka's `describeNoMetadata` otherwise: assignments only). An
// unknown group is described as Dead without an error (GROUP_ID_NOT_FOUND is v6+, which we do not serve).
// v3+ `IncludeAuthorizedOperations`: there is no authorizer, so every group operation is allowed (READ, DELETE,
// DESCRIBE); otherwise the field is Kafka's "not requested" value.
import { ErrorCode } from '../../protocol/errors/index.ts';
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { SUPPORTED_OPERATIONS, authorize, authorizedOperations } from '../security/authorizer/authorize.ts';
import { ResourceType } from '../security/authorizer/acl.ts';

/** Kafka's "not requested" marker for authorized-operations fields. */
const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;
/** `AclOperation` codes READ (3), DELETE (6), DESCRIBE (8): what a group supports, as a bit field. */
const GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);

export const describeGroupsHandler: ApiHandler<typeof ApiKey.DescribeGroups> = {
  apiKey: ApiKey.DescribeGroups,
  minVersion: 0,
  maxVersion: 5,
  handle(broker, request, context) {
    const deniedOperations = request.includeAuthorizedOperations ? GROUP_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED;
    const describable = (groupId: string) => authorize(broker, context, apiAuthorization.DescribeGroups.group, groupId);
    const described = broker.groups.describeGroups(request.groups.filter(describable));
    let next = 0;
    return {
      throttleTimeMs: 0,
      groups: request.groups.map((groupId) =>
        describable(groupId)
          ? { ...described[next++], authorizedOperations: request.includeAuthorizedOperations ? (authorizedOperations(broker, context, ResourceType.GROUP, groupId, SUPPORTED_OPERATIONS.group) ?? GROUP_OPERATIONS) : AUTHORIZED_OPERATIONS_OMITTED }
          : { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: deniedOperations },
      ),
    };
  },
};
