// DescribeConfigs (key 32), versions 1-4 (Kafka 4.0 removed 0). Topic resources list the topic's effective log
// configs under Kafka's names (an override is DYNAMIC_TOPIC_CONFIG, the rest DEFAULT_CONFIG); the broker
// resource lists the broker configs this server honours (STATIC_BROKER_CONFIG). Synonyms are not reported.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type {
  DescribeConfigsResponseDescribeConfigsResourceResult,
  DescribeConfigsResponseDescribeConfigsResult,
} from '../../protocol/messages/generated/32-describe-configs.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ApiHandler } from './api-handler.ts';
import type { BrokerContext } from '../broker-context.ts';

/** Kafka's `ConfigResource.Type`. */
const ResourceType = { topic: 2, broker: 4 } as const;
/** Kafka's `DescribeConfigsResponse.ConfigSource`. */
const ConfigSource = { dynamicTopic: 1, staticBroker: 4, default: 5 } as const;
/** Kafka's `DescribeConfigsResponse.ConfigType`. */
const ConfigType = { boolean: 1, string: 2, int: 3, long: 5, double: 6 } as const;

interface ConfigEntry {
  name: string;
  value: string;
  readOnly: boolean;
  configSource: number;
  configType: number;
}

/** The effective configs of a topic, by Kafka topic config name. */
export function topicConfigEntries(broker: BrokerContext, topicName: string): ConfigEntry[] {
  const topic = broker.logs.topic(topicName);
  const config = broker.logs.topicConfig(topicName);
  if (topic === undefined || config === undefined) return [];
  const values: [string, string, number][] = [
    ['cleanup.policy', config.cleanupPolicy.join(','), ConfigType.string],
    ['delete.retention.ms', String(config.deleteRetentionMs), ConfigType.long],
    ['min.cleanable.dirty.ratio', String(config.minCleanableDirtyRatio), ConfigType.double],
    ['min.compaction.lag.ms', String(config.minCompactionLagMs), ConfigType.long],
    // Stored saturated at 2^53 - 1; Kafka's default (never) is Long.MAX.
    ['max.compaction.lag.ms', config.maxCompactionLagMs >= Number.MAX_SAFE_INTEGER ? '9223372036854775807' : String(config.maxCompactionLagMs), ConfigType.long],
    ['compression.type', 'producer', ConfigType.string],
    ['max.message.bytes', String(config.maxMessageBytes), ConfigType.int],
    ['message.timestamp.type', config.messageTimestampType, ConfigType.string],
    ['min.insync.replicas', '1', ConfigType.int],
    ['retention.bytes', String(config.retentionBytes), ConfigType.long],
    ['retention.ms', String(config.retentionMs), ConfigType.long],
    ['segment.bytes', String(config.segmentBytes), ConfigType.int],
    ['segment.ms', String(config.segmentMs), ConfigType.long],
    ['index.interval.bytes', String(config.indexIntervalBytes), ConfigType.int],
    ['unclean.leader.election.enable', 'false', ConfigType.boolean],
  ];
  const entries = values.map(([name, value, configType]) => ({
    name,
    value: topic.configs[name] ?? value,
    readOnly: false,
    configSource: name in topic.configs ? ConfigSource.dynamicTopic : ConfigSource.default,
    configType,
  }));
  for (const [name, value] of Object.entries(topic.configs)) {
    if (!entries.some((entry) => entry.name === name)) {
      entries.push({ name, value, readOnly: false, configSource: ConfigSource.dynamicTopic, configType: ConfigType.string });
    }
  }
  return entries;
}

function brokerConfigEntries(broker: BrokerContext): ConfigEntry[] {
  const c = broker.config;
  const values: [string, string, number][] = [
    ['auto.create.topics.enable', String(c.autoCreateTopicsEnable), ConfigType.boolean],
    ['num.partitions', String(c.numPartitions), ConfigType.int],
    ['default.replication.factor', '1', ConfigType.int],
    ['message.max.bytes', String(c.messageMaxBytes), ConfigType.int],
    ['socket.request.max.bytes', String(c.socketRequestMaxBytes), ConfigType.int],
    ['log.segment.bytes', String(c.logSegmentBytes), ConfigType.int],
    ['log.roll.ms', String(c.logRollMs), ConfigType.long],
    ['log.retention.ms', String(c.logRetentionMs), ConfigType.long],
    ['log.retention.bytes', String(c.logRetentionBytes), ConfigType.long],
    ['log.index.interval.bytes', String(c.logIndexIntervalBytes), ConfigType.int],
    ['log.flush.policy', c.fsync, ConfigType.string],
    ['producer.id.expiration.ms', String(c.producerIdExpirationMs), ConfigType.int],
    ['offsets.topic.replication.factor', '1', ConfigType.int],
    ['transaction.state.log.replication.factor', '1', ConfigType.int],
    ['min.insync.replicas', '1', ConfigType.int],
  ];
  return values.map(([name, value, configType]) => ({ name, value, readOnly: true, configSource: ConfigSource.staticBroker, configType }));
}

function toResult(entry: ConfigEntry, version: number): DescribeConfigsResponseDescribeConfigsResourceResult {
  return {
    name: entry.name,
    value: entry.value,
    readOnly: entry.readOnly,
    isDefault: false,
    configSource: version >= 1 ? entry.configSource : -1,
    isSensitive: false,
    synonyms: [],
    configType: version >= 3 ? entry.configType : 0,
    documentation: null,
  };
}

export const describeConfigsHandler: ApiHandler<typeof ApiKey.DescribeConfigs> = {
  apiKey: ApiKey.DescribeConfigs,
  minVersion: 1,
  maxVersion: 4,
  handle(broker, request, context) {
    const results: DescribeConfigsResponseDescribeConfigsResult[] = request.resources.map((resource) => {
      const result = { errorCode: ErrorCode.NONE, errorMessage: null as string | null, resourceType: resource.resourceType, resourceName: resource.resourceName, configs: [] as DescribeConfigsResponseDescribeConfigsResourceResult[] };
      let entries: ConfigEntry[];
      if (resource.resourceType === ResourceType.topic) {
        if (broker.logs.topic(resource.resourceName) === undefined) {
          return { ...result, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${resource.resourceName} does not exist.` };
        }
        entries = topicConfigEntries(broker, resource.resourceName);
      } else if (resource.resourceType === ResourceType.broker) {
        if (resource.resourceName !== '' && resource.resourceName !== String(broker.endpoint.nodeId)) {
          return { ...result, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unexpected broker id, expected ${broker.endpoint.nodeId}` };
        }
        entries = brokerConfigEntries(broker);
      } else {
        return { ...result, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${resource.resourceType}` };
      }
      const wanted = resource.configurationKeys;
      result.configs = entries.filter((entry) => wanted === null || wanted.includes(entry.name)).map((entry) => toResult(entry, context.apiVersion));
      return result;
    });
    return { throttleTimeMs: 0, results };
  },
};
