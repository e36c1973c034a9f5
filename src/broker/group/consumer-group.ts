// One KIP-848 consumer group (Kafka's `ConsumerGroup` and `ConsumerGroupMember`) and the reconciliation of a
// member's assignment towards its target (Kafka's `CurrentAssignmentBuilder`).
//
// Epochs: the group epoch grows whenever the group's membership or subscriptions (or the subscribed topics'
// partitions) change; the target assignment is recomputed for that epoch (the assignment epoch). Each member
// converges to its target in steps: first it revokes what the target no longer gives it (state
// UNREVOKED_PARTITIONS, epoch unchanged); once its heartbeat shows those are gone, it moves to the target epoch and
// receives the target partitions that no other member still owns (UNRELEASED_PARTITIONS while some are still held
// elsewhere, STABLE when it has them all). A partition is owned by a member — with that member's epoch — from
// assignment until the member has acknowledged revoking it, so no partition is ever held by two members.
import type { GroupProtocol } from './classic-group-member.ts';
import type { Assignment } from './consumer-group-assignors.ts';

export const ConsumerGroupState = {
  Empty: 'Empty',
  Assigning: 'Assigning',
  Reconciling: 'Reconciling',
  Stable: 'Stable',
  Dead: 'Dead',
} as const;
export type ConsumerGroupState = (typeof ConsumerGroupState)[keyof typeof ConsumerGroupState];

/** Kafka's `MemberState`. */
export const MemberState = {
  Stable: 'stable',
  UnrevokedPartitions: 'unrevoked_partitions',
  UnreleasedPartitions: 'unreleased_partitions',
} as const;
export type MemberState = (typeof MemberState)[keyof typeof MemberState];

/** `ConsumerGroupHeartbeatRequest.LEAVE_GROUP_MEMBER_EPOCH` */
export const LEAVE_GROUP_MEMBER_EPOCH = -1;
/** `ConsumerGroupHeartbeatRequest.LEAVE_GROUP_STATIC_MEMBER_EPOCH`: a static member leaving temporarily. */
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;

export interface ConsumerGroupMember {
  readonly memberId: string;
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: readonly string[];
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  memberEpoch: number;
  previousMemberEpoch: number;
  state: MemberState;
  /** What the member owns (has been told it owns) now. */
  assigned: Assignment;
  /** What it must give up before it moves to the next epoch. */
  pendingRevocation: Assignment;
  /**
   * KIP-1251: the member epoch at which each partition in `assigned` or `pendingRevocation` was assigned to the
   * member (topic id -> partition -> epoch), so that a commit sent with an older epoch is still accepted for the
   * partitions the member held since then.
   */
  assignmentEpochs: PartitionEpochs;
  /**
   * Set for a member that speaks the classic protocol (JoinGroup/SyncGroup/Heartbeat/LeaveGroup) inside a consumer
   * group, after an online upgrade or a classic join to a non-empty consumer group (Kafka's
   * `ConsumerGroupMember.classicMemberMetadata`); null for a KIP-848 member.
   */
  classic: ClassicMemberMetadata | null;
}

/** What a classic member sent in its JoinGroup, kept so that the group can go back to being classic. */
export interface ClassicMemberMetadata {
  readonly sessionTimeoutMs: number;
  /** The protocols in preference order, each with its embedded subscription. */
  readonly supportedProtocols: readonly GroupProtocol[];
}

/** topic id (hex) -> partition -> the epoch it was assigned at. */
export type PartitionEpochs = Map<string, Map<number, number>>;

/**
 * The epoch at which the member got a partition it holds (assigned or pending revocation), or undefined when it
 * does not hold it. A partition held without a recorded epoch (state stored before KIP-1251) counts as assigned
 * at the member's current epoch, as Kafka's `Utils.assignmentFromTopicPartitions` defaults it.
 */
export function partitionAssignmentEpoch(member: ConsumerGroupMember, topicId: string, partition: number): number | undefined {
  const held = member.assigned.get(topicId)?.has(partition) === true || member.pendingRevocation.get(topicId)?.has(partition) === true;
  if (!held) return undefined;
  return member.assignmentEpochs.get(topicId)?.get(partition) ?? Math.max(member.memberEpoch, 0);
}

