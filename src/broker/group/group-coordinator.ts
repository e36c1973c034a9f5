// The classic group coordinator of this single node (Kafka's `GroupCoordinatorService` with the classic half of
// `GroupMetadataManager` and `OffsetMetadataManager`): JoinGroup, SyncGroup, Heartbeat and LeaveGroup drive each
// `ClassicGroup` through Empty -> PreparingRebalance -> CompletingRebalance -> Stable; OffsetCommit, OffsetFetch,
// OffsetDelete, DescribeGroups, ListGroups and DeleteGroups read and change groups and their committed offsets.
//
// Concurrency: every state change happens synchronously inside one call (Node's event loop is the coordinator
// shard's single thread). Parked requests — a JoinGroup waiting for the rebalance, a follower's SyncGroup waiting
// for the leader — are promises completed later by another request or a timer.
//
// Durability: committed offsets go to the offsets log (offset-store.ts). Like Kafka's coordinator runtime, a
// write updates the in-memory state as soon as its records are staged and is answered once they are durable;
// OffsetFetch answers only after everything staged before it is durable, so it never returns an offset that a
// crash could take back. Classic group membership is in memory only: after a restart members find their member ids
// unknown and rejoin, as after a coordinator failover. The generation and protocol type of each group are
// persisted (without waiting for the fsync) so that generations keep increasing across restarts. KIP-848
// consumer groups are persisted whole (consumer-group-manager.ts): their members keep their epochs.
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { BrokerError } from '../broker-error.ts';
import { nodeFileSystem, type LogFileSystem } from '../log/log-file-system.ts';
import { silentLogger, type BrokerLogger } from '../logger.ts';
import { ClassicGroup, ClassicGroupState } from './classic-group.ts';
import {
  ClassicGroupMember,
  EMPTY_ASSIGNMENT,
  type GroupProtocol,
  type JoinGroupResult,
  type SyncGroupResult,
} from './classic-group-member.ts';
import { defaultGroupCoordinatorConfig, type GroupCoordinatorConfig } from './group-coordinator-config.ts';
import { SystemGroupTimer, type GroupTimer } from './group-timer.ts';
import { OffsetMetadataManager, type FetchedTopicOffsets, type OffsetExpirationBase, type RequestedTopic } from './offset-metadata-manager.ts';
import { OffsetStore, type OffsetAndMetadata, type OffsetStoreDurability, type OffsetStoreRecord } from './offset-store.ts';
import {
  ConsumerGroupManager,
  type ConsumerGroupHeartbeatParams,
  type ConsumerGroupHeartbeatResult,
  type DescribedConsumerGroup,
  type TopicImage,
  type TopicsById,
  type TopicsImage,
} from './consumer-group-manager.ts';
import type { DowngradedGroup } from './consumer-group-migration.ts';
import { CONSUMER_PROTOCOL_TYPE } from './consumer-protocol.ts';
import { ConsumerGroupState, type ConsumerGroup } from './consumer-group.ts';

export { ClassicGroupState } from './classic-group.ts';
export type { JoinGroupResult, SyncGroupResult, GroupProtocol } from './classic-group-member.ts';

/** `JoinGroupRequest.UNKNOWN_MEMBER_ID` */
export const UNKNOWN_MEMBER_ID = '';
/** `OffsetCommitRequest.DEFAULT_RETENTION_TIME`: no per-request retention. */
const DEFAULT_RETENTION_TIME = -1n;
/** The group type ListGroups v5 reports and filters on (KIP-848 `GroupType.CLASSIC`). */
export const CLASSIC_GROUP_TYPE = 'classic';
/** The group type of KIP-848 consumer groups (`GroupType.CONSUMER`); also their protocol type in ListGroups. */
export const CONSUMER_GROUP_TYPE = 'consumer';

export interface GroupCoordinatorOptions {
  /** The broker's data directory; offsets live in `__consumer_offsets/` under it. */
  dataDir: string;
  config?: Partial<GroupCoordinatorConfig>;
  /** When offset commits are acknowledged (the broker's `fsync` policy); `always` by default. */
  durability?: OffsetStoreDurability;
  clock?: () => number;
  timer?: GroupTimer;
  fs?: LogFileSystem;
  logger?: BrokerLogger;
  /** Offsets-log compaction threshold in bytes (tests lower it). */
  compactionMinBytes?: number;
  /**
   * Told when a classic group starts a rebalance or a consumer group bumps its group epoch (Kafka's
   * group-rebalance and consumer-group-rebalance sensors, metrics).
   */
  onRebalance?: (protocol: 'classic' | 'consumer') => void;
  /**
   * The broker's topics (the LogManager): online migration between classic and consumer groups translates
   * assignments between topic names and ids, also from timers. Without it no topic resolves.
   */
  topics?: TopicsImage & TopicsById;
}

export interface JoinGroupParams {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: readonly GroupProtocol[];
  reason: string | null;
  clientId: string;
  clientHost: string;
  /** JoinGroup v4+: a first join without a member id gets one back with MEMBER_ID_REQUIRED (KIP-394). */
  requireKnownMemberId: boolean;
  /** JoinGroup v9+: a static leader rejoining a stable group may keep the assignment (KIP-814). */
  supportsSkippingAssignment: boolean;
}

export interface SyncGroupParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: readonly { memberId: string; assignment: Buffer }[];
}

export interface HeartbeatParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeaveGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  reason: string | null;
}

export interface LeaveGroupResult {
  errorCode: number;
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

export interface CommitPartition {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  committedMetadata: string | null;
}

export interface OffsetCommitParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** OffsetCommit v2-4 `RetentionTimeMs`; -1 for the broker's retention. */
  retentionTimeMs: bigint;
  topics: readonly { name: string; partitions: readonly CommitPartition[] }[];
  /** OffsetCommit v9+: an unknown group with a generation >= 0 is GROUP_ID_NOT_FOUND, not ILLEGAL_GENERATION. */
  groupIdNotFoundForUnknownGroup: boolean;
}

export interface TxnOffsetCommitParams {
  transactionalId: string;
  groupId: string;
  producerId: bigint;
  producerEpoch: number;
  /** KIP-447 (v3+): -1, "" and null from older clients. */
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  topics: readonly { name: string; partitions: readonly CommitPartition[] }[];
}

export interface PartitionResult {
  partitionIndex: number;
  errorCode: number;
}

export interface TopicResult {
  name: string;
  partitions: PartitionResult[];
}

export interface OffsetFetchGroupParams {
  groupId: string;
  /** null: every committed offset of the group. */
  topics: readonly RequestedTopic[] | null;
  /** v9+ (KIP-848): the fetching member of a consumer group; null (with epoch -1) for the admin client. */
  memberId?: string | null;
  memberEpoch?: number;
}

export interface OffsetFetchGroupResult {
  groupId: string;
  errorCode: number;
  topics: FetchedTopicOffsets[];
}

export interface DescribedGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: DescribedGroupMember[];
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
  groupType: string;
}

const heartbeatKey = (group: ClassicGroup, memberId: string) => `heartbeat\u0000${group.groupId}\u0000${memberId}`;
const joinKey = (group: ClassicGroup) => `join\u0000${group.groupId}`;
const syncKey = (group: ClassicGroup) => `sync\u0000${group.groupId}`;
const EXPIRATION_KEY = 'offsets-expiration';

function joinError(memberId: string, errorCode: number): JoinGroupResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

function syncError(errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_ASSIGNMENT };
}

export class GroupCoordinator {
  private readonly groups = new Map<string, ClassicGroup>();
  private readonly offsets = new OffsetMetadataManager();
  private readonly config: GroupCoordinatorConfig;
  private readonly clock: () => number;
  private readonly timer: GroupTimer;
  private readonly logger: BrokerLogger;
  private closed = false;
  /** KIP-848 consumer groups; they share the group-id space and the committed offsets with classic groups. */
  private readonly consumerGroups: ConsumerGroupManager;
  private readonly onRebalance: ((protocol: 'classic' | 'consumer') => void) | undefined;

