// Group coordinator settings, named after Kafka's broker configs (`GroupCoordinatorConfig`). Defaults are
// Kafka's except the initial rebalance delay: Kafka waits 3 s for more members before the first generation of a
// group, which makes every test and dev loop 3 s slower on a single-node dev broker; 50 ms still lets members
// that start together land in one generation.

export interface GroupCoordinatorConfig {
  /** `group.initial.rebalance.delay.ms` (Kafka: 3000). */
  initialRebalanceDelayMs: number;
  /** `group.min.session.timeout.ms`: smaller JoinGroup session timeouts get INVALID_SESSION_TIMEOUT. */
  minSessionTimeoutMs: number;
  /** `group.max.session.timeout.ms` */
  maxSessionTimeoutMs: number;
  /**
   * How long a new member may wait in JoinGroup before it is dropped (`group.coordinator.new.member.join.timeout.ms`,
   * not configurable in Kafka): a client that gave up on a long rebalance and retried leaves no ghost behind.
   */
  newMemberJoinTimeoutMs: number;
  /** `group.max.size` */
  maxSize: number;
  /** `offset.metadata.max.bytes`: longer commit metadata gets OFFSET_METADATA_TOO_LARGE. */
  offsetMetadataMaxSize: number;
  /** `offsets.retention.minutes` in ms: how long offsets of an empty group (or a simple consumer) are kept. */
  offsetsRetentionMs: number;
  /** `offsets.retention.check.interval.ms` */
  offsetsRetentionCheckIntervalMs: number;
  /** `group.consumer.session.timeout.ms`: KIP-848 members are removed after this long without a heartbeat. */
  consumerGroupSessionTimeoutMs: number;
  /** `group.consumer.heartbeat.interval.ms`: how often KIP-848 members are told to heartbeat. */
  consumerGroupHeartbeatIntervalMs: number;
  /** `group.consumer.max.size` */
  consumerGroupMaxSize: number;
  /** `group.consumer.assignors`: server-side assignors offered, the first being the default. */
  consumerGroupAssignors: readonly string[];
  /** `group.consumer.assignment.interval.ms`: the least time between two target assignments of a group. */
  consumerGroupAssignmentIntervalMs: number;
  /** `group.consumer.migration.policy`: which online conversions of non-empty groups are allowed. */
  consumerGroupMigrationPolicy: ConsumerGroupMigrationPolicy;
}

/**
 * Kafka's `ConsumerGroupMigrationPolicy`: whether a live classic group may be upgraded to a consumer group (a
 * KIP-848 member joins it) and a consumer group downgraded to a classic one (its last KIP-848 member leaves).
 */
export type ConsumerGroupMigrationPolicy = 'disabled' | 'upgrade' | 'downgrade' | 'bidirectional';

export function isConsumerGroupMigrationPolicy(value: string): value is ConsumerGroupMigrationPolicy {
  return value === 'disabled' || value === 'upgrade' || value === 'downgrade' || value === 'bidirectional';
}

export const defaultGroupCoordinatorConfig: Readonly<GroupCoordinatorConfig> = {
  initialRebalanceDelayMs: 50,
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 1_800_000,
  newMemberJoinTimeoutMs: 5 * 60 * 1000,
  maxSize: 2_147_483_647,
  offsetMetadataMaxSize: 4096,
  offsetsRetentionMs: 7 * 24 * 3600 * 1000,
  offsetsRetentionCheckIntervalMs: 600_000,
  consumerGroupSessionTimeoutMs: 45_000,
  consumerGroupHeartbeatIntervalMs: 5_000,
  consumerGroupMaxSize: 2_147_483_647,
  consumerGroupAssignors: ['uniform', 'range'],
  consumerGroupAssignmentIntervalMs: 1_000,
  consumerGroupMigrationPolicy: 'bidirectional',
};
