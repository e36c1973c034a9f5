// The broker configs this broker knows by Kafka name, and how Kafka layers their values: a per-broker dynamic
// config over the cluster-wide dynamic default over the static setting (server.properties) over Kafka's default.
// `brokerConfigSynonyms` lists them as Kafka's `ConfigHelper.configSynonyms` does for DescribeConfigs, and
// `dynamicLogDefaults` turns the dynamic layers into the topic configs they are the defaults of (Kafka's
// `DynamicLogConfig`, which reconfigures every log's defaults without a restart). A time config set in hours
// statically is reported here as its ms form: seqlog's settings keep milliseconds only.
import type { BrokerConfig } from '../config.ts';
import { defaultBrokerConfig } from '../config.ts';
import { ConfigSource, ConfigType, type ConfigSynonym } from './config-types.ts';

interface BrokerConfigDefinition {
  readonly configType: number;
  readonly documentation: string;
  /** The `BrokerConfig` setting that holds the static value, when seqlog has one. */
  readonly key?: keyof BrokerConfig;
  /** Kafka's default value; null when Kafka has none (`log.retention.ms` defaults through `log.retention.hours`). */
  readonly kafkaDefault?: string | null;
  /**
   * Dynamic in Kafka and applied at once by this broker: the default of the topic config it is the synonym of
   * (`topicConfigBrokerSynonyms`) changes for every topic without a restart (Kafka's
   * `DynamicLogConfig.ReconfigurableConfigs`, the primary synonyms only: `log.retention.hours` is not dynamic,
   * `log.retention.ms` is).
   */
  readonly dynamic?: true;
}

/**
 * Kafka's `ServerTopicConfigSynonyms`: the broker config each topic config defaults to, which DescribeConfigs lists
 * as the topic config's synonym and which, when `dynamic`, sets every topic's default at once.
 */
export const topicConfigBrokerSynonyms: Readonly<Record<string, string>> = {
  'cleanup.policy': 'log.cleanup.policy',
  'compression.type': 'compression.type',
  'delete.retention.ms': 'log.cleaner.delete.retention.ms',
  'index.interval.bytes': 'log.index.interval.bytes',
  'max.compaction.lag.ms': 'log.cleaner.max.compaction.lag.ms',
  'max.message.bytes': 'message.max.bytes',
  'message.timestamp.after.max.ms': 'log.message.timestamp.after.max.ms',
  'message.timestamp.before.max.ms': 'log.message.timestamp.before.max.ms',
  'message.timestamp.type': 'log.message.timestamp.type',
  'min.cleanable.dirty.ratio': 'log.cleaner.min.cleanable.ratio',
  'min.compaction.lag.ms': 'log.cleaner.min.compaction.lag.ms',
  'min.insync.replicas': 'min.insync.replicas',
  'retention.bytes': 'log.retention.bytes',
  'retention.ms': 'log.retention.ms',
  'segment.bytes': 'log.segment.bytes',
  'segment.ms': 'log.roll.ms',
  'unclean.leader.election.enable': 'unclean.leader.election.enable',
};

/** The topic config each broker config is the default of: `topicConfigBrokerSynonyms` read backwards. */
const topicConfigDefaultedBy: ReadonlyMap<string, string> = new Map(Object.entries(topicConfigBrokerSynonyms).map(([topic, broker]) => [broker, topic]));

