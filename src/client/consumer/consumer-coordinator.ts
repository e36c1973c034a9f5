// The consumer's side of a classic group (Kafka's `AbstractCoordinator` + `ConsumerCoordinator`): find the
// coordinator, JoinGroup (KIP-394 member id round trip, KIP-345 static membership), the leader assigns, SyncGroup,
// then heartbeats in the background. Joining happens only when the application asks for records (as in Java's
// poll), so a handler never runs while its partition is being revoked.
//
// The coordinator gets its own connection (Java uses a separate node id for it): a JoinGroup that waits for the
// rebalance or a heartbeat must not queue behind a long-poll Fetch on the same ordered connection.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ErrorCode, errorName, isRetriable } from '../../protocol/errors/index.ts';
import { BrokerConnection } from '../connection/broker-connection.ts';
import type { ConnectionPool } from '../connection/connection-pool.ts';
import type { ResolvedConsumerConfig, AssignorName } from '../config/consumer-config.ts';
import { ErrorKind, KafkaClientError } from '../errors/kafka-client-error.ts';
import { assign, isCooperative, type AssignorMember } from './assignors.ts';
import { CONSUMER_PROTOCOL_TYPE, decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription, type TopicPartitions } from './consumer-protocol.ts';
import type { TopicPartition } from './partition-state.ts';

export interface CoordinatorHooks {
  /** Topics this member subscribes to now. */
  subscribedTopics(): readonly string[];
  /** KIP-848 only: the regular expression the broker resolves (`SubscribedTopicRegex`), or null. */
  subscribedRegex?(): string | null;
  /** Partitions this member owns now. */
  owned(): TopicPartition[];
  /** Partition count of a topic (waits for metadata); null when the topic does not exist. */
  partitionCount(topic: string): Promise<number | null>;
  /** Eager rebalance or member reset: give up partitions before joining (`onJoinPrepare`). */
  revokeBeforeJoin(lost: boolean): Promise<void>;
  /** A new assignment (`onJoinComplete`). */
  assigned(assignment: TopicPartition[], cooperative: boolean): Promise<void>;
  /** A heartbeat found a rebalance or a lost membership: wake the application's poll. */
  wakeup(): void;
}

export interface OffsetAndMetadata {
  readonly offset: bigint;
  readonly leaderEpoch: number;
  readonly metadata: string | null;
}

const NO_GENERATION = -1;

