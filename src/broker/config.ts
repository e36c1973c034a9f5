// Broker configuration. Options carry Kafka's broker config names where one exists (`listeners`,
// `advertised.listeners`, `num.partitions`, `log.segment.bytes`, ...) so that a Kafka operator can read them;
// in TypeScript they are camelCase. `parseKafkaProperties` maps the dotted names.

import type { SslConfig, SslClientAuth } from './security/tls.ts';
import { parseListenerAddresses } from './security/listeners.ts';
import { readFileSync } from 'node:fs';
import { isConsumerGroupMigrationPolicy, type ConsumerGroupMigrationPolicy } from './group/group-coordinator-config.ts';

export const FsyncPolicy = { always: 'always', interval: 'interval', never: 'never' } as const;
export type FsyncPolicy = (typeof FsyncPolicy)[keyof typeof FsyncPolicy];

export interface BrokerConfig extends SslConfig {
  /** Address to bind when `listeners` is null (one PLAINTEXT listener). Port 0 picks a free port. */
  host: string;
  port: number;
  /** Address handed out in Metadata when `advertisedListeners` is null; defaults to the bound address. */
  advertisedHost: string | null;
  advertisedPort: number | null;
  /**
   * `listeners`: `NAME://host:port,...`, several at once (`PLAINTEXT://127.0.0.1:9092,SASL_SSL://0.0.0.0:9093`).
   * Null: one PLAINTEXT listener on `host:port`. The first listener is the one `RunningBroker.bootstrap` names.
   */
  listeners: string | null;
  /** `advertised.listeners`: per listener name, the address Metadata gives clients of that listener. */
  advertisedListeners: string | null;
  /** `listener.security.protocol.map`: `NAME:PROTOCOL,...`; by default each protocol name maps to itself. */
  listenerSecurityProtocolMap: string | null;
  /**
   * `sasl.enabled.mechanisms`: of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER. Default PLAIN and both SCRAM
   * (Kafka's default is GSSAPI, which seqlog does not offer); OAUTHBEARER must be enabled explicitly since its
   * default validator accepts unsigned tokens.
   */
  saslEnabledMechanisms: readonly string[];
  /** PLAIN users and passwords (`sasl.plain.users`, a properties file of `user=password` lines). */
  saslPlainUsers: Readonly<Record<string, string>>;
  /** `connections.max.reauth.ms` (KIP-368): an authenticated session's longest life; 0 = unbounded. */
  connectionsMaxReauthMs: number;
  /** `connection.failed.authentication.delay.ms`: how long a failed authentication waits before its answer and close. */
  connectionFailedAuthenticationDelayMs: number;
  /** `node.id` */
  nodeId: number;
  /** Directory for all partition logs and broker state (`log.dirs`). */
  dataDir: string;
  /** `auto.create.topics.enable` */
  autoCreateTopicsEnable: boolean;
  /** `num.partitions`: partitions of an auto-created topic. */
  numPartitions: number;
  /** `socket.request.max.bytes`: larger frames are refused before anything is allocated. */
  socketRequestMaxBytes: number;
  /** `message.max.bytes` / topic `max.message.bytes`: largest record batch accepted. */
  messageMaxBytes: number;
  /** `fetch.max.bytes`: the largest Fetch answer, whatever the request asks for (KIP-541; Kafka: 55 MiB). */
  fetchMaxBytes: number;
  /** `max.incremental.fetch.session.cache.slots`: most incremental fetch sessions held at once (KIP-227; Kafka: 1000). */
  maxIncrementalFetchSessionCacheSlots: number;
  /** `min.incremental.fetch.session.eviction.ms`: a session idle this long may be evicted for a new one (Kafka: 120000). */
  minIncrementalFetchSessionEvictionMs: number;
  /**
   * `queued.max.request.bytes`: a bound, over every connection, on request bytes read but not yet answered plus
   * answer bytes not yet handed to the kernel. Past it the broker stops reading from every socket until it drops
   * (Kafka's `SocketServer` memory pool counts requests only and defaults to -1, unbounded; seqlog counts both
   * and bounds them). -1 means unbounded.
   */
  queuedMaxRequestBytes: number;
  /** `connections.max.idle.ms`: a connection with no bytes in or out for this long is closed (Kafka: 10 min). */
  connectionsMaxIdleMs: number;
  /**
   * `socket.request.receive.timeout.ms` (seqlog's own; Kafka has none): how long a request frame may take from its
   * first byte to its last. A client that announces a large frame and stops sending is closed after this, so a
   * half-sent frame cannot hold memory until the idle timeout.
   */
  socketRequestReceiveTimeoutMs: number;
  /** `log.segment.bytes` */
  logSegmentBytes: number;
  /** `log.roll.ms` */
  logRollMs: number;
  /** `log.retention.ms` (-1: keep forever) */
  logRetentionMs: number;
  /** `log.retention.bytes` (-1: no size limit) */
  logRetentionBytes: number;
  /** `log.retention.check.interval.ms` */
  logRetentionCheckIntervalMs: number;
  /** `log.index.interval.bytes` */
  logIndexIntervalBytes: number;
  /** `log.cleaner.backoff.ms`: the log cleaner's sleep when no log needs cleaning. */
  logCleanerBackoffMs: number;
  /** `log.cleaner.dedupe.buffer.size`: memory for the cleaner's key -> offset map. */
  logCleanerDedupeBufferSize: number;
  /** `log.cleaner.io.max.bytes.per.second`: the cleaner's read + write rate cap (default: unlimited, Double.MaxValue). */
  logCleanerIoMaxBytesPerSecond: number;
  /** `log.cleanup.policy`: the default `cleanup.policy` of topics (`delete`, `compact`, or both comma-separated). */
  logCleanupPolicy: string;
  /** `log.cleaner.min.cleanable.ratio`: the default `min.cleanable.dirty.ratio`. */
  logCleanerMinCleanableRatio: number;
  /** `log.cleaner.delete.retention.ms`: the default `delete.retention.ms`. */
  logCleanerDeleteRetentionMs: number;
  /** `log.cleaner.min.compaction.lag.ms`: the default `min.compaction.lag.ms`. */
  logCleanerMinCompactionLagMs: number;
  /** `log.cleaner.max.compaction.lag.ms`: the default `max.compaction.lag.ms` (Long.MAX: never forces a cleaning). */
  logCleanerMaxCompactionLagMs: number;
  /**
   * When an acknowledged write reaches the disk. `always` (default): acks=1/all are answered only after an fsync
   * that covers the batch (requests arriving together share one fsync). `interval`: fsync every
   * `fsyncIntervalMs`, answer before it. `never`: leave flushing to the OS.
   */
  fsync: FsyncPolicy;
  fsyncIntervalMs: number;
  /** `producer.id.expiration.ms` (KIP-854). */
  producerIdExpirationMs: number;
  /**
   * seqlog's bound on producer ids tracked per partition (Kafka has none): past it the least recently used
   * producer without an open transaction is forgotten. 0 means unbounded.
   */
  maxProducerIdsPerPartition: number;
  /** `group.initial.rebalance.delay.ms` (Kafka: 3000; a single-node dev broker answers a new group in 50 ms). */
  groupInitialRebalanceDelayMs: number;
  /** `group.min.session.timeout.ms` / `group.max.session.timeout.ms` */
  groupMinSessionTimeoutMs: number;
  groupMaxSessionTimeoutMs: number;
  /** `group.consumer.session.timeout.ms`: KIP-848 consumer group members' session timeout (Kafka: 45000). */
  groupConsumerSessionTimeoutMs: number;
  /** `group.consumer.heartbeat.interval.ms`: the heartbeat interval given to KIP-848 members (Kafka: 5000). */
  groupConsumerHeartbeatIntervalMs: number;
  /** `group.consumer.max.size` */
  groupConsumerMaxSize: number;
  /** `group.consumer.assignors`: `uniform`, `range`; the first is the default (Kafka: uniform,range). */
  groupConsumerAssignors: readonly string[];
  /** `group.consumer.assignment.interval.ms`: the least time between two target assignments (Kafka 4.3+: 1000). */
  groupConsumerAssignmentIntervalMs: number;
  /** `group.consumer.migration.policy`: online conversion of non-empty groups between protocols (Kafka 4.x: bidirectional). */
  groupConsumerMigrationPolicy: ConsumerGroupMigrationPolicy;
  /** `offsets.retention.minutes`, in ms: how long a group's offsets outlive its last member (KIP-211). */
  offsetsRetentionMs: number;
  /** `offsets.retention.check.interval.ms`: how often expired group offsets are looked for. */
  offsetsRetentionCheckIntervalMs: number;
  /**
   * `offsets.topic.num.partitions`: how many partitions Kafka's `__consumer_offsets` has. Offsets live in one file
   * here; the count only decides which partition AddOffsetsToTxn adds to a transaction (abs(hash) % count), which
   * DescribeTransactions shows.
   */
  offsetsTopicNumPartitions: number;
  /** `transaction.max.timeout.ms`: InitProducerId with a longer transaction timeout is INVALID_TRANSACTION_TIMEOUT. */
  transactionMaxTimeoutMs: number;
  /** `transactional.id.expiration.ms`: a transactional id idle this long (no open transaction) is forgotten. */
  transactionalIdExpirationMs: number;
  /** `transaction.abort.timed.out.transaction.cleanup.interval.ms`: how often timed-out transactions are aborted. */
  transactionAbortTimedOutTransactionCleanupIntervalMs: number;
  /** `transaction.remove.expired.transaction.cleanup.interval.ms`: how often expired transactional ids are removed. */
  transactionRemoveExpiredTransactionCleanupIntervalMs: number;
  /** `cluster.id` reported in Metadata/DescribeCluster; generated and persisted on first start when null. */
  clusterId: string | null;
  /**
   * `authorizer.class.name`: `standard` (Kafka's `StandardAuthorizer`) checks every request against the ACLs and
   * serves CreateAcls/DescribeAcls/DeleteAcls; null (default, as Kafka) allows every request and answers the ACL
   * APIs with SECURITY_DISABLED.
   */
  authorizer: 'standard' | null;
  /** `super.users`: principals (`User:admin`) the authorizer allows everything. */
  superUsers: readonly string[];
  /** `allow.everyone.if.no.acl.found`: whether a resource without any ACL is open to everyone (Kafka: false). */
  allowEveryoneIfNoAclFound: boolean;
}

