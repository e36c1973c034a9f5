// seqlog/broker: the Kafka-protocol server, embeddable in-process or run by `seqlog serve`.
export { startBroker } from './broker.ts';
export type { BrokerMetrics, InitialTopic, RunningBroker, RunningListener, StartBrokerOptions } from './broker.ts';
export { unsecuredJwsValidator } from './security/sasl/oauthbearer-server.ts';
export type { OAuthBearerValidator, OAuthBearerValidation } from './security/sasl/oauthbearer-server.ts';
export type { KafkaPrincipal } from './security/principal.ts';
export type { SecurityProtocol } from './security/listeners.ts';
export { defaultBrokerConfig, applyKafkaProperties, parsePropertiesText, ConfigError, FsyncPolicy } from './config.ts';
export type { BrokerConfig } from './config.ts';
export type { BrokerLogger } from './logger.ts';
export type { CleaningRunStats, LogCleanerStats, PartitionCleanerStats } from './log/cleaner/cleaner-stats.ts';
export type {
  ClusterState,
  ClusterCounters,
  TopicState,
  PartitionState,
  ProducerView,
  TransactionView,
  GroupView,
} from './metrics/cluster-state.ts';
export { startMetricsServer, type MetricsServer } from './metrics/metrics-server.ts';
