// seqlog/broker: the Kafka-protocol server, embeddable in-process or run by `seqlog serve`.
export { startBroker } from './broker.ts';
export type { BrokerMetrics, InitialTopic, RunningBroker, StartBrokerOptions } from './broker.ts';
export { defaultBrokerConfig, applyKafkaProperties, parsePropertiesText, ConfigError, FsyncPolicy } from './config.ts';
export type { BrokerConfig } from './config.ts';
export type { BrokerLogger } from './logger.ts';
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