export function newMember(memberId: string): ConsumerGroupMember {
  return {
    memberId,
    instanceId: null,
    rackId: null,
    clientId: '',
    clientHost: '',
    rebalanceTimeoutMs: -1,
    subscribedTopicNames: [],
    subscribedTopicRegex: null,
    serverAssignor: null,
    memberEpoch: 0,
    previousMemberEpoch: 0,
    state: MemberState.Stable,
    assigned: new Map(),
    pendingRevocation: new Map(),
    assignmentEpochs: new Map(),
    classic: null,
  };
}

/** The owned partitions a member reports (topic ids as hex); null when the heartbeat omitted them. */
export type OwnedPartitions = ReadonlyMap<string, readonly number[]> | null;

export function copyAssignment(assignment: Assignment): Assignment {
  return new Map([...assignment].map(([topicId, partitions]) => [topicId, new Set(partitions)]));
}

export function assignmentsEqual(a: Assignment, b: Assignment): boolean {
  const nonEmpty = (assignment: Assignment) => [...assignment].filter(([, partitions]) => partitions.size > 0);
  const left = nonEmpty(a);
  if (left.length !== nonEmpty(b).length) return false;
  for (const [topicId, partitions] of left) {
    const other = b.get(topicId);
    if (other === undefined || other.size !== partitions.size) return false;
    for (const partition of partitions) if (!other.has(partition)) return false;
  }
  return true;
}

export function partitionCount(assignment: Assignment): number {
  let count = 0;
  for (const partitions of assignment.values()) count += partitions.size;
  return count;
}

export class ConsumerGroup {
  readonly members = new Map<string, ConsumerGroupMember>();
  /** group.instance.id -> member id */
  readonly staticMembers = new Map<string, string>();
  /** member id -> target assignment of `assignmentEpoch` */
  readonly targetAssignment = new Map<string, Assignment>();
  /** Owner epoch of every owned partition: topic id -> partition -> epoch (`currentPartitionEpoch`). */
  private readonly partitionEpochs = new Map<string, Map<number, number>>();
  // A group starts at group and assignment epoch 1 (Kafka 4.3+'s `ModernGroup`), so its first member gets 2.
  groupEpoch = 1;
  assignmentEpoch = 1;
  /** When the target assignment was last computed (`group.consumer.assignment.interval.ms` spaces them). */
  lastAssignmentMs = Number.NEGATIVE_INFINITY;
  /** The subscribed topics' ids and partition counts the target assignment was computed for. */
  subscriptionSignature = '';
  /** `ConsumerGroupDescribe` AssignorName: the assignor that computed the current target. */
  assignorName = '';
  /** Members added, changed or removed since `takeChangedMemberIds` (what the offsets log has yet to get). */
  private readonly changedMemberIds = new Set<string>();

  constructor(readonly groupId: string) {}

  get state(): ConsumerGroupState {
    if (this.members.size === 0) return ConsumerGroupState.Empty;
    if (this.groupEpoch > this.assignmentEpoch) return ConsumerGroupState.Assigning;
    for (const member of this.members.values()) {
      if (member.state !== MemberState.Stable || member.memberEpoch !== this.assignmentEpoch) return ConsumerGroupState.Reconciling;
    }
    return ConsumerGroupState.Stable;
  }

  /** How many members speak the classic protocol (`numClassicProtocolMembers`). */
  classicMemberCount(): number {
    let count = 0;
    for (const member of this.members.values()) if (member.classic !== null) count++;
    return count;
  }

  /** Whether every member but `memberId` speaks the classic protocol, and `memberId` does not (`allMembersUseClassicProtocolExcept`). */
  allMembersUseClassicProtocolExcept(memberId: string): boolean {
    const member = this.members.get(memberId);
    return member !== undefined && member.classic === null && this.classicMemberCount() === this.members.size - 1;
  }

  /**
   * Whether a classic member with these protocols may join (`supportsClassicProtocols`): the protocol type must be
   * "consumer" and, when the group has members, one of the protocols must be supported by every classic member.
   */
  supportsClassicProtocols(protocolType: string, protocolNames: readonly string[], consumerProtocolType: string): boolean {
    if (protocolType !== consumerProtocolType) return false;
    if (this.members.size === 0) return protocolNames.length > 0;
    const classicMembers = [...this.members.values()].filter((member) => member.classic !== null);
    return protocolNames.some((name) => classicMembers.every((member) => member.classic?.supportedProtocols.some((protocol) => protocol.name === name) === true));
  }