  private constructor(
    private readonly store: OffsetStore,
    options: GroupCoordinatorOptions,
  ) {
    this.config = { ...defaultGroupCoordinatorConfig, ...withoutUndefined(options.config ?? {}) };
    this.clock = options.clock ?? Date.now;
    this.onRebalance = options.onRebalance;
    this.logger = options.logger ?? silentLogger;
    this.timer =
      options.timer ??
      new SystemGroupTimer((error, key) => this.logger.error({ err: errorText(error), timer: key }, 'group coordinator timer task failed'));
    this.consumerGroups = new ConsumerGroupManager(
      {
        sessionTimeoutMs: this.config.consumerGroupSessionTimeoutMs,
        heartbeatIntervalMs: this.config.consumerGroupHeartbeatIntervalMs,
        maxSize: this.config.consumerGroupMaxSize,
        assignors: this.config.consumerGroupAssignors,
        assignmentIntervalMs: this.config.consumerGroupAssignmentIntervalMs,
        migrationPolicy: this.config.consumerGroupMigrationPolicy,
        classicMaxSize: this.config.maxSize,
      },
      this.timer,
      {
        kind: (groupId) => {
          const group = this.groups.get(groupId);
          if (group === undefined || group.isInState(ClassicGroupState.Dead)) return 'absent';
          return group.isInState(ClassicGroupState.Empty) ? 'empty' : 'active';
        },
        forget: (groupId) => this.retireForConsumerGroup(groupId),
        upgradable: (groupId) => {
          const group = this.groups.get(groupId);
          if (group === undefined || group.isInState(ClassicGroupState.Dead) || group.isInState(ClassicGroupState.Empty)) return null;
          // `validateOnlineUpgrade`: when the policy allows it, only groups of the embedded consumer protocol, within
          // the consumer group size.
          const policy = this.config.consumerGroupMigrationPolicy;
          if (policy !== 'upgrade' && policy !== 'bidirectional') return null;
          if (!group.usesConsumerGroupProtocol() || group.size > this.config.consumerGroupMaxSize) return null;
          return group;
        },
        adoptDowngraded: (downgraded) => this.adoptDowngradedGroup(downgraded),
      },
      this.logger,
      this.clock,
      { append: (records) => this.store.append(records) },
      options.topics,
      () => this.onRebalance?.('consumer'),
    );
  }

  /** Loads the committed offsets and group metadata from `<dataDir>/__consumer_offsets/` and starts expiry. */
  static open(options: GroupCoordinatorOptions): GroupCoordinator {
    const logger = options.logger ?? silentLogger;
    const { store, groups } = OffsetStore.open({
      dataDir: options.dataDir,
      fs: options.fs ?? nodeFileSystem,
      logger,
      durability: options.durability ?? 'always',
      ...(options.compactionMinBytes !== undefined ? { compactionMinBytes: options.compactionMinBytes } : {}),
    });
    const coordinator = new GroupCoordinator(store, options);
    for (const [groupId, loaded] of groups) {
      if (loaded.consumerGroup !== null) {
        coordinator.consumerGroups.restore(groupId, loaded.consumerGroup);
      } else {
        // Members are not restored (they rejoin), so a group that had some becomes Empty now, as Kafka's loaded
        // group does once their sessions expire: its offsets' retention starts now, not at its last rebalance.
        const metadata = loaded.metadata;
        const emptySinceMs = metadata !== null && metadata.hasMembers === false ? metadata.currentStateTimestampMs : coordinator.clock();
        const group = new ClassicGroup(groupId, coordinator.clock, { ...(metadata ?? {}), currentStateTimestampMs: emptySinceMs });
        // An Empty consumer group subscribes to nothing, which lets its offsets expire and be deleted.
        group.subscribedTopics = group.computeSubscribedTopics();
        coordinator.groups.set(groupId, group);
      }
      for (const [topic, partitions] of loaded.offsets) {
        for (const [partition, offset] of partitions) coordinator.offsets.put(groupId, topic, partition, offset);
      }
      for (const [producerId, entries] of loaded.pendingTransactionalOffsets) {
        for (const entry of entries) coordinator.offsets.putPending(producerId, groupId, entry.topic, entry.partition, entry.offset);
      }
    }
    logger.info({ groups: groups.size }, 'group coordinator loaded');
    coordinator.scheduleOffsetsExpiration();
    return coordinator;
  }

  /** Answers every parked request with NOT_COORDINATOR (Kafka's shard unload), stops timers, closes the log. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timer.cancelAll();
    this.consumerGroups.close();
    for (const group of this.groups.values()) {
      for (const member of group.allMembers()) {
        group.completeJoin(member, joinError(member.memberId, ErrorCode.NOT_COORDINATOR));
        group.completeSync(member, syncError(ErrorCode.NOT_COORDINATOR));
      }
    }
    await this.store.close();
  }

  // ---------------------------------------------------------------------------------------------------------
  // JoinGroup

  /** JoinGroup; the promise settles when the join phase completes (or at once on an error). */
  joinGroup(params: JoinGroupParams): Promise<JoinGroupResult> {
    return new Promise<JoinGroupResult>((respond) => {
      try {
        this.classicGroupJoin(params, respond);
      } catch (error) {
        respond(joinError(params.memberId, this.errorCode(error)));
      }
    });
  }

