// seqlog/testkit: fault injection (chaos proxy, crashable embedded and child-process brokers, faulty disk), the
// producer history and its checker, a full-log reader, and `verifyExactlyOnce` behind `seqlog verify`.
export { ChaosProxy, ChaosFault } from './chaos-proxy.ts';
export type { ChaosRule, ChaosProxyOptions, ChaosProxyStats } from './chaos-proxy.ts';
export { EmbeddedBroker } from './embedded-broker.ts';
export type { EmbeddedBrokerOptions, FaultableBroker } from './embedded-broker.ts';
export { ChildBroker } from './child-broker.ts';
export type { ChildBrokerOptions } from './child-broker.ts';
export { faultyFileSystem } from './faulty-file-system.ts';
export type { FaultyFileSystem } from './faulty-file-system.ts';
export { History, EventType } from './history.ts';
export type { HistoryEvent, SendEvent, NemesisEvent, HistoryError, ProducerSession } from './history.ts';
export { checkHistory, AnomalyKind } from './checker.ts';
export type { Anomaly, CheckOptions, CheckResult, CheckCounts, Observer } from './checker.ts';
export { readLog, readLogPartition, listPartitions } from './log-reader.ts';
export type { LogScan, ScannedRecord, ReadLogOptions } from './log-reader.ts';
export { RawProducer, RawProducerError, rawProducerFactory } from './raw-producer.ts';
export type { RawProducerOptions, RawProducerFaults, RawRecordMetadata } from './raw-producer.ts';
export { verifyExactlyOnce, defaultVerifyRecords } from './verify.ts';
export type { VerifyOptions, VerifyResult, VerifyRunResult, VerifyProgress, VerifyProducer, VerifyProducerFactory, VerifyProducerOptions } from './verify.ts';
export { mulberry32 } from './random.ts';
export { applyBrokerMutations } from './broker-mutations.ts';
export type { BrokerMutations } from './broker-mutations.ts';
export { LibrdkafkaProducer, LibrdkafkaDeliveryError, librdkafkaProducerFactory, requireLibrdkafkaPeer } from './librdkafka-producer.ts';
export type { LibrdkafkaProducerOptions } from './librdkafka-producer.ts';
