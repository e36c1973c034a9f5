// What each API checks before it acts, as Kafka's `KafkaApis` (and `ControllerApis` for the APIs a KRaft broker
// forwards) checks it: per API, the resource type, the operation and the error code a denial is answered with.
// Handlers name a row here and call `authorize`; this table is the one place to read (and test) the rules.
// How a denial shows in a response (per partition, per group, whole request, or filtered out of a listing) is
// the handler's, as in Kafka, and noted in the row's comment.
import { ErrorCode } from '../../../protocol/errors/index.ts';
import { AclOperation, ResourceType } from './acl.ts';

export interface AuthorizationRule {
  readonly resourceType: ResourceType;
  readonly operation: AclOperation;
  /** The code a denial is answered with (0 when the denied resource is left out of the answer instead). */
  readonly error: number;
}

const rule = (resourceType: ResourceType, operation: AclOperation, error: number): AuthorizationRule => Object.freeze({ resourceType, operation, error });
const FILTERED = 0;

const topic = (operation: AclOperation): AuthorizationRule => rule(ResourceType.TOPIC, operation, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
const group = (operation: AclOperation): AuthorizationRule => rule(ResourceType.GROUP, operation, ErrorCode.GROUP_AUTHORIZATION_FAILED);
const transactionalId = (operation: AclOperation): AuthorizationRule => rule(ResourceType.TRANSACTIONAL_ID, operation, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
const cluster = (operation: AclOperation): AuthorizationRule => rule(ResourceType.CLUSTER, operation, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
const { READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE } = AclOperation;

export const apiAuthorization = {
  /** Transactional batches: WRITE on the request's transactional id (whole request); then WRITE per topic (per partition). */
  Produce: { transactionalId: transactionalId(WRITE), topic: topic(WRITE) },
  /** READ per topic (per partition). */
  Fetch: { topic: topic(READ) },
  /** DESCRIBE per topic (per partition). */
  ListOffsets: { topic: topic(DESCRIBE) },
  /**
   * DESCRIBE per topic: a listing of all topics leaves the others out, a named topic is answered
   * TOPIC_AUTHORIZATION_FAILED. Auto-creating a missing topic needs CREATE on the cluster or on the topic.
   */
  Metadata: { topic: topic(DESCRIBE), createCluster: cluster(CREATE), createTopic: topic(CREATE) },
  /** READ on the group (every partition GROUP_AUTHORIZATION_FAILED); then READ per topic. */
  OffsetCommit: { group: group(READ), topic: topic(READ) },
  /** DESCRIBE on the group (the group's error); named topics: READ (per partition); all topics: unreadable ones left out. */
  OffsetFetch: { group: group(DESCRIBE), topic: topic(DESCRIBE) },
  /** DESCRIBE on the group or on the transactional id the key names (per key). */
  FindCoordinator: { group: group(DESCRIBE), transactionalId: transactionalId(DESCRIBE) },
  JoinGroup: { group: group(READ) },
  Heartbeat: { group: group(READ) },
  LeaveGroup: { group: group(READ) },
  SyncGroup: { group: group(READ) },
  /** DESCRIBE per group. */
  DescribeGroups: { group: group(DESCRIBE) },
  /** DESCRIBE on the cluster lists every group; otherwise groups without DESCRIBE are left out. */
  ListGroups: { cluster: rule(ResourceType.CLUSTER, DESCRIBE, FILTERED), group: rule(ResourceType.GROUP, DESCRIBE, FILTERED) },
  /** CREATE on the cluster allows every topic; otherwise CREATE per topic. */
  CreateTopics: { cluster: cluster(CREATE), topic: topic(CREATE) },
  /** DELETE on the cluster allows every topic (Kafka's `ControllerApis.deleteTopics`); otherwise DELETE per topic. */
  DeleteTopics: { cluster: cluster(DELETE), topic: topic(DELETE) },
  /** DELETE per topic (per partition). */
  DeleteRecords: { topic: topic(DELETE) },
  /**
   * With a transactional id: WRITE on it. Without (idempotent producer, KIP-679): IDEMPOTENT_WRITE on the cluster
   * or WRITE on at least one topic (`authorizeByResourceType`), else CLUSTER_AUTHORIZATION_FAILED.
   */
  InitProducerId: { transactionalId: transactionalId(WRITE), idempotentWrite: cluster(IDEMPOTENT_WRITE), anyTopic: topic(WRITE) },
  /** DESCRIBE per topic (per partition). */
  OffsetForLeaderEpoch: { topic: topic(DESCRIBE) },
  /**
   * v0-3 (clients): WRITE on the transactional id (every partition), then WRITE per topic (the others
   * OPERATION_NOT_ATTEMPTED). v4+ (brokers verifying, KIP-890): CLUSTER_ACTION on the cluster.
   */
  AddPartitionsToTxn: { transactionalId: transactionalId(WRITE), topic: topic(WRITE), cluster: cluster(CLUSTER_ACTION) },
  /** WRITE on the transactional id, then READ on the group. */
  AddOffsetsToTxn: { transactionalId: transactionalId(WRITE), group: group(READ) },
  EndTxn: { transactionalId: transactionalId(WRITE) },
  /** Inter-broker: CLUSTER_ACTION on the cluster. */
  WriteTxnMarkers: { cluster: cluster(CLUSTER_ACTION) },
  /** WRITE on the transactional id, then READ on the group (every partition), then READ per topic. */
  TxnOffsetCommit: { transactionalId: transactionalId(WRITE), group: group(READ), topic: topic(READ) },
  DescribeAcls: { cluster: cluster(DESCRIBE) },
  CreateAcls: { cluster: cluster(ALTER) },
  DeleteAcls: { cluster: cluster(ALTER) },
  /** Topics: DESCRIBE_CONFIGS on the topic; brokers and broker loggers: on the cluster; groups: on the group. */
  DescribeConfigs: { topic: topic(DESCRIBE_CONFIGS), cluster: cluster(DESCRIBE_CONFIGS), group: group(DESCRIBE_CONFIGS) },
  /** As DescribeConfigs, with ALTER_CONFIGS. */
  AlterConfigs: { topic: topic(ALTER_CONFIGS), cluster: cluster(ALTER_CONFIGS), group: group(ALTER_CONFIGS) },
  IncrementalAlterConfigs: { topic: topic(ALTER_CONFIGS), cluster: cluster(ALTER_CONFIGS), group: group(ALTER_CONFIGS) },
  /** DESCRIBE on the cluster (the whole answer). */
  DescribeLogDirs: { cluster: cluster(DESCRIBE) },
  /** ALTER per topic. */
  CreatePartitions: { topic: topic(ALTER) },
  /** ALTER on the cluster: the whole request and every partition CLUSTER_AUTHORIZATION_FAILED otherwise. */
  ElectLeaders: { cluster: cluster(ALTER) },
  /** DESCRIBE on the cluster (the whole answer). */
  ListPartitionReassignments: { cluster: cluster(DESCRIBE) },
  /** DESCRIBE on the cluster (the whole answer). */
  DescribeUserScramCredentials: { cluster: cluster(DESCRIBE) },
  /** ALTER on the cluster (every user CLUSTER_AUTHORIZATION_FAILED otherwise). */
  AlterUserScramCredentials: { cluster: cluster(ALTER) },
  /** DELETE per group. */
  DeleteGroups: { group: group(DELETE) },
  /** DELETE on the group (whole request), then READ per topic (per partition). */
  OffsetDelete: { group: group(DELETE), topic: topic(READ) },
  /** DESCRIBE on the cluster (the whole answer). */
  DescribeQuorum: { cluster: cluster(DESCRIBE) },
  /** READ per topic (per partition). */
  DescribeProducers: { topic: topic(READ) },
  /** DESCRIBE per transactional id; partitions of topics the caller may not DESCRIBE are left out. */
  DescribeTransactions: { transactionalId: transactionalId(DESCRIBE), topic: rule(ResourceType.TOPIC, DESCRIBE, FILTERED) },
  /** Transactional ids without DESCRIBE are left out. */
  ListTransactions: { transactionalId: rule(ResourceType.TRANSACTIONAL_ID, DESCRIBE, FILTERED) },
  /** READ on the group; DESCRIBE on each subscribed topic name. */
  ConsumerGroupHeartbeat: { group: group(READ), topic: topic(DESCRIBE) },
  /** DESCRIBE per group. */
  ConsumerGroupDescribe: { group: group(DESCRIBE) },
  /** DESCRIBE per topic: a listing leaves the others out, a named topic is TOPIC_AUTHORIZATION_FAILED. */
  DescribeTopicPartitions: { topic: topic(DESCRIBE) },
} as const satisfies Record<string, Record<string, AuthorizationRule>>;

/**
 * APIs that check nothing, as in Kafka: ApiVersions (before authentication), SASL's own, and DescribeCluster
 * (it reports authorized operations only when asked, which seqlog does not compute).
 */
export const unauthorizedApis: readonly string[] = ['ApiVersions', 'SaslHandshake', 'SaslAuthenticate', 'DescribeCluster'];