export const defaultBrokerConfig: Readonly<BrokerConfig> = {
  host: '127.0.0.1',
  port: 0,
  advertisedHost: null,
  advertisedPort: null,
  listeners: null,
  advertisedListeners: null,
  listenerSecurityProtocolMap: null,
  sslKeystoreType: 'PEM',
  sslKeystoreKey: null,
  sslKeystoreCertificateChain: null,
  sslKeystoreLocation: null,
  sslKeyPassword: null,
  sslTruststoreCertificates: null,
  sslTruststoreLocation: null,
  sslClientAuth: 'none',
  saslEnabledMechanisms: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'],
  saslPlainUsers: {},
  connectionsMaxReauthMs: 0,
  connectionFailedAuthenticationDelayMs: 100,
  nodeId: 1,
  dataDir: '',
  autoCreateTopicsEnable: true,
  numPartitions: 1,
  socketRequestMaxBytes: 104857600,
  messageMaxBytes: 1048588,
  fetchMaxBytes: 57671680,
  maxIncrementalFetchSessionCacheSlots: 1000,
  minIncrementalFetchSessionEvictionMs: 120000,
  queuedMaxRequestBytes: 268435456,
  connectionsMaxIdleMs: 600000,
  socketRequestReceiveTimeoutMs: 60000,
  logSegmentBytes: 1073741824,
  logRollMs: 7 * 24 * 3600 * 1000,
  logRetentionMs: 7 * 24 * 3600 * 1000,
  logRetentionBytes: -1,
  logRetentionCheckIntervalMs: 300000,
  logCleanerBackoffMs: 15000,
  logCleanerDedupeBufferSize: 128 * 1024 * 1024,
  logCleanerIoMaxBytesPerSecond: Number.MAX_VALUE,
  logCleanupPolicy: 'delete',
  logCleanerMinCleanableRatio: 0.5,
  logCleanerDeleteRetentionMs: 24 * 3600 * 1000,
  logCleanerMinCompactionLagMs: 0,
  logCleanerMaxCompactionLagMs: Number.MAX_SAFE_INTEGER,
  logIndexIntervalBytes: 4096,
  fsync: 'always',
  fsyncIntervalMs: 1000,
  producerIdExpirationMs: 86400000,
  maxProducerIdsPerPartition: 10000,
  groupInitialRebalanceDelayMs: 50,
  groupMinSessionTimeoutMs: 6000,
  groupMaxSessionTimeoutMs: 1800000,
  groupConsumerSessionTimeoutMs: 45000,
  groupConsumerHeartbeatIntervalMs: 5000,
  groupConsumerMaxSize: 2147483647,
  groupConsumerAssignors: ['uniform', 'range'],
  groupConsumerAssignmentIntervalMs: 1000,
  groupConsumerMigrationPolicy: 'bidirectional',
  offsetsRetentionMs: 7 * 24 * 3600 * 1000,
  offsetsRetentionCheckIntervalMs: 600000,
  offsetsTopicNumPartitions: 50,
  transactionMaxTimeoutMs: 900000,
  transactionalIdExpirationMs: 604800000,
  transactionAbortTimedOutTransactionCleanupIntervalMs: 10000,
  transactionRemoveExpiredTransactionCleanupIntervalMs: 3600000,
  clusterId: null,
  authorizer: null,
  superUsers: [],
  allowEveryoneIfNoAclFound: false,
};

