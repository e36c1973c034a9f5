// seqlog/client: the producer (idempotent by default, transactional with a transactionalId), the consumer
// (read_committed by default), and the broker connection they are built on.
export { Producer } from './producer/producer.ts';
export type { ProducerRecord, SendOptions, RecordMetadata, RecordValue, Transaction, TransactionOffset, GroupMetadataInput, ConsumerGroupMetadata } from './producer/producer.ts';
export { TransactionState } from './producer/transaction-manager.ts';
export type { ProducerOptions, Acks, CompressionName } from './config/producer-config.ts';
export type { ProducerMetricsSnapshot } from './producer/producer-metrics.ts';
export { KafkaClientError, ErrorKind } from './errors/kafka-client-error.ts';
export { bigintReplacer, toJsonSafe } from './json.ts';
export type { Jsonified } from './json.ts';
export type { ClientLogger } from './client-logger.ts';
export { BrokerConnection } from './connection/broker-connection.ts';
export type { BrokerConnectionOptions, BrokerApiVersions } from './connection/broker-connection.ts';
export { ConnectionError } from './connection/connection-error.ts';
export type { ClientSslOptions, SaslOptions, OAuthBearerToken, ConnectionSecurityOptions } from './connection/security-options.ts';
export { murmur2, partitionForKey, toPositive } from './producer/default-partitioner.ts';
export { Admin } from './admin/admin.ts';
export type { AclBinding, AclBindingFilter, AclOperation, AclPatternType, AclPermission, AclResourceType, DescribedAcl } from './admin/admin-acls.ts';
export type { AdminOptions } from './admin/admin-options.ts';
export type { ScramCredentialAlteration, ScramCredentialInfo, UserScramCredentials } from './admin/scram-credentials.ts';
export type {
  AbortTransactionSpec,
  AlterConfigOp,
  AlterConfigOperation,
  ClusterDescription,
  CommittedOffset,
  ConfigDescription,
  ConfigEntry,
  ConfigResource,
  ConfigResourceType,
  ConfigSourceName,
  ConfigSynonym,
  CreatedTopic,
  DeletedRecords,
  GroupDescription,
  GroupListing,
  GroupMember,
  HangingTransaction,
  ListedOffset,
  NewTopic,
  OffsetSpec,
  PartitionProducers,
  ProducerState,
  TopicDescription,
  TopicListing,
  TopicPartitionInfo,
  TransactionDescription,
  TransactionListing,
} from './admin/admin-types.ts';
export { Consumer } from './consumer/consumer.ts';
export type { RebalanceListener, SubscriptionPattern, TopicPartitionOffset, PartitionLag, RunOptions, ConsumerMetrics } from './consumer/consumer.ts';
export { ConsumerRecord } from './consumer/consumer-record.ts';
export type { ConsumerBatch, ConsumerRecordJson, TimestampTypeName, RecordBatchInfo } from './consumer/consumer-record.ts';
export type { TopicPartition } from './consumer/partition-state.ts';
export type { ConsumerOptions, IsolationLevelName, AutoOffsetReset, AssignorName } from './config/consumer-config.ts';
export { ExactlyOnceProcessor } from './eos/exactly-once-processor.ts';
export type { ExactlyOnceProcessorOptions, ExactlyOnceProcessorMetrics, TransformResult, CommittedBatch, AbortedBatch } from './eos/exactly-once-processor.ts';
