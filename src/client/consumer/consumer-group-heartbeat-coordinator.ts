// The consumer's side of a KIP-848 consumer group (Kafka's `ConsumerMembershipManager` and
// `ConsumerHeartbeatRequestManager`): the member joins with epoch 0 and its subscription, the broker computes the
// assignment, and the member heartbeats at the interval the broker returns. Reconciling an assignment revokes
// first (commit, onPartitionsRevoked), then takes the new partitions (onPartitionsAssigned), then acknowledges by
// reporting what it owns in the next heartbeat; the broker hands a partition to a new owner only after the old
// owner acknowledged its release. Reconciliation runs when the application asks for records (as the classic
// coordinator's joins do), so a handler never runs while its partition is being revoked.
//
// Offsets go through the classic coordinator's code with OffsetCommit v9+, the member epoch in place of the
// generation (KIP-848), and STALE_MEMBER_EPOCH retried with the epoch the next heartbeat brings.
import { randomUUID } from 'node:crypto';
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ErrorCode, errorName, isRetriable } from '../../protocol/errors/index.ts';
import type { ConnectionPool } from '../connection/connection-pool.ts';
import type { ResolvedConsumerConfig } from '../config/consumer-config.ts';
import { ErrorKind, KafkaClientError } from '../errors/kafka-client-error.ts';
import { ConsumerCoordinator, type CoordinatorHooks } from './consumer-coordinator.ts';
import type { TopicPartition } from './partition-state.ts';

/** Member epochs with a meaning of their own (`ConsumerGroupHeartbeatRequest`). */
const JOIN_EPOCH = 0;
const LEAVE_EPOCH = -1;
const LEAVE_STATIC_EPOCH = -2;
const NO_GENERATION = -1;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function uuidKey(id: Buffer): string {
  return id.toString('hex');
}

export class ConsumerGroupHeartbeatCoordinator extends ConsumerCoordinator {
  /** The epoch the broker last gave this member; 0 while (re)joining. */
  private memberEpoch = JOIN_EPOCH;
  private joined = false;
  /** The latest assignment the broker sent that this member has not reconciled yet. */
  private target: TopicPartition[] | null = null;
  /** The latest assignment the broker sent (reconciled or about to be): a repeat of it is no news. */
  private latest: readonly TopicPartition[] = [];
  private intervalMs: number;
  private inFlight: Promise<void> | null = null;
  /** Topic ids of the assignment, resolved with Metadata (v10+ carries them). */
  private readonly topicNames = new Map<string, string>();
  private readonly topicIds = new Map<string, Buffer>();

  constructor(config: ResolvedConsumerConfig & { groupId: string }, pool: ConnectionPool, hooks: CoordinatorHooks) {
    super(config, pool, hooks);
    // KIP-1082: the client chooses its member id and keeps it across rejoins.
    this.memberId = randomUUID();
    this.intervalMs = config.heartbeatIntervalMs;
  }

  protected override get offsetCommitVersions(): readonly [number, number] {
    return [9, 9];
  }

  protected override get retriesStaleMemberEpoch(): boolean {
    return true;
  }

  override get needsRejoin(): boolean {
    return !this.joined || this.rejoinNeeded || this.target !== null;
  }

  /** The broker watches partition counts itself and bumps the group epoch. */
  override checkPartitionCounts(): void {}

  /** A subscription change (or a reset): the next heartbeat carries it; the poll sends it at once. */
  override requestRejoin(): void {
    this.rejoinNeeded = true;
    this.hooks.wakeup();
  }

  /** Fenced or unknown: the partitions are lost and the member rejoins with epoch 0 (`transitionToFenced`). */
  protected override resetMember(): void {
    this.joined = false;
    this.memberEpoch = JOIN_EPOCH;
    this.generationId = NO_GENERATION;
    this.target = null;
    this.latest = [];
    this.membershipLost = true;
  }

  override async ensureActiveGroup(): Promise<void> {
    this.lastPollMs = Date.now();
    if (this.fatalError !== null) throw this.fatalError;
    while (this.needsRejoin && !this.closed) {
      if (this.fatalError !== null) throw this.fatalError;
      if (this.membershipLost) {
        // `ConsumerMembershipManager.transitionToFenced`: onPartitionsLost, nothing committed.
        this.membershipLost = false;
        await this.hooks.revokeBeforeJoin(true);
      }
      if (this.target !== null) {
        const target = this.target;
        this.target = null;
        // Revoke what is no longer assigned (commit + onPartitionsRevoked), then take the new partitions.
        await this.hooks.assigned(target, false);
        if (this.membershipLost) continue;
      }
      // Acknowledge (the owned partitions), send a changed subscription, or join.
      this.rejoinNeeded = false;
      await this.heartbeatNow();
      if (this.needsRejoin && this.target === null && this.fatalError === null) await sleep(this.config.retryBackoffMs);
    }
    this.scheduleHeartbeats();
  }