  /** Whether a member still waits for a partition of its target that another member owns (`waitingOnUnreleasedPartition`). */
  waitingOnUnreleasedPartition(member: ConsumerGroupMember): boolean {
    if (member.state !== MemberState.UnreleasedPartitions) return false;
    for (const [topicId, partitions] of this.targetAssignment.get(member.memberId) ?? new Map<string, Set<number>>()) {
      const assigned = member.assigned.get(topicId);
      for (const partition of partitions) {
        if (assigned?.has(partition) !== true && this.currentPartitionEpoch(topicId, partition) !== -1) return true;
      }
    }
    return false;
  }

  staticMember(instanceId: string): ConsumerGroupMember | undefined {
    const memberId = this.staticMembers.get(instanceId);
    return memberId === undefined ? undefined : this.members.get(memberId);
  }

  /** The epoch of the member owning a partition, -1 when free (`ConsumerGroup.currentPartitionEpoch`). */
  currentPartitionEpoch(topicId: string, partition: number): number {
    return this.partitionEpochs.get(topicId)?.get(partition) ?? -1;
  }

  /** Puts `updated` in place of the member with the same id, moving partition ownership along. */
  updateMember(updated: ConsumerGroupMember): void {
    const old = this.members.get(updated.memberId);
    if (old !== undefined) this.releasePartitions(old);
    this.members.set(updated.memberId, updated);
    if (updated.instanceId !== null) this.staticMembers.set(updated.instanceId, updated.memberId);
    this.claimPartitions(updated);
    this.changedMemberIds.add(updated.memberId);
  }

  /** A new target assignment changes every member's stored target. */
  markAllMembersChanged(): void {
    for (const memberId of this.members.keys()) this.changedMemberIds.add(memberId);
  }

  takeChangedMemberIds(): string[] {
    const ids = [...this.changedMemberIds];
    this.changedMemberIds.clear();
    return ids;
  }

  /** Whether a member restored from the offsets log can be installed: none of its partitions owned by another. */
  canClaim(member: ConsumerGroupMember): boolean {
    for (const assignment of [member.assigned, member.pendingRevocation]) {
      for (const [topicId, partitions] of assignment) {
        for (const partition of partitions) if (this.currentPartitionEpoch(topicId, partition) !== -1) return false;
      }
    }
    return true;
  }

  removeMember(memberId: string): ConsumerGroupMember | undefined {
    const member = this.members.get(memberId);
    if (member === undefined) return undefined;
    this.releasePartitions(member);
    this.members.delete(memberId);
    if (member.instanceId !== null && this.staticMembers.get(member.instanceId) === memberId) this.staticMembers.delete(member.instanceId);
    this.targetAssignment.delete(memberId);
    this.changedMemberIds.add(memberId);
    return member;
  }

  private releasePartitions(member: ConsumerGroupMember): void {
    for (const assignment of [member.assigned, member.pendingRevocation]) {
      for (const [topicId, partitions] of assignment) {
        const epochs = this.partitionEpochs.get(topicId);
        if (epochs === undefined) continue;
        for (const partition of partitions) epochs.delete(partition);
        if (epochs.size === 0) this.partitionEpochs.delete(topicId);
      }
    }
  }

  private claimPartitions(member: ConsumerGroupMember): void {
    for (const assignment of [member.assigned, member.pendingRevocation]) {
      for (const [topicId, partitions] of assignment) {
        let epochs = this.partitionEpochs.get(topicId);
        if (epochs === undefined) {
          epochs = new Map();
          this.partitionEpochs.set(topicId, epochs);
        }
        for (const partition of partitions) {
          const owner = epochs.get(partition);
          // An invariant of reconciliation; a breach would mean two members consume one partition.
          if (owner !== undefined) throw new Error(`partition ${topicId}-${partition} of group ${this.groupId} is already owned (epoch ${owner})`);
          epochs.set(partition, member.memberEpoch);
        }
      }
    }
  }
}

/**
 * Moves a member towards its target (`CurrentAssignmentBuilder.build`). Returns a new member value; the caller
 * installs it with `ConsumerGroup.updateMember`.
 */