function clientError(code: number, message: string, kind: ErrorKind = isRetriable(code) ? ErrorKind.retriable : ErrorKind.fatal): KafkaClientError {
  return new KafkaClientError({ code, kind, message: `${message}: ${errorName(code)}` });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class ConsumerCoordinator {
  protected connection: BrokerConnection | null = null;
  private connecting: Promise<BrokerConnection> | null = null;
  memberId = '';
  private currentGeneration = NO_GENERATION;
  /**
   * The generation and member id of the last completed join, kept when the membership is lost or left: what
   * `groupMetadata()` hands a transactional producer (Kafka's `ConsumerCoordinator.groupMetadata`, set in
   * `onJoinComplete` only). A member that left on a poll timeout thus sends offsets with its stale generation and is
   * fenced (KIP-447); with -1 and no member id the coordinator would take them as a commit from outside the group.
   */
  joinedGeneration: { readonly generationId: number; readonly memberId: string } = { generationId: NO_GENERATION, memberId: '' };

  get generationId(): number {
    return this.currentGeneration;
  }

  set generationId(generationId: number) {
    this.currentGeneration = generationId;
    if (generationId >= 0) this.joinedGeneration = { generationId, memberId: this.memberId };
  }
  protocolName: AssignorName | null = null;
  protected rejoinNeeded = true;
  /** As leader: the partition count of each topic in the last assignment it computed. */
  private assignedPartitionCounts: Map<string, number> | null = null;
  /** The next join follows a lost membership: partitions are lost, not revoked (no commit). */
  protected membershipLost = false;
  protected heartbeatTimer: NodeJS.Timeout | null = null;
  private joining = false;
  protected closed = false;
  /** When the application last asked for records (max.poll.interval.ms). */
  lastPollMs = Date.now();
  /** Set when a heartbeat failed fatally (FENCED_INSTANCE_ID); thrown from the next poll. */
  fatalError: KafkaClientError | null = null;

  constructor(
    protected readonly config: ResolvedConsumerConfig & { groupId: string },
    protected readonly pool: ConnectionPool,
    protected readonly hooks: CoordinatorHooks,
  ) {}

  /** The membership is gone (left on a poll timeout, or the coordinator forgot this member). */
  get lostMembership(): boolean {
    return this.membershipLost;
  }

  /**
   * The leader watches the partition counts it assigned (ConsumerCoordinator.rejoinNeededOrPending's metadata
   * snapshot): when a subscribed topic grows, it rejoins so that the new partitions get an owner.
   */
  checkPartitionCounts(countOf: (topic: string) => number | undefined): void {
    if (this.assignedPartitionCounts === null || this.needsRejoin) return;
    for (const [topic, count] of this.assignedPartitionCounts) {
      const now = countOf(topic);
      if (now !== undefined && now !== count) {
        this.requestRejoin();
        return;
      }
    }
  }

  get needsRejoin(): boolean {
    return this.rejoinNeeded || this.generationId === NO_GENERATION;
  }

  requestRejoin(): void {
    this.rejoinNeeded = true;
    this.hooks.wakeup();
  }

  /** The rebalance protocol: cooperative only when every offered assignor supports it (Java's rule). */
  get cooperative(): boolean {
    return this.config.partitionAssignors.every(isCooperative);
  }

  protected async coordinator(): Promise<BrokerConnection> {
    if (this.connection !== null && !this.connection.closed) return this.connection;
    if (this.connecting !== null) return this.connecting;
    this.connecting = (async () => {
      for (let attempt = 0; ; attempt++) {
        if (this.closed) throw new KafkaClientError({ code: ErrorCode.UNKNOWN_SERVER_ERROR, kind: ErrorKind.fatal, message: 'the consumer is closed' });
        try {
          const any = await this.pool.any();
          const version = any.versionFor(ApiKey.FindCoordinator, 1, 3);
          if (version === null) throw new KafkaClientError({ code: ErrorCode.UNSUPPORTED_VERSION, kind: ErrorKind.fatal, message: 'the broker serves no FindCoordinator version in 1..3' });
          const response = await any.send(ApiKey.FindCoordinator, version, { key: this.config.groupId, keyType: 0, coordinatorKeys: [] });
          if (response.errorCode !== ErrorCode.NONE) throw clientError(response.errorCode, `finding the coordinator of group '${this.config.groupId}'`);
          const connection = await BrokerConnection.open({ host: response.host, port: response.port, clientId: this.config.clientId, connectTimeoutMs: this.config.requestTimeoutMs, ...this.config.security });
          try {
            await connection.negotiateApiVersions();
          } catch (error) {
            connection.close();
            throw error;
          }
          this.connection = connection;
          return connection;
        } catch (error) {
          if (error instanceof KafkaClientError && !error.retriable) throw error;
          await sleep(Math.min(1000, this.config.retryBackoffMs * 2 ** Math.min(attempt, 4)));
        }
      }
    })().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  protected markCoordinatorUnknown(): void {
    this.connection?.close();
    this.connection = null;
  }

  /** Joins (or rejoins) the group when needed; returns once this member is in a stable generation. */
  async ensureActiveGroup(): Promise<void> {
    this.lastPollMs = Date.now();
    if (this.fatalError !== null) throw this.fatalError;
    while (this.needsRejoin && !this.closed) {
      const lost = this.membershipLost || this.generationId === NO_GENERATION;
      if (!this.cooperative || lost) await this.hooks.revokeBeforeJoin(this.membershipLost);
      this.membershipLost = false;
      this.rejoinNeeded = false;
      this.joining = true;
      try {
        await this.joinAndSync();
      } catch (error) {
        this.rejoinNeeded = true;
        if (error instanceof KafkaClientError && error.kind === ErrorKind.fatal) throw error;
        if (!(error instanceof KafkaClientError)) this.markCoordinatorUnknown();
        await sleep(this.config.retryBackoffMs);
      } finally {
        this.joining = false;
      }
    }
    this.scheduleHeartbeat();
  }

  private async joinAndSync(): Promise<void> {
    const connection = await this.coordinator();
    const joinVersion = connection.versionFor(ApiKey.JoinGroup, 2, 9);
    const syncVersion = connection.versionFor(ApiKey.SyncGroup, 1, 5);
    if (joinVersion === null || syncVersion === null) throw new KafkaClientError({ code: ErrorCode.UNSUPPORTED_VERSION, kind: ErrorKind.fatal, message: 'the coordinator serves no JoinGroup 2..9 / SyncGroup 1..5' });
    if (this.config.groupInstanceId !== null && joinVersion < 5) throw new KafkaClientError({ code: ErrorCode.UNSUPPORTED_VERSION, kind: ErrorKind.fatal, message: 'group.instance.id needs JoinGroup v5 (Kafka 2.3+)' });
    const owned = new Map<string, number[]>();
    for (const tp of this.hooks.owned()) owned.set(tp.topic, [...(owned.get(tp.topic) ?? []), tp.partition]);
    const metadata = encodeSubscription({ topics: this.hooks.subscribedTopics(), ownedPartitions: owned, generationId: this.generationId });
    const join = await connection.send(ApiKey.JoinGroup, joinVersion, {
      groupId: this.config.groupId,
      sessionTimeoutMs: this.config.sessionTimeoutMs,
      rebalanceTimeoutMs: this.config.maxPollIntervalMs,
      memberId: this.memberId,
      groupInstanceId: joinVersion >= 5 ? this.config.groupInstanceId : null,
      protocolType: CONSUMER_PROTOCOL_TYPE,
      protocols: this.config.partitionAssignors.map((name) => ({ name, metadata })),
      reason: null,
    });
    if (join.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
      // KIP-394: the first join only hands out a member id; join again with it at once.
      this.memberId = join.memberId;
      this.rejoinNeeded = true;
      return;
    }
    if (join.errorCode !== ErrorCode.NONE) {
      this.handleGroupError(join.errorCode, 'JoinGroup');
      return;
    }
    this.memberId = join.memberId;
    const protocolName = join.protocolName as AssignorName;
    let assignments: { memberId: string; assignment: Buffer }[] = [];
    this.assignedPartitionCounts = null;
    if (join.leader === join.memberId && !join.skipAssignment) {
      const members: AssignorMember[] = join.members.map((member) => ({ memberId: member.memberId, groupInstanceId: member.groupInstanceId, subscription: decodeSubscription(member.metadata) }));
      const counts = new Map<string, number>();
      for (const topic of new Set(members.flatMap((member) => member.subscription.topics))) {
        const count = await this.hooks.partitionCount(topic);
        if (count !== null) counts.set(topic, count);
      }
      const result = assign(protocolName, members, counts);
      this.assignedPartitionCounts = counts;
      assignments = [...result].map(([memberId, partitions]) => ({ memberId, assignment: encodeAssignment(partitions) }));
    }
    const sync = await connection.send(ApiKey.SyncGroup, syncVersion, {
      groupId: this.config.groupId,
      generationId: join.generationId,
      memberId: this.memberId,
      groupInstanceId: syncVersion >= 3 ? this.config.groupInstanceId : null,
      protocolType: syncVersion >= 5 ? CONSUMER_PROTOCOL_TYPE : null,
      protocolName: syncVersion >= 5 ? protocolName : null,
      assignments,
    });
    if (sync.errorCode !== ErrorCode.NONE) {
      this.handleGroupError(sync.errorCode, 'SyncGroup');
      return;
    }
    this.generationId = join.generationId;
    this.protocolName = protocolName;
    const assignment: TopicPartitions = decodeAssignment(sync.assignment);
    const list: TopicPartition[] = [];
    for (const [topic, partitions] of assignment) for (const partition of partitions) list.push({ topic, partition });
    await this.hooks.assigned(list, isCooperative(protocolName));
  }

  /** Errors of JoinGroup, SyncGroup and Heartbeat (AbstractCoordinator's JoinGroupResponseHandler & co). */
  private handleGroupError(code: number, what: string): void {
    switch (code) {
      case ErrorCode.REBALANCE_IN_PROGRESS:
        this.rejoinNeeded = true;
        return;
      case ErrorCode.UNKNOWN_MEMBER_ID:
        this.resetMember(true);
        return;
      case ErrorCode.ILLEGAL_GENERATION:
        this.resetMember(false);
        return;
      case ErrorCode.COORDINATOR_NOT_AVAILABLE:
      case ErrorCode.NOT_COORDINATOR:
        this.markCoordinatorUnknown();
        this.rejoinNeeded = true;
        return;
      case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
        this.rejoinNeeded = true;
        return;
      default:
        throw clientError(code, `${what} for group '${this.config.groupId}' failed`, ErrorKind.fatal);
    }
  }

  /** The membership is gone: the partitions are lost, not revoked (KIP-429 `onPartitionsLost`). */
  protected resetMember(forgetMemberId: boolean): void {
    if (forgetMemberId) this.memberId = '';
    this.generationId = NO_GENERATION;
    this.membershipLost = true;
    this.rejoinNeeded = true;
  }

  private scheduleHeartbeat(): void {
    if (this.heartbeatTimer !== null || this.closed) return;
    this.heartbeatTimer = setTimeout(() => {
      this.heartbeatTimer = null;
      void this.heartbeat().finally(() => {
        if (!this.needsRejoin) this.scheduleHeartbeat();
      });
    }, this.config.heartbeatIntervalMs);
  }

  private async heartbeat(): Promise<void> {
    if (this.closed || this.joining || this.needsRejoin) return;
    if (Date.now() - this.lastPollMs > this.config.maxPollIntervalMs) {
      // ConsumerCoordinator's poll timeout: the application is stuck in a handler; leave so that the group
      // moves on (a static member just stops heartbeating and lets the session expire).
      await this.leave('consumer poll timeout has expired (max.poll.interval.ms)');
      this.resetMember(true);
      this.hooks.wakeup();
      return;
    }
    try {
      const connection = await this.coordinator();
      const version = connection.versionFor(ApiKey.Heartbeat, 0, 4) ?? 0;
      const response = await connection.send(ApiKey.Heartbeat, version, {
        groupId: this.config.groupId,
        generationId: this.generationId,
        memberId: this.memberId,
        groupInstanceId: version >= 3 ? this.config.groupInstanceId : null,
      });
      if (response.errorCode === ErrorCode.NONE) return;
      if (response.errorCode === ErrorCode.FENCED_INSTANCE_ID) {
        this.fatalError = clientError(response.errorCode, `another consumer with group.instance.id '${this.config.groupInstanceId}' joined; this one is fenced`, ErrorKind.fatal);
        this.hooks.wakeup();
        return;
      }
      try {
        this.handleGroupError(response.errorCode, 'Heartbeat');
      } catch (error) {
        this.fatalError = error as KafkaClientError;
      }
      this.hooks.wakeup();
    } catch {
      this.markCoordinatorUnknown();
    }
  }

  /** OffsetCommit versions this protocol commits with (the classic one: 2..8, generation ids). */
  protected get offsetCommitVersions(): readonly [number, number] {
    return [2, 8];
  }

  /** Whether STALE_MEMBER_EPOCH on a commit is retried with the epoch a heartbeat brings (KIP-848 only). */
  protected get retriesStaleMemberEpoch(): boolean {
    return false;
  }

  /** OffsetCommit of `offsets`; retried on coordinator moves, failing on a lost generation (CommitFailedException). */
  async commit(offsets: ReadonlyMap<string, { topic: string; partition: number; offset: bigint }>, inGroup: boolean): Promise<void> {
    if (offsets.size === 0) return;
    const deadline = Date.now() + this.config.requestTimeoutMs * 2;
    for (;;) {
      const connection = await this.coordinator();
      const [minVersion, maxVersion] = this.offsetCommitVersions;
      const version = connection.versionFor(ApiKey.OffsetCommit, minVersion, maxVersion);
      if (version === null) throw new KafkaClientError({ code: ErrorCode.UNSUPPORTED_VERSION, kind: ErrorKind.fatal, message: `the coordinator serves no OffsetCommit ${minVersion}..${maxVersion}` });
      const topics = new Map<string, { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; commitTimestamp: bigint; committedMetadata: string | null }[]>();
      for (const { topic, partition, offset } of offsets.values()) {
        const entry = { partitionIndex: partition, committedOffset: offset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' };
        topics.set(topic, [...(topics.get(topic) ?? []), entry]);
      }
      let response;
      try {
        response = await connection.send(ApiKey.OffsetCommit, version, {
          groupId: this.config.groupId,
          generationIdOrMemberEpoch: inGroup ? this.generationId : -1,
          memberId: inGroup ? this.memberId : '',
          groupInstanceId: inGroup && version >= 7 ? this.config.groupInstanceId : null,
          retentionTimeMs: -1n,
          topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
        });
      } catch (error) {
        this.markCoordinatorUnknown();
        if (Date.now() > deadline) throw error;
        await sleep(this.config.retryBackoffMs);
        continue;
      }
      let retry = false;
      for (const topic of response.topics) {
        for (const partition of topic.partitions) {
          const code = partition.errorCode;
          if (code === ErrorCode.NONE) continue;
          if (code === ErrorCode.NOT_COORDINATOR || code === ErrorCode.COORDINATOR_NOT_AVAILABLE || code === ErrorCode.REQUEST_TIMED_OUT) {
            this.markCoordinatorUnknown();
            retry = true;
          } else if (code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || (code === ErrorCode.STALE_MEMBER_EPOCH && inGroup && this.retriesStaleMemberEpoch)) {
            retry = true;
          } else if (code === ErrorCode.UNKNOWN_MEMBER_ID || code === ErrorCode.ILLEGAL_GENERATION || code === ErrorCode.REBALANCE_IN_PROGRESS) {
            if (code !== ErrorCode.REBALANCE_IN_PROGRESS) this.resetMember(code === ErrorCode.UNKNOWN_MEMBER_ID);
            else this.requestRejoin();
            // Java's CommitFailedException: the group moved on; these records may be delivered again elsewhere.
            throw clientError(code, 'the commit failed because the group rebalanced and this member\'s partitions may be owned by another member now; the records will be redelivered', ErrorKind.abortable);
          } else {
            throw clientError(code, `committing offsets of ${topic.name}-${partition.partitionIndex} failed`, ErrorKind.abortable);
          }
        }
      }
      if (!retry) return;
      if (Date.now() > deadline) throw new KafkaClientError({ code: ErrorCode.REQUEST_TIMED_OUT, kind: ErrorKind.retriable, message: 'committing offsets timed out; the coordinator kept moving' });
      await sleep(this.config.retryBackoffMs);
    }
  }

  /** Committed offsets (OffsetFetch; RequireStable for read_committed, KIP-447). Absent partitions have none. */
  async fetchCommitted(partitions: readonly TopicPartition[]): Promise<Map<string, OffsetAndMetadata & TopicPartition>> {
    const result = new Map<string, OffsetAndMetadata & TopicPartition>();
    if (partitions.length === 0) return result;
    const deadline = Date.now() + this.config.requestTimeoutMs * 2;
    for (;;) {
      const connection = await this.coordinator();
      const version = connection.versionFor(ApiKey.OffsetFetch, 1, 7);
      if (version === null) throw new KafkaClientError({ code: ErrorCode.UNSUPPORTED_VERSION, kind: ErrorKind.fatal, message: 'the coordinator serves no OffsetFetch 1..7' });
      const topics = new Map<string, number[]>();
      for (const tp of partitions) topics.set(tp.topic, [...(topics.get(tp.topic) ?? []), tp.partition]);
      let response;
      try {
        response = await connection.send(ApiKey.OffsetFetch, version, {
          groupId: this.config.groupId,
          topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
          groups: [],
          requireStable: version >= 7 && this.config.isolationLevel === 1,
        });
      } catch (error) {
        this.markCoordinatorUnknown();
        if (Date.now() > deadline) throw error;
        await sleep(this.config.retryBackoffMs);
        continue;
      }
      let retryCode = ErrorCode.NONE as number;
      if (response.errorCode !== ErrorCode.NONE) retryCode = response.errorCode;
      for (const topic of response.topics) {
        for (const partition of topic.partitions) {
          if (partition.errorCode !== ErrorCode.NONE) {
            retryCode = partition.errorCode;
            continue;
          }
          if (partition.committedOffset >= 0n) {
            result.set(`${topic.name}\u0000${partition.partitionIndex}`, { topic: topic.name, partition: partition.partitionIndex, offset: partition.committedOffset, leaderEpoch: partition.committedLeaderEpoch, metadata: partition.metadata });
          }
        }
      }
      if (retryCode === ErrorCode.NONE) return result;
      if (retryCode === ErrorCode.NOT_COORDINATOR || retryCode === ErrorCode.COORDINATOR_NOT_AVAILABLE) this.markCoordinatorUnknown();
      // UNSTABLE_OFFSET_COMMIT: a transaction holding offsets for the partition is still open; wait for it.
      const retriable = isRetriable(retryCode) || retryCode === ErrorCode.UNSTABLE_OFFSET_COMMIT;
      if (!retriable) throw clientError(retryCode, `fetching committed offsets of group '${this.config.groupId}' failed`, ErrorKind.abortable);
      if (Date.now() > deadline) throw clientError(retryCode, 'fetching committed offsets timed out', ErrorKind.retriable);
      result.clear();
      await sleep(this.config.retryBackoffMs);
    }
  }

  /** LeaveGroup (not for static members, KIP-345: they keep their partitions across a restart). */
  async leave(reason: string): Promise<void> {
    if (this.heartbeatTimer !== null) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
    if (this.memberId === '' || this.config.groupInstanceId !== null) return;
    try {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), this.config.requestTimeoutMs)));
      const connection = await Promise.race([this.coordinator(), timeout]).finally(() => clearTimeout(timer));
      if (connection === null) return;
      const version = connection.versionFor(ApiKey.LeaveGroup, 0, 5) ?? 0;
      await connection.send(ApiKey.LeaveGroup, version, {
        groupId: this.config.groupId,
        memberId: version >= 3 ? '' : this.memberId,
        members: version >= 3 ? [{ memberId: this.memberId, groupInstanceId: null, reason: version >= 5 ? reason : null }] : [],
      });
    } catch {
      // Best effort: the session timeout removes the member anyway.
    }
    this.memberId = '';
    this.generationId = NO_GENERATION;
  }

  close(): void {
    this.closed = true;
    if (this.heartbeatTimer !== null) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
    this.connection?.close();
  }
}
