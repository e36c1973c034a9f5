// Online migration between a classic group and a KIP-848 consumer group (Kafka 4.x `GroupMetadataManager`
// `convertToConsumerGroup` / `convertToClassicGroup`, `ConsumerGroup.fromClassicGroup`,
// `ClassicGroup.fromConsumerGroup`), as pure conversions of group state; the managers install the results.
//
// Upgrade: every classic member becomes a consumer-group member at the classic generation, Stable, owning its
// last assignment, which is also its target: nothing moves until the joining KIP-848 member bumps the epoch. Its
// JoinGroup metadata (session timeout, protocols) is kept, so that it keeps speaking the classic protocol.
// Downgrade: the remaining members become classic members at the group epoch, each holding its target
// assignment written in the consumer protocol version of its own subscription; the classic group then
// rebalances.
import type { ClassicGroup } from './classic-group.ts';
import type { ClassicGroupMemberInit } from './classic-group-member.ts';
import type { Assignment } from './consumer-group-assignors.ts';
import { ConsumerGroup, MemberState, newMember, type ConsumerGroupMember, type PartitionEpochs } from './consumer-group.ts';
import { CONSUMER_PROTOCOL_TYPE, consumerProtocolVersion, decodeConsumerAssignment, decodeConsumerSubscription, encodeConsumerAssignment } from './consumer-protocol.ts';

/** The topic lookups a conversion needs. */
export interface MigrationTopics {
  topic(name: string): { readonly topicId: Buffer } | undefined;
  topicById(topicId: Buffer): { readonly name: string } | undefined;
}

/** The classic group a consumer group downgrades to. */
export interface DowngradedGroup {
  readonly groupId: string;
  /** The consumer group's epoch: the classic generation the rebalance starts from. */
  readonly generationId: number;
  /** In the consumer group's member order, each with its assignment serialized. */
  readonly members: readonly ClassicGroupMemberInit[];
}

/** Topic-name partitions to topic-id partitions; topics that no longer exist are dropped. */
export function assignmentFromNames(partitions: ReadonlyMap<string, readonly number[]>, topics: Pick<MigrationTopics, 'topic'>): Assignment {
  const assignment: Assignment = new Map();
  for (const [name, list] of partitions) {
    const topic = topics.topic(name);
    if (topic === undefined || list.length === 0) continue;
    const topicId = topic.topicId.toString('hex');
    const set = assignment.get(topicId) ?? new Set<number>();
    for (const partition of list) set.add(partition);
    assignment.set(topicId, set);
  }
  return assignment;
}

/** Topic-id partitions to topic-name partitions; unknown topic ids are dropped. */
export function assignmentToNames(assignment: Assignment, topics: MigrationTopics): Map<string, number[]> {
  const named = new Map<string, number[]>();
  for (const [topicId, partitions] of assignment) {
    const topic = topics.topicById(Buffer.from(topicId, 'hex'));
    if (topic === undefined || partitions.size === 0) continue;
    named.set(topic.name, [...partitions].sort((a, b) => a - b));
  }
  return named;
}

/**
 * `ConsumerGroup.fromClassicGroup`. Throws when a member's embedded subscription or assignment is malformed (Kafka
 * then refuses the upgrade).
 */
export function consumerGroupFromClassicGroup(classic: ClassicGroup, topics: Pick<MigrationTopics, 'topic'>): ConsumerGroup {
  const group = new ConsumerGroup(classic.groupId);
  group.groupEpoch = classic.generationId;
  group.assignmentEpoch = classic.generationId;
  for (const classicMember of classic.allMembers()) {
    const metadata = classicMember.metadata(classic.protocolName ?? classicMember.supportedProtocols[0]?.name ?? null);
    const subscription = decodeConsumerSubscription(metadata);
    const assigned = assignmentFromNames(decodeConsumerAssignment(classicMember.assignment), topics);
    const epochs: PartitionEpochs = new Map();
    for (const [topicId, partitions] of assigned) epochs.set(topicId, new Map([...partitions].map((partition) => [partition, classic.generationId])));
    const member: ConsumerGroupMember = {
      ...newMember(classicMember.memberId),
      memberEpoch: classic.generationId,
      previousMemberEpoch: classic.generationId,
      state: MemberState.Stable,
      instanceId: classicMember.groupInstanceId,
      rackId: subscription.rackId,
      rebalanceTimeoutMs: classicMember.rebalanceTimeoutMs,
      clientId: classicMember.clientId,
      clientHost: classicMember.clientHost,
      subscribedTopicNames: [...subscription.topics],
      assigned,
      assignmentEpochs: epochs,
      classic: { sessionTimeoutMs: classicMember.sessionTimeoutMs, supportedProtocols: classicMember.supportedProtocols },
    };
    group.targetAssignment.set(member.memberId, new Map([...assigned].map(([topicId, partitions]) => [topicId, new Set(partitions)])));
    group.updateMember(member);
  }
  return group;
}

/** `ClassicGroup.fromConsumerGroup` without the leaving member: every other member must be a classic one. */
export function classicGroupFromConsumerGroup(group: ConsumerGroup, leavingMemberId: string, topics: MigrationTopics): DowngradedGroup {
  const members: ClassicGroupMemberInit[] = [];
  for (const member of group.members.values()) {
    if (member.memberId === leavingMemberId || member.classic === null) continue;
    const protocols = member.classic.supportedProtocols;
    const target = group.targetAssignment.get(member.memberId) ?? new Map<string, Set<number>>();
    members.push({
      memberId: member.memberId,
      groupInstanceId: member.instanceId,
      clientId: member.clientId,
      clientHost: member.clientHost,
      rebalanceTimeoutMs: member.rebalanceTimeoutMs,
      sessionTimeoutMs: member.classic.sessionTimeoutMs,
      protocolType: CONSUMER_PROTOCOL_TYPE,
      supportedProtocols: protocols,
      assignment: encodeConsumerAssignment(assignmentToNames(target, topics), consumerProtocolVersion(protocols[0]?.metadata ?? Buffer.alloc(0))),
    });
  }
  return { groupId: group.groupId, generationId: group.groupEpoch, members };
}
