// KIP-848 consumer groups of this node: ConsumerGroupHeartbeat, ConsumerGroupDescribe, session and rebalance
// timeouts, and the consumer-group side of offset commits (the consumer half of Kafka's `GroupMetadataManager`).
//
// A heartbeat runs Kafka's three steps synchronously: (1) create or update the member and bump the group epoch
// when its subscription, the group's membership or the subscribed topics' partitions changed; (2) recompute the
// target assignment with the chosen server-side assignor when the group epoch moved past the assignment epoch;
// (3) reconcile the member towards its target (consumer-group.ts). Node's event loop plays the coordinator
// shard's thread, so no two heartbeats interleave.
//
// Durability: as Kafka writes a heartbeat's records to __consumer_offsets before answering it, the group's
// epochs and every changed member (metadata, current and target assignment) are staged in the offsets log after
// each heartbeat (consumer-group-records.ts) and the heartbeat is answered once they are durable; a restart
// restores the groups with their members and epochs and restarts their session timeouts (Kafka's `onLoaded`),
// so members carry on with their epochs. Committed offsets are shared with the classic coordinator.
// Simplifications vs Kafka, stated plainly: regular expressions (KIP-848 asks for RE2J syntax) are compiled with
// JavaScript's RegExp and must match the whole topic name, as RE2J's `matches()`; patterns using
// look-around or back-references, which RE2J rejects, are accepted here; RE2-only syntax (`\Q...\E`, `(?P<n>...)`)
// is refused as INVALID_REGULAR_EXPRESSION. Kafka resolves regexes in the background; here they are resolved on
// every heartbeat against the current topics. Racks do not influence assignment.
//
// Online migration (Kafka 4.x, `group.consumer.migration.policy` BIDIRECTIONAL): an empty group of either type
// is replaced on the first join of the other. A ConsumerGroupHeartbeat joining a non-empty classic group of
// protocol type "consumer" upgrades it: its members become consumer-group members that keep speaking the
// classic protocol (consumer-group-classic-members.ts). When the last KIP-848 member leaves (or is fenced) and
// classic members remain, the group downgrades to a classic group, which then rebalances.
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { BrokerLogger } from '../logger.ts';
import {
  consumerGroupAssignors,
  UNIFORM_ASSIGNOR,
  type Assignment,
  type AssignorMember,
} from './consumer-group-assignors.ts';
import {
  assignmentsEqual,
  ConsumerGroup,
  LEAVE_GROUP_MEMBER_EPOCH,
  LEAVE_GROUP_STATIC_MEMBER_EPOCH,
  MemberState,
  newMember,
  partitionAssignmentEpoch,
  reconcile,
  type ConsumerGroupMember,
  type OwnedPartitions,
} from './consumer-group.ts';
import type { ClassicGroup } from './classic-group.ts';
import { ClassicMembers } from './consumer-group-classic-members.ts';
import { classicGroupFromConsumerGroup, consumerGroupFromClassicGroup, type DowngradedGroup } from './consumer-group-migration.ts';
import type { ConsumerGroupMigrationPolicy } from './group-coordinator-config.ts';
import type { GroupTimer } from './group-timer.ts';
import type { LoadedConsumerGroup, OffsetStoreRecord } from './offset-store.ts';

/** Where consumer-group state is written (the offsets log). */
export interface ConsumerGroupJournal {
  /** Stages `records`; the promise settles when they are durable. Throws when staging fails. */
  append(records: readonly OffsetStoreRecord[]): Promise<void>;
}

/** An OffsetCommit or TxnOffsetCommit to a consumer group, as `validateOffsetCommit` checks it. */
export interface ConsumerGroupCommit {
  readonly memberId: string;
  /** The request's generation id, which carries the member epoch. */
  readonly memberEpoch: number;
  /** OffsetCommit v9+ and TxnOffsetCommit carry a member epoch; older OffsetCommits do not. */
  readonly carriesMemberEpoch: boolean;
  readonly topics: readonly { readonly name: string; readonly partitions: readonly { readonly partitionIndex: number }[] }[];
  /** The topic's id (hex), or undefined for a topic that does not exist. */
  topicIdOf(name: string): string | undefined;
}

/** The topic metadata a consumer group needs (the broker's `LogManager` satisfies it). */
export interface TopicImage {
  readonly name: string;
  readonly topicId: Buffer;
  readonly partitions: number;
}

export interface TopicsImage {
  listTopics(): readonly TopicImage[];
  topic(name: string): TopicImage | undefined;
}

export interface ConsumerGroupConfig {
  /** `group.consumer.session.timeout.ms` (Kafka: 45000). */
  sessionTimeoutMs: number;
  /** `group.consumer.heartbeat.interval.ms` (Kafka: 5000). */
  heartbeatIntervalMs: number;
  /** `group.consumer.max.size` */
  maxSize: number;
  /** `group.consumer.assignors`: the first is the default. */
  assignors: readonly string[];
  /**
   * `group.consumer.assignment.interval.ms` (Kafka 4.3+: 1000): the least time between two target assignments of
   * a group, so that members joining together cause one rebalance; until then the group is Assigning and members
   * reconcile towards the previous target.
   */
  assignmentIntervalMs: number;
  /** `group.consumer.migration.policy` (Kafka 4.x: bidirectional). */
  migrationPolicy: ConsumerGroupMigrationPolicy;
  /** `group.max.size`: a downgrade needs the remaining members to fit a classic group. */
  classicMaxSize: number;
}

export const defaultConsumerGroupConfig: Readonly<ConsumerGroupConfig> = {
  sessionTimeoutMs: 45_000,
  heartbeatIntervalMs: 5_000,
  maxSize: 2_147_483_647,
  assignors: ['uniform', 'range'],
  assignmentIntervalMs: 1_000,
  migrationPolicy: 'bidirectional',
  classicMaxSize: 2_147_483_647,
};

export interface ConsumerGroupHeartbeatParams {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: readonly string[] | null;
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  topicPartitions: readonly { topicId: Buffer; partitions: readonly number[] }[] | null;
  clientId: string;
  clientHost: string;
  /** v1+ (KIP-1082): the client generates its member id; an empty one is INVALID_REQUEST. */
  memberIdRequired: boolean;
}