/** By Kafka name. DescribeConfigs lists them sorted by name. */
const definitions: Readonly<Record<string, BrokerConfigDefinition>> = {
  'auto.create.topics.enable': { key: 'autoCreateTopicsEnable', configType: ConfigType.boolean, documentation: 'Create a topic when a client asks for its metadata.' },
  'compression.type': { kafkaDefault: 'producer', configType: ConfigType.string, documentation: 'Compression of stored batches; producer keeps whatever the producer sent.' },
  'connections.max.idle.ms': { key: 'connectionsMaxIdleMs', configType: ConfigType.long, documentation: 'A connection with no traffic for this long is closed.' },
  'default.replication.factor': { kafkaDefault: '1', configType: ConfigType.int, documentation: 'Replication factor of an auto-created topic; a single node can only host one replica.' },
  'fetch.max.bytes': { key: 'fetchMaxBytes', configType: ConfigType.int, documentation: 'Largest Fetch answer, whatever the request asks for.' },
  'group.initial.rebalance.delay.ms': { key: 'groupInitialRebalanceDelayMs', configType: ConfigType.int, documentation: 'How long a new group waits for more members before its first rebalance.' },
  'group.max.session.timeout.ms': { key: 'groupMaxSessionTimeoutMs', configType: ConfigType.int, documentation: 'Largest session timeout a group member may ask for.' },
  'group.min.session.timeout.ms': { key: 'groupMinSessionTimeoutMs', configType: ConfigType.int, documentation: 'Smallest session timeout a group member may ask for.' },
  'log.cleaner.delete.retention.ms': { key: 'logCleanerDeleteRetentionMs', kafkaDefault: '86400000', configType: ConfigType.long, documentation: 'Default time a tombstone or transaction marker stays once the cleaner first kept it.', dynamic: true },
  'log.cleaner.max.compaction.lag.ms': { key: 'logCleanerMaxCompactionLagMs', kafkaDefault: '9223372036854775807', configType: ConfigType.long, documentation: 'Default longest time a record stays uncompacted.', dynamic: true },
  'log.cleaner.min.cleanable.ratio': { key: 'logCleanerMinCleanableRatio', kafkaDefault: '0.5', configType: ConfigType.double, documentation: 'Default dirty share of a log at which the cleaner cleans it.', dynamic: true },
  'log.cleaner.min.compaction.lag.ms': { key: 'logCleanerMinCompactionLagMs', kafkaDefault: '0', configType: ConfigType.long, documentation: 'Default shortest time a record stays uncompacted.', dynamic: true },
  'log.cleanup.policy': { key: 'logCleanupPolicy', kafkaDefault: 'delete', configType: ConfigType.list, documentation: 'Default cleanup policy: delete, compact, or both.', dynamic: true },
  'log.index.interval.bytes': { key: 'logIndexIntervalBytes', configType: ConfigType.int, documentation: 'Default bytes between two offset-index entries.', dynamic: true },
  'log.message.timestamp.after.max.ms': { kafkaDefault: '3600000', configType: ConfigType.long, documentation: 'Default bound on how far in the future a CreateTime timestamp may be.', dynamic: true },
  'log.message.timestamp.before.max.ms': { kafkaDefault: '9223372036854775807', configType: ConfigType.long, documentation: 'Default bound on how far in the past a CreateTime timestamp may be.', dynamic: true },
  'log.message.timestamp.type': { kafkaDefault: 'CreateTime', configType: ConfigType.string, documentation: 'Default timestamp type: CreateTime or LogAppendTime.', dynamic: true },
  'log.retention.bytes': { key: 'logRetentionBytes', configType: ConfigType.long, documentation: 'Default size limit of a partition (-1: none).', dynamic: true },
  'log.retention.check.interval.ms': { key: 'logRetentionCheckIntervalMs', configType: ConfigType.long, documentation: 'How often retention runs.' },
  'log.retention.hours': { kafkaDefault: '168', configType: ConfigType.int, documentation: 'Default retention time in hours, when log.retention.ms and log.retention.minutes are not set.' },
  'log.retention.minutes': { kafkaDefault: null, configType: ConfigType.int, documentation: 'Default retention time in minutes, when log.retention.ms is not set.' },
  'log.retention.ms': { key: 'logRetentionMs', kafkaDefault: null, configType: ConfigType.long, documentation: 'Default retention time (-1: forever).', dynamic: true },
  'log.roll.hours': { kafkaDefault: '168', configType: ConfigType.int, documentation: 'Default age in hours at which the active segment is rolled, when log.roll.ms is not set.' },
  'log.roll.ms': { key: 'logRollMs', kafkaDefault: null, configType: ConfigType.long, documentation: 'Default age at which the active segment is rolled.', dynamic: true },
  'log.segment.bytes': { key: 'logSegmentBytes', configType: ConfigType.int, documentation: 'Default size at which the active segment is rolled.', dynamic: true },
  'max.incremental.fetch.session.cache.slots': { key: 'maxIncrementalFetchSessionCacheSlots', configType: ConfigType.int, documentation: 'Most incremental fetch sessions (KIP-227) held at once.' },
  'message.max.bytes': { key: 'messageMaxBytes', configType: ConfigType.int, documentation: 'Largest record batch accepted by default.', dynamic: true },
  'min.incremental.fetch.session.eviction.ms': { key: 'minIncrementalFetchSessionEvictionMs', configType: ConfigType.int, documentation: 'An incremental fetch session idle this long may be evicted for a new one.' },
  'min.insync.replicas': { kafkaDefault: '1', configType: ConfigType.int, documentation: 'Replicas that must acknowledge an acks=all write.' },
  'node.id': { key: 'nodeId', configType: ConfigType.int, documentation: 'This node\'s id.' },
  'num.partitions': { key: 'numPartitions', configType: ConfigType.int, documentation: 'Partitions of an auto-created topic.' },
  'offsets.retention.check.interval.ms': { key: 'offsetsRetentionCheckIntervalMs', configType: ConfigType.long, documentation: 'How often expired group offsets are looked for.' },
  'offsets.topic.replication.factor': { kafkaDefault: '1', configType: ConfigType.short, documentation: 'Replication factor of the offsets topic.' },
  'producer.id.expiration.ms': { key: 'producerIdExpirationMs', configType: ConfigType.int, documentation: 'How long an idle producer id is remembered (KIP-854).' },
  'queued.max.request.bytes': { key: 'queuedMaxRequestBytes', configType: ConfigType.long, documentation: 'Bound on request bytes read and answer bytes not yet written, over all connections (-1: none).' },
  'socket.request.max.bytes': { key: 'socketRequestMaxBytes', configType: ConfigType.int, documentation: 'Largest request frame accepted.' },
  'transaction.state.log.replication.factor': { kafkaDefault: '1', configType: ConfigType.short, documentation: 'Replication factor of the transaction state topic.' },
  'unclean.leader.election.enable': { kafkaDefault: 'false', configType: ConfigType.boolean, documentation: 'Whether an out-of-sync replica may become leader; a single node has no other replica.' },
};