type Parser = (value: string, config: BrokerConfig) => void;

const int = (key: keyof BrokerConfig): Parser => (value, config) => {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new ConfigError(`expected an integer, got '${value}'`);
  (config as unknown as Record<string, number>)[key] = n;
};

/** A count of minutes or hours setting a millisecond field (`log.retention.hours`, `log.roll.hours`). */
const intInUnitsOf = (key: keyof BrokerConfig, msPerUnit: number): Parser => (value, config) => {
  int(key)(value, config);
  (config as unknown as Record<string, number>)[key] *= msPerUnit;
};

/** A Kafka long of milliseconds (Long.MAX for "never"), kept as a number clamped to the safe-integer range. */
const longMs = (key: keyof BrokerConfig, min: number): Parser => (value, config) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min) throw new ConfigError(`expected an integer >= ${min}, got '${value}'`);
  (config as unknown as Record<string, number>)[key] = Math.min(n, Number.MAX_SAFE_INTEGER);
};

const bool = (key: keyof BrokerConfig): Parser => (value, config) => {
  if (value !== 'true' && value !== 'false') throw new ConfigError(`expected true or false, got '${value}'`);
  (config as unknown as Record<string, boolean>)[key] = value === 'true';
};

const text = (key: keyof BrokerConfig): Parser => (value, config) => {
  (config as unknown as Record<string, string | null>)[key] = value === '' ? null : value;
};

