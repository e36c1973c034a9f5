// Classic-protocol members inside a KIP-848 consumer group (Kafka 4.x `GroupMetadataManager`
// `classicGroupJoinToConsumerGroup`, `classicGroupSyncToConsumerGroup`, `classicGroupHeartbeatToConsumerGroup`,
// `classicGroupLeaveToConsumerGroup`). Such members come from an online upgrade, or join a non-empty consumer
// group with JoinGroup. The server-side assignor decides their partitions like everyone else's:
//
// - JoinGroup is answered at once (no join phase): the member is updated from its embedded subscription, the
//   group epoch is bumped when its subscription changed, and the member is reconciled with the partitions its
//   subscription says it still owns (eager members own none when they rejoin). The generation in the answer is
//   the member epoch; the member is its own leader-less follower (empty leader, no member list).
// - SyncGroup hands out the member's current assignment, written in the consumer protocol version of its
//   subscription; REBALANCE_IN_PROGRESS when a newer target assignment exists and the member is not in the middle
//   of revoking.
// - Heartbeat answers REBALANCE_IN_PROGRESS whenever the member should rejoin to make progress: a target
//   assignment newer than its epoch exists, it has partitions to revoke, or partitions it waits for have been
//   released. Both compare with the assignment epoch, not the group epoch: with assignments spaced by
//   `group.consumer.assignment.interval.ms` (KIP-1263) a rejoin before the new target exists could not catch up,
//   and Kafka 4.4 answers so. It then
//   has its rebalance timeout to rejoin, and after a JoinGroup its rebalance timeout to SyncGroup, or it is fenced.
// - LeaveGroup removes the member and bumps the group epoch.
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { BrokerError } from '../broker-error.ts';
import type { JoinGroupResult, SyncGroupResult } from './classic-group-member.ts';
import type { ConsumerGroupManager, TopicsImage } from './consumer-group-manager.ts';
import { MemberState, newMember, type ConsumerGroup, type ConsumerGroupMember } from './consumer-group.ts';
import { assignmentFromNames, assignmentToNames } from './consumer-group-migration.ts';
import { CONSUMER_PROTOCOL_TYPE, consumerProtocolVersion, decodeConsumerSubscription, encodeConsumerAssignment, type ConsumerSubscription } from './consumer-protocol.ts';
import type { HeartbeatParams, JoinGroupParams, LeaveGroupMember, LeaveGroupResult, SyncGroupParams } from './group-coordinator.ts';

export class ClassicMembers {
  constructor(private readonly manager: ConsumerGroupManager) {}

