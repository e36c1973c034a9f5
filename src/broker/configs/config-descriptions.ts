// The configs DescribeConfigs reports, as Kafka reports them: each entry's effective value, where it comes from
// (`DescribeConfigsResponse.ConfigSource`), its synonyms in precedence order (a topic config's override, then the
// broker config it defaults to) and a short description. Only Kafka's names appear: settings of seqlog's own
// (`log.flush.policy`, `producer.id.max.per.partition`) are not Kafka configs and are not described.
import type { BrokerConfig } from '../config.ts';
import { defaultBrokerConfig } from '../config.ts';
import type { TopicMetadata } from '../log/topic-store.ts';

/** Kafka's `ConfigResource.Type`. */
export const ConfigResourceType = { unknown: 0, topic: 2, broker: 4, brokerLogger: 8 } as const;

/** Kafka's `DescribeConfigsResponse.ConfigSource`. */
export const ConfigSource = {
  unknown: 0,
  dynamicTopic: 1,
  dynamicBroker: 2,
  dynamicDefaultBroker: 3,
  staticBroker: 4,
  default: 5,
} as const;

/** Kafka's `DescribeConfigsResponse.ConfigType` (ConfigDef.Type). */
export const ConfigType = { boolean: 1, string: 2, int: 3, short: 4, long: 5, double: 6, list: 7, class: 8, password: 9 } as const;

export interface ConfigSynonym {
  readonly name: string;
  readonly value: string;
  readonly source: number;
}

export interface DescribedConfig {
  readonly name: string;
  readonly value: string;
  readonly source: number;
  readonly readOnly: boolean;
  readonly configType: number;
  readonly documentation: string;
  /** Every place the value could come from, highest precedence first; the first is the effective one. */
  readonly synonyms: readonly ConfigSynonym[];
}

interface TopicConfigDefinition {
  readonly configType: number;
  readonly documentation: string;
  /** The broker config a topic without an override inherits (Kafka's `ServerTopicConfigSynonyms`). */
  readonly brokerSynonym: string;
  /** The topic's value when neither the topic nor the broker sets it. */
  readonly defaultValue: string;
  /**
   * Whether Kafka lists a DEFAULT_CONFIG synonym under `brokerSynonym`: not when that broker config has no
   * default of its own (`log.retention.ms`, `log.roll.ms` default through their `.hours` forms).
   */
  readonly defaultSynonym: boolean;
  /** This broker's value, when it is configurable here. */
  readonly brokerValue?: (config: Readonly<BrokerConfig>) => { value: string; isDefault: boolean };
}

function brokerSetting<K extends keyof BrokerConfig>(key: K) {
  return (config: Readonly<BrokerConfig>) => ({ value: String(config[key]), isDefault: config[key] === defaultBrokerConfig[key] });
}