/** A PEM value given inline in a properties file may have its line breaks escaped as `\n`. */
const pem = (key: keyof BrokerConfig): Parser => (value, config) => {
  (config as unknown as Record<string, string | null>)[key] = value === '' ? null : value.replace(/\\n/g, '\n');
};

/** A properties file of `user=password` lines: PLAIN's users without JAAS. */
export function readPlainUsersFile(path: string): Record<string, string> {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${path}: ${(error as Error).message}`);
  }
  return parsePropertiesText(content);
}

/** Kafka's dotted config names -> how each sets our config. */
const kafkaNames: Record<string, Parser> = {
  listeners: (value, config) => {
    // The first listener also fills host/port, which older embedders read.
    const [first] = parseListenerAddresses(value);
    config.listeners = value;
    config.host = first.host;
    config.port = first.port;
  },
  'advertised.listeners': (value, config) => {
    const [first] = parseListenerAddresses(value);
    config.advertisedListeners = value;
    config.advertisedHost = first.host;
    config.advertisedPort = first.port;
  },
  'listener.security.protocol.map': text('listenerSecurityProtocolMap'),
  'ssl.keystore.type': (value, config) => {
    config.sslKeystoreType = value;
  },
  'ssl.keystore.key': pem('sslKeystoreKey'),
  'ssl.keystore.certificate.chain': pem('sslKeystoreCertificateChain'),
  'ssl.keystore.location': text('sslKeystoreLocation'),
  'ssl.key.password': text('sslKeyPassword'),
  'ssl.truststore.type': (value) => {
    if (value.toUpperCase() !== 'PEM') throw new ConfigError(`only PEM truststores are supported, got '${value}'`);
  },
  'ssl.truststore.certificates': pem('sslTruststoreCertificates'),
  'ssl.truststore.location': text('sslTruststoreLocation'),
  'ssl.client.auth': (value, config) => {
    if (value !== 'none' && value !== 'requested' && value !== 'required') throw new ConfigError(`expected none, requested or required, got '${value}'`);
    config.sslClientAuth = value as SslClientAuth;
  },
  'sasl.enabled.mechanisms': (value, config) => {
    const names = value.split(',').map((name) => name.trim().toUpperCase()).filter((name) => name !== '');
    for (const name of names) {
      if (!['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'].includes(name)) throw new ConfigError(`unsupported SASL mechanism '${name}' (seqlog offers PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER)`);
    }
    config.saslEnabledMechanisms = names;
  },
  'sasl.plain.users': (value, config) => {
    config.saslPlainUsers = readPlainUsersFile(value);
  },
  'connections.max.reauth.ms': int('connectionsMaxReauthMs'),
  'connection.failed.authentication.delay.ms': int('connectionFailedAuthenticationDelayMs'),
  'node.id': int('nodeId'),
  'broker.id': int('nodeId'),
  'log.dirs': (value, config) => {
    config.dataDir = value.split(',')[0].trim();
  },
  'log.dir': (value, config) => {
    config.dataDir = value.trim();
  },
  'auto.create.topics.enable': bool('autoCreateTopicsEnable'),
  'num.partitions': int('numPartitions'),
  'socket.request.max.bytes': int('socketRequestMaxBytes'),
  'message.max.bytes': int('messageMaxBytes'),
  'fetch.max.bytes': int('fetchMaxBytes'),
  'max.incremental.fetch.session.cache.slots': int('maxIncrementalFetchSessionCacheSlots'),
  'min.incremental.fetch.session.eviction.ms': int('minIncrementalFetchSessionEvictionMs'),
  'queued.max.request.bytes': int('queuedMaxRequestBytes'),
  'connections.max.idle.ms': int('connectionsMaxIdleMs'),
  'socket.request.receive.timeout.ms': int('socketRequestReceiveTimeoutMs'),
  'log.segment.bytes': int('logSegmentBytes'),
  'log.roll.ms': int('logRollMs'),
  'log.roll.hours': intInUnitsOf('logRollMs', 3600 * 1000),
  'log.retention.ms': int('logRetentionMs'),
  'log.retention.minutes': intInUnitsOf('logRetentionMs', 60 * 1000),
  'log.retention.hours': intInUnitsOf('logRetentionMs', 3600 * 1000),
  'log.retention.bytes': int('logRetentionBytes'),
  'log.retention.check.interval.ms': int('logRetentionCheckIntervalMs'),
  'log.index.interval.bytes': int('logIndexIntervalBytes'),
  'log.cleaner.backoff.ms': int('logCleanerBackoffMs'),
  'log.cleaner.dedupe.buffer.size': int('logCleanerDedupeBufferSize'),
  'log.cleaner.io.max.bytes.per.second': (value, config) => {
    const rate = Number(value);
    if (value.trim() === '' || !(rate > 0)) throw new ConfigError(`expected a positive number, got '${value}'`);
    config.logCleanerIoMaxBytesPerSecond = rate;
  },
  'log.cleanup.policy': (value, config) => {
    const policies = value.split(',').map((policy) => policy.trim().toLowerCase());
    if (!policies.every((policy) => policy === 'delete' || policy === 'compact' || (policy === '' && policies.length === 1))) {
      throw new ConfigError(`expected delete, compact or both comma-separated, got '${value}'`);
    }
    config.logCleanupPolicy = policies.join(',');
  },
  'log.cleaner.min.cleanable.ratio': (value, config) => {
    const ratio = Number(value);
    if (value.trim() === '' || !(ratio >= 0 && ratio <= 1)) throw new ConfigError(`expected a number from 0 to 1, got '${value}'`);
    config.logCleanerMinCleanableRatio = ratio;
  },
  'log.cleaner.delete.retention.ms': longMs('logCleanerDeleteRetentionMs', 0),
  'log.cleaner.min.compaction.lag.ms': longMs('logCleanerMinCompactionLagMs', 0),
  'log.cleaner.max.compaction.lag.ms': longMs('logCleanerMaxCompactionLagMs', 1),
  'log.flush.policy': (value, config) => {
    if (!(value in FsyncPolicy)) throw new ConfigError(`expected always, interval or never, got '${value}'`);
    config.fsync = value as FsyncPolicy;
  },
  'log.flush.interval.ms': int('fsyncIntervalMs'),
  'producer.id.expiration.ms': int('producerIdExpirationMs'),
  'producer.id.max.per.partition': int('maxProducerIdsPerPartition'),
  'group.initial.rebalance.delay.ms': int('groupInitialRebalanceDelayMs'),
  'group.min.session.timeout.ms': int('groupMinSessionTimeoutMs'),
  'group.max.session.timeout.ms': int('groupMaxSessionTimeoutMs'),
  'group.consumer.session.timeout.ms': int('groupConsumerSessionTimeoutMs'),
  'group.consumer.heartbeat.interval.ms': int('groupConsumerHeartbeatIntervalMs'),
  'group.consumer.max.size': int('groupConsumerMaxSize'),
  'group.consumer.assignment.interval.ms': int('groupConsumerAssignmentIntervalMs'),
  'group.consumer.migration.policy': (value, config) => {
    const policy = value.trim().toLowerCase();
    if (!isConsumerGroupMigrationPolicy(policy)) throw new ConfigError(`expected disabled, upgrade, downgrade or bidirectional, got '${value}'`);
    config.groupConsumerMigrationPolicy = policy;
  },
  'group.consumer.assignors': (value, config) => {
    // Kafka also takes class names; the short names are what its server-side assignors are called.
    const names = value.split(',').map((name) => name.trim().replace(/^org\.apache\.kafka\.coordinator\.group\.assignor\.(\w+)Assignor$/, (_, n: string) => n.toLowerCase()));
    for (const name of names) if (name !== 'uniform' && name !== 'range') throw new ConfigError(`expected uniform and/or range, got '${name}'`);
    config.groupConsumerAssignors = names;
  },
  'offsets.retention.minutes': (value, config) => {
    // Kafka: an int of at least 1.
    longMs('offsetsRetentionMs', 1)(value, config);
    config.offsetsRetentionMs *= 60 * 1000;
  },
  'offsets.retention.check.interval.ms': longMs('offsetsRetentionCheckIntervalMs', 1),
  'offsets.topic.num.partitions': int('offsetsTopicNumPartitions'),
  'transaction.max.timeout.ms': int('transactionMaxTimeoutMs'),
  'transactional.id.expiration.ms': int('transactionalIdExpirationMs'),
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': int('transactionAbortTimedOutTransactionCleanupIntervalMs'),
  'transaction.remove.expired.transaction.cleanup.interval.ms': int('transactionRemoveExpiredTransactionCleanupIntervalMs'),
  'cluster.id': (value, config) => {
    config.clusterId = value;
  },
  'authorizer.class.name': (value, config) => {
    // Kafka's class name, or seqlog's short name; empty means no authorizer (Kafka's default).
    if (value === '') config.authorizer = null;
    else if (value === 'standard' || value === 'org.apache.kafka.metadata.authorizer.StandardAuthorizer') config.authorizer = 'standard';
    else throw new ConfigError(`expected org.apache.kafka.metadata.authorizer.StandardAuthorizer (or standard), got '${value}'`);
  },
  'super.users': (value, config) => {
    // Kafka separates super users with semicolons (a principal name may contain commas: an X.500 DN).
    config.superUsers = value.split(';').map((user) => user.trim()).filter((user) => user !== '');
  },
  'allow.everyone.if.no.acl.found': bool('allowEveryoneIfNoAclFound'),
};

export const kafkaConfigNames: readonly string[] = Object.keys(kafkaNames);

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Applies Kafka-named properties (from a server.properties file, `--set name=value` flags or `SEQLOG_*`
 * environment variables) over `base`. Unknown names are an error: a typo must not silently keep a default.
 */
export function applyKafkaProperties(base: BrokerConfig, properties: Record<string, string>): BrokerConfig {
  const config = { ...base };
  for (const [name, value] of Object.entries(properties)) {
    const parser = kafkaNames[name];
    if (!parser) throw new ConfigError(`unknown config '${name}'; known: ${kafkaConfigNames.join(', ')}`);
    try {
      parser(value.trim(), config);
    } catch (error) {
      throw new ConfigError(`${name}: ${(error as Error).message}`);
    }
  }
  return config;
}

/** Parses Java-properties text (`name=value` lines, `#` comments). */
export function parsePropertiesText(text: string): Record<string, string> {
  const properties: Record<string, string> = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const at = line.search(/[=:]/);
    if (at < 0) throw new ConfigError(`not a name=value line: '${line}'`);
    properties[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return properties;
}

/** `SEQLOG_LOG_SEGMENT_BYTES=...` -> `log.segment.bytes`. */
export function propertiesFromEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const properties: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith('SEQLOG_') || value === undefined) continue;
    const name = key.slice('SEQLOG_'.length).toLowerCase().replace(/_/g, '.');
    if (name in kafkaNames) properties[name] = value;
  }
  return properties;
}