  private classicGroupJoin(params: JoinGroupParams, respond: (result: JoinGroupResult) => void): void {
    if (this.closed) return respond(joinError(params.memberId, ErrorCode.NOT_COORDINATOR));
    if (params.groupId === '') return respond(joinError(params.memberId, ErrorCode.INVALID_GROUP_ID));
    if (params.sessionTimeoutMs < this.config.minSessionTimeoutMs || params.sessionTimeoutMs > this.config.maxSessionTimeoutMs) {
      return respond(joinError(params.memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
    }
    const consumerGroup = this.consumerGroups.group(params.groupId);
    if (consumerGroup !== undefined) {
      // A classic member takes over an empty consumer group; it joins a live one as a classic member of it.
      if (consumerGroup.state !== ConsumerGroupState.Empty) return this.joinConsumerGroup(consumerGroup, params, respond);
      this.consumerGroups.forget(params.groupId, true);
    }
    const isUnknownMember = params.memberId === UNKNOWN_MEMBER_ID;
    let group = this.groups.get(params.groupId);
    if (group === undefined) {
      // Only a member without an id may create a group; one with an id belongs to a group that is gone.
      if (!isUnknownMember) return respond(joinError(params.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      group = this.createGroup(params.groupId);
    }
    if (!this.acceptJoiningMember(group, params.memberId)) {
      this.timer.cancel(heartbeatKey(group, params.memberId));
      group.remove(params.memberId);
      return respond(joinError(UNKNOWN_MEMBER_ID, ErrorCode.GROUP_MAX_SIZE_REACHED));
    }
    if (isUnknownMember) this.joinNewMember(params, group, respond);
    else this.joinExistingMember(params, group, respond);
  }

  /** JoinGroup to a non-empty consumer group (`classicGroupJoinToConsumerGroup`), answered once its records are durable. */
  private joinConsumerGroup(group: ConsumerGroup, params: JoinGroupParams, respond: (result: JoinGroupResult) => void): void {
    let result: JoinGroupResult;
    try {
      result = this.consumerGroups.classicMembers.join(group, params, this.consumerGroups.topicsImage);
    } catch (error) {
      // Error answers name no member (Kafka's defaults).
      result = joinError(UNKNOWN_MEMBER_ID, this.errorCode(error));
    }
    const written = this.consumerGroups.persistChanges(group.groupId);
    if (written === null) return respond(result);
    written.then(
      () => respond(result),
      (error: unknown) => respond(joinError(UNKNOWN_MEMBER_ID, this.storageErrorCode(error))),
    );
  }

  /** `group.max.size`: existing members are always let back in (`acceptJoiningMember`). */
  private acceptJoiningMember(group: ClassicGroup, memberId: string): boolean {
    switch (group.state) {
      case ClassicGroupState.Empty:
      case ClassicGroupState.Dead:
        return true;
      case ClassicGroupState.PreparingRebalance:
        return (group.hasMember(memberId) && group.member(memberId).isAwaitingJoin) || group.numAwaitingJoinResponse < this.config.maxSize;
      default:
        return group.hasMember(memberId) || group.size < this.config.maxSize;
    }
  }

  private joinNewMember(params: JoinGroupParams, group: ClassicGroup, respond: (result: JoinGroupResult) => void): void {
    if (group.isInState(ClassicGroupState.Dead)) return respond(joinError(UNKNOWN_MEMBER_ID, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(params.protocolType, params.protocols)) {
      return respond(joinError(UNKNOWN_MEMBER_ID, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    // `ClassicGroup.generateMemberId`: the instance id or the client id, then a random suffix.
    const newMemberId = `${params.groupInstanceId ?? params.clientId}-${randomUUID()}`;
    if (params.groupInstanceId !== null) {
      const existingMemberId = group.staticMemberId(params.groupInstanceId);
      if (existingMemberId !== null) {
        this.logger.info({ group: group.groupId, groupInstanceId: params.groupInstanceId, oldMemberId: existingMemberId, newMemberId }, 'static member rejoins with a new member id');
        return this.updateStaticMemberThenRebalanceOrCompleteJoin(params, group, existingMemberId, newMemberId, respond);
      }
      return this.addMemberThenRebalanceOrCompleteJoin(params, group, newMemberId, respond);
    }
    if (params.requireKnownMemberId) {
      // KIP-394: remember the id, and make the client come back with it; it expires like a session if it does not.
      group.addPendingMember(newMemberId);
      this.timer.schedule(heartbeatKey(group, newMemberId), params.sessionTimeoutMs, () => this.expireMemberHeartbeat(group, newMemberId));
      return respond(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
    }
    this.addMemberThenRebalanceOrCompleteJoin(params, group, newMemberId, respond);
  }

  private joinExistingMember(params: JoinGroupParams, group: ClassicGroup, respond: (result: JoinGroupResult) => void): void {
    const { memberId } = params;
    if (group.isInState(ClassicGroupState.Dead)) return respond(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(params.protocolType, params.protocols)) {
      return respond(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    if (group.isPendingMember(memberId)) {
      // A pending member id was handed out to a dynamic member; a static member never gets one.
      if (params.groupInstanceId !== null) throw new Error(`unexpected group instance id for pending member ${memberId}`);
      return this.addMemberThenRebalanceOrCompleteJoin(params, group, memberId, respond);
    }
    try {
      group.validateMember(memberId, params.groupInstanceId);
    } catch (error) {
      return respond(joinError(memberId, this.errorCode(error)));
    }
    const member = group.member(memberId);
    switch (group.state) {
      case ClassicGroupState.PreparingRebalance:
        return this.updateMemberThenRebalanceOrCompleteJoin(params, group, member, `member ${memberId} joins during PreparingRebalance`, respond);
      case ClassicGroupState.CompletingRebalance:
        // Same metadata: the member probably lost the JoinGroup answer; give it the current generation again.
        if (member.matches(params.protocols)) return respond(this.currentGenerationAnswer(group, memberId, group.isLeader(memberId)));
        return this.updateMemberThenRebalanceOrCompleteJoin(params, group, member, `member ${memberId} changed its metadata during CompletingRebalance`, respond);
      case ClassicGroupState.Stable:
        // The leader rejoining forces a rebalance: that is how it reacts to changes outside member metadata
        // (new partitions, a new topic matching a pattern). A follower with unchanged metadata just syncs.
        if (group.isLeader(memberId)) {
          return this.updateMemberThenRebalanceOrCompleteJoin(params, group, member, `leader ${memberId} rejoins`, respond);
        }
        if (!member.matches(params.protocols)) {
          return this.updateMemberThenRebalanceOrCompleteJoin(params, group, member, `member ${memberId} changed its metadata`, respond);
        }
        return respond(this.currentGenerationAnswer(group, memberId, false));
      default:
        return respond(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  private currentGenerationAnswer(group: ClassicGroup, memberId: string, withMembers: boolean): JoinGroupResult {
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      skipAssignment: false,
      memberId,
      members: withMembers ? group.currentMemberMetadata() : [],
    };
  }

  private addMemberThenRebalanceOrCompleteJoin(
    params: JoinGroupParams,
    group: ClassicGroup,
    memberId: string,
    respond: (result: JoinGroupResult) => void,
  ): void {
    const member = new ClassicGroupMember({
      memberId,
      groupInstanceId: params.groupInstanceId,
      clientId: params.clientId,
      clientHost: params.clientHost,
      rebalanceTimeoutMs: params.rebalanceTimeoutMs,
      sessionTimeoutMs: params.sessionTimeoutMs,
      protocolType: params.protocolType,
      supportedProtocols: params.protocols,
    });
    member.isNew = true;
    // A member arriving during the initial delay extends it (up to the rebalance timeout).
    if (group.isInState(ClassicGroupState.PreparingRebalance) && group.previousState === ClassicGroupState.Empty) {
      group.newMemberAdded = true;
    }
    group.add(member, respond);
    // A new member parked in JoinGroup cannot heartbeat, and a client that gave up and retried would leave a ghost
    // behind: new members get the new-member join timeout instead of the session timeout.
    this.rescheduleHeartbeat(group, member, this.config.newMemberJoinTimeoutMs);
    this.maybePrepareRebalanceOrCompleteJoin(group, `adding member ${memberId}`);
  }

  private updateMemberThenRebalanceOrCompleteJoin(
    params: JoinGroupParams,
    group: ClassicGroup,
    member: ClassicGroupMember,
    reason: string,
    respond: (result: JoinGroupResult) => void,
  ): void {
    // A JoinGroup still parked for this member is from a connection the client gave up on; answer it so that it
    // does not hang (Kafka drops it).
    group.completeJoin(member, joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
    group.updateMember(member, params.protocols, params.rebalanceTimeoutMs, params.sessionTimeoutMs, respond);
    this.maybePrepareRebalanceOrCompleteJoin(group, reason);
  }

  /** KIP-345: a static member came back with a new member id; the old incarnation is fenced. */
  private updateStaticMemberThenRebalanceOrCompleteJoin(
    params: JoinGroupParams,
    group: ClassicGroup,
    oldMemberId: string,
    newMemberId: string,
    respond: (result: JoinGroupResult) => void,
  ): void {
    const instanceId = params.groupInstanceId as string;
    const currentLeader = group.leaderId ?? '';
    const oldMember = group.member(oldMemberId);
    group.completeJoin(oldMember, joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID));
    group.completeSync(oldMember, syncError(ErrorCode.FENCED_INSTANCE_ID));
    this.timer.cancel(heartbeatKey(group, oldMemberId));
    const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId);
    this.rescheduleHeartbeat(group, member);
    group.updateMember(member, params.protocols, params.rebalanceTimeoutMs, params.sessionTimeoutMs, respond);
    switch (group.state) {
      case ClassicGroupState.Stable: {
        if ((group.protocolName ?? '') !== group.selectProtocol()) {
          return this.maybePrepareRebalanceOrCompleteJoin(group, `static member ${instanceId} changes the group's protocol`);
        }
        // No rebalance: the member keeps its assignment. A v9+ leader is told to skip computing one (KIP-814);
        // an older leader is named by its old id, so it acts as a follower and just syncs.
        const isLeader = group.isLeader(newMemberId);
        if (params.supportsSkippingAssignment) {
          group.completeJoin(member, { ...this.currentGenerationAnswer(group, newMemberId, isLeader), skipAssignment: isLeader });
        } else {
          group.completeJoin(member, { ...this.currentGenerationAnswer(group, newMemberId, false), leader: currentLeader });
        }
        this.persistGroupMetadata(group);
        return;
      }
      case ClassicGroupState.CompletingRebalance:
        // The leader may already be assigning to the old member id: start over so the new id gets an assignment.
        return this.prepareRebalance(group, `static member ${instanceId} rejoins during CompletingRebalance`);
      case ClassicGroupState.PreparingRebalance:
        return this.maybeCompleteJoinPhase(group);
      default:
        throw new Error(`group ${group.groupId} has static member ${instanceId} but is ${group.state}`);
    }
  }

  private maybePrepareRebalanceOrCompleteJoin(group: ClassicGroup, reason: string): void {
    if (group.canRebalance()) this.prepareRebalance(group, reason);
    else this.maybeCompleteJoinPhase(group);
  }

  /** Completes the join phase once everyone is in; never during the initial delay (`maybeCompleteJoinPhase`). */
  private maybeCompleteJoinPhase(group: ClassicGroup): void {
    if (
      group.isInState(ClassicGroupState.PreparingRebalance) &&
      group.hasAllMembersJoined() &&
      group.previousState !== ClassicGroupState.Empty
    ) {
      this.completeJoinPhase(group);
    }
  }

  private prepareRebalance(group: ClassicGroup, reason: string): void {
    this.onRebalance?.('classic');
    // Members waiting for an assignment of the generation being abandoned must rejoin.
    if (group.isInState(ClassicGroupState.CompletingRebalance)) this.resetAndPropagateAssignmentWithError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.removeSyncExpiration(group);
    const isInitialRebalance = group.isInState(ClassicGroupState.Empty);
    if (isInitialRebalance) {
      // `group.initial.rebalance.delay.ms`: give the other members of a starting group a moment to join.
      const delayMs = this.config.initialRebalanceDelayMs;
      const remainingMs = Math.max(group.rebalanceTimeoutMs - delayMs, 0);
      this.timer.schedule(joinKey(group), delayMs, () => this.tryCompleteInitialRebalanceElseSchedule(group, delayMs, remainingMs));
    }
    group.transitionTo(ClassicGroupState.PreparingRebalance);
    this.logger.info({ group: group.groupId, generationId: group.generationId, reason }, 'preparing to rebalance group');
    if (!isInitialRebalance) this.maybeCompleteJoinElseSchedule(group);
  }

  private maybeCompleteJoinElseSchedule(group: ClassicGroup): void {
    if (group.hasAllMembersJoined()) this.completeJoinPhase(group);
    else this.timer.schedule(joinKey(group), group.rebalanceTimeoutMs, () => this.completeJoinPhase(group));
  }

  private tryCompleteInitialRebalanceElseSchedule(group: ClassicGroup, delayMs: number, remainingMs: number): void {
    if (group.newMemberAdded && remainingMs !== 0) {
      group.newMemberAdded = false;
      const newDelayMs = Math.min(this.config.initialRebalanceDelayMs, remainingMs);
      const newRemainingMs = Math.max(remainingMs - delayMs, 0);
      this.timer.schedule(joinKey(group), newDelayMs, () => this.tryCompleteInitialRebalanceElseSchedule(group, newDelayMs, newRemainingMs));
    } else {
      this.completeJoinPhase(group);
    }
  }

  /**
   * Ends the join phase (`completeClassicGroupJoin`): dynamic members that did not rejoin are dropped, the next
   * generation starts, and every parked JoinGroup is answered (the leader's with the member list).
   */
  private completeJoinPhase(group: ClassicGroup): void {
    this.timer.cancel(joinKey(group));
    const dropped = group.notYetRejoinedMembers().filter((member) => !member.isStaticMember);
    for (const member of dropped) {
      group.remove(member.memberId);
      this.timer.cancel(heartbeatKey(group, member.memberId));
    }
    if (dropped.length > 0) {
      this.logger.info({ group: group.groupId, members: dropped.map((member) => member.memberId) }, 'removed members that did not rejoin');
    }
    if (group.isInState(ClassicGroupState.Dead)) return;
    if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      // Only static members that did not rejoin are left: wait for them or for their sessions to expire.
      this.timer.schedule(joinKey(group), group.rebalanceTimeoutMs, () => this.completeJoinPhase(group));
      return;
    }
    group.initNextGeneration();
    this.persistGroupMetadata(group);
    if (group.isInState(ClassicGroupState.Empty)) {
      this.logger.info({ group: group.groupId, generationId: group.generationId }, 'group is now empty');
      return;
    }
    this.logger.info({ group: group.groupId, generationId: group.generationId, members: group.size }, 'group generation formed');
    for (const member of group.allMembers()) {
      group.completeJoin(member, this.currentGenerationAnswer(group, member.memberId, group.isLeader(member.memberId)));
      this.rescheduleHeartbeat(group, member);
      member.isNew = false;
      group.addPendingSyncMember(member.memberId);
    }
    this.schedulePendingSync(group);
  }

  // ---------------------------------------------------------------------------------------------------------
  // SyncGroup

  /** SyncGroup; a follower's promise settles when the leader's assignment arrives. */
  syncGroup(params: SyncGroupParams): Promise<SyncGroupResult> {
    return new Promise<SyncGroupResult>((respond) => {
      try {
        this.classicGroupSync(params, respond);
      } catch (error) {
        respond(syncError(this.errorCode(error)));
      }
    });
  }

  private classicGroupSync(params: SyncGroupParams, respond: (result: SyncGroupResult) => void): void {
    if (this.closed) return respond(syncError(ErrorCode.NOT_COORDINATOR));
    if (params.groupId === '') return respond(syncError(ErrorCode.INVALID_GROUP_ID));
    const consumerGroup = this.consumerGroups.group(params.groupId);
    if (consumerGroup !== undefined) {
      if (consumerGroup.members.size === 0) return respond(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      return respond(this.consumerGroups.classicMembers.sync(consumerGroup, params, this.consumerGroups.topicsImage));
    }
    const group = this.groups.get(params.groupId);
    if (group === undefined) return respond(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    const error = this.validateSyncGroup(group, params);
    if (error !== ErrorCode.NONE) return respond(syncError(error));
    switch (group.state) {
      case ClassicGroupState.Empty:
        return respond(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      case ClassicGroupState.PreparingRebalance:
        return respond(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      case ClassicGroupState.CompletingRebalance: {
        const member = group.member(params.memberId);
        group.completeSync(member, syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        member.awaitingSync = respond;
        this.removePendingSyncMember(group, params.memberId);
        if (group.isLeader(params.memberId)) {
          // Members the leader left out get an empty assignment; ids it made up are ignored.
          const assignment = new Map<string, Buffer>();
          for (const entry of params.assignments) assignment.set(entry.memberId, Buffer.from(entry.assignment));
          this.logger.info({ group: group.groupId, generationId: group.generationId, members: group.size }, 'assignment received from the leader');
          this.setAndPropagateAssignment(group, assignment);
          group.transitionTo(ClassicGroupState.Stable);
        }
        return;
      }
      case ClassicGroupState.Stable: {
        this.removePendingSyncMember(group, params.memberId);
        const member = group.member(params.memberId);
        return respond({
          errorCode: ErrorCode.NONE,
          protocolType: group.protocolType,
          protocolName: group.protocolName,
          assignment: member.assignment,
        });
      }
      default:
        throw new Error(`unexpected SyncGroup for dead group ${group.groupId}`);
    }
  }

  private validateSyncGroup(group: ClassicGroup, params: SyncGroupParams): number {
    if (group.isInState(ClassicGroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    try {
      group.validateMember(params.memberId, params.groupInstanceId);
    } catch (error) {
      return this.errorCode(error);
    }
    if (params.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    // SyncGroup v5 names the protocol type and name it expects; a mismatch means the member is confused.
    if (isProtocolInconsistent(params.protocolType, group.protocolType) || isProtocolInconsistent(params.protocolName, group.protocolName)) {
      return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
    }
    return ErrorCode.NONE;
  }

  private setAndPropagateAssignment(group: ClassicGroup, assignment: ReadonlyMap<string, Buffer>): void {
    for (const member of group.allMembers()) member.assignment = assignment.get(member.memberId) ?? EMPTY_ASSIGNMENT;
    this.propagateAssignment(group, ErrorCode.NONE);
  }

  private resetAndPropagateAssignmentWithError(group: ClassicGroup, errorCode: number): void {
    for (const member of group.allMembers()) member.assignment = EMPTY_ASSIGNMENT;
    this.propagateAssignment(group, errorCode);
  }

  private propagateAssignment(group: ClassicGroup, errorCode: number): void {
    const ok = errorCode === ErrorCode.NONE;
    for (const member of group.allMembers()) {
      const answered = group.completeSync(member, {
        errorCode,
        protocolType: ok ? group.protocolType : null,
        protocolName: ok ? group.protocolName : null,
        assignment: member.assignment,
      });
      // The session restarts once the member has its answer: it could not heartbeat while parked.
      if (answered) this.rescheduleHeartbeat(group, member);
    }
  }

  private schedulePendingSync(group: ClassicGroup): void {
    const generationId = group.generationId;
    this.timer.schedule(syncKey(group), group.rebalanceTimeoutMs, () => this.expirePendingSync(group, generationId));
  }

  private removeSyncExpiration(group: ClassicGroup): void {
    group.clearPendingSyncMembers();
    this.timer.cancel(syncKey(group));
  }

  private removePendingSyncMember(group: ClassicGroup, memberId: string): void {
    group.removePendingSyncMember(memberId);
    const settled =
      !(group.isInState(ClassicGroupState.CompletingRebalance) || group.isInState(ClassicGroupState.Stable)) ||
      group.hasReceivedSyncFromAllMembers();
    if (settled) this.timer.cancel(syncKey(group));
  }

  /** Members that got their JoinGroup answer but never sent SyncGroup within the rebalance timeout are dropped. */
  private expirePendingSync(group: ClassicGroup, generationId: number): void {
    if (generationId !== group.generationId) return;
    if (!(group.isInState(ClassicGroupState.CompletingRebalance) || group.isInState(ClassicGroupState.Stable))) return;
    if (group.hasReceivedSyncFromAllMembers()) return;
    const pending = group.allPendingSyncMembers();
    for (const memberId of pending) {
      const member = group.hasMember(memberId) ? group.member(memberId) : null;
      if (member !== null) group.completeJoin(member, joinError(UNKNOWN_MEMBER_ID, ErrorCode.UNKNOWN_MEMBER_ID));
      group.remove(memberId);
      this.timer.cancel(heartbeatKey(group, memberId));
    }
    this.prepareRebalance(group, `members ${pending.join(', ')} did not send SyncGroup in time`);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Heartbeat and session expiry

  /** Heartbeat: keeps the session alive and tells the member whether a rebalance is under way. */
  heartbeat(params: HeartbeatParams): number {
    try {
      if (this.closed) return ErrorCode.NOT_COORDINATOR;
      if (params.groupId === '') return ErrorCode.INVALID_GROUP_ID;
      const consumerGroup = this.consumerGroups.group(params.groupId);
      if (consumerGroup !== undefined) return this.consumerGroups.classicMembers.heartbeat(consumerGroup, params);
      const group = this.groups.get(params.groupId);
      if (group === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (group.isInState(ClassicGroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
      group.validateMember(params.memberId, params.groupInstanceId);
      if (params.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
      switch (group.state) {
        case ClassicGroupState.PreparingRebalance:
          this.rescheduleHeartbeat(group, group.member(params.memberId));
          return ErrorCode.REBALANCE_IN_PROGRESS;
        case ClassicGroupState.CompletingRebalance:
        case ClassicGroupState.Stable:
          // Members may heartbeat between their JoinGroup answer and SyncGroup: a normal heartbeat.
          this.rescheduleHeartbeat(group, group.member(params.memberId));
          return ErrorCode.NONE;
        default:
          return ErrorCode.UNKNOWN_MEMBER_ID;
      }
    } catch (error) {
      return this.errorCode(error);
    }
  }

  private rescheduleHeartbeat(group: ClassicGroup, member: ClassicGroupMember, timeoutMs = member.sessionTimeoutMs): void {
    const { memberId } = member;
    this.timer.schedule(heartbeatKey(group, memberId), timeoutMs, () => this.expireMemberHeartbeat(group, memberId));
  }

  private expireMemberHeartbeat(group: ClassicGroup, memberId: string): void {
    if (group.isInState(ClassicGroupState.Dead)) return;
    if (group.isPendingMember(memberId)) {
      this.logger.info({ group: group.groupId, memberId }, 'pending member expired');
      group.remove(memberId);
      if (group.isInState(ClassicGroupState.PreparingRebalance) && group.hasAllMembersJoined()) this.completeJoinPhase(group);
      return;
    }
    if (!group.hasMember(memberId)) return;
    const member = group.member(memberId);
    if (member.hasSatisfiedHeartbeat()) return;
    this.logger.info({ group: group.groupId, memberId }, 'member session expired; removing it from the group');
    this.removeMemberAndUpdateGroup(group, member, `member ${memberId} session expired`);
  }

  private removeMemberAndUpdateGroup(group: ClassicGroup, member: ClassicGroupMember, reason: string): void {
    // A parked JoinGroup gets UNKNOWN_MEMBER_ID so that a still-running client joins again.
    group.completeJoin(member, joinError(UNKNOWN_MEMBER_ID, ErrorCode.UNKNOWN_MEMBER_ID));
    group.completeSync(member, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(member.memberId);
    if (group.isInState(ClassicGroupState.Stable) || group.isInState(ClassicGroupState.CompletingRebalance)) {
      this.maybePrepareRebalanceOrCompleteJoin(group, reason);
    } else if (group.isInState(ClassicGroupState.PreparingRebalance) && group.hasAllMembersJoined()) {
      this.completeJoinPhase(group);
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // LeaveGroup

  /** LeaveGroup for one or more members (v3+ batches them, by member id or by group instance id). */
  leaveGroup(groupId: string, members: readonly LeaveGroupMember[]): LeaveGroupResult {
    if (this.closed) return { errorCode: ErrorCode.NOT_COORDINATOR, members: [] };
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] };
    const consumerGroup = this.consumerGroups.group(groupId);
    if (consumerGroup !== undefined) {
      const left = this.consumerGroups.classicMembers.leave(consumerGroup, members);
      this.consumerGroups.persistInBackground(consumerGroup);
      return left;
    }
    const group = this.groups.get(groupId);
    if (group === undefined) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, members: [] };
    if (group.isInState(ClassicGroupState.Dead)) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const results: LeaveGroupResult['members'] = [];
    let anyLeft = false;
    for (const identity of members) {
      const answer = (errorCode: number) => {
        results.push({ memberId: identity.memberId, groupInstanceId: identity.groupInstanceId, errorCode });
        if (errorCode === ErrorCode.NONE) anyLeft = true;
      };
      if (identity.memberId === UNKNOWN_MEMBER_ID) {
        // An admin removing a static member by its instance id (KIP-345 `removeMembersFromConsumerGroup`).
        const staticMemberId = identity.groupInstanceId === null ? null : group.staticMemberId(identity.groupInstanceId);
        if (staticMemberId === null) {
          answer(ErrorCode.UNKNOWN_MEMBER_ID);
        } else {
          this.removeCurrentMember(group, staticMemberId, identity.reason);
          answer(ErrorCode.NONE);
        }
      } else if (group.isPendingMember(identity.memberId)) {
        group.remove(identity.memberId);
        this.timer.cancel(heartbeatKey(group, identity.memberId));
        answer(ErrorCode.NONE);
      } else {
        try {
          group.validateMember(identity.memberId, identity.groupInstanceId);
        } catch (error) {
          answer(this.errorCode(error));
          continue;
        }
        this.removeCurrentMember(group, identity.memberId, identity.reason);
        answer(ErrorCode.NONE);
      }
    }
    if (anyLeft) {
      if (group.isInState(ClassicGroupState.Stable) || group.isInState(ClassicGroupState.CompletingRebalance)) {
        this.maybePrepareRebalanceOrCompleteJoin(group, 'members left the group');
      } else if (group.isInState(ClassicGroupState.PreparingRebalance)) {
        this.maybeCompleteJoinPhase(group);
      }
    }
    return { errorCode: ErrorCode.NONE, members: results };
  }

  private removeCurrentMember(group: ClassicGroup, memberId: string, reason: string | null): void {
    const member = group.member(memberId);
    this.timer.cancel(heartbeatKey(group, memberId));
    this.logger.info({ group: group.groupId, memberId, reason }, 'member left the group');
    group.completeJoin(member, joinError(UNKNOWN_MEMBER_ID, ErrorCode.UNKNOWN_MEMBER_ID));
    group.completeSync(member, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(memberId);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Offsets

  /**
   * OffsetCommit: validated against the group's generation and members, staged to the offsets log, applied,
   * and answered when durable. Per-partition errors: OFFSET_METADATA_TOO_LARGE; a group-level error applies to
   * every partition.
   */
  async commitOffsets(params: OffsetCommitParams, topics: Pick<TopicsImage, 'topic'>): Promise<TopicResult[]> {
    const everyPartition = (errorCode: number): TopicResult[] => sameCodeForEveryPartition(params.topics, errorCode);
    if (this.closed) return everyPartition(ErrorCode.NOT_COORDINATOR);
    if (params.groupId === '') return everyPartition(ErrorCode.INVALID_GROUP_ID);
    const consumerGroup = this.consumerGroups.group(params.groupId);
    if (consumerGroup !== undefined) {
      // KIP-848: the generation field carries the member epoch.
      const errorCode = this.consumerGroups.validateOffsetCommit(consumerGroup, {
        memberId: params.memberId,
        memberEpoch: params.generationId,
        carriesMemberEpoch: params.groupIdNotFoundForUnknownGroup,
        topics: params.topics,
        topicIdOf: (name) => topics.topic(name)?.topicId.toString('hex'),
      });
      if (errorCode !== ErrorCode.NONE) return everyPartition(errorCode);
      return this.storeOffsets(params.groupId, params.topics, { retentionTimeMs: params.retentionTimeMs, producerId: null });
    }
    let group = this.groups.get(params.groupId);
    try {
      if (group === undefined) {
        // Generation -1 without a group: the admin client or a consumer managing its own partitions. A "simple"
        // group without a protocol type is created for it.
        if (params.generationId >= 0) {
          throw new BrokerError(params.groupIdNotFoundForUnknownGroup ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION);
        }
        group = this.createGroup(params.groupId);
      }
      group.validateOffsetCommit(params.memberId, params.groupInstanceId, params.generationId, false);
    } catch (error) {
      return everyPartition(this.errorCode(error));
    }
    // In the classic protocol a commit also counts as a heartbeat while the member may heartbeat.
    if (group.isInState(ClassicGroupState.Stable) || group.isInState(ClassicGroupState.PreparingRebalance)) {
      const memberId = params.groupInstanceId !== null ? group.staticMemberId(params.groupInstanceId) : params.memberId;
      if (memberId !== null && group.hasMember(memberId)) this.rescheduleHeartbeat(group, group.member(memberId));
    }
    return this.storeOffsets(params.groupId, params.topics, { retentionTimeMs: params.retentionTimeMs, producerId: null });
  }

  /**
   * Stages, applies and (once durable) acknowledges validated offsets of either group type: committed at once, or
   * (with `producerId`, TxnOffsetCommit) pending until the producer's transaction ends. A v2-4 OffsetCommit
   * `retentionTimeMs` sets an explicit expiry. Per partition: OFFSET_METADATA_TOO_LARGE.
   */
  private async storeOffsets(
    groupId: string,
    topics: readonly { name: string; partitions: readonly CommitPartition[] }[],
    options: { retentionTimeMs: bigint; producerId: bigint | null },
  ): Promise<TopicResult[]> {
    const now = this.clock();
    const expireTimestampMs = options.retentionTimeMs === DEFAULT_RETENTION_TIME ? null : now + Number(options.retentionTimeMs);
    const records: OffsetStoreRecord[] = [];
    const stored: PartitionResult[] = [];
    const results: TopicResult[] = topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((partition) => {
        const metadata = partition.committedMetadata ?? '';
        if (metadata.length > this.config.offsetMetadataMaxSize) {
          return { partitionIndex: partition.partitionIndex, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE };
        }
        const offset: OffsetAndMetadata = {
          committedOffset: partition.committedOffset,
          leaderEpoch: partition.committedLeaderEpoch,
          metadata,
          commitTimestampMs: now,
          expireTimestampMs,
        };
        const where = { groupId, topic: topic.name, partition: partition.partitionIndex, offset };
        records.push(options.producerId === null ? { type: 'offset-commit', ...where } : { type: 'txn-offset-commit', producerId: options.producerId, ...where });
        const result = { partitionIndex: partition.partitionIndex, errorCode: ErrorCode.NONE as number };
        stored.push(result);
        return result;
      }),
    }));
    const written = this.write(records, stored);
    if (written === null) return results;
    for (const record of records) {
      if (record.type === 'offset-commit') this.offsets.put(record.groupId, record.topic, record.partition, record.offset);
      else if (record.type === 'txn-offset-commit') this.offsets.putPending(record.producerId, record.groupId, record.topic, record.partition, record.offset);
    }
    await this.awaitDurable(written, stored);
    return results;
  }

  /**
   * TxnOffsetCommit (`commitTransactionalOffsets`): validated like a commit but never refused for a rebalance
   * (KIP-447: generation, member and static instance are checked when given), staged as pending offsets of the
   * producer, and answered when durable. They become visible when the transaction commits (`completeTransaction`).
   */
  async commitTransactionalOffsets(params: TxnOffsetCommitParams, topics: Pick<TopicsImage, 'topic'>): Promise<TopicResult[]> {
    const everyPartition = (errorCode: number): TopicResult[] => sameCodeForEveryPartition(params.topics, errorCode);
    if (this.closed) return everyPartition(ErrorCode.NOT_COORDINATOR);
    if (params.groupId === '') return everyPartition(ErrorCode.INVALID_GROUP_ID);
    const consumerGroup = this.consumerGroups.group(params.groupId);
    if (consumerGroup !== undefined) {
      // KIP-848 + KIP-447: the producer's group metadata carries the member id and epoch.
      const errorCode = this.consumerGroups.validateOffsetCommit(consumerGroup, {
        memberId: params.memberId,
        memberEpoch: params.generationId,
        carriesMemberEpoch: true,
        topics: params.topics,
        topicIdOf: (name) => topics.topic(name)?.topicId.toString('hex'),
      });
      // TxnOffsetCommit has no STALE_MEMBER_EPOCH (its producers would treat it as fatal): a wrong epoch is
      // ILLEGAL_GENERATION, which aborts the transaction (`OffsetMetadataManager.validateTransactionalOffsetCommit`).
      if (errorCode === ErrorCode.STALE_MEMBER_EPOCH) return everyPartition(ErrorCode.ILLEGAL_GENERATION);
      if (errorCode !== ErrorCode.NONE) return everyPartition(errorCode);
    } else {
      let group = this.groups.get(params.groupId);
      try {
        if (group === undefined) {
          // As for OffsetCommit: without a generation a "simple" group is created for the commit.
          if (params.generationId >= 0) throw new BrokerError(ErrorCode.ILLEGAL_GENERATION);
          group = this.createGroup(params.groupId);
        }
        group.validateOffsetCommit(params.memberId, params.groupInstanceId, params.generationId, true);
      } catch (error) {
        return everyPartition(this.errorCode(error));
      }
    }
    return this.storeOffsets(params.groupId, params.topics, { retentionTimeMs: DEFAULT_RETENTION_TIME, producerId: params.producerId });
  }

  /**
   * The COMMIT or ABORT marker of `producerId`'s transaction reaching the offsets (Kafka's
   * `OffsetMetadataManager.replayEndTransactionMarker`): pending offsets are committed or dropped, durably. A
   * repeat (markers written again after a restart) finds nothing pending and does nothing.
   */
  async completeTransaction(producerId: bigint, commit: boolean): Promise<void> {
    if (this.closed) throw new BrokerError(ErrorCode.NOT_COORDINATOR);
    const groupIds = this.offsets.groupsWithPendingOffsets(producerId);
    if (groupIds.length === 0) return;
    const written = this.store.append(groupIds.map((groupId): OffsetStoreRecord => ({ type: 'txn-end', groupId, producerId, commit })));
    for (const groupId of groupIds) this.offsets.completePending(producerId, groupId, commit);
    await written;
  }

  /**
   * OffsetFetch for some groups. Unknown groups and partitions without offsets get -1 and no error (Kafka
   * treats a missing group like one with no offsets). The answer waits until what it returns is durable.
   */
  async fetchOffsets(groups: readonly OffsetFetchGroupParams[], requireStable: boolean): Promise<OffsetFetchGroupResult[]> {
    if (this.closed) return groups.map((group) => ({ groupId: group.groupId, errorCode: ErrorCode.NOT_COORDINATOR, topics: [] }));
    const results = groups.map((group) => {
      const consumerGroup = this.consumerGroups.group(group.groupId);
      const errorCode = consumerGroup === undefined ? ErrorCode.NONE : this.consumerGroups.validateOffsetFetch(consumerGroup, group.memberId ?? null, group.memberEpoch ?? -1);
      return {
        groupId: group.groupId,
        errorCode,
        topics: errorCode === ErrorCode.NONE ? this.offsets.fetchOffsets(group.groupId, group.topics, requireStable) : [],
      };
    });
    try {
      await this.store.flushed();
    } catch (error) {
      const errorCode = this.storageErrorCode(error);
      return groups.map((group) => ({ groupId: group.groupId, errorCode, topics: [] }));
    }
    return results;
  }

  /** OffsetDelete (KIP-496): removes offsets of topics the group does not consume. */
  async deleteOffsets(groupId: string, topics: readonly { name: string; partitions: readonly number[] }[]): Promise<{ errorCode: number; topics: TopicResult[] }> {
    if (this.closed) return { errorCode: ErrorCode.NOT_COORDINATOR, topics: [] };
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, topics: [] };
    const group = this.groups.get(groupId);
    if (group === undefined) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
    try {
      group.validateOffsetDelete();
    } catch (error) {
      return { errorCode: this.errorCode(error), topics: [] };
    }
    const records: OffsetStoreRecord[] = [];
    const deleted: PartitionResult[] = [];
    const results: TopicResult[] = topics.map((topic) => {
      if (group.isSubscribedToTopic(topic.name)) {
        return { name: topic.name, partitions: topic.partitions.map((partitionIndex) => ({ partitionIndex, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC })) };
      }
      return {
        name: topic.name,
        partitions: topic.partitions.map((partitionIndex) => {
          const result = { partitionIndex, errorCode: ErrorCode.NONE as number };
          if (this.offsets.hasCommittedOffset(groupId, topic.name, partitionIndex) || this.offsets.hasPendingTransactionalOffsets(groupId, topic.name, partitionIndex)) {
            records.push({ type: 'offset-tombstone', groupId, topic: topic.name, partition: partitionIndex });
            deleted.push(result);
          }
          return result;
        }),
      };
    });
    const written = this.write(records, deleted);
    if (written === null) return { errorCode: ErrorCode.NONE, topics: results };
    for (const record of records) if (record.type === 'offset-tombstone') this.offsets.delete(record.groupId, record.topic, record.partition);
    await this.awaitDurable(written, deleted);
    return { errorCode: ErrorCode.NONE, topics: results };
  }

  /** Drops the committed offsets of deleted topics (Kafka's `onTopicsDeleted`); for the DeleteTopics path. */
  async onTopicsDeleted(topics: readonly string[]): Promise<void> {
    if (this.closed) return;
    const records: OffsetStoreRecord[] = [];
    for (const topic of topics) {
      for (const groupId of this.offsets.groupsWithTopic(topic)) {
        for (const entry of this.offsets.entries(groupId)) {
          if (entry.topic === topic) records.push({ type: 'offset-tombstone', groupId, topic, partition: entry.partition });
        }
      }
    }
    await this.writeInBackground(records, () => {
      for (const record of records) {
        if (record.type === 'offset-tombstone') this.offsets.delete(record.groupId, record.topic, record.partition);
      }
    });
  }

  // ---------------------------------------------------------------------------------------------------------
  // Describe, list, delete groups

  describeGroups(groupIds: readonly string[]): DescribedGroup[] {
    return groupIds.map((groupId) => {
      const described: DescribedGroup = { errorCode: ErrorCode.NONE, groupId, groupState: ClassicGroupState.Dead, protocolType: '', protocolData: '', members: [] };
      if (this.closed) return { ...described, errorCode: ErrorCode.NOT_COORDINATOR };
      if (groupId === '') return { ...described, errorCode: ErrorCode.INVALID_GROUP_ID };
      const group = this.groups.get(groupId);
      // DescribeGroups v0-5 describe an unknown group as Dead without an error.
      if (group === undefined) return described;
      const stable = group.isInState(ClassicGroupState.Stable);
      return {
        ...described,
        groupState: group.state,
        protocolType: group.protocolType ?? '',
        // Metadata is shown only once the generation is settled; the assignment always (`describeNoMetadata`).
        protocolData: stable ? (group.protocolName ?? '') : '',
        members: group.allMembers().map((member) => ({
          memberId: member.memberId,
          groupInstanceId: member.groupInstanceId,
          clientId: member.clientId,
          clientHost: member.clientHost,
          memberMetadata: stable ? member.metadata(group.protocolName) : EMPTY_ASSIGNMENT,
          memberAssignment: member.assignment,
        })),
      };
    });
  }

  /** ListGroups, with the v4+ state filter and the v5+ type filter (both case-insensitive, empty = all). */
  listGroups(statesFilter: readonly string[], typesFilter: readonly string[]): ListedGroup[] {
    const states = new Set(statesFilter.map((state) => state.toLowerCase()));
    const types = new Set(typesFilter.map((type) => type.toLowerCase()));
    const listed: ListedGroup[] = [];
    if (types.size === 0 || types.has(CONSUMER_GROUP_TYPE)) {
      for (const group of this.consumerGroups.allGroups()) {
        if (states.size > 0 && !states.has(group.state.toLowerCase())) continue;
        listed.push({ groupId: group.groupId, protocolType: CONSUMER_GROUP_TYPE, groupState: group.state, groupType: CONSUMER_GROUP_TYPE });
      }
    }
    if (types.size > 0 && !types.has(CLASSIC_GROUP_TYPE)) return listed;
    for (const group of this.groups.values()) {
      if (group.isInState(ClassicGroupState.Dead)) continue;
      if (states.size > 0 && !states.has(group.state.toLowerCase())) continue;
      listed.push({ groupId: group.groupId, protocolType: group.protocolType ?? '', groupState: group.state, groupType: CLASSIC_GROUP_TYPE });
    }
    return listed;
  }

  /** DeleteGroups: only Empty groups (NON_EMPTY_GROUP); unknown ones are GROUP_ID_NOT_FOUND. */
  async deleteGroups(groupIds: readonly string[]): Promise<{ groupId: string; errorCode: number }[]> {
    const results = groupIds.map((groupId) => ({ groupId, errorCode: ErrorCode.NONE as number }));
    if (this.closed) return results.map((result) => ({ ...result, errorCode: ErrorCode.NOT_COORDINATOR }));
    const records: OffsetStoreRecord[] = [];
    const deleted: { groupId: string; errorCode: number }[] = [];
    const groups: ClassicGroup[] = [];
    const deletedConsumerGroups: string[] = [];
    for (const result of results) {
      if (result.groupId === '') {
        result.errorCode = ErrorCode.INVALID_GROUP_ID;
        continue;
      }
      const consumerGroup = this.consumerGroups.group(result.groupId);
      if (consumerGroup !== undefined) {
        if (consumerGroup.state !== ConsumerGroupState.Empty) {
          result.errorCode = ErrorCode.NON_EMPTY_GROUP;
          continue;
        }
        records.push({ type: 'group-tombstone', groupId: consumerGroup.groupId });
        deleted.push(result);
        deletedConsumerGroups.push(consumerGroup.groupId);
        continue;
      }
      const group = this.groups.get(result.groupId);
      if (group === undefined || groups.includes(group)) {
        result.errorCode = ErrorCode.GROUP_ID_NOT_FOUND;
        continue;
      }
      try {
        group.validateDeleteGroup();
      } catch (error) {
        result.errorCode = this.errorCode(error);
        continue;
      }
      records.push({ type: 'group-tombstone', groupId: group.groupId });
      deleted.push(result);
      groups.push(group);
    }
    const written = this.write(records, deleted);
    if (written === null) return results;
    for (const group of groups) this.removeGroup(group);
    for (const groupId of deletedConsumerGroups) {
      this.consumerGroups.forget(groupId, false);
      this.offsets.deleteGroup(groupId);
    }
    await this.awaitDurable(written, deleted);
    return results;
  }

  // ---------------------------------------------------------------------------------------------------------
  // KIP-848 consumer groups (consumer-group-manager.ts)

  /**
   * ConsumerGroupHeartbeat: join, heartbeat, reconcile or leave; `topics` is the broker's topic metadata. The
   * state change is applied at once and answered when its records are durable in the offsets log (Kafka's
   * coordinator runtime); a failed write is NOT_COORDINATOR, as for offset commits.
   */
  async consumerGroupHeartbeat(params: ConsumerGroupHeartbeatParams, topics: TopicsImage): Promise<ConsumerGroupHeartbeatResult> {
    const failed = (errorCode: number): ConsumerGroupHeartbeatResult => ({ errorCode, errorMessage: null, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null });
    if (this.closed) return failed(ErrorCode.NOT_COORDINATOR);
    let result: ConsumerGroupHeartbeatResult;
    try {
      result = this.consumerGroups.heartbeat(params, topics);
    } catch (error) {
      result = failed(this.errorCode(error));
    }
    const written = this.consumerGroups.persistChanges(params.groupId);
    if (written !== null) {
      try {
        await written;
      } catch (error) {
        return failed(this.storageErrorCode(error));
      }
    }
    return result;
  }

  /** ConsumerGroupDescribe */
  consumerGroupDescribe(groupIds: readonly string[], topics: { topicById(topicId: Buffer): TopicImage | undefined }): DescribedConsumerGroup[] {
    if (this.closed) {
      return groupIds.map((groupId) => ({ errorCode: ErrorCode.NOT_COORDINATOR, errorMessage: null, groupId, groupState: '', groupEpoch: -1, assignmentEpoch: -1, assignorName: '', members: [] }));
    }
    return this.consumerGroups.describe(groupIds, topics);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Offset expiry (`offsets.retention.minutes`)

  private scheduleOffsetsExpiration(): void {
    this.timer.schedule(EXPIRATION_KEY, this.config.offsetsRetentionCheckIntervalMs, () => {
      try {
        this.cleanupGroupMetadata();
      } finally {
        if (!this.closed) this.scheduleOffsetsExpiration();
      }
    });
  }

  /**
   * Expires old offsets and deletes Empty groups left without any (`GroupCoordinatorShard.cleanupGroupMetadata`),
   * for classic and KIP-848 consumer groups alike. Which offsets may expire, and from when, is the group's
   * `offsetExpirationCondition` (see `classicOffsetExpirationBase`); a consumer group counts from each commit and
   * spares the topics some member subscribes to, so an Empty one loses them all. Tombstones go to the offsets
   * log, so expired offsets stay expired after a restart. Returns the number of records written.
   */
  cleanupGroupMetadata(): number {
    if (this.closed) return 0;
    const now = this.clock();
    const retentionMs = this.config.offsetsRetentionMs;
    const records: OffsetStoreRecord[] = [];
    const expiredGroups: ClassicGroup[] = [];
    const expiredConsumerGroups: string[] = [];
    const expire = (groupId: string, base: OffsetExpirationBase, isSubscribedToTopic: (topic: string) => boolean): boolean => {
      const { expired, allExpired } = this.offsets.expiredOffsets(groupId, base, isSubscribedToTopic, now, retentionMs);
      for (const { topic, partition } of expired) records.push({ type: 'offset-tombstone', groupId, topic, partition });
      return allExpired;
    };
    for (const group of this.groups.values()) {
      const allExpired = expire(group.groupId, classicOffsetExpirationBase(group), (topic) => group.isSubscribedToTopic(topic));
      if (allExpired && group.isInState(ClassicGroupState.Empty)) {
        records.push({ type: 'group-tombstone', groupId: group.groupId });
        expiredGroups.push(group);
      }
    }
    for (const group of this.consumerGroups.allGroups()) {
      const allExpired = expire(group.groupId, (offset) => offset.commitTimestampMs, (topic) => this.consumerGroups.isSubscribedToTopic(group, topic));
      if (allExpired && group.state === ConsumerGroupState.Empty) {
        records.push({ type: 'group-tombstone', groupId: group.groupId });
        expiredConsumerGroups.push(group.groupId);
      }
    }
    if (records.length === 0) return 0;
    const expiredOffsets = records.filter((record) => record.type === 'offset-tombstone').length;
    this.logger.info({ expiredOffsets, deletedGroups: expiredGroups.length + expiredConsumerGroups.length }, 'expired group offsets');
    void this.writeInBackground(records, () => {
      for (const record of records) {
        if (record.type === 'offset-tombstone') this.offsets.delete(record.groupId, record.topic, record.partition);
      }
      for (const group of expiredGroups) this.removeGroup(group);
      for (const groupId of expiredConsumerGroups) {
        this.consumerGroups.forget(groupId, false);
        this.offsets.deleteGroup(groupId);
      }
    });
    return records.length;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Online migration (consumer-group-migration.ts)

  /**
   * A consumer group takes the group id over: the classic group object goes (the offsets stay). Members still
   * parked in JoinGroup or SyncGroup are told REBALANCE_IN_PROGRESS, so that they rejoin the consumer group
   * (`convertToConsumerGroup`).
   */
  private retireForConsumerGroup(groupId: string): void {
    const group = this.groups.get(groupId);
    if (group === undefined) return;
    for (const member of group.allMembers()) {
      group.completeJoin(member, joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
      group.completeSync(member, syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      this.timer.cancel(heartbeatKey(group, member.memberId));
    }
    this.timer.cancel(joinKey(group));
    this.timer.cancel(syncKey(group));
    group.transitionTo(ClassicGroupState.Dead);
    this.groups.delete(groupId);
  }

  /**
   * The classic group a consumer group downgraded to (`convertToClassicGroup`): Stable at the consumer group's
   * epoch with its members' last assignments, then a rebalance, which every member joins after its next
   * heartbeat answers REBALANCE_IN_PROGRESS.
   */
  private adoptDowngradedGroup(downgraded: DowngradedGroup): void {
    const group = new ClassicGroup(downgraded.groupId, this.clock, {
      generationId: downgraded.generationId,
      protocolType: CONSUMER_PROTOCOL_TYPE,
      state: ClassicGroupState.Stable,
    });
    for (const init of downgraded.members) group.add(new ClassicGroupMember(init), null);
    group.protocolName = group.selectProtocol();
    group.subscribedTopics = group.computeSubscribedTopics();
    this.groups.set(group.groupId, group);
    for (const member of group.allMembers()) this.rescheduleHeartbeat(group, member);
    this.persistGroupMetadata(group);
    this.prepareRebalance(group, `downgrade of group ${group.groupId} from consumer to classic`);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Helpers

  private createGroup(groupId: string): ClassicGroup {
    const group = new ClassicGroup(groupId, this.clock);
    this.groups.set(groupId, group);
    return group;
  }

  /** Group and its offsets gone from memory (the tombstone is already staged). */
  private removeGroup(group: ClassicGroup): void {
    group.transitionTo(ClassicGroupState.Dead);
    this.timer.cancel(joinKey(group));
    this.timer.cancel(syncKey(group));
    this.groups.delete(group.groupId);
    this.offsets.deleteGroup(group.groupId);
  }

  private persistGroupMetadata(group: ClassicGroup): void {
    void this.writeInBackground([
      {
        type: 'group-metadata',
        groupId: group.groupId,
        metadata: { protocolType: group.protocolType, generationId: group.generationId, currentStateTimestampMs: group.currentStateTimestampMs, hasMembers: group.size > 0 },
      },
    ], () => {});
  }

  /** Stages records; on failure marks `results` with the storage error and returns null (nothing to apply). */
  private write(records: readonly OffsetStoreRecord[], results: readonly { errorCode: number }[]): Promise<void> | null {
    if (records.length === 0) return null;
    try {
      return this.store.append(records);
    } catch (error) {
      const errorCode = this.storageErrorCode(error);
      for (const result of results) result.errorCode = errorCode;
      return null;
    }
  }

  private async awaitDurable(written: Promise<void>, results: readonly { errorCode: number }[]): Promise<void> {
    try {
      await written;
    } catch (error) {
      const errorCode = this.storageErrorCode(error);
      for (const result of results) result.errorCode = errorCode;
    }
  }

  /**
   * Stages records no client waits for (group metadata, expiry, deleted topics) and applies them with `apply`
   * when staged; a failure is logged, and when staging fails nothing is applied.
   */
  private async writeInBackground(records: readonly OffsetStoreRecord[], apply: () => void): Promise<void> {
    if (records.length === 0) return;
    let written: Promise<void>;
    try {
      written = this.store.append(records);
    } catch (error) {
      this.logger.error({ err: errorText(error) }, 'writing to the offsets log failed');
      return;
    }
    apply();
    await written.catch((error: unknown) => this.logger.error({ err: errorText(error) }, 'offsets log fsync failed'));
  }

  /**
   * A failed write or fsync of the offsets log: NOT_COORDINATOR, which is what Kafka answers when its
   * `__consumer_offsets` partition fails with KAFKA_STORAGE_ERROR (`appendGroupMetadataErrorToResponseError`).
   */
  private storageErrorCode(error: unknown): number {
    this.logger.error({ err: errorText(error) }, 'offsets log write failed');
    return ErrorCode.NOT_COORDINATOR;
  }

  private errorCode(error: unknown): number {
    if (error instanceof BrokerError) return error.code;
    this.logger.error({ err: error instanceof Error ? { message: error.message, stack: error.stack } : String(error) }, 'unexpected group coordinator error');
    return ErrorCode.UNKNOWN_SERVER_ERROR;
  }
}

/**
 * `ClassicGroup.offsetExpirationCondition`: a simple group (no protocol type) counts from each commit; an Empty
 * group from when it became Empty (from the commit when that time is unknown); a Stable consumer-protocol group
 * whose subscriptions are known, from each commit (for the topics it does not subscribe to). Otherwise nothing
 * expires.
 */
function classicOffsetExpirationBase(group: ClassicGroup): OffsetExpirationBase {
  if (group.protocolType === null) return (offset) => offset.commitTimestampMs;
  if (group.isInState(ClassicGroupState.Empty)) return (offset) => group.currentStateTimestampMs ?? offset.commitTimestampMs;
  if (group.usesConsumerGroupProtocol() && group.subscribedTopics !== null && group.isInState(ClassicGroupState.Stable)) {
    return (offset) => offset.commitTimestampMs;
  }
  return null;
}

/** A protocol type or name in SyncGroup v5 that contradicts the group's (`isProtocolInconsistent`). */
function isProtocolInconsistent(requested: string | null, current: string | null): boolean {
  return requested !== null && current !== null && requested !== current;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A group-level answer to an offset commit: the same code for every partition of the request. */
function sameCodeForEveryPartition(topics: readonly { name: string; partitions: readonly { partitionIndex: number }[] }[], errorCode: number): TopicResult[] {
  return topics.map((topic) => ({ name: topic.name, partitions: topic.partitions.map((partition) => ({ partitionIndex: partition.partitionIndex, errorCode })) }));
}
