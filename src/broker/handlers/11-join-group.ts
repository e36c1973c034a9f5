// JoinGroup (key 11), versions 0-9. The first half of a classic rebalance: the member joins (or rejoins) and
// the answer is parked until the group's join phase completes — every known member rejoined, or the rebalance
// timeout passed (a new group waits `group.initial.rebalance.delay.ms` first). The leader's answer lists every
// member with its metadata for the selected protocol (chosen by vote among the protocols all members support).
// v4+: a first join without a member id is answered MEMBER_ID_REQUIRED with a fresh id (KIP-394). v5+: static
// members (`GroupInstanceId`, KIP-345) keep their place across restarts; v9: a static leader rejoining a stable
// group is told to skip the assignment (KIP-814). v0 has no rebalance timeout: the session timeout stands in.
// The state machine lives in group/group-coordinator.ts. A JoinGroup to a non-empty KIP-848 consumer group joins it
// as a classic member (online migration, group/consumer-group-classic-members.ts) and is answered at once.
// Simplifications vs Kafka: the group is not written to `__consumer_offsets` before the answer (membership is
// in memory; only the generation is persisted); `group.max.size` is unlimited by default.
import { ErrorCode } from '../../protocol/errors/index.ts';
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorize } from '../security/authorizer/authorize.ts';

const REQUIRE_KNOWN_MEMBER_ID_MIN_VERSION = 4;
const SKIP_ASSIGNMENT_MIN_VERSION = 9;
/** Below v7 ProtocolName is not nullable. */
const NULLABLE_PROTOCOL_NAME_MIN_VERSION = 7;

export const joinGroupHandler: ApiHandler<typeof ApiKey.JoinGroup> = {
  apiKey: ApiKey.JoinGroup,
  minVersion: 0,
  maxVersion: 9,
  async handle(broker, request, context) {
    const version = context.apiVersion;
    if (!authorize(broker, context, apiAuthorization.JoinGroup.group, request.groupId)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, generationId: -1, protocolType: null, protocolName: version >= NULLABLE_PROTOCOL_NAME_MIN_VERSION ? null : '', leader: '', skipAssignment: false, memberId: '', members: [] };
    }
    const result = await broker.groups.joinGroup({
      groupId: request.groupId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      sessionTimeoutMs: request.sessionTimeoutMs,
      rebalanceTimeoutMs: version === 0 ? request.sessionTimeoutMs : request.rebalanceTimeoutMs,
      protocolType: request.protocolType,
      // Copies: decoded byte fields are views into the request frame, and the group keeps these.
      protocols: request.protocols.map((protocol) => ({ name: protocol.name, metadata: Buffer.from(protocol.metadata) })),
      reason: request.reason,
      clientId: context.clientId ?? '',
      clientHost: clientHost(context.connection.remoteAddress),
      requireKnownMemberId: version >= REQUIRE_KNOWN_MEMBER_ID_MIN_VERSION,
      supportsSkippingAssignment: version >= SKIP_ASSIGNMENT_MIN_VERSION,
    });
    return {
      throttleTimeMs: 0,
      ...result,
      protocolName: version >= NULLABLE_PROTOCOL_NAME_MIN_VERSION ? result.protocolName : (result.protocolName ?? ''),
    };
  },
};

/** Kafka reports a member's host as `InetAddress.toString()`: "/127.0.0.1". */
export function clientHost(remoteAddress: string): string {
  const colon = remoteAddress.lastIndexOf(':');
  const host = colon > 0 ? remoteAddress.slice(0, colon) : remoteAddress;
  return `/${host}`;
}