  private scheduleHeartbeats(): void {
    if (this.heartbeatTimer !== null || this.closed || !this.joined) return;
    this.heartbeatTimer = setTimeout(() => {
      this.heartbeatTimer = null;
      void this.backgroundHeartbeat().finally(() => this.scheduleHeartbeats());
    }, this.intervalMs);
  }

  private async backgroundHeartbeat(): Promise<void> {
    if (this.closed || !this.joined) return;
    if (Date.now() - this.lastPollMs > this.config.maxPollIntervalMs) {
      // `ConsumerMembershipManager.transitionToSendingLeaveGroup(true)`: the application is stuck in a handler;
      // leave so that the group moves on, and rejoin (partitions lost) on the next poll.
      await this.sendLeave();
      this.resetMember();
      this.hooks.wakeup();
      return;
    }
    await this.heartbeatNow();
    if (this.needsRejoin || this.fatalError !== null) this.hooks.wakeup();
  }

  /** One heartbeat at a time: a caller arriving while one is in flight waits for it, then sends its own. */
  private async heartbeatNow(): Promise<void> {
    while (this.inFlight !== null) await this.inFlight;
    this.inFlight = this.sendHeartbeat().finally(() => {
      this.inFlight = null;
    });
    await this.inFlight;
  }

  private async sendHeartbeat(): Promise<void> {
    if (this.closed) return;
    try {
      const connection = await this.coordinator();
      const version = connection.versionFor(ApiKey.ConsumerGroupHeartbeat, 0, 1);
      if (version === null) {
        this.fatalError = new KafkaClientError({ code: ErrorCode.UNSUPPORTED_VERSION, kind: ErrorKind.fatal, message: 'the coordinator does not serve ConsumerGroupHeartbeat (KIP-848 needs Kafka 4.0+ or seqlog); use groupProtocol \'classic\'' });
        return;
      }
      const regex = this.hooks.subscribedRegex?.() ?? null;
      if (regex !== null && version < 1) {
        this.fatalError = new KafkaClientError({ code: ErrorCode.UNSUPPORTED_VERSION, kind: ErrorKind.fatal, message: 'subscribe({ regex }) needs ConsumerGroupHeartbeat v1 (Kafka 4.0+); subscribe with a RegExp instead' });
        return;
      }
      const epochSent = this.memberEpoch;
      const owned = this.ownedByTopicId();
      // Every heartbeat is a full one (Kafka allows it): a lost answer never leaves the broker with a stale view.
      const response = await connection.send(ApiKey.ConsumerGroupHeartbeat, version, {
        groupId: this.config.groupId,
        memberId: this.memberId,
        memberEpoch: epochSent,
        instanceId: this.config.groupInstanceId,
        rackId: null,
        rebalanceTimeoutMs: this.config.maxPollIntervalMs,
        subscribedTopicNames: regex === null ? [...this.hooks.subscribedTopics()] : null,
        subscribedTopicRegex: regex,
        serverAssignor: this.config.groupRemoteAssignor,
        topicPartitions: owned,
      });
      if (response.errorCode !== ErrorCode.NONE) {
        this.onHeartbeatError(response.errorCode, response.errorMessage);
        return;
      }
      if (this.memberEpoch !== epochSent || this.closed) return; // fenced or left meanwhile
      if (response.memberId !== null && response.memberId !== '') this.memberId = response.memberId;
      this.memberEpoch = response.memberEpoch;
      this.generationId = response.memberEpoch;
      this.joined = true;
      if (response.heartbeatIntervalMs > 0) this.intervalMs = response.heartbeatIntervalMs;
      if (response.assignment !== null) {
        const assignment: TopicPartition[] = [];
        for (const { topicId, partitions } of response.assignment.topicPartitions) {
          const topic = await this.topicName(topicId);
          if (topic === null) {
            // Metadata does not know the topic yet (`ConsumerMembershipManager` waits for it): ask again.
            this.rejoinNeeded = true;
            return;
          }
          for (const partition of partitions) assignment.push({ topic, partition });
        }
        if (!samePartitions(assignment, this.latest)) {
          this.latest = assignment;
          this.target = assignment;
        }
      }
    } catch (error) {
      if (error instanceof KafkaClientError && error.kind === ErrorKind.fatal) {
        this.fatalError = error;
        return;
      }
      this.markCoordinatorUnknown();
      this.rejoinNeeded = true;
    }
  }

