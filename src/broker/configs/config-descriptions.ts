// The configs DescribeConfigs reports, as Kafka reports them: each entry's effective value, where it comes from
// (`DescribeConfigsResponse.ConfigSource`), its synonyms in precedence order (a topic config's override, then the
// broker config it defaults to) and a short description. Only Kafka's names appear: settings of seqlog's own
// (`log.flush.policy`, `producer.id.max.per.partition`) are not Kafka configs and are not described.
import type { TopicMetadata } from '../log/topic-store.ts';
import { ConfigSource, ConfigType, type ConfigSynonym } from './config-types.ts';
import { brokerConfigDefinition, brokerConfigNames, brokerConfigSynonyms, isDynamicBrokerConfig, topicConfigBrokerSynonyms, topicDefaultFromBroker, type BrokerConfigLayers } from './broker-configs.ts';

export { ConfigResourceType, ConfigSource, ConfigType, type ConfigSynonym } from './config-types.ts';

export interface DescribedConfig {
  readonly name: string;
  /** Null for a broker config Kafka has no value for (`log.retention.ms` when only the hours form is set). */
  readonly value: string | null;
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
  /** The topic's value when neither the topic nor the broker sets it. */
  readonly defaultValue: string;
}

/** The topic configs this broker models, by Kafka name. Their order is the order DescribeConfigs lists them in. */
const topicConfigDefinitions: Readonly<Record<string, TopicConfigDefinition>> = {
  'cleanup.policy': {
    configType: ConfigType.list,
    documentation: 'What happens to old segments: delete (by retention), compact (the log cleaner keeps the latest record of each key), or both.',
    defaultValue: 'delete',
  },
  'compression.type': {
    configType: ConfigType.string,
    documentation: 'Compression of stored batches; producer keeps whatever the producer sent.',
    defaultValue: 'producer',
  },
  'delete.retention.ms': {
    configType: ConfigType.long,
    documentation: 'How long a tombstone or transaction marker stays once the cleaner first kept it (compacted topics).',
    defaultValue: '86400000',
  },
  'index.interval.bytes': {
    configType: ConfigType.int,
    documentation: 'Bytes of log between two offset-index entries.',
    defaultValue: '4096',
  },
  'max.message.bytes': {
    configType: ConfigType.int,
    documentation: 'Largest record batch the topic accepts, in bytes.',
    defaultValue: '1048588',
  },
  'max.compaction.lag.ms': {
    configType: ConfigType.long,
    documentation: 'A record stays uncompacted at most this long: older dirty records force a cleaning whatever the dirty ratio.',
    defaultValue: '9223372036854775807',
  },
  'message.timestamp.type': {
    configType: ConfigType.string,
    documentation: 'CreateTime keeps the producer timestamp; LogAppendTime stamps batches with the broker clock.',
    defaultValue: 'CreateTime',
  },
  'min.cleanable.dirty.ratio': {
    configType: ConfigType.double,
    documentation: 'The cleaner cleans a log once its uncleaned part is at least this share of it.',
    defaultValue: '0.5',
  },
  'min.compaction.lag.ms': {
    configType: ConfigType.long,
    documentation: 'A record stays uncompacted at least this long.',
    defaultValue: '0',
  },
  'min.insync.replicas': {
    configType: ConfigType.int,
    documentation: 'Replicas that must acknowledge an acks=all write; one node always has exactly one.',
    defaultValue: '1',
  },
  'retention.bytes': {
    configType: ConfigType.long,
    documentation: 'Oldest segments are deleted while a partition is larger than this (-1: no limit).',
    defaultValue: '-1',
  },
  'retention.ms': {
    configType: ConfigType.long,
    documentation: 'Segments whose newest record is older than this are deleted (-1: keep forever).',
    defaultValue: '604800000',
  },
  'segment.bytes': {
    configType: ConfigType.int,
    documentation: 'Size at which the active segment is rolled.',
    defaultValue: '1073741824',
  },
  'segment.ms': {
    configType: ConfigType.long,
    documentation: 'Age of its first record at which the active segment is rolled.',
    defaultValue: '604800000',
  },
  'unclean.leader.election.enable': {
    configType: ConfigType.boolean,
    documentation: 'Whether an out-of-sync replica may become leader; a single node has no other replica.',
    defaultValue: 'false',
  },
};

/**
 * A topic's configs: every modeled config plus any other override it stores. Synonyms as Kafka's
 * `ConfigHelper.createTopicConfigEntry`: the override, then the broker config's synonyms (dynamic, static, default).
 */
export function describeTopicConfigs(layers: BrokerConfigLayers, topic: TopicMetadata): DescribedConfig[] {
  const described: DescribedConfig[] = [];
  for (const [name, definition] of Object.entries(topicConfigDefinitions)) {
    const override = topic.configs[name];
    // The broker config a topic without an override inherits.
    const inherited = topicDefaultFromBroker(layers, topicConfigBrokerSynonyms[name], definition.defaultValue);
    const synonyms: ConfigSynonym[] = override === undefined ? inherited.synonyms : [{ name, value: override, source: ConfigSource.dynamicTopic }, ...inherited.synonyms];
    const value = override ?? inherited.value;
    const source = synonyms[0]?.source ?? ConfigSource.default;
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

/**
 * The broker's configs as Kafka's `ConfigHelper.createBrokerConfigEntry` reports them. `perBroker` (the resource
 * named by this node's id) lists every config this broker knows with its effective value; the cluster-default
 * resource (empty name) lists only the dynamic defaults set. Read-only unless the config is dynamic here.
 */
export function describeBrokerConfigs(layers: BrokerConfigLayers, perBroker: boolean): DescribedConfig[] {
  const names = perBroker ? [...new Set([...brokerConfigNames, ...Object.keys(layers.dynamicBroker), ...Object.keys(layers.dynamicDefault)])].sort() : Object.keys(layers.dynamicDefault).sort();
  return names.map((name) => {
    const definition = brokerConfigDefinition(name);
    const synonyms = brokerConfigSynonyms(layers, name, perBroker);
    const value = perBroker
      ? layers.dynamicBroker[name] ?? layers.dynamicDefault[name] ?? layers.static[name] ?? layers.defaults[name] ?? null
      : layers.dynamicDefault[name] ?? null;
    return {
      name,
      value,
      source: synonyms[0]?.source ?? ConfigSource.default,
      readOnly: !isDynamicBrokerConfig(name),
      configType: definition?.configType ?? ConfigType.string,
      documentation: definition?.documentation ?? '',
      synonyms,
    };
  });
}

/** Topic configs whose value is a list (APPEND/SUBTRACT apply): Kafka's ConfigDef.Type.LIST topic configs. */
export const listTopicConfigs: ReadonlySet<string> = new Set(['cleanup.policy', 'leader.replication.throttled.replicas', 'follower.replication.throttled.replicas']);
