// LeaveGroup (key 13), versions 0-5. Removes members at once (instead of waiting for their session timeout) and
// rebalances the rest. v0-2 name one member; v3+ batch members, by member id or, for an admin removing static
// members, by group instance id alone (KIP-345); each gets its own error. For v0-2 the single member's error is
// the top-level error (`LeaveGroupResponse`). No simplification vs Kafka.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorize } from '../security/authorizer/authorize.ts';

const BATCH_MIN_VERSION = 3;

export const leaveGroupHandler: ApiHandler<typeof ApiKey.LeaveGroup> = {
  apiKey: ApiKey.LeaveGroup,
  minVersion: 0,
  maxVersion: 5,
  handle(broker, request, context) {
    const batched = context.apiVersion >= BATCH_MIN_VERSION;
    if (!authorize(broker, context, apiAuthorization.LeaveGroup.group, request.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, members: [] };
    const members = batched ? request.members : [{ memberId: request.memberId, groupInstanceId: null, reason: null }];
    const result = broker.groups.leaveGroup(request.groupId, members);
    if (batched) return { throttleTimeMs: 0, errorCode: result.errorCode, members: result.members };
    const memberError = result.members.find((member) => member.errorCode !== ErrorCode.NONE)?.errorCode ?? ErrorCode.NONE;
    return { throttleTimeMs: 0, errorCode: result.errorCode !== ErrorCode.NONE ? result.errorCode : memberError, members: [] };
  },
};