  /** `ConsumerHeartbeatRequestManager.onErrorResponse`. */
  private onHeartbeatError(code: number, message: string | null): void {
    const detail = message !== null && message !== '' ? ` (${message})` : '';
    switch (code) {
      case ErrorCode.FENCED_MEMBER_EPOCH:
      case ErrorCode.UNKNOWN_MEMBER_ID:
      // The coordinator no longer knows the group (deleted after this member's session expired, or a broker that
      // lost its group state): the membership is gone just as with UNKNOWN_MEMBER_ID, and a
      // join with epoch 0 creates the group again. Java's client treats this one as fatal; rejoining loses nothing.
      case ErrorCode.GROUP_ID_NOT_FOUND:
        this.resetMember();
        return;
      case ErrorCode.NOT_COORDINATOR:
      case ErrorCode.COORDINATOR_NOT_AVAILABLE:
        this.markCoordinatorUnknown();
        this.rejoinNeeded = true;
        return;
      case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
        this.rejoinNeeded = true;
        return;
      case ErrorCode.FENCED_INSTANCE_ID:
      case ErrorCode.UNRELEASED_INSTANCE_ID:
        this.fatalError = new KafkaClientError({ code, kind: ErrorKind.fatal, message: `group.instance.id '${this.config.groupInstanceId}' is held by another member: ${errorName(code)}${detail}; stop the other consumer or use another instance id` });
        return;
      default:
        this.fatalError = new KafkaClientError({ code, kind: isRetriable(code) ? ErrorKind.retriable : ErrorKind.fatal, message: `ConsumerGroupHeartbeat for group '${this.config.groupId}' failed: ${errorName(code)}${detail}` });
    }
  }

  private ownedByTopicId(): { topicId: Buffer; partitions: number[] }[] {
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of this.hooks.owned()) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    const result: { topicId: Buffer; partitions: number[] }[] = [];
    for (const [topic, partitions] of byTopic) {
      const id = this.topicIds.get(topic);
      if (id !== undefined) result.push({ topicId: id, partitions });
    }
    return result;
  }

  private async topicName(id: Buffer): Promise<string | null> {
    const known = this.topicNames.get(uuidKey(id));
    if (known !== undefined) return known;
    const connection = await this.pool.any();
    const version = connection.versionFor(ApiKey.Metadata, 10, 12);
    if (version === null) throw new KafkaClientError({ code: ErrorCode.UNSUPPORTED_VERSION, kind: ErrorKind.fatal, message: 'topic ids need Metadata v10+' });
    const response = await connection.send(ApiKey.Metadata, version, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    for (const topic of response.topics) {
      if (topic.name === null || topic.errorCode !== ErrorCode.NONE) continue;
      this.topicNames.set(uuidKey(topic.topicId), topic.name);
      this.topicIds.set(topic.name, topic.topicId);
    }
    return this.topicNames.get(uuidKey(id)) ?? null;
  }

  /** Leaves with epoch -1, or -2 for a static member (KIP-848: its partitions wait for it to come back). */
  override async leave(): Promise<void> {
    if (this.heartbeatTimer !== null) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
    if (!this.joined) return;
    await this.sendLeave();
    this.joined = false;
    this.memberEpoch = JOIN_EPOCH;
    this.generationId = NO_GENERATION;
    this.target = null;
    this.latest = [];
  }

  private async sendLeave(): Promise<void> {
    while (this.inFlight !== null) await this.inFlight.catch(() => undefined);
    try {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), this.config.requestTimeoutMs)));
      const connection = await Promise.race([this.coordinator(), timeout]).finally(() => clearTimeout(timer));
      if (connection === null) return;
      const version = connection.versionFor(ApiKey.ConsumerGroupHeartbeat, 0, 1) ?? 0;
      await connection.send(ApiKey.ConsumerGroupHeartbeat, version, {
        groupId: this.config.groupId,
        memberId: this.memberId,
        memberEpoch: this.config.groupInstanceId !== null ? LEAVE_STATIC_EPOCH : LEAVE_EPOCH,
        instanceId: this.config.groupInstanceId,
        rackId: null,
        rebalanceTimeoutMs: -1,
        subscribedTopicNames: null,
        subscribedTopicRegex: null,
        serverAssignor: null,
        topicPartitions: null,
      });
    } catch {
      // Best effort: the session timeout removes the member anyway.
    }
  }
}

function samePartitions(a: readonly TopicPartition[], b: readonly TopicPartition[]): boolean {
  if (a.length !== b.length) return false;
  const keys = new Set(a.map((tp) => `${tp.topic}\u0000${tp.partition}`));
  return b.every((tp) => keys.has(`${tp.topic}\u0000${tp.partition}`));
}
