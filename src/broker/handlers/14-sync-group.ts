// SyncGroup (key 14), versions 0-5. The second half of a classic rebalance: the leader sends the assignment it
// computed, every member gets its own part. A follower's request is parked until the leader's arrives; a stable
// group answers at once with the member's current assignment. Errors: UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION,
// REBALANCE_IN_PROGRESS (a new rebalance started), FENCED_INSTANCE_ID (v3+ static members).
// v5 carries the protocol type and name the member expects: both are mandatory, and a mismatch with the group is
// INCONSISTENT_GROUP_PROTOCOL (`SyncGroupRequest.areMandatoryProtocolTypeAndNamePresent`).
// Simplification vs Kafka: the assignment is not persisted before it is handed out (membership is in memory).
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorize } from '../security/authorizer/authorize.ts';

const PROTOCOL_CHECK_MIN_VERSION = 5;

export const syncGroupHandler: ApiHandler<typeof ApiKey.SyncGroup> = {
  apiKey: ApiKey.SyncGroup,
  minVersion: 0,
  maxVersion: 5,
  async handle(broker, request, context) {
    const checksProtocol = context.apiVersion >= PROTOCOL_CHECK_MIN_VERSION;
    if (!authorize(broker, context, apiAuthorization.SyncGroup.group, request.groupId)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
    }
    if (checksProtocol && (request.protocolType === null || request.protocolName === null)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
    }
    const result = await broker.groups.syncGroup({
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      protocolType: checksProtocol ? request.protocolType : null,
      protocolName: checksProtocol ? request.protocolName : null,
      assignments: request.assignments,
    });
    return { throttleTimeMs: 0, ...result };
  },
};
