// Heartbeat (key 12), versions 0-4. Keeps a member's session alive (it is removed, and the group rebalances,
// when none arrives within its session timeout) and tells it about rebalances: REBALANCE_IN_PROGRESS while the
// group prepares one (the member must rejoin), ILLEGAL_GENERATION for a stale generation, UNKNOWN_MEMBER_ID for
// a member the group does not know (expired, or the broker restarted), FENCED_INSTANCE_ID (v3+ static members).
// No simplification vs Kafka.
import { ErrorCode } from '../../protocol/errors/index.ts';
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorize } from '../security/authorizer/authorize.ts';

export const heartbeatHandler: ApiHandler<typeof ApiKey.Heartbeat> = {
  apiKey: ApiKey.Heartbeat,
  minVersion: 0,
  maxVersion: 4,
  handle(broker, request, context) {
    if (!authorize(broker, context, apiAuthorization.Heartbeat.group, request.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    const errorCode = broker.groups.heartbeat({
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
    });
    return { throttleTimeMs: 0, errorCode };
  },
};