/** The topic configs this broker models, by Kafka name. Their order is the order DescribeConfigs lists them in. */
const topicConfigDefinitions: Readonly<Record<string, TopicConfigDefinition>> = {
  'cleanup.policy': {
    configType: ConfigType.list,
    documentation: 'What happens to old segments: delete (by retention), compact (the log cleaner keeps the latest record of each key), or both.',
    brokerSynonym: 'log.cleanup.policy',
    defaultValue: 'delete',
    defaultSynonym: true,
    brokerValue: brokerSetting('logCleanupPolicy'),
  },
  'compression.type': {
    configType: ConfigType.string,
    documentation: 'Compression of stored batches; producer keeps whatever the producer sent.',
    brokerSynonym: 'compression.type',
    defaultValue: 'producer',
    defaultSynonym: true,
  },
  'delete.retention.ms': {
    configType: ConfigType.long,
    documentation: 'How long a tombstone or transaction marker stays once the cleaner first kept it (compacted topics).',
    brokerSynonym: 'log.cleaner.delete.retention.ms',
    defaultValue: '86400000',
    defaultSynonym: true,
    brokerValue: brokerSetting('logCleanerDeleteRetentionMs'),
  },
  'index.interval.bytes': {
    configType: ConfigType.int,
    documentation: 'Bytes of log between two offset-index entries.',
    brokerSynonym: 'log.index.interval.bytes',
    defaultValue: '4096',
    defaultSynonym: true,
    brokerValue: brokerSetting('logIndexIntervalBytes'),
  },
  'max.message.bytes': {
    configType: ConfigType.int,
    documentation: 'Largest record batch the topic accepts, in bytes.',
    brokerSynonym: 'message.max.bytes',
    defaultValue: '1048588',
    defaultSynonym: true,
    brokerValue: brokerSetting('messageMaxBytes'),
  },
  'max.compaction.lag.ms': {
    configType: ConfigType.long,
    documentation: 'A record stays uncompacted at most this long: older dirty records force a cleaning whatever the dirty ratio.',
    brokerSynonym: 'log.cleaner.max.compaction.lag.ms',
    defaultValue: '9223372036854775807',
    defaultSynonym: true,
    brokerValue: brokerSetting('logCleanerMaxCompactionLagMs'),
  },
  'message.timestamp.type': {
    configType: ConfigType.string,
    documentation: 'CreateTime keeps the producer timestamp; LogAppendTime stamps batches with the broker clock.',
    brokerSynonym: 'log.message.timestamp.type',
    defaultValue: 'CreateTime',
    defaultSynonym: true,
  },
  'min.cleanable.dirty.ratio': {
    configType: ConfigType.double,
    documentation: 'The cleaner cleans a log once its uncleaned part is at least this share of it.',
    brokerSynonym: 'log.cleaner.min.cleanable.ratio',
    defaultValue: '0.5',
    defaultSynonym: true,
    brokerValue: brokerSetting('logCleanerMinCleanableRatio'),
  },
  'min.compaction.lag.ms': {
    configType: ConfigType.long,
    documentation: 'A record stays uncompacted at least this long.',
    brokerSynonym: 'log.cleaner.min.compaction.lag.ms',
    defaultValue: '0',
    defaultSynonym: true,
    brokerValue: brokerSetting('logCleanerMinCompactionLagMs'),
  },
  'min.insync.replicas': {
    configType: ConfigType.int,
    documentation: 'Replicas that must acknowledge an acks=all write; one node always has exactly one.',
    brokerSynonym: 'min.insync.replicas',
    defaultValue: '1',
    defaultSynonym: true,
  },
  'retention.bytes': {
    configType: ConfigType.long,
    documentation: 'Oldest segments are deleted while a partition is larger than this (-1: no limit).',
    brokerSynonym: 'log.retention.bytes',
    defaultValue: '-1',
    defaultSynonym: true,
    brokerValue: brokerSetting('logRetentionBytes'),
  },
  'retention.ms': {
    configType: ConfigType.long,
    documentation: 'Segments whose newest record is older than this are deleted (-1: keep forever).',
    brokerSynonym: 'log.retention.ms',
    defaultValue: '604800000',
    defaultSynonym: false,
    brokerValue: brokerSetting('logRetentionMs'),
  },
  'segment.bytes': {
    configType: ConfigType.int,
    documentation: 'Size at which the active segment is rolled.',
    brokerSynonym: 'log.segment.bytes',
    defaultValue: '1073741824',
    defaultSynonym: true,
    brokerValue: brokerSetting('logSegmentBytes'),
  },
  'segment.ms': {
    configType: ConfigType.long,
    documentation: 'Age of its first record at which the active segment is rolled.',
    brokerSynonym: 'log.roll.ms',
    defaultValue: '604800000',
    defaultSynonym: false,
    brokerValue: brokerSetting('logRollMs'),
  },
  'unclean.leader.election.enable': {
    configType: ConfigType.boolean,
    documentation: 'Whether an out-of-sync replica may become leader; a single node has no other replica.',
    brokerSynonym: 'unclean.leader.election.enable',
    defaultValue: 'false',
    defaultSynonym: true,
  },
};