export const brokerConfigNames: readonly string[] = Object.keys(definitions).sort();

export function brokerConfigDefinition(name: string): BrokerConfigDefinition | undefined {
  return Object.hasOwn(definitions, name) ? definitions[name] : undefined;
}

/** True for a config Kafka updates without a restart and this broker applies at once. */
export function isDynamicBrokerConfig(name: string): boolean {
  return brokerConfigDefinition(name)?.dynamic === true;
}

/** Kafka's `DynamicBrokerConfig.brokerConfigSynonyms`: the names that set the same thing, most specific first. */
const synonymGroups: readonly (readonly string[])[] = [
  ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
  ['log.roll.ms', 'log.roll.hours'],
];

function synonymGroup(name: string): readonly string[] {
  return synonymGroups.find((group) => group.includes(name)) ?? [name];
}

/** Every source of broker config values, by Kafka name. */
export interface BrokerConfigLayers {
  /** DYNAMIC_BROKER_CONFIG: set for this node (`kafka-configs --entity-name <id>`). */
  readonly dynamicBroker: Readonly<Record<string, string>>;
  /** DYNAMIC_DEFAULT_BROKER_CONFIG: set for every broker (`kafka-configs --entity-default`). */
  readonly dynamicDefault: Readonly<Record<string, string>>;
  /** STATIC_BROKER_CONFIG: set at start (server.properties, flags) to something other than the default. */
  readonly static: Readonly<Record<string, string>>;
  /** DEFAULT_CONFIG. */
  readonly defaults: Readonly<Record<string, string>>;
}

function defaultValue(definition: BrokerConfigDefinition): string | null {
  if (definition.kafkaDefault !== undefined) return definition.kafkaDefault;
  return definition.key === undefined ? null : String(defaultBrokerConfig[definition.key]);
}

/** The static and default layers of a broker started with `config`. */
export function staticBrokerLayers(config: Readonly<BrokerConfig>): Pick<BrokerConfigLayers, 'static' | 'defaults'> {
  const staticValues: Record<string, string> = {};
  const defaults: Record<string, string> = {};
  for (const [name, definition] of Object.entries(definitions)) {
    const fallback = defaultValue(definition);
    if (fallback !== null) defaults[name] = fallback;
    if (definition.key === undefined) continue;
    const value = String(config[definition.key]);
    if (value !== String(defaultBrokerConfig[definition.key])) staticValues[name] = value;
  }
  return { static: staticValues, defaults };
}

/**
 * A broker config's synonyms as Kafka's `ConfigHelper.configSynonyms` lists them: by source (dynamic broker,
 * dynamic default, static, default), within a source in synonym order, and starting at the config's own name
 * (so `log.retention.ms` alone does not list `log.retention.hours`' default). `perBroker` false describes the
 * cluster-default resource, which lists its dynamic default only.
 */
export function brokerConfigSynonyms(layers: BrokerConfigLayers, name: string, perBroker: boolean): ConfigSynonym[] {
  const group = synonymGroup(name);
  type Layer = [Readonly<Record<string, string>>, number];
  const sources: Layer[] = perBroker
    ? [[layers.dynamicBroker, ConfigSource.dynamicBroker], [layers.dynamicDefault, ConfigSource.dynamicDefaultBroker], [layers.static, ConfigSource.staticBroker], [layers.defaults, ConfigSource.default]]
    : [[layers.dynamicDefault, ConfigSource.dynamicDefaultBroker]];
  const synonyms: ConfigSynonym[] = [];
  for (const [values, source] of sources) {
    for (const synonym of group) {
      const value = values[synonym];
      if (value !== undefined) synonyms.push({ name: synonym, value, source });
    }
  }
  const first = synonyms.findIndex((synonym) => synonym.name === name);
  return first < 0 ? [] : synonyms.slice(first);
}

/** The topic configs whose broker-wide defaults the dynamic layers set (per-broker values over cluster defaults). */
export function dynamicLogDefaults(layers: Pick<BrokerConfigLayers, 'dynamicBroker' | 'dynamicDefault'>): Record<string, string> {
  const topicConfigs: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...layers.dynamicDefault, ...layers.dynamicBroker })) {
    const target = isDynamicBrokerConfig(name) ? topicConfigDefaultedBy.get(name) : undefined;
    if (target !== undefined) topicConfigs[target] = value;
  }
  return topicConfigs;
}

/** The value a topic without an override inherits from broker config `brokerName`, and its synonyms. */
export function topicDefaultFromBroker(layers: BrokerConfigLayers, brokerName: string, fallback: string): { value: string; synonyms: ConfigSynonym[] } {
  const value = layers.dynamicBroker[brokerName] ?? layers.dynamicDefault[brokerName] ?? layers.static[brokerName] ?? fallback;
  return { value, synonyms: brokerConfigSynonyms(layers, brokerName, true) };
}
