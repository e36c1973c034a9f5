// ConsumerGroupHeartbeat (key 68), versions 0-1: KIP-848's consumer group protocol. One request joins (member
// epoch 0), heartbeats and acknowledges revocations (current epoch with the partitions still owned), or leaves
// (-1; -2 for a static member leaving temporarily); the answer carries the member epoch, the heartbeat interval
// and, when it changed or the request was a full one, the member's assignment. v1 (KIP-1082) requires a
// client-generated member id; v0 lets the broker generate one on join. Semantics and simplifications:
// group/consumer-group-manager.ts.
import { ErrorCode } from '../../protocol/errors/index.ts';
import { defaultConsumerGroupHeartbeatResponse } from '../../protocol/messages/generated/68-consumer-group-heartbeat.ts';
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { clientHost } from './11-join-group.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorize } from '../security/authorizer/authorize.ts';

const MEMBER_ID_REQUIRED_MIN_VERSION = 1;

export const consumerGroupHeartbeatHandler: ApiHandler<typeof ApiKey.ConsumerGroupHeartbeat> = {
  apiKey: ApiKey.ConsumerGroupHeartbeat,
  minVersion: 0,
  maxVersion: 1,
  async handle(broker, request, context) {
    const rules = apiAuthorization.ConsumerGroupHeartbeat;
    if (!authorize(broker, context, rules.group, request.groupId)) return { ...defaultConsumerGroupHeartbeatResponse(), errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null, memberId: null };
    const hidden = (request.subscribedTopicNames ?? []).filter((name) => !authorize(broker, context, rules.topic, name));
    if (hidden.length > 0) {
      return { ...defaultConsumerGroupHeartbeatResponse(), errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: `The following topics are not authorized: ${hidden.join(', ')}`, memberId: null };
    }
    const result = await broker.groups.consumerGroupHeartbeat(
      {
        groupId: request.groupId,
        memberId: request.memberId,
        memberEpoch: request.memberEpoch,
        instanceId: request.instanceId,
        rackId: request.rackId,
        rebalanceTimeoutMs: request.rebalanceTimeoutMs,
        subscribedTopicNames: request.subscribedTopicNames,
        subscribedTopicRegex: context.apiVersion >= 1 ? request.subscribedTopicRegex : null,
        serverAssignor: request.serverAssignor,
        topicPartitions: request.topicPartitions,
        clientId: context.clientId ?? '',
        clientHost: clientHost(context.connection.remoteAddress),
        memberIdRequired: context.apiVersion >= MEMBER_ID_REQUIRED_MIN_VERSION,
      },
      broker.logs,
    );
    return { throttleTimeMs: 0, ...result };
  },
};
