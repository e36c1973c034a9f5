// DescribeConfigs (key 32), versions 1-4 (Kafka 4.0 removed 0). Topic resources list the topic's effective log
// configs under Kafka's names (an override is DYNAMIC_TOPIC_CONFIG, a broker setting that differs from Kafka's
// default STATIC_BROKER_CONFIG, otherwise DEFAULT_CONFIG) with their synonyms in precedence order when asked
// (`includeSynonyms`), and a description when asked (v3+ `includeDocumentation`). The broker resource named by
// this node's id lists the Kafka broker configs this server honours with their effective values, dynamic ones
// (DYNAMIC_BROKER_CONFIG / DYNAMIC_DEFAULT_BROKER_CONFIG) included; the cluster-default resource ("") lists the
// dynamic defaults only, as Kafka does. See `configs/config-descriptions.ts` and `configs/broker-configs.ts`.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type {
  DescribeConfigsResponseDescribeConfigsResourceResult,
  DescribeConfigsResponseDescribeConfigsResult,
} from '../../protocol/messages/generated/32-describe-configs.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ApiHandler } from './api-handler.ts';
import {
  ConfigResourceType,
  describeBrokerConfigs,
  describeTopicConfigs,
  type DescribedConfig,
} from '../configs/config-descriptions.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { configResourceDenial } from '../security/authorizer/authorize.ts';

/** DescribeConfigs v3 added config types and documentation (KIP-569). */
const CONFIG_TYPE_MIN_VERSION = 3;

interface Asked {
  readonly version: number;
  readonly includeSynonyms: boolean;
  readonly includeDocumentation: boolean;
}

function toResult(entry: DescribedConfig, asked: Asked): DescribeConfigsResponseDescribeConfigsResourceResult {
  return {
    name: entry.name,
    value: entry.value,
    readOnly: entry.readOnly,
    isDefault: false,
    configSource: entry.source,
    isSensitive: false,
    synonyms: asked.includeSynonyms ? entry.synonyms.map((synonym) => ({ ...synonym })) : [],
    configType: asked.version >= CONFIG_TYPE_MIN_VERSION ? entry.configType : 0,
    documentation: asked.includeDocumentation && asked.version >= CONFIG_TYPE_MIN_VERSION ? entry.documentation : null,
  };
}

export const describeConfigsHandler: ApiHandler<typeof ApiKey.DescribeConfigs> = {
  apiKey: ApiKey.DescribeConfigs,
  minVersion: 1,
  maxVersion: 4,
  handle(broker, request, context) {
    const asked: Asked = { version: context.apiVersion, includeSynonyms: request.includeSynonyms, includeDocumentation: request.includeDocumentation };
    const results: DescribeConfigsResponseDescribeConfigsResult[] = request.resources.map((resource) => {
      const result = { errorCode: ErrorCode.NONE, errorMessage: null as string | null, resourceType: resource.resourceType, resourceName: resource.resourceName, configs: [] as DescribeConfigsResponseDescribeConfigsResourceResult[] };
      const denied = configResourceDenial(broker, context, apiAuthorization.DescribeConfigs, resource.resourceType, resource.resourceName);
      if (denied !== ErrorCode.NONE) return { ...result, errorCode: denied };
      let entries: DescribedConfig[];
      if (resource.resourceType === ConfigResourceType.topic) {
        const topic = broker.logs.topic(resource.resourceName);
        if (topic === undefined) {
          return { ...result, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${resource.resourceName} does not exist.` };
        }
        entries = describeTopicConfigs(broker.dynamicConfigs.layers(), topic);
      } else if (resource.resourceType === ConfigResourceType.broker) {
        if (resource.resourceName !== '' && resource.resourceName !== String(broker.endpoint.nodeId)) {
          return { ...result, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unexpected broker id, expected ${broker.endpoint.nodeId} or empty string, but received ${resource.resourceName}` };
        }
        entries = describeBrokerConfigs(broker.dynamicConfigs.layers(), resource.resourceName !== '');
      } else {
        return { ...result, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${resource.resourceType}` };
      }
      const wanted = resource.configurationKeys;
      result.configs = entries.filter((entry) => wanted === null || wanted.includes(entry.name)).map((entry) => toResult(entry, asked));
      return result;
    });
    return { throttleTimeMs: 0, results };
  },
};
