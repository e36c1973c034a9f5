// What the admin client takes and returns. Offsets and producer ids are bigint (Kafka's int64), as everywhere in
// seqlog; names follow Kafka's Admin API (`TopicDescription`, `ConfigEntry`, `ConsumerGroupDescription`).

/** A topic to create (`NewTopic`). */
export interface NewTopic {
  readonly name: string;
  /** Partition count; the broker's `num.partitions` when omitted. */
  readonly partitions?: number;
  /** Replication factor; the broker's `default.replication.factor` when omitted. */
  readonly replicationFactor?: number;
  /** Topic config overrides by Kafka name (`retention.ms`, ...). */
  readonly configs?: Readonly<Record<string, string>>;
}

export interface CreatedTopic {
  readonly name: string;
  /** Kafka's topic id in its string form; null when the broker's version does not return it. */
  readonly topicId: string | null;
  readonly partitions: number;
  readonly replicationFactor: number;
}

export interface TopicListing {
  readonly name: string;
  readonly topicId: string | null;
  readonly internal: boolean;
}

export interface TopicPartitionInfo {
  readonly partition: number;
  /** Leader node id, -1 without a leader. */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

export interface TopicDescription {
  readonly name: string;
  readonly topicId: string | null;
  readonly internal: boolean;
  readonly partitions: readonly TopicPartitionInfo[];
}

/** Kafka's `ConfigResource.Type` values this client handles. */
export type ConfigResourceType = 'topic' | 'broker';

export interface ConfigResource {
  readonly type: ConfigResourceType;
  /** The topic name, or the broker id as a string. */
  readonly name: string;
}

/** Kafka's `ConfigEntry.ConfigSource`. */
export type ConfigSourceName =
  | 'UNKNOWN'
  | 'DYNAMIC_TOPIC_CONFIG'
  | 'DYNAMIC_BROKER_CONFIG'
  | 'DYNAMIC_DEFAULT_BROKER_CONFIG'
  | 'STATIC_BROKER_CONFIG'
  | 'DEFAULT_CONFIG'
  | 'DYNAMIC_BROKER_LOGGER_CONFIG'
  | 'CLIENT_METRICS_CONFIG'
  | 'GROUP_CONFIG';

export interface ConfigSynonym {
  readonly name: string;
  readonly value: string | null;
  readonly source: ConfigSourceName;
}

export interface ConfigEntry {
  readonly name: string;
  /** null for sensitive configs. */
  readonly value: string | null;
  readonly source: ConfigSourceName;
  readonly readOnly: boolean;
  readonly sensitive: boolean;
  /** Highest precedence first; empty unless `includeSynonyms` was asked. */
  readonly synonyms: readonly ConfigSynonym[];
  /** Null unless `includeDocumentation` was asked (and the broker has it). */
  readonly documentation: string | null;
}

export interface ConfigDescription {
  readonly resource: ConfigResource;
  readonly entries: readonly ConfigEntry[];
}

/** Kafka's `AlterConfigOp.OpType`. */
export type AlterConfigOperation = 'set' | 'delete' | 'append' | 'subtract';

export interface AlterConfigOp {
  readonly name: string;
  readonly operation: AlterConfigOperation;
  /** Required except for `delete`. */
  readonly value?: string;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** Which offset ListOffsets looks up (Kafka's `OffsetSpec`). */
export type OffsetSpec = 'earliest' | 'latest' | 'max-timestamp' | { readonly timestamp: bigint };

export interface ListedOffset extends TopicPartition {
  /** -1 when no record matches (a timestamp after the last record). */
  readonly offset: bigint;
  readonly timestamp: bigint;
  readonly leaderEpoch: number;
}

export interface DeletedRecords extends TopicPartition {
  /** The partition's new log start offset. */
  readonly lowWatermark: bigint;
}

export interface GroupListing {
  readonly groupId: string;
  readonly protocolType: string;
  /** Empty when the broker's version does not report it. */
  readonly state: string;
  /** `classic` or `consumer`; empty when not reported. */
  readonly type: string;
}

export interface GroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  /** Partitions assigned to the member (consumer protocol), empty for other protocols. */
  readonly assignment: readonly TopicPartition[];
}

export interface GroupDescription {
  readonly groupId: string;
  readonly state: string;
  readonly protocolType: string;
  /** The assignor chosen for the current generation. */
  readonly protocol: string;
  /** The coordinator's node id. */
  readonly coordinator: number;
  readonly members: readonly GroupMember[];
}

export interface CommittedOffset extends TopicPartition {
  readonly offset: bigint;
  readonly leaderEpoch: number;
  readonly metadata: string | null;
}

export interface ClusterDescription {
  readonly clusterId: string;
  readonly controllerId: number;
  readonly brokers: readonly { readonly nodeId: number; readonly host: string; readonly port: number; readonly rack: string | null }[];
}

export interface ProducerState {
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly lastSequence: number;
  readonly lastTimestamp: bigint;
  readonly coordinatorEpoch: number;
  /** First offset of the producer's open transaction, -1 without one. */
  readonly currentTransactionStartOffset: bigint;
}

export interface PartitionProducers extends TopicPartition {
  readonly producers: readonly ProducerState[];
}

export interface TransactionListing {
  readonly transactionalId: string;
  readonly producerId: bigint;
  /** Kafka's `TransactionState` name: Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, ... */
  readonly state: string;
  /** The coordinator's node id. */
  readonly coordinator: number;
}

export interface TransactionDescription {
  readonly transactionalId: string;
  readonly coordinator: number;
  readonly state: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly transactionTimeoutMs: number;
  /** -1 without an open transaction. */
  readonly transactionStartTimeMs: bigint;
  /** Partitions in the open transaction. */
  readonly partitions: readonly TopicPartition[];
}

/** What `Admin.abortTransaction` needs: the open transaction of one producer on one partition (Kafka's `AbortTransactionSpec`). */
export interface AbortTransactionSpec extends TopicPartition {
  readonly producerId: bigint;
  readonly producerEpoch: number;
  /** The coordinator epoch the partition last saw from this producer's coordinator (DescribeProducers), 0 if none. */
  readonly coordinatorEpoch: number;
}

/** An open transaction on a partition that its coordinator will never end (kafka-transactions find-hanging). */
export interface HangingTransaction extends TopicPartition {
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  /** First offset of the transaction: it pins the partition's last stable offset. */
  readonly startOffset: bigint;
  /** When the producer last wrote to the partition (ms since the epoch). */
  readonly lastTimestamp: bigint;
  /** The transactional id whose coordinator was asked, null when no coordinator knows the producer id. */
  readonly transactionalId: string | null;
}