/** A topic's configs: every modeled config plus any other override it stores. */
export function describeTopicConfigs(config: Readonly<BrokerConfig>, topic: TopicMetadata): DescribedConfig[] {
  const described: DescribedConfig[] = [];
  for (const [name, definition] of Object.entries(topicConfigDefinitions)) {
    const synonyms: ConfigSynonym[] = [];
    const override = topic.configs[name];
    if (override !== undefined) synonyms.push({ name, value: override, source: ConfigSource.dynamicTopic });
    const fromBroker = definition.brokerValue?.(config);
    if (fromBroker !== undefined && !fromBroker.isDefault) {
      synonyms.push({ name: definition.brokerSynonym, value: fromBroker.value, source: ConfigSource.staticBroker });
    }
    if (definition.defaultSynonym) synonyms.push({ name: definition.brokerSynonym, value: definition.defaultValue, source: ConfigSource.default });
    const value = override ?? (fromBroker !== undefined && !fromBroker.isDefault ? fromBroker.value : definition.defaultValue);
    const source = override !== undefined ? ConfigSource.dynamicTopic : fromBroker !== undefined && !fromBroker.isDefault ? ConfigSource.staticBroker : ConfigSource.default;
    described.push({ name, value, source, readOnly: false, configType: definition.configType, documentation: definition.documentation, synonyms });
  }
  for (const [name, value] of Object.entries(topic.configs)) {
    if (name in topicConfigDefinitions) continue;
    described.push({
      name,
      value,
      source: ConfigSource.dynamicTopic,
      readOnly: false,
      configType: ConfigType.string,
      documentation: 'Stored and reported; this broker does not act on it.',
      synonyms: [{ name, value, source: ConfigSource.dynamicTopic }],
    });
  }
  return described;
}

interface BrokerConfigDefinition {
  readonly key: keyof BrokerConfig;
  readonly configType: number;
  readonly documentation: string;
}

/** The broker configs this broker honours, by Kafka name (all static: set at start, `seqlog serve --config`). */
const brokerConfigDefinitions: Readonly<Record<string, BrokerConfigDefinition>> = {
  'auto.create.topics.enable': { key: 'autoCreateTopicsEnable', configType: ConfigType.boolean, documentation: 'Create a topic when a client asks for its metadata.' },
  'connections.max.idle.ms': { key: 'connectionsMaxIdleMs', configType: ConfigType.long, documentation: 'A connection with no traffic for this long is closed.' },
  'fetch.max.bytes': { key: 'fetchMaxBytes', configType: ConfigType.int, documentation: 'Largest Fetch answer, whatever the request asks for.' },
  'group.initial.rebalance.delay.ms': { key: 'groupInitialRebalanceDelayMs', configType: ConfigType.int, documentation: 'How long a new group waits for more members before its first rebalance.' },
  'group.max.session.timeout.ms': { key: 'groupMaxSessionTimeoutMs', configType: ConfigType.int, documentation: 'Largest session timeout a group member may ask for.' },
  'group.min.session.timeout.ms': { key: 'groupMinSessionTimeoutMs', configType: ConfigType.int, documentation: 'Smallest session timeout a group member may ask for.' },
  'log.index.interval.bytes': { key: 'logIndexIntervalBytes', configType: ConfigType.int, documentation: 'Default bytes between two offset-index entries.' },
  'log.retention.bytes': { key: 'logRetentionBytes', configType: ConfigType.long, documentation: 'Default size limit of a partition (-1: none).' },
  'log.retention.check.interval.ms': { key: 'logRetentionCheckIntervalMs', configType: ConfigType.long, documentation: 'How often retention runs.' },
  'log.retention.ms': { key: 'logRetentionMs', configType: ConfigType.long, documentation: 'Default retention time (-1: forever).' },
  'log.roll.ms': { key: 'logRollMs', configType: ConfigType.long, documentation: 'Default age at which the active segment is rolled.' },
  'log.segment.bytes': { key: 'logSegmentBytes', configType: ConfigType.int, documentation: 'Default size at which the active segment is rolled.' },
  'max.incremental.fetch.session.cache.slots': { key: 'maxIncrementalFetchSessionCacheSlots', configType: ConfigType.int, documentation: 'Most incremental fetch sessions (KIP-227) held at once.' },
  'min.incremental.fetch.session.eviction.ms': { key: 'minIncrementalFetchSessionEvictionMs', configType: ConfigType.int, documentation: 'An incremental fetch session idle this long may be evicted for a new one.' },
  'message.max.bytes': { key: 'messageMaxBytes', configType: ConfigType.int, documentation: 'Largest record batch accepted by default.' },
  'node.id': { key: 'nodeId', configType: ConfigType.int, documentation: 'This node\'s id.' },
  'num.partitions': { key: 'numPartitions', configType: ConfigType.int, documentation: 'Partitions of an auto-created topic.' },
  'producer.id.expiration.ms': { key: 'producerIdExpirationMs', configType: ConfigType.int, documentation: 'How long an idle producer id is remembered (KIP-854).' },
  'queued.max.request.bytes': { key: 'queuedMaxRequestBytes', configType: ConfigType.long, documentation: 'Bound on request bytes read and answer bytes not yet written, over all connections (-1: none).' },
  'socket.request.max.bytes': { key: 'socketRequestMaxBytes', configType: ConfigType.int, documentation: 'Largest request frame accepted.' },
};