export function reconcile(
  group: ConsumerGroup,
  member: ConsumerGroupMember,
  targetEpoch: number,
  target: Assignment,
  owned: OwnedPartitions,
): ConsumerGroupMember {
  switch (member.state) {
    case MemberState.Stable:
      if (member.memberEpoch === targetEpoch) return member;
      return computeNextAssignment(group, member, targetEpoch, target, owned);
    case MemberState.UnrevokedPartitions:
      // The member moves on only once its heartbeat shows none of the revoked partitions.
      if (ownsRevokedPartitions(owned, member.pendingRevocation)) return member;
      return computeNextAssignment(group, member, targetEpoch, target, owned);
    case MemberState.UnreleasedPartitions:
      // Partitions released by others since, or a new target: look again.
      return computeNextAssignment(group, member, targetEpoch, target, owned);
  }
}

/** Whether the member may still hold partitions it must revoke: unknown (no owned list) counts as yes. */
function ownsRevokedPartitions(owned: OwnedPartitions, revoking: Assignment): boolean {
  return owned === null || ownsAny(owned, revoking);
}

function ownsAny(owned: ReadonlyMap<string, readonly number[]>, revoking: Assignment): boolean {
  for (const [topicId, partitions] of revoking) {
    const ownedPartitions = owned.get(topicId);
    if (ownedPartitions === undefined) continue;
    for (const partition of ownedPartitions) if (partitions.has(partition)) return true;
  }
  return false;
}

function computeNextAssignment(group: ConsumerGroup, member: ConsumerGroupMember, targetEpoch: number, target: Assignment, owned: OwnedPartitions): ConsumerGroupMember {
  const kept: Assignment = new Map();
  const revoking: Assignment = new Map();
  const newlyAssigned: Assignment = new Map();
  // Partitions the member keeps keep the epoch they were assigned at; the ones it gets now are assigned at the
  // target epoch (KIP-1251).
  const nextEpochs: PartitionEpochs = new Map();
  let unreleased = false;
  const topicIds = new Set([...member.assigned.keys(), ...target.keys()]);
  for (const topicId of topicIds) {
    const current = member.assigned.get(topicId) ?? new Set<number>();
    const wanted = target.get(topicId) ?? new Set<number>();
    const keep = new Set<number>();
    const revoke = new Set<number>();
    const add = new Set<number>();
    for (const partition of current) (wanted.has(partition) ? keep : revoke).add(partition);
    for (const partition of wanted) {
      if (current.has(partition)) continue;
      // Free, or owned by nobody else anymore: it can be handed over now. Otherwise it waits for its owner.
      if (group.currentPartitionEpoch(topicId, partition) === -1) add.add(partition);
      else unreleased = true;
    }
    if (keep.size > 0) kept.set(topicId, keep);
    if (revoke.size > 0) revoking.set(topicId, revoke);
    if (keep.size > 0 || add.size > 0) newlyAssigned.set(topicId, new Set([...keep, ...add]));
    const epochs = new Map<number, number>();
    for (const partition of keep) epochs.set(partition, partitionAssignmentEpoch(member, topicId, partition) ?? targetEpoch);
    for (const partition of add) epochs.set(partition, targetEpoch);
    if (epochs.size > 0) nextEpochs.set(topicId, epochs);
  }
  // A member that reports it no longer owns the partitions to revoke (a classic member rejoining after revoking
  // them, KIP-429's eager protocol) moves on at once (`CurrentAssignmentBuilder.computeNextAssignment`).
  if (revoking.size > 0 && ownsRevokedPartitions(owned, revoking)) {
    // Revoke first; the epoch stays until the member confirms. Partitions being revoked keep their epochs: a
    // commit for them is still accepted until the revocation is confirmed.
    const heldEpochs: PartitionEpochs = new Map();
    for (const assignment of [kept, revoking]) {
      for (const [topicId, partitions] of assignment) {
        const epochs = heldEpochs.get(topicId) ?? new Map<number, number>();
        for (const partition of partitions) epochs.set(partition, partitionAssignmentEpoch(member, topicId, partition) ?? member.memberEpoch);
        heldEpochs.set(topicId, epochs);
      }
    }
    return { ...member, state: MemberState.UnrevokedPartitions, assigned: kept, pendingRevocation: revoking, assignmentEpochs: heldEpochs };
  }
  return {
    ...member,
    state: unreleased ? MemberState.UnreleasedPartitions : MemberState.Stable,
    previousMemberEpoch: member.memberEpoch === targetEpoch ? member.previousMemberEpoch : member.memberEpoch,
    memberEpoch: targetEpoch,
    assigned: newlyAssigned,
    pendingRevocation: new Map(),
    assignmentEpochs: nextEpochs,
  };
}