export interface HeartbeatAssignment {
  topicPartitions: { topicId: Buffer; partitions: number[] }[];
}

export interface ConsumerGroupHeartbeatResult {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: HeartbeatAssignment | null;
}

export interface DescribedConsumerGroupMember {
  memberId: string;
  instanceId: string | null;
  rackId: string | null;
  memberEpoch: number;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  assignment: { topicPartitions: { topicId: Buffer; topicName: string; partitions: number[] }[] };
  targetAssignment: { topicPartitions: { topicId: Buffer; topicName: string; partitions: number[] }[] };
}

export interface DescribedConsumerGroup {
  errorCode: number;
  errorMessage: string | null;
  groupId: string;
  groupState: string;
  groupEpoch: number;
  assignmentEpoch: number;
  assignorName: string;
  members: DescribedConsumerGroupMember[];
}

/** What the consumer side needs to know of the classic groups sharing the group-id space. */
export interface ClassicGroupsView {
  /** 'absent', 'empty' (no members: may be replaced by a consumer group), or 'active'. */
  kind(groupId: string): 'absent' | 'empty' | 'active';
  /**
   * Forgets the classic group object (its committed offsets stay: they belong to the group id); parked JoinGroup
   * and SyncGroup answers get REBALANCE_IN_PROGRESS, so that their members rejoin the group that replaces it.
   */
  forget(groupId: string): void;
  /** A non-empty classic group that may be upgraded to a consumer group (`validateOnlineUpgrade`), else null. */
  upgradable(groupId: string): ClassicGroup | null;
  /** Installs the classic group a consumer group downgrades to and starts its rebalance (`convertToClassicGroup`). */
  adoptDowngraded(downgraded: DowngradedGroup): void;
}

/** Topic metadata by id as well as by name. */
export interface TopicsById {
  topicById(topicId: Buffer): TopicImage | undefined;
}

const emptyTopicsImage: TopicsImage & TopicsById = { listTopics: () => [], topic: () => undefined, topicById: () => undefined };

class HeartbeatError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const sessionKey = (groupId: string, memberId: string) => `consumer-session\u0000${groupId}\u0000${memberId}`;
const rebalanceKey = (groupId: string, memberId: string) => `consumer-rebalance\u0000${groupId}\u0000${memberId}`;
/** A classic member told to rejoin must do so within its rebalance timeout (`consumerGroupJoinKey`). */
const joinKey = (groupId: string, memberId: string) => `consumer-join\u0000${groupId}\u0000${memberId}`;
/** A classic member that joined must send SyncGroup within its rebalance timeout (`consumerGroupSyncKey`). */
const syncKey = (groupId: string, memberId: string) => `consumer-sync\u0000${groupId}\u0000${memberId}`;

const hex = (topicId: Buffer) => topicId.toString('hex');

export class ConsumerGroupManager {
  private readonly groups = new Map<string, ConsumerGroup>();
  /** The group-level values last written to the journal, by group id (written again only when they change). */
  private readonly persistedMetadata = new Map<string, string>();

  constructor(
    readonly config: ConsumerGroupConfig,
    private readonly timer: GroupTimer,
    private readonly classicGroups: ClassicGroupsView,
    readonly logger: BrokerLogger,
    private readonly clock: () => number,
    private readonly journal: ConsumerGroupJournal,
    /** The broker's topics, for timers and conversions that run outside a request carrying them. */
    readonly topicsImage: TopicsImage & TopicsById = emptyTopicsImage,
    /** A heartbeat bumped a group epoch (Kafka records its consumer-group-rebalance sensor there). */
    private readonly onEpochBump: () => void = () => undefined,
  ) {
    this.classicMembers = new ClassicMembers(this);
  }

  /** JoinGroup, SyncGroup, Heartbeat and LeaveGroup of classic members inside consumer groups. */
  readonly classicMembers: ClassicMembers;

  /**
   * Installs a group replayed from the offsets log and starts its members' session timeouts (and the rebalance
   * timeouts of members still revoking), as Kafka's `GroupMetadataManager.onLoaded` does.
   */
  restore(groupId: string, loaded: LoadedConsumerGroup): void {
    const group = new ConsumerGroup(groupId);
    if (loaded.metadata !== null) {
      group.groupEpoch = loaded.metadata.groupEpoch;
      group.assignmentEpoch = loaded.metadata.assignmentEpoch;
      group.assignorName = loaded.metadata.assignorName;
      group.subscriptionSignature = loaded.metadata.subscriptionSignature;
    }
    const dropped: OffsetStoreRecord[] = [];
    for (const { member, target } of loaded.members.values()) {
      // A log cut short by a crash mid-write could hold a member owning a partition another member owns too; it
      // is dropped (it will be told UNKNOWN_MEMBER_ID and rejoin) rather than breaking the ownership invariant.
      if (!group.canClaim(member)) {
        this.logger.warn({ group: groupId, memberId: member.memberId }, 'dropped a restored consumer group member whose partitions another member owns');
        dropped.push({ type: 'consumer-group-member-tombstone', groupId, memberId: member.memberId });
        continue;
      }
      if (target !== null) group.targetAssignment.set(member.memberId, target);
      group.updateMember(member);
    }
    group.takeChangedMemberIds();
    this.groups.set(groupId, group);
    this.persistedMetadata.set(groupId, metadataSnapshot(group));
    for (const member of group.members.values()) {
      this.scheduleSessionTimeout(group, member.memberId, member.classic?.sessionTimeoutMs ?? this.config.sessionTimeoutMs);
      this.scheduleRebalanceTimeout(group, member);
    }
    if (dropped.length > 0) this.appendInBackground(dropped);
    this.logger.info({ group: groupId, groupEpoch: group.groupEpoch, members: group.members.size }, 'restored consumer group');
  }