/** Broker configs Kafka reports that a single node fixes at one value. */
const fixedBrokerConfigs: readonly [string, string, number, string][] = [
  ['default.replication.factor', '1', ConfigType.int, 'Replication factor of an auto-created topic; a single node can only host one replica.'],
  ['min.insync.replicas', '1', ConfigType.int, 'Replicas that must acknowledge an acks=all write.'],
  ['offsets.topic.replication.factor', '1', ConfigType.short, 'Replication factor of the offsets topic.'],
  ['transaction.state.log.replication.factor', '1', ConfigType.short, 'Replication factor of the transaction state topic.'],
];

/** The broker's configs; none is dynamically updatable here. */
export function describeBrokerConfigs(config: Readonly<BrokerConfig>): DescribedConfig[] {
  const described: DescribedConfig[] = [];
  for (const [name, definition] of Object.entries(brokerConfigDefinitions)) {
    const value = String(config[definition.key]);
    const defaultValue = String(defaultBrokerConfig[definition.key]);
    // As Kafka: a configured value lists the static setting, then the default it overrides.
    const synonyms = value === defaultValue
      ? [{ name, value, source: ConfigSource.default }]
      : [{ name, value, source: ConfigSource.staticBroker }, { name, value: defaultValue, source: ConfigSource.default }];
    described.push({ name, value, source: synonyms[0].source, readOnly: true, configType: definition.configType, documentation: definition.documentation, synonyms });
  }
  for (const [name, value, configType, documentation] of fixedBrokerConfigs) {
    described.push({ name, value, source: ConfigSource.default, readOnly: true, configType, documentation, synonyms: [{ name, value, source: ConfigSource.default }] });
  }
  return described.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** True for a broker config name this broker knows (describable); all of them are read-only here. */
export function isKnownBrokerConfig(name: string): boolean {
  return name in brokerConfigDefinitions || fixedBrokerConfigs.some(([fixed]) => fixed === name);
}

/** Topic configs whose value is a list (APPEND/SUBTRACT apply): Kafka's ConfigDef.Type.LIST topic configs. */
export const listTopicConfigs: ReadonlySet<string> = new Set(['cleanup.policy', 'leader.replication.throttled.replicas', 'follower.replication.throttled.replicas']);