  /** JoinGroup to a non-empty consumer group. Throws a BrokerError for an error answer. */
  join(group: ConsumerGroup, params: JoinGroupParams, topics: TopicsImage): JoinGroupResult {
    const isUnknownMember = params.memberId === '';
    const memberId = isUnknownMember ? randomUUID() : params.memberId;
    const { maxSize } = this.manager.config;
    if (group.members.size >= maxSize && !group.members.has(memberId)) {
      throw new BrokerError(ErrorCode.GROUP_MAX_SIZE_REACHED, `The consumer group has reached its maximum capacity of ${maxSize} members.`);
    }
    if (!group.supportsClassicProtocols(params.protocolType, params.protocols.map((protocol) => protocol.name), CONSUMER_PROTOCOL_TYPE)) {
      throw new BrokerError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `Member ${memberId}'s protocols are not supported.`);
    }
    // KIP-394: a dynamic member without an id is given one and asked to come back with it.
    if (params.requireKnownMemberId && isUnknownMember && params.groupInstanceId === null) {
      return { ...joinAnswer(memberId, -1, null), errorCode: ErrorCode.MEMBER_ID_REQUIRED, protocolType: null };
    }
    let subscription: ConsumerSubscription;
    try {
      subscription = decodeConsumerSubscription(params.protocols[0]?.metadata ?? Buffer.alloc(0));
    } catch {
      throw new BrokerError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'Malformed embedded consumer protocol in subscription deserialization.');
    }
    // A classic static member replacing the last KIP-848 member turns the group back into a classic group once it
    // has joined (`validateOnlineDowngradeWithReplacedMemberId`).
    const replaced = params.groupInstanceId !== null && isUnknownMember ? group.staticMember(params.groupInstanceId) : undefined;
    const downgrade = replaced !== undefined && this.manager.validateOnlineDowngrade(group, replaced.memberId, true);
    const member = this.memberToJoin(group, memberId, params.groupInstanceId, isUnknownMember);
    const updated: ConsumerGroupMember = {
      ...member,
      instanceId: params.groupInstanceId ?? member.instanceId,
      rackId: subscription.rackId ?? member.rackId,
      rebalanceTimeoutMs: params.rebalanceTimeoutMs === -1 ? member.rebalanceTimeoutMs : params.rebalanceTimeoutMs,
      subscribedTopicNames: [...subscription.topics],
      clientId: params.clientId,
      clientHost: params.clientHost,
      classic: { sessionTimeoutMs: params.sessionTimeoutMs, supportedProtocols: params.protocols },
    };
    const owned = new Map([...assignmentFromNames(subscription.ownedPartitions, topics)].map(([topicId, partitions]) => [topicId, [...partitions]]));
    const reconciled = this.manager.updateMemberAndReconcile(group, member, updated, !group.members.has(memberId), owned, topics);
    this.manager.cancelJoinTimeout(group, memberId);
    this.manager.scheduleSessionTimeout(group, memberId, params.sessionTimeoutMs);
    this.manager.scheduleSyncTimeout(group, memberId, params.rebalanceTimeoutMs);
    this.manager.scheduleRebalanceTimeout(group, reconciled);
    if (downgrade) {
      // The member now belongs to a classic group that rebalances. Kafka 4.4 answers it with the epoch of the copy
      // that replaced the KIP-848 member (0): its SyncGroup and heartbeats get ILLEGAL_GENERATION and it rejoins.
      this.manager.downgrade(group, '', `static member ${params.groupInstanceId ?? ''} replaced the last KIP-848 member`);
      return joinAnswer(memberId, member.memberEpoch, protocolName(reconciled));
    }
    return joinAnswer(memberId, reconciled.memberEpoch, protocolName(reconciled));
  }

  /** The joining member: an existing one, a new one, or a static member taking over its instance id. */
  private memberToJoin(group: ConsumerGroup, memberId: string, instanceId: string | null, isUnknownMember: boolean): ConsumerGroupMember {
    if (instanceId === null) {
      const existing = group.members.get(memberId);
      if (existing !== undefined) return existing;
      this.manager.logger.info({ group: group.groupId, memberId }, 'member joins the consumer group using the classic protocol');
      return newMember(memberId);
    }
    const existing = group.staticMember(instanceId);
    if (existing === undefined) {
      if (!isUnknownMember && !group.members.has(memberId)) throw new BrokerError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${instanceId} is unknown.`);
      return group.members.get(memberId) ?? newMember(memberId);
    }
    if (existing.memberId === memberId) return existing;
    if (!isUnknownMember) {
      throw new BrokerError(ErrorCode.FENCED_INSTANCE_ID, `Static member ${memberId} with instance id ${instanceId} was fenced by member ${existing.memberId}.`);
    }
    // The instance comes back under a new member id, whichever protocol its previous incarnation spoke: a copy of
    // that member at epoch 0 replaces it, with its partitions and its target (`replaceMember`).
    const target = group.targetAssignment.get(existing.memberId);
    this.manager.removeMember(group, existing.memberId);
    if (target !== undefined) group.targetAssignment.set(memberId, target);
    const replacement: ConsumerGroupMember = { ...existing, memberId, memberEpoch: 0, previousMemberEpoch: 0 };
    group.updateMember(replacement);
    this.manager.logger.info({ group: group.groupId, instanceId, oldMemberId: existing.memberId, memberId }, 'static member rejoins the consumer group using the classic protocol');
    return replacement;
  }

  /** SyncGroup to a consumer group: the member's current assignment. Throws a BrokerError for an error answer. */
  sync(group: ConsumerGroup, params: SyncGroupParams, topics: TopicsImage & { topicById(topicId: Buffer): { name: string } | undefined }): SyncGroupResult {
    const member = this.validateClassicMember(group, params.memberId, params.groupInstanceId);
    throwIfGenerationIdUnmatched(member, params.generationId);
    const name = protocolName(member);
    if (params.protocolType !== null && params.protocolType !== CONSUMER_PROTOCOL_TYPE) {
      throw new BrokerError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `The protocol type ${params.protocolType} from member ${member.memberId} request is not equal to the group protocol type ${CONSUMER_PROTOCOL_TYPE}.`);
    }
    if (params.protocolName !== null && params.protocolName !== name) {
      throw new BrokerError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `The protocol name ${params.protocolName} from member ${member.memberId} request is not equal to the protocol name ${name ?? ''} returned in the join response.`);
    }
    // A newer target means a new rebalance the member must rejoin for, unless it is still revoking (it has
    // rejoined already and finishes that first).
    if (group.assignmentEpoch > member.memberEpoch && member.state !== MemberState.UnrevokedPartitions) {
      this.manager.scheduleJoinTimeoutIfAbsent(group, member);
      throw new BrokerError(ErrorCode.REBALANCE_IN_PROGRESS, `A new rebalance is triggered in group ${group.groupId} and member ${member.memberId} should rejoin to catch up.`);
    }
    this.manager.cancelSyncTimeout(group, member.memberId);
    this.manager.scheduleSessionTimeout(group, member.memberId, member.classic?.sessionTimeoutMs ?? this.manager.config.sessionTimeoutMs);
    const version = consumerProtocolVersion(member.classic?.supportedProtocols[0]?.metadata ?? Buffer.alloc(0));
    return {
      errorCode: ErrorCode.NONE,
      protocolType: params.protocolType,
      protocolName: params.protocolName,
      assignment: encodeConsumerAssignment(assignmentToNames(member.assigned, topics), version),
    };
  }

  /** Heartbeat to a consumer group: NONE, or REBALANCE_IN_PROGRESS when the member should rejoin. Throws a BrokerError. */
  heartbeat(group: ConsumerGroup, params: HeartbeatParams): number {
    const member = this.validateClassicMember(group, params.memberId, params.groupInstanceId);
    throwIfGenerationIdUnmatched(member, params.generationId);
    this.manager.scheduleSessionTimeout(group, member.memberId, member.classic?.sessionTimeoutMs ?? this.manager.config.sessionTimeoutMs);
    const shouldRejoin =
      member.memberEpoch < group.assignmentEpoch ||
      member.state === MemberState.UnrevokedPartitions ||
      (member.state === MemberState.UnreleasedPartitions && !group.waitingOnUnreleasedPartition(member));
    if (!shouldRejoin) return ErrorCode.NONE;
    this.manager.scheduleJoinTimeoutIfAbsent(group, member);
    return ErrorCode.REBALANCE_IN_PROGRESS;
  }

  /** LeaveGroup to a consumer group: each classic member named leaves; the group epoch is bumped once. */
  leave(group: ConsumerGroup, members: readonly LeaveGroupMember[]): LeaveGroupResult {
    const results: LeaveGroupResult['members'] = [];
    let anyLeft = false;
    for (const identity of members) {
      try {
        let member: ConsumerGroupMember | undefined;
        if (identity.groupInstanceId === null) {
          member = group.members.get(identity.memberId);
          if (member === undefined) throw new BrokerError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${identity.memberId} is not a member of group ${group.groupId}.`);
        } else {
          member = group.staticMember(identity.groupInstanceId);
          if (member === undefined) throw new BrokerError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${identity.groupInstanceId} is unknown.`);
          // An admin may remove a static member by its instance id alone.
          if (identity.memberId !== '' && member.memberId !== identity.memberId) {
            throw new BrokerError(ErrorCode.FENCED_INSTANCE_ID, `Static member ${identity.memberId} with instance id ${identity.groupInstanceId} was fenced by member ${member.memberId}.`);
          }
        }
        if (member.classic === null) throw new BrokerError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${member.memberId} does not use the classic protocol.`);
        this.manager.removeMember(group, member.memberId);
        this.manager.logger.info({ group: group.groupId, memberId: member.memberId, reason: identity.reason }, 'classic member left the consumer group');
        results.push({ memberId: identity.memberId, groupInstanceId: identity.groupInstanceId, errorCode: ErrorCode.NONE });
        anyLeft = true;
      } catch (error) {
        if (!(error instanceof BrokerError)) throw error;
        results.push({ memberId: identity.memberId, groupInstanceId: identity.groupInstanceId, errorCode: error.code });
      }
    }
    if (anyLeft) this.manager.bumpEpochAfterRemoval(group);
    return { errorCode: ErrorCode.NONE, members: results };
  }

  /** `validateConsumerGroupMember` + `throwIfMemberDoesNotUseClassicProtocol` */
  private validateClassicMember(group: ConsumerGroup, memberId: string, instanceId: string | null): ConsumerGroupMember {
    let member: ConsumerGroupMember | undefined;
    if (instanceId === null) {
      member = group.members.get(memberId);
      if (member === undefined) throw new BrokerError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} is not a member of group ${group.groupId}.`);
    } else {
      member = group.staticMember(instanceId);
      if (member === undefined) throw new BrokerError(ErrorCode.UNKNOWN_MEMBER_ID, `Member with instance id ${instanceId} is not a member of group ${group.groupId}.`);
      if (member.memberId !== memberId) throw new BrokerError(ErrorCode.FENCED_INSTANCE_ID, `Static member ${memberId} with instance id ${instanceId} was fenced by member ${member.memberId}.`);
    }
    if (member.classic === null) throw new BrokerError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${member.memberId} does not use the classic protocol.`);
    return member;
  }
}

/** The protocol a classic member runs: the first it listed (Kafka answers JoinGroup with it). */
function protocolName(member: ConsumerGroupMember): string | null {
  return member.classic?.supportedProtocols[0]?.name ?? null;
}

function throwIfGenerationIdUnmatched(member: ConsumerGroupMember, generationId: number): void {
  if (member.memberEpoch !== generationId) {
    throw new BrokerError(ErrorCode.ILLEGAL_GENERATION, `The request generation id ${generationId} is not equal to the member epoch ${member.memberEpoch} of member ${member.memberId}.`);
  }
}

function joinAnswer(memberId: string, generationId: number, name: string | null): JoinGroupResult {
  return { errorCode: ErrorCode.NONE, generationId, protocolType: CONSUMER_PROTOCOL_TYPE, protocolName: name, leader: '', skipAssignment: false, memberId, members: [] };
}
