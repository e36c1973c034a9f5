// A classic consumer group (Kafka's `ClassicGroup`, the pre-KIP-848 protocol): its state machine, members,
// generation, selected protocol and leader. Pure bookkeeping and validation; the coordinator drives it and owns
// the timers and the parked JoinGroup/SyncGroup answers.
//
// States and the transitions between them (`ClassicGroupState.validPreviousStates`):
//   Empty               <- PreparingRebalance                 (no member rejoined)
//   PreparingRebalance  <- Empty, Stable, CompletingRebalance (a member joined, left, changed or timed out)
//   CompletingRebalance <- PreparingRebalance                 (join phase done: waiting for the leader's SyncGroup)
//   Stable              <- CompletingRebalance                (assignment received and handed out)
//   Dead                <- any                                (group deleted or expired)
import { ErrorCode } from '../../protocol/errors/index.ts';
import { BrokerError } from '../broker-error.ts';
import type { ClassicGroupMember, GroupProtocol, JoinGroupResult, SyncGroupResult } from './classic-group-member.ts';
import { CONSUMER_PROTOCOL_TYPE, subscriptionTopics } from './consumer-protocol.ts';

export const ClassicGroupState = {
  Empty: 'Empty',
  PreparingRebalance: 'PreparingRebalance',
  CompletingRebalance: 'CompletingRebalance',
  Stable: 'Stable',
  Dead: 'Dead',
} as const;
export type ClassicGroupState = (typeof ClassicGroupState)[keyof typeof ClassicGroupState];

const validPreviousStates: Record<ClassicGroupState, readonly ClassicGroupState[]> = {
  Empty: [ClassicGroupState.PreparingRebalance],
  PreparingRebalance: [ClassicGroupState.Stable, ClassicGroupState.CompletingRebalance, ClassicGroupState.Empty],
  CompletingRebalance: [ClassicGroupState.PreparingRebalance],
  Stable: [ClassicGroupState.CompletingRebalance],
  Dead: [
    ClassicGroupState.Stable,
    ClassicGroupState.PreparingRebalance,
    ClassicGroupState.CompletingRebalance,
    ClassicGroupState.Empty,
    ClassicGroupState.Dead,
  ],
};

/** The member list a leader gets in its JoinGroup answer. */
export interface JoinGroupMemberMetadata {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

export class ClassicGroup {
  private stateValue: ClassicGroupState;
  private previousStateValue: ClassicGroupState;
  /** When the group entered its current state; the base of offset expiry for an Empty group. */
  currentStateTimestampMs: number | null;
  generationId: number;
  /** Set by the first member; null for a group that only ever had offsets committed (a "simple" group). */
  protocolType: string | null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** Members in join order (Kafka keeps a LinkedHashMap: the first member leads, the next one takes over). */
  private readonly membersById = new Map<string, ClassicGroupMember>();
  /** groupInstanceId -> memberId of the static members (KIP-345). */
  private readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED whose owners have not rejoined yet (KIP-394). */
  private readonly pendingMembers = new Set<string>();
  /** Members that got their JoinGroup answer for this generation but have not sent SyncGroup yet. */
  private readonly pendingSyncMembers = new Set<string>();
  /** How many members support each protocol name: a protocol is a candidate when every member does. */
  private readonly supportedProtocols = new Map<string, number>();
  private numMembersAwaitingJoinResponse = 0;
  /** A member joined during the initial rebalance delay, so the delay is extended (`newMemberAdded`). */
  newMemberAdded = false;
  /** Topics the members subscribe to (protocol type "consumer"), or null when unknown. */
  subscribedTopics: ReadonlySet<string> | null = null;

  constructor(
    readonly groupId: string,
    private readonly clock: () => number,
    loaded: { generationId?: number; protocolType?: string | null; currentStateTimestampMs?: number | null; state?: ClassicGroupState } = {},
  ) {
    // A group downgraded from a consumer group starts Stable with its members (`ClassicGroup.fromConsumerGroup`).
    this.stateValue = loaded.state ?? ClassicGroupState.Empty;
    this.previousStateValue = ClassicGroupState.Empty;
    this.generationId = loaded.generationId ?? 0;
    this.protocolType = loaded.protocolType ?? null;
    this.currentStateTimestampMs = loaded.currentStateTimestampMs ?? clock();
  }

  get state(): ClassicGroupState {
    return this.stateValue;
  }

  get previousState(): ClassicGroupState {
    return this.previousStateValue;
  }

  isInState(state: ClassicGroupState): boolean {
    return this.stateValue === state;
  }

