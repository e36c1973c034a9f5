// Kafka's enumerations for config resources, sources and types as DescribeConfigs carries them.

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