  /**
   * Stages what changed in the group since the last call: its epochs when they moved, each changed member (or a
   * tombstone for a removed one). Returns null when nothing changed, else a promise settling when durable (or
   * rejected when the write failed).
   */
  persistChanges(groupId: string): Promise<void> | null {
    const group = this.groups.get(groupId);
    if (group === undefined) return null;
    const records: OffsetStoreRecord[] = [];
    const snapshot = metadataSnapshot(group);
    if (this.persistedMetadata.get(groupId) !== snapshot) {
      records.push({
        type: 'consumer-group-metadata',
        groupId,
        metadata: { groupEpoch: group.groupEpoch, assignmentEpoch: group.assignmentEpoch, assignorName: group.assignorName, subscriptionSignature: group.subscriptionSignature },
      });
    }
    for (const memberId of group.takeChangedMemberIds()) {
      const member = group.members.get(memberId);
      records.push(
        member === undefined
          ? { type: 'consumer-group-member-tombstone', groupId, memberId }
          : { type: 'consumer-group-member', groupId, stored: { member, target: group.targetAssignment.get(memberId) ?? null } },
      );
    }
    if (records.length === 0) return null;
    try {
      const written = this.journal.append(records);
      this.persistedMetadata.set(groupId, snapshot);
      return written;
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** For changes no request waits for (timeouts): a failure is logged. */
  persistInBackground(group: ConsumerGroup): void {
    this.persistChanges(group.groupId)?.catch((error: unknown) => this.logger.error({ group: group.groupId, err: errorText(error) }, 'writing consumer group state to the offsets log failed'));
  }

  private appendInBackground(records: readonly OffsetStoreRecord[]): void {
    try {
      this.journal.append(records).catch((error: unknown) => this.logger.error({ err: errorText(error) }, 'writing consumer group state to the offsets log failed'));
    } catch (error) {
      this.logger.error({ err: errorText(error) }, 'writing consumer group state to the offsets log failed');
    }
  }

  group(groupId: string): ConsumerGroup | undefined {
    return this.groups.get(groupId);
  }

  allGroups(): IterableIterator<ConsumerGroup> {
    return this.groups.values();
  }

  /**
   * Whether a member subscribes to `topic` by name or by a regex matching it (`ModernGroup.isSubscribedToTopic`,
   * whose names include the topics resolved from regexes): offset expiry spares such topics.
   */
  isSubscribedToTopic(group: ConsumerGroup, topic: string): boolean {
    for (const member of group.members.values()) {
      if (member.subscribedTopicNames.includes(topic)) return true;
      if (member.subscribedTopicRegex !== null && !topic.startsWith('__') && compileRegex(member.subscribedTopicRegex).test(topic)) return true;
    }
    return false;
  }

  /**
   * Drops an empty group object: a classic member takes the id over (`writeTombstone`: its consumer-group state
   * leaves the offsets log, the offsets stay), or DeleteGroups (which writes its own group tombstone).
   */
  forget(groupId: string, writeTombstone: boolean): void {
    this.groups.delete(groupId);
    this.persistedMetadata.delete(groupId);
    if (writeTombstone) this.appendInBackground([{ type: 'consumer-group-tombstone', groupId }]);
  }

  close(): void {
    this.groups.clear();
    this.persistedMetadata.clear();
  }

  // ---------------------------------------------------------------------------------------------------------
  // ConsumerGroupHeartbeat

  heartbeat(params: ConsumerGroupHeartbeatParams, topics: TopicsImage): ConsumerGroupHeartbeatResult {
    try {
      this.validateRequest(params);
      if (params.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH || params.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
        return this.leave(params);
      }
      return this.joinOrHeartbeat(params, topics);
    } catch (error) {
      if (error instanceof HeartbeatError) {
        return { errorCode: error.code, errorMessage: error.message, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
      }
      throw error;
    }
  }

  /** `throwIfConsumerGroupHeartbeatRequestIsInvalid` */
  private validateRequest(params: ConsumerGroupHeartbeatParams): void {
    const invalid = (message: string) => new HeartbeatError(ErrorCode.INVALID_REQUEST, message);
    if (params.groupId === '') throw invalid('GroupId can\'t be empty.');
    if (params.instanceId === '') throw invalid('InstanceId can\'t be empty.');
    if (params.rackId === '') throw invalid('RackId can\'t be empty.');
    if (params.memberIdRequired && params.memberId === '') throw invalid('MemberId can\'t be empty.');
    if (params.memberEpoch > 0 || params.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH) {
      if (params.memberId === '') throw invalid('MemberId can\'t be empty.');
    } else if (params.memberEpoch === 0) {
      if (params.rebalanceTimeoutMs === -1) throw invalid('RebalanceTimeoutMs must be provided in first request.');
      if (params.topicPartitions === null || params.topicPartitions.length > 0) throw invalid('TopicPartitions must be empty when (re-)joining.');
      if (params.subscribedTopicNames === null && params.subscribedTopicRegex === null) {
        throw invalid('Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.');
      }
    } else if (params.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      if (params.memberId === '') throw invalid('MemberId can\'t be empty.');
      if (params.instanceId === null) throw invalid('InstanceId can\'t be null.');
    } else {
      throw invalid(`MemberEpoch is invalid.`);
    }
    if (params.subscribedTopicRegex !== null) {
      if (params.subscribedTopicRegex === '') throw invalid('SubscribedTopicRegex must not be empty.');
      compileRegex(params.subscribedTopicRegex);
    }
    if (params.serverAssignor !== null && !this.config.assignors.includes(params.serverAssignor)) {
      throw new HeartbeatError(ErrorCode.UNSUPPORTED_ASSIGNOR, `ServerAssignor ${params.serverAssignor} is not supported. Supported assignors: ${this.config.assignors.join(', ')}.`);
    }
  }

  private getOrMaybeCreateGroup(groupId: string, create: boolean, topics: TopicsImage): ConsumerGroup {
    const existing = this.groups.get(groupId);
    if (existing !== undefined) return existing;
    const classic = this.classicGroups.kind(groupId);
    if (!create) throw new HeartbeatError(ErrorCode.GROUP_ID_NOT_FOUND, classic === 'active' ? `Group ${groupId} is not a consumer group.` : `Consumer group ${groupId} not found.`);
    if (classic === 'active') return this.upgrade(groupId, topics);
    if (classic === 'empty') {
      this.classicGroups.forget(groupId);
      this.logger.info({ group: groupId }, 'converted the empty classic group to a consumer group');
    }
    const group = new ConsumerGroup(groupId);
    this.groups.set(groupId, group);
    return group;
  }

  /**
   * Online upgrade (`convertToConsumerGroup`): the classic group's members become members of a consumer group at
   * its generation, each Stable with its last assignment as its target; the joining member then bumps the epoch.
   */
  private upgrade(groupId: string, topics: TopicsImage): ConsumerGroup {
    const classic = this.classicGroups.upgradable(groupId);
    if (classic === null) throw new HeartbeatError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a consumer group.`);
    let group: ConsumerGroup;
    try {
      group = consumerGroupFromClassicGroup(classic, topics);
    } catch {
      throw new HeartbeatError(ErrorCode.GROUP_ID_NOT_FOUND, `Cannot upgrade the classic group ${groupId} to consumer group because the embedded consumer protocol is malformed.`);
    }
    this.classicGroups.forget(groupId);
    this.groups.set(groupId, group);
    for (const member of group.members.values()) this.scheduleSessionTimeout(group, member.memberId, member.classic?.sessionTimeoutMs ?? this.config.sessionTimeoutMs);
    this.logger.info({ group: groupId, groupEpoch: group.groupEpoch, members: group.members.size }, 'upgraded the classic group to a consumer group');
    return group;
  }

  private joinOrHeartbeat(params: ConsumerGroupHeartbeatParams, topics: TopicsImage): ConsumerGroupHeartbeatResult {
    const joining = params.memberEpoch === 0;
    const group = this.getOrMaybeCreateGroup(params.groupId, joining, topics);
    const memberId = params.memberId === '' ? randomUUID() : params.memberId;
    if (group.members.size >= this.config.maxSize && !group.members.has(memberId)) {
      throw new HeartbeatError(ErrorCode.GROUP_MAX_SIZE_REACHED, `The consumer group has reached its maximum capacity of ${this.config.maxSize} members.`);
    }
    const owned = ownedPartitions(params.topicPartitions);
    const member =
      params.instanceId === null
        ? this.dynamicMember(group, memberId, params.memberEpoch, owned)
        : this.staticMember(group, memberId, params.memberEpoch, params.instanceId, owned);

    // 1. Update the member; bump the group epoch when anything that shapes the assignment changed.
    const updated: ConsumerGroupMember = {
      ...member,
      instanceId: params.instanceId ?? member.instanceId,
      rackId: params.rackId ?? member.rackId,
      rebalanceTimeoutMs: params.rebalanceTimeoutMs === -1 ? member.rebalanceTimeoutMs : params.rebalanceTimeoutMs,
      serverAssignor: params.serverAssignor ?? member.serverAssignor,
      subscribedTopicNames: params.subscribedTopicNames ?? member.subscribedTopicNames,
      subscribedTopicRegex: params.subscribedTopicRegex ?? member.subscribedTopicRegex,
      clientId: params.clientId,
      clientHost: params.clientHost,
      // A member heartbeating with ConsumerGroupHeartbeat speaks the KIP-848 protocol from now on.
      classic: null,
    };
    const isNewMember = !group.members.has(memberId);
    const reconciled = this.updateMemberAndReconcile(group, member, updated, isNewMember, joining ? new Map() : owned, topics);
    this.scheduleRebalanceTimeout(group, reconciled);
    this.scheduleSessionTimeout(group, memberId, this.config.sessionTimeoutMs);

    // The assignment is sent on a full request (join, or after an error the client resends everything) or when
    // it changed (`consumerGroupHeartbeat`).
    const isFullRequest = joining || (params.rebalanceTimeoutMs !== -1 && params.subscribedTopicNames !== null && params.topicPartitions !== null);
    const changed = !assignmentsEqual(member.assigned, reconciled.assigned) || isNewMember;
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId,
      memberEpoch: reconciled.memberEpoch,
      heartbeatIntervalMs: this.config.heartbeatIntervalMs,
      assignment: isFullRequest || changed ? toHeartbeatAssignment(reconciled.assigned) : null,
    };
  }

  /**
   * Kafka's three heartbeat steps for a member of either protocol: install the updated member (bumping the group
   * epoch when its subscription or the subscribed topics changed), compute a new target assignment when due, and
   * reconcile the member towards its target given the partitions it reports owning. Returns the reconciled member.
   */
  updateMemberAndReconcile(
    group: ConsumerGroup,
    member: ConsumerGroupMember,
    updated: ConsumerGroupMember,
    isNewMember: boolean,
    owned: OwnedPartitions,
    topics: TopicsImage,
  ): ConsumerGroupMember {
    const { memberId } = updated;
    let bumpGroupEpoch = isNewMember;
    if (!sameStrings(member.subscribedTopicNames, updated.subscribedTopicNames) || member.subscribedTopicRegex !== updated.subscribedTopicRegex) {
      bumpGroupEpoch = true;
    }
    if (member.serverAssignor !== updated.serverAssignor) bumpGroupEpoch = true;
    // The member object is installed before the assignment so that it takes part in it. An unchanged member is
    // left as it is, so that a steady heartbeat writes nothing to the offsets log (Kafka writes a member record
    // only when the member changed).
    if (isNewMember || !sameMemberMetadata(member, updated)) group.updateMember(updated);
    const signature = subscriptionSignature(group, topics);
    if (signature !== group.subscriptionSignature) {
      group.subscriptionSignature = signature;
      bumpGroupEpoch = true;
    }
    if (bumpGroupEpoch) {
      group.groupEpoch += 1;
      this.logger.info({ group: group.groupId, groupEpoch: group.groupEpoch }, 'bumped consumer group epoch');
      this.onEpochBump();
    }

    // 2. A new target assignment for the new group epoch.
    const now = this.clock();
    if (group.groupEpoch > group.assignmentEpoch && now - group.lastAssignmentMs >= this.config.assignmentIntervalMs) {
      this.updateTargetAssignment(group, topics);
      group.lastAssignmentMs = now;
    }

    // 3. Reconcile the member towards its target.
    const current = group.members.get(memberId) as ConsumerGroupMember;
    const target = group.targetAssignment.get(memberId) ?? new Map<string, Set<number>>();
    const reconciled = reconcile(group, current, group.assignmentEpoch, target, owned);
    if (reconciled !== current) group.updateMember(reconciled);
    return reconciled;
  }

  /** `getOrMaybeSubscribeDynamicConsumerGroupMember` */
  private dynamicMember(group: ConsumerGroup, memberId: string, memberEpoch: number, owned: OwnedPartitions): ConsumerGroupMember {
    const existing = group.members.get(memberId);
    if (existing === undefined) {
      if (memberEpoch !== 0) throw new HeartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} is not a member of group ${group.groupId}.`);
      this.logger.info({ group: group.groupId, memberId }, 'member joins the consumer group');
      return newMember(memberId);
    }
    throwIfMemberEpochIsInvalid(existing, memberEpoch, owned);
    return existing;
  }

  /** `getOrMaybeSubscribeStaticConsumerGroupMember`: KIP-345 static membership under KIP-848. */
  private staticMember(group: ConsumerGroup, memberId: string, memberEpoch: number, instanceId: string, owned: OwnedPartitions): ConsumerGroupMember {
    const existing = group.staticMember(instanceId);
    if (memberEpoch === 0) {
      if (existing === undefined) {
        const byId = group.members.get(memberId);
        if (byId !== undefined) throwIfMemberEpochIsInvalid(byId, memberEpoch, owned);
        return byId ?? newMember(memberId);
      }
      // A previous incarnation speaking the classic protocol is replaced at once; a KIP-848 one must have left (-2).
      if (existing.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH && existing.classic === null) {
        throw new HeartbeatError(ErrorCode.UNRELEASED_INSTANCE_ID, `Static member ${existing.memberId} with instance id ${instanceId} is not released.`);
      }
      // The instance comes back: the new member id takes over the old one's target assignment without a
      // rebalance; the partitions the old incarnation held are released to it.
      const target = group.targetAssignment.get(existing.memberId);
      group.removeMember(existing.memberId);
      this.timer.cancel(sessionKey(group.groupId, existing.memberId));
      this.timer.cancel(rebalanceKey(group.groupId, existing.memberId));
      if (target !== undefined) group.targetAssignment.set(memberId, target);
      const replacement: ConsumerGroupMember = {
        ...newMember(memberId),
        instanceId,
        subscribedTopicNames: existing.subscribedTopicNames,
        subscribedTopicRegex: existing.subscribedTopicRegex,
        serverAssignor: existing.serverAssignor,
        rackId: existing.rackId,
        rebalanceTimeoutMs: existing.rebalanceTimeoutMs,
      };
      group.updateMember(replacement);
      this.logger.info({ group: group.groupId, instanceId, oldMemberId: existing.memberId, memberId }, 'static member rejoins with a new member id');
      return replacement;
    }
    if (existing === undefined) throw new HeartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${instanceId} is unknown.`);
    if (existing.memberId !== memberId) {
      throw new HeartbeatError(ErrorCode.FENCED_INSTANCE_ID, `Static member ${memberId} with instance id ${instanceId} was fenced by member ${existing.memberId}.`);
    }
    throwIfMemberEpochIsInvalid(existing, memberEpoch, owned);
    return existing;
  }

  /** `consumerGroupLeave`: epoch -1 removes the member, -2 (static) keeps its place for its session timeout. */
  private leave(params: ConsumerGroupHeartbeatParams): ConsumerGroupHeartbeatResult {
    const group = this.groups.get(params.groupId);
    if (group === undefined) throw new HeartbeatError(ErrorCode.GROUP_ID_NOT_FOUND, `Consumer group ${params.groupId} not found.`);
    const answer = (memberEpoch: number): ConsumerGroupHeartbeatResult => ({
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: params.memberId,
      memberEpoch,
      heartbeatIntervalMs: 0,
      assignment: null,
    });
    if (params.instanceId === null) {
      const member = group.members.get(params.memberId);
      if (member === undefined) throw new HeartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${params.memberId} is not a member of group ${group.groupId}.`);
      this.fenceMember(group, member, 'the member left the group');
      return answer(LEAVE_GROUP_MEMBER_EPOCH);
    }
    const member = group.staticMember(params.instanceId);
    if (member === undefined) throw new HeartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${params.instanceId} is unknown.`);
    if (member.memberId !== params.memberId) {
      throw new HeartbeatError(ErrorCode.FENCED_INSTANCE_ID, `Static member ${params.memberId} with instance id ${params.instanceId} was fenced by member ${member.memberId}.`);
    }
    if (params.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      // A temporary leave (a rolling restart): the assignment is kept for the instance until the session expires.
      group.updateMember({ ...member, memberEpoch: LEAVE_GROUP_STATIC_MEMBER_EPOCH });
      this.timer.cancel(rebalanceKey(group.groupId, member.memberId));
      this.scheduleSessionTimeout(group, member.memberId, this.config.sessionTimeoutMs);
      this.logger.info({ group: group.groupId, memberId: member.memberId, instanceId: params.instanceId }, 'static member left the group temporarily');
      return answer(LEAVE_GROUP_STATIC_MEMBER_EPOCH);
    }
    this.fenceMember(group, member, 'the static member left the group');
    return answer(LEAVE_GROUP_MEMBER_EPOCH);
  }

  /**
   * Removes a member that left or was fenced (`consumerGroupFenceMember`). When it was the last KIP-848 member
   * and classic members remain, the group goes back to being a classic group instead (the online downgrade).
   */
  fenceMember(group: ConsumerGroup, member: ConsumerGroupMember, reason: string): void {
    if (this.validateOnlineDowngrade(group, member.memberId)) {
      this.downgrade(group, member.memberId, reason);
      return;
    }
    this.removeMemberAndBumpEpoch(group, member, reason);
  }

  /**
   * `validateOnlineDowngradeWithFencedMember`, or with `replaced` `validateOnlineDowngradeWithReplacedMemberId` (a
   * classic static member takes the leaving member's place, so the group is not left empty).
   */
  validateOnlineDowngrade(group: ConsumerGroup, leavingMemberId: string, replaced = false): boolean {
    if (!group.allMembersUseClassicProtocolExcept(leavingMemberId)) return false;
    if (!replaced && group.members.size <= 1) return false;
    const { migrationPolicy, classicMaxSize } = this.config;
    if (migrationPolicy !== 'downgrade' && migrationPolicy !== 'bidirectional') {
      this.logger.info({ group: group.groupId }, 'cannot downgrade the consumer group to a classic group: online downgrade is disabled');
      return false;
    }
    if (group.members.size - (replaced ? 0 : 1) > classicMaxSize) {
      this.logger.info({ group: group.groupId }, 'cannot downgrade the consumer group to a classic group: it is larger than group.max.size');
      return false;
    }
    return true;
  }

  /** `convertToClassicGroup`: the remaining (classic) members form a classic group at the group epoch, which rebalances. */
  downgrade(group: ConsumerGroup, leavingMemberId: string, reason: string): void {
    const downgraded = classicGroupFromConsumerGroup(group, leavingMemberId, this.topicsImage);
    for (const memberId of group.members.keys()) this.cancelMemberTimers(group.groupId, memberId);
    this.forget(group.groupId, true);
    this.logger.info({ group: group.groupId, leavingMemberId, reason, generationId: downgraded.generationId }, 'downgraded the consumer group to a classic group');
    this.classicGroups.adoptDowngraded(downgraded);
  }

  /** Removes a member without bumping the epoch (the caller does), and stops its timers. */
  removeMember(group: ConsumerGroup, memberId: string): void {
    group.removeMember(memberId);
    this.cancelMemberTimers(group.groupId, memberId);
  }

  private cancelMemberTimers(groupId: string, memberId: string): void {
    for (const key of [sessionKey, rebalanceKey, joinKey, syncKey]) this.timer.cancel(key(groupId, memberId));
  }

  /** Bumps the group epoch after members left; an empty group's target follows at once. */
  bumpEpochAfterRemoval(group: ConsumerGroup): void {
    group.groupEpoch += 1;
    // The target of an empty group is trivially empty: it follows the group epoch at once, as in Kafka.
    if (group.members.size === 0) {
      group.targetAssignment.clear();
      group.assignmentEpoch = group.groupEpoch;
    }
  }

  private removeMemberAndBumpEpoch(group: ConsumerGroup, member: ConsumerGroupMember, reason: string): void {
    this.removeMember(group, member.memberId);
    this.bumpEpochAfterRemoval(group);
    this.logger.info({ group: group.groupId, memberId: member.memberId, groupEpoch: group.groupEpoch, reason }, 'member removed from the consumer group');
  }

  scheduleSessionTimeout(group: ConsumerGroup, memberId: string, timeoutMs: number): void {
    this.timer.schedule(sessionKey(group.groupId, memberId), timeoutMs, () => this.fenceByTimer(group, memberId, 'session timeout expired'));
  }

  /** A classic member told to rejoin has its rebalance timeout to do so (`scheduleConsumerGroupJoinTimeoutIfAbsent`). */
  scheduleJoinTimeoutIfAbsent(group: ConsumerGroup, member: ConsumerGroupMember): void {
    const key = joinKey(group.groupId, member.memberId);
    if (this.timer.isScheduled(key)) return;
    this.timer.schedule(key, Math.max(0, member.rebalanceTimeoutMs), () => this.fenceByTimer(group, member.memberId, 'the classic member failed to rejoin within the rebalance timeout'));
  }

  cancelJoinTimeout(group: ConsumerGroup, memberId: string): void {
    this.timer.cancel(joinKey(group.groupId, memberId));
  }

  /** A classic member that joined has its rebalance timeout to send SyncGroup (`scheduleConsumerGroupSyncTimeout`). */
  scheduleSyncTimeout(group: ConsumerGroup, memberId: string, timeoutMs: number): void {
    this.timer.schedule(syncKey(group.groupId, memberId), Math.max(0, timeoutMs), () => this.fenceByTimer(group, memberId, 'the classic member failed to sync within the rebalance timeout'));
  }

  cancelSyncTimeout(group: ConsumerGroup, memberId: string): void {
    this.timer.cancel(syncKey(group.groupId, memberId));
  }

  private fenceByTimer(group: ConsumerGroup, memberId: string, reason: string): void {
    const member = group.members.get(memberId);
    if (member === undefined || this.groups.get(group.groupId) !== group) return;
    this.fenceMember(group, member, reason);
    this.persistInBackground(group);
  }

  /** A member revoking partitions must finish within its rebalance timeout, or it is fenced (removed). */
  scheduleRebalanceTimeout(group: ConsumerGroup, member: ConsumerGroupMember): void {
    const key = rebalanceKey(group.groupId, member.memberId);
    if (member.state !== MemberState.UnrevokedPartitions) {
      this.timer.cancel(key);
      return;
    }
    if (this.timer.isScheduled(key)) return;
    const epoch = member.memberEpoch;
    this.timer.schedule(key, Math.max(0, member.rebalanceTimeoutMs), () => {
      const current = group.members.get(member.memberId);
      if (current === undefined || current.memberEpoch !== epoch || current.state !== MemberState.UnrevokedPartitions) return;
      this.fenceByTimer(group, current.memberId, 'rebalance timeout expired while revoking partitions');
    });
  }

  /** Runs the assignor chosen by the members (the most requested; ties and none: the default). */
  private updateTargetAssignment(group: ConsumerGroup, topics: TopicsImage): void {
    const assignorName = this.preferredAssignor(group);
    const assignor = consumerGroupAssignors.get(assignorName) ?? consumerGroupAssignors.get(UNIFORM_ASSIGNOR);
    if (assignor === undefined) throw new Error('no consumer group assignor');
    const partitionCounts = new Map<string, number>();
    const members: AssignorMember[] = [];
    for (const member of group.members.values()) {
      const subscribedTopicIds: string[] = [];
      for (const topic of subscribedTopics(member, topics)) {
        const topicId = hex(topic.topicId);
        subscribedTopicIds.push(topicId);
        partitionCounts.set(topicId, topic.partitions);
      }
      members.push({ memberId: member.memberId, subscribedTopicIds, currentTarget: group.targetAssignment.get(member.memberId) ?? new Map() });
    }
    const result = assignor.assign({ members, partitionCounts });
    group.targetAssignment.clear();
    for (const [memberId, assignment] of result) group.targetAssignment.set(memberId, assignment);
    group.markAllMembersChanged();
    group.assignmentEpoch = group.groupEpoch;
    group.assignorName = assignor.name;
    this.logger.info({ group: group.groupId, assignmentEpoch: group.assignmentEpoch, assignor: assignor.name, members: members.length }, 'computed a new target assignment');
  }

  /** `ModernGroup.computePreferredServerAssignor`: the assignor most members ask for, else the default. */
  private preferredAssignor(group: ConsumerGroup): string {
    const counts = new Map<string, number>();
    for (const member of group.members.values()) {
      if (member.serverAssignor !== null) counts.set(member.serverAssignor, (counts.get(member.serverAssignor) ?? 0) + 1);
    }
    let best = this.config.assignors[0] ?? UNIFORM_ASSIGNOR;
    let bestCount = 0;
    for (const [name, count] of counts) {
      if (count > bestCount) {
        best = name;
        bestCount = count;
      }
    }
    return best;
  }

  // ---------------------------------------------------------------------------------------------------------
  // ConsumerGroupDescribe, ListGroups

  describe(groupIds: readonly string[], topics: { topicById(topicId: Buffer): TopicImage | undefined }): DescribedConsumerGroup[] {
    return groupIds.map((groupId) => {
      // An error answer carries the response's defaults (Kafka's `GroupCoordinatorService.consumerGroupDescribe`).
      const empty: DescribedConsumerGroup = {
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        groupId,
        groupState: '',
        groupEpoch: 0,
        assignmentEpoch: 0,
        assignorName: '',
        members: [],
      };
      if (groupId === '') return { ...empty, errorCode: ErrorCode.INVALID_GROUP_ID, errorMessage: null };
      const group = this.groups.get(groupId);
      if (group === undefined) {
        const classic = this.classicGroups.kind(groupId) !== 'absent';
        return { ...empty, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: classic ? `Group ${groupId} is not a consumer group.` : `Group ${groupId} not found.` };
      }
      const described = (assignment: Assignment) => ({
        topicPartitions: [...assignment]
          .filter(([, partitions]) => partitions.size > 0)
          .map(([topicId, partitions]) => {
            const id = Buffer.from(topicId, 'hex');
            return { topicId: id, topicName: topics.topicById(id)?.name ?? '', partitions: [...partitions].sort((a, b) => a - b) };
          }),
      });
      return {
        ...empty,
        groupState: group.state,
        groupEpoch: group.groupEpoch,
        assignmentEpoch: group.assignmentEpoch,
        assignorName: group.assignorName === '' ? (this.config.assignors[0] ?? UNIFORM_ASSIGNOR) : group.assignorName,
        members: [...group.members.values()].map((member) => ({
          memberId: member.memberId,
          instanceId: member.instanceId,
          rackId: member.rackId,
          memberEpoch: member.memberEpoch,
          clientId: member.clientId,
          clientHost: member.clientHost,
          subscribedTopicNames: [...member.subscribedTopicNames],
          // Kafka describes "no regex" as an empty string.
          subscribedTopicRegex: member.subscribedTopicRegex ?? '',
          // What the member owns: partitions it has yet to confirm revoking are still its own (Kafka 4.4 describes them).
          assignment: described(owning(member)),
          targetAssignment: described(group.targetAssignment.get(member.memberId) ?? new Map()),
        })),
      };
    });
  }

  // ---------------------------------------------------------------------------------------------------------
  // Offsets

  /**
   * `ConsumerGroup.validateOffsetFetch` (OffsetFetch v9+): without a member id and with a negative epoch (the
   * admin client, or an older request) anything may be fetched; otherwise the member must exist
   * (UNKNOWN_MEMBER_ID) and fetch with its current epoch (STALE_MEMBER_EPOCH).
   */
  validateOffsetFetch(group: ConsumerGroup, memberId: string | null, memberEpoch: number): number {
    if (memberId === null && memberEpoch < 0) return ErrorCode.NONE;
    const member = memberId === null ? undefined : group.members.get(memberId);
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    // A classic member's generation is its member epoch; a mismatch is the classic error.
    if (memberEpoch !== member.memberEpoch) return member.classic !== null ? ErrorCode.ILLEGAL_GENERATION : ErrorCode.STALE_MEMBER_EPOCH;
    return ErrorCode.NONE;
  }

  /**
   * `ConsumerGroup.validateOffsetCommit`: a negative epoch commits only while the group is empty (the admin
   * client, or a consumer assigning partitions itself); otherwise the member must exist and commit with its
   * current epoch, or (KIP-1251) an older one under which it already held every committed partition
   * (STALE_MEMBER_EPOCH). Its OffsetCommits must be v9+ (older versions cannot carry a member epoch:
   * UNSUPPORTED_VERSION); TxnOffsetCommit (`carriesMemberEpoch` true) always can.
   */
  validateOffsetCommit(group: ConsumerGroup, commit: ConsumerGroupCommit): number {
    const { memberId, memberEpoch } = commit;
    if (memberEpoch < 0 && group.members.size === 0) return ErrorCode.NONE;
    const member = group.members.get(memberId);
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    // A classic member commits with any OffsetCommit version, its generation being its member epoch.
    if (member.classic !== null) return memberEpoch === member.memberEpoch ? ErrorCode.NONE : ErrorCode.ILLEGAL_GENERATION;
    if (!commit.carriesMemberEpoch) return ErrorCode.UNSUPPORTED_VERSION;
    if (memberEpoch === member.memberEpoch) return ErrorCode.NONE;
    if (memberEpoch > member.memberEpoch) return ErrorCode.STALE_MEMBER_EPOCH;
    // KIP-1251 (`createAssignmentEpochValidator`): an older epoch is fine for partitions the member has held (assigned
    // or pending revocation) since that epoch or before; any other partition fails the whole commit.
    for (const topic of commit.topics) {
      const topicId = commit.topicIdOf(topic.name);
      for (const partition of topic.partitions) {
        const assignedAt = topicId === undefined ? undefined : partitionAssignmentEpoch(member, topicId, partition.partitionIndex);
        if (assignedAt === undefined || memberEpoch < assignedAt) return ErrorCode.STALE_MEMBER_EPOCH;
      }
    }
    return ErrorCode.NONE;
  }
}

/** `throwIfConsumerGroupMemberEpochIsInvalid` */
function throwIfMemberEpochIsInvalid(member: ConsumerGroupMember, receivedEpoch: number, owned: OwnedPartitions): void {
  if (receivedEpoch > member.memberEpoch) {
    throw new HeartbeatError(
      ErrorCode.FENCED_MEMBER_EPOCH,
      `The consumer group member has a greater member epoch (${receivedEpoch}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`,
    );
  }
  if (receivedEpoch < member.memberEpoch) {
    // The previous epoch with a subset of the current partitions is accepted: the answer carrying the bump may
    // have been lost.
    if (receivedEpoch !== member.previousMemberEpoch || !isSubset(owned, member.assigned)) {
      throw new HeartbeatError(
        ErrorCode.FENCED_MEMBER_EPOCH,
        `The consumer group member has a smaller member epoch (${receivedEpoch}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`,
      );
    }
  }
}

function isSubset(owned: OwnedPartitions, assigned: Assignment): boolean {
  if (owned === null) return false;
  for (const [topicId, partitions] of owned) {
    const mine = assigned.get(topicId);
    if (mine === undefined) return partitions.length === 0;
    for (const partition of partitions) if (!mine.has(partition)) return false;
  }
  return true;
}

function ownedPartitions(topicPartitions: ConsumerGroupHeartbeatParams['topicPartitions']): OwnedPartitions {
  if (topicPartitions === null) return null;
  return new Map(topicPartitions.map((topic) => [hex(topic.topicId), topic.partitions]));
}

/** The partitions a member holds: assigned, or assigned before and not yet confirmed revoked. */
function owning(member: ConsumerGroupMember): Assignment {
  if (member.pendingRevocation.size === 0) return member.assigned;
  const held: Assignment = new Map();
  for (const assignment of [member.assigned, member.pendingRevocation]) {
    for (const [topicId, partitions] of assignment) held.set(topicId, new Set([...(held.get(topicId) ?? []), ...partitions]));
  }
  return held;
}

function toHeartbeatAssignment(assignment: Assignment): HeartbeatAssignment {
  return {
    topicPartitions: [...assignment]
      .filter(([, partitions]) => partitions.size > 0)
      .map(([topicId, partitions]) => ({ topicId: Buffer.from(topicId, 'hex'), partitions: [...partitions].sort((a, b) => a - b) })),
  };
}

function sameMemberMetadata(a: ConsumerGroupMember, b: ConsumerGroupMember): boolean {
  return (
    a.instanceId === b.instanceId &&
    a.rackId === b.rackId &&
    a.rebalanceTimeoutMs === b.rebalanceTimeoutMs &&
    a.serverAssignor === b.serverAssignor &&
    a.subscribedTopicRegex === b.subscribedTopicRegex &&
    a.clientId === b.clientId &&
    a.clientHost === b.clientHost &&
    a.subscribedTopicNames.length === b.subscribedTopicNames.length &&
    a.subscribedTopicNames.every((name, i) => name === b.subscribedTopicNames[i]) &&
    sameClassicMetadata(a.classic, b.classic)
  );
}

function sameClassicMetadata(a: ConsumerGroupMember['classic'], b: ConsumerGroupMember['classic']): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.sessionTimeoutMs === b.sessionTimeoutMs &&
    a.supportedProtocols.length === b.supportedProtocols.length &&
    a.supportedProtocols.every((protocol, i) => protocol.name === b.supportedProtocols[i]?.name && protocol.metadata.equals(b.supportedProtocols[i].metadata))
  );
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((value) => set.has(value));
}

/** RE2J's `Pattern.compile(...).matcher(topic).matches()`, approximated with a JavaScript RegExp anchored at both ends. */
function compileRegex(pattern: string): RegExp {
  if (pattern.includes('\\Q') || pattern.includes('(?P<')) {
    throw new HeartbeatError(ErrorCode.INVALID_REGULAR_EXPRESSION, `SubscribedTopicRegex ${pattern} uses RE2 syntax this broker does not support.`);
  }
  try {
    return new RegExp(`^(?:${pattern})$`, 'u');
  } catch (error) {
    throw new HeartbeatError(ErrorCode.INVALID_REGULAR_EXPRESSION, `SubscribedTopicRegex ${pattern} is not a valid regular expression: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The existing topics a member subscribes to, by name or by regex (internal topics never match a regex). */
function subscribedTopics(member: ConsumerGroupMember, topics: TopicsImage): TopicImage[] {
  const result = new Map<string, TopicImage>();
  for (const name of member.subscribedTopicNames) {
    const topic = topics.topic(name);
    if (topic !== undefined) result.set(name, topic);
  }
  if (member.subscribedTopicRegex !== null) {
    const regex = compileRegex(member.subscribedTopicRegex);
    for (const topic of topics.listTopics()) if (!topic.name.startsWith('__') && regex.test(topic.name)) result.set(topic.name, topic);
  }
  return [...result.values()];
}

/** The subscribed topics, their ids and partition counts: a change means a new target assignment. */
function subscriptionSignature(group: ConsumerGroup, topics: TopicsImage): string {
  const seen = new Map<string, string>();
  for (const member of group.members.values()) {
    for (const topic of subscribedTopics(member, topics)) seen.set(topic.name, `${topic.name}/${hex(topic.topicId)}/${topic.partitions}`);
  }
  return [...seen.values()].sort().join(',');
}


/** The group-level values that go into the consumer-group metadata record. */
function metadataSnapshot(group: ConsumerGroup): string {
  return JSON.stringify([group.groupEpoch, group.assignmentEpoch, group.assignorName, group.subscriptionSignature]);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