  transitionTo(target: ClassicGroupState): void {
    if (!validPreviousStates[target].includes(this.stateValue)) {
      throw new Error(`group ${this.groupId} cannot move from ${this.stateValue} to ${target}`);
    }
    this.previousStateValue = this.stateValue;
    this.stateValue = target;
    this.currentStateTimestampMs = this.clock();
  }

  /** Whether a rebalance may start from here: the states PreparingRebalance may follow. */
  canRebalance(): boolean {
    return validPreviousStates.PreparingRebalance.includes(this.stateValue);
  }

  // ---- members ----

  get size(): number {
    return this.membersById.size;
  }

  allMembers(): ClassicGroupMember[] {
    return [...this.membersById.values()];
  }

  hasMember(memberId: string): boolean {
    return this.membersById.has(memberId);
  }

  member(memberId: string): ClassicGroupMember {
    const member = this.membersById.get(memberId);
    if (member === undefined) throw new Error(`member ${memberId} is not in group ${this.groupId}`);
    return member;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  staticMemberId(groupInstanceId: string): string | null {
    return this.staticMembers.get(groupInstanceId) ?? null;
  }

  hasStaticMember(groupInstanceId: string): boolean {
    return this.staticMembers.has(groupInstanceId);
  }

  isPendingMember(memberId: string): boolean {
    return this.pendingMembers.has(memberId);
  }

  addPendingMember(memberId: string): void {
    this.pendingMembers.add(memberId);
  }

  /** The largest rebalance timeout of the members: how long a join phase may wait for them. */
  get rebalanceTimeoutMs(): number {
    let max = 0;
    for (const member of this.membersById.values()) max = Math.max(max, member.rebalanceTimeoutMs);
    return max;
  }

  add(member: ClassicGroupMember, awaitingJoin: ((result: JoinGroupResult) => void) | null): void {
    if (this.membersById.size === 0) this.protocolType = member.protocolType;
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    this.leaderId ??= member.memberId;
    this.membersById.set(member.memberId, member);
    this.incrementSupportedProtocols(member);
    member.awaitingJoin = awaitingJoin;
    if (awaitingJoin !== null) this.numMembersAwaitingJoinResponse++;
    this.pendingMembers.delete(member.memberId);
  }

  /** Removes a member (or a pending member id); a departing leader hands over to the next member in join order. */
  remove(memberId: string): void {
    const member = this.membersById.get(memberId);
    if (member !== undefined) {
      this.membersById.delete(memberId);
      this.decrementSupportedProtocols(member);
      if (member.isAwaitingJoin) this.numMembersAwaitingJoinResponse--;
      if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) {
        this.staticMembers.delete(member.groupInstanceId);
      }
    }
    if (this.isLeader(memberId)) {
      const next = this.membersById.keys().next();
      this.leaderId = next.done ? null : next.value;
    }
    this.pendingMembers.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
  }

  /** A new protocol list, timeouts and (maybe) a parked JoinGroup for an existing member (`updateMember`). */
  updateMember(
    member: ClassicGroupMember,
    protocols: readonly GroupProtocol[],
    rebalanceTimeoutMs: number,
    sessionTimeoutMs: number,
    awaitingJoin: ((result: JoinGroupResult) => void) | null,
  ): void {
    this.decrementSupportedProtocols(member);
    member.supportedProtocols = protocols;
    this.incrementSupportedProtocols(member);
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    if (awaitingJoin !== null && !member.isAwaitingJoin) this.numMembersAwaitingJoinResponse++;
    else if (awaitingJoin === null && member.isAwaitingJoin) this.numMembersAwaitingJoinResponse--;
    member.awaitingJoin = awaitingJoin;
  }

  /**
   * Moves a static member to a new member id (`replaceStaticMember`). The caller first answers whatever the old
   * incarnation had parked with FENCED_INSTANCE_ID.
   */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): ClassicGroupMember {
    const old = this.member(oldMemberId);
    const replacement = old.withMemberId(newMemberId);
    // Rebuild the map so that the member keeps its place in join order.
    const entries = [...this.membersById.entries()].map(([id, member]): [string, ClassicGroupMember] =>
      id === oldMemberId ? [newMemberId, replacement] : [id, member],
    );
    this.membersById.clear();
    for (const [id, member] of entries) this.membersById.set(id, member);
    if (old.isAwaitingJoin) this.numMembersAwaitingJoinResponse--;
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    this.pendingSyncMembers.delete(oldMemberId);
    return replacement;
  }

  completeJoin(member: ClassicGroupMember, result: JoinGroupResult): boolean {
    const callback = member.awaitingJoin;
    if (callback === null) return false;
    member.awaitingJoin = null;
    this.numMembersAwaitingJoinResponse--;
    callback(result);
    return true;
  }

