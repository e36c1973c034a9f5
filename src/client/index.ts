// seqlog/client: the producer (idempotent by default), and the broker connection it is built on.
export { Producer } from './producer/producer.ts';
export type { ProducerRecord, SendOptions, RecordMetadata, RecordValue } from './producer/producer.ts';
export type { ProducerOptions, Acks, CompressionName } from './config/producer-config.ts';
export type { ProducerMetricsSnapshot } from './producer/producer-metrics.ts';
export { KafkaClientError, ErrorKind } from './errors/kafka-client-error.ts';
export { bigintReplacer, toJsonSafe } from './json.ts';
export type { Jsonified } from './json.ts';
export type { ClientLogger } from './client-logger.ts';
export { BrokerConnection } from './connection/broker-connection.ts';
export type { BrokerConnectionOptions, BrokerApiVersions } from './connection/broker-connection.ts';
export { ConnectionError } from './connection/connection-error.ts';
export { murmur2, partitionForKey, toPositive } from './producer/default-partitioner.ts';
export { Admin } from './admin/admin.ts';
export type { AdminOptions } from './admin/admin-options.ts';
export type * from './admin/admin-types.ts';