  completeSync(member: ClassicGroupMember, result: SyncGroupResult): boolean {
    const callback = member.awaitingSync;
    if (callback === null) return false;
    member.awaitingSync = null;
    callback(result);
    return true;
  }

  get numAwaitingJoinResponse(): number {
    return this.numMembersAwaitingJoinResponse;
  }

  /** Every member has rejoined and no MEMBER_ID_REQUIRED member is still expected (`hasAllMembersJoined`). */
  hasAllMembersJoined(): boolean {
    return this.membersById.size === this.numMembersAwaitingJoinResponse && this.pendingMembers.size === 0;
  }

  /** Members that have not rejoined during this rebalance. */
  notYetRejoinedMembers(): ClassicGroupMember[] {
    return this.allMembers().filter((member) => !member.isAwaitingJoin);
  }

  /**
   * Keeps the leader if it rejoined, else promotes a member that did (`maybeElectNewJoinedLeader`); false when
   * no member rejoined at all.
   */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.membersById.get(this.leaderId);
    if (leader !== undefined && leader.isAwaitingJoin) return true;
    for (const member of this.membersById.values()) {
      if (member.isAwaitingJoin) {
        this.leaderId = member.memberId;
        return true;
      }
    }
    return false;
  }

  addPendingSyncMember(memberId: string): void {
    this.pendingSyncMembers.add(memberId);
  }

  removePendingSyncMember(memberId: string): void {
    this.pendingSyncMembers.delete(memberId);
  }

  clearPendingSyncMembers(): void {
    this.pendingSyncMembers.clear();
  }

  hasReceivedSyncFromAllMembers(): boolean {
    return this.pendingSyncMembers.size === 0;
  }

  allPendingSyncMembers(): string[] {
    return [...this.pendingSyncMembers];
  }

  // ---- protocols ----

  private incrementSupportedProtocols(member: ClassicGroupMember): void {
    for (const protocol of uniqueNames(member.supportedProtocols)) {
      this.supportedProtocols.set(protocol, (this.supportedProtocols.get(protocol) ?? 0) + 1);
    }
  }

  private decrementSupportedProtocols(member: ClassicGroupMember): void {
    for (const protocol of uniqueNames(member.supportedProtocols)) {
      const count = (this.supportedProtocols.get(protocol) ?? 0) - 1;
      if (count > 0) this.supportedProtocols.set(protocol, count);
      else this.supportedProtocols.delete(protocol);
    }
  }

  private candidateProtocols(): Set<string> {
    const candidates = new Set<string>();
    for (const [name, count] of this.supportedProtocols) if (count === this.membersById.size) candidates.add(name);
    return candidates;
  }

  /**
   * Whether a member with these protocols may join: an Empty group takes any non-empty protocol type and list;
   * otherwise the type must match and one of the protocols must be supported by every member.
   */
  supportsProtocols(protocolType: string, protocols: readonly GroupProtocol[]): boolean {
    if (this.isInState(ClassicGroupState.Empty)) return protocolType !== '' && protocols.length > 0;
    return (
      this.protocolType === protocolType &&
      protocols.some((protocol) => this.supportedProtocols.get(protocol.name) === this.membersById.size)
    );
  }

  /**
   * The protocol of the next generation (`selectProtocol`): among the protocols every member supports, each
   * member votes for its most preferred one, and the most votes win. Ties go to the protocol that got its first
   * vote earliest in join order (Kafka leaves ties to hash order).
   */
  selectProtocol(): string {
    if (this.membersById.size === 0) throw new Error(`cannot select a protocol for empty group ${this.groupId}`);
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const member of this.membersById.values()) {
      const vote = member.vote(candidates);
      votes.set(vote, (votes.get(vote) ?? 0) + 1);
    }
    let winner = '';
    let most = -1;
    for (const [name, count] of votes) {
      if (count > most) {
        winner = name;
        most = count;
      }
    }
    return winner;
  }

  /** Starts the next generation (`initNextGeneration`): CompletingRebalance with members, Empty without. */
  initNextGeneration(): void {
    this.generationId++;
    if (this.membersById.size > 0) {
      this.protocolName = this.selectProtocol();
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo(ClassicGroupState.CompletingRebalance);
    } else {
      this.protocolName = null;
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo(ClassicGroupState.Empty);
    }
    this.pendingSyncMembers.clear();
  }

  /** The leader's view of the members: id, instance id and metadata for the selected protocol. */
  currentMemberMetadata(): JoinGroupMemberMetadata[] {
    return this.allMembers().map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      metadata: member.metadata(this.protocolName),
    }));
  }

  usesConsumerGroupProtocol(): boolean {
    return this.protocolType === CONSUMER_PROTOCOL_TYPE;
  }

  /** Union of the members' subscriptions, for protocol type "consumer" only; null when unknown. */
  computeSubscribedTopics(): ReadonlySet<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE) return null;
    if (this.membersById.size === 0) return new Set();
    if (this.protocolName === null) return null;
    const topics = new Set<string>();
    for (const member of this.membersById.values()) {
      const subscribed = subscriptionTopics(member.metadata(this.protocolName));
      if (subscribed === null) return null;
      for (const topic of subscribed) topics.add(topic);
    }
    return topics;
  }

  /**
   * Whether the group consumes `topic`. When the subscriptions are unknown a consumer-protocol group is assumed
   * to consume everything and any other group nothing (`isSubscribedToTopic`).
   */
  isSubscribedToTopic(topic: string): boolean {
    if (this.subscribedTopics !== null) return this.subscribedTopics.has(topic);
    return this.usesConsumerGroupProtocol();
  }

  // ---- validation ----

  /**
   * The member exists, and for a static member the instance id maps to this member id (`validateMember`):
   * UNKNOWN_MEMBER_ID, or FENCED_INSTANCE_ID for an older incarnation of a static member.
   */
  validateMember(memberId: string, groupInstanceId: string | null): void {
    if (groupInstanceId !== null) {
      const existing = this.staticMembers.get(groupInstanceId);
      if (existing === undefined) throw new BrokerError(ErrorCode.UNKNOWN_MEMBER_ID, `unknown static member ${groupInstanceId}`);
      if (existing !== memberId) throw new BrokerError(ErrorCode.FENCED_INSTANCE_ID, `static member ${groupInstanceId} is now ${existing}`);
    } else if (!this.membersById.has(memberId)) {
      throw new BrokerError(ErrorCode.UNKNOWN_MEMBER_ID, `unknown member ${memberId}`);
    }
  }

  /**
   * May this commit go through (`ClassicGroup.validateOffsetCommit`)? Generation -1 from no member is the
   * admin/simple-consumer path, accepted only while the group is Empty; anything that names a member must match
   * the member and the generation. Plain commits are refused with REBALANCE_IN_PROGRESS while the group waits
   * for its assignment (transactional ones are not, KIP-447).
   */
  validateOffsetCommit(memberId: string, groupInstanceId: string | null, generationId: number, isTransactional: boolean): void {
    if (this.isInState(ClassicGroupState.Dead)) throw new BrokerError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `group ${this.groupId} is dead`);
    if (generationId < 0 && this.isInState(ClassicGroupState.Empty)) return;
    if (generationId >= 0 || memberId !== '' || groupInstanceId !== null) {
      this.validateMember(memberId, groupInstanceId);
      if (generationId !== this.generationId) {
        throw new BrokerError(ErrorCode.ILLEGAL_GENERATION, `generation ${generationId} is not the group's ${this.generationId}`);
      }
    } else if (!isTransactional && !this.isInState(ClassicGroupState.Empty)) {
      throw new BrokerError(ErrorCode.UNKNOWN_MEMBER_ID, 'commits without a member are accepted only while the group is empty');
    }
    if (!isTransactional && this.isInState(ClassicGroupState.CompletingRebalance)) {
      throw new BrokerError(ErrorCode.REBALANCE_IN_PROGRESS, `group ${this.groupId} is completing a rebalance`);
    }
  }

  /** OffsetDelete needs the group to exist and, while it has members, to be a consumer group (`validateOffsetDelete`). */
  validateOffsetDelete(): void {
    if (this.isInState(ClassicGroupState.Dead)) throw new BrokerError(ErrorCode.GROUP_ID_NOT_FOUND, `group ${this.groupId} is dead`);
    if (!this.isInState(ClassicGroupState.Empty) && !this.usesConsumerGroupProtocol()) {
      throw new BrokerError(ErrorCode.NON_EMPTY_GROUP, `group ${this.groupId} has members`);
    }
  }

  /** DeleteGroups needs an Empty group (`validateDeleteGroup`). */
  validateDeleteGroup(): void {
    if (this.isInState(ClassicGroupState.Dead)) throw new BrokerError(ErrorCode.GROUP_ID_NOT_FOUND, `group ${this.groupId} is dead`);
    if (!this.isInState(ClassicGroupState.Empty)) throw new BrokerError(ErrorCode.NON_EMPTY_GROUP, `group ${this.groupId} has members`);
  }
}

function uniqueNames(protocols: readonly GroupProtocol[]): Set<string> {
  return new Set(protocols.map((protocol) => protocol.name));
}
