// AlterConfigs / IncrementalAlterConfigs for one resource, as Kafka's `ConfigAdminManager` and
// `ControllerConfigurationValidator` answer them: duplicate keys are INVALID_REQUEST, an unknown topic config
// name or a bad value INVALID_CONFIG, APPEND/SUBTRACT on a non-list config INVALID_CONFIG. Broker resources (this
// node's id, or "" for the cluster-wide default) take the dynamic broker configs (configs/dynamic-broker-configs.ts):
// a name that is not dynamic here, or a value the new broker config refuses, is INVALID_REQUEST as in Kafka's
// `ConfigAdminManager.validateBrokerConfigChange`.
import { ErrorCode } from '../../protocol/errors/index.ts';
import { BrokerError } from '../broker-error.ts';
import type { BrokerContext } from '../broker-context.ts';
import { defaultLogConfig, logConfigWithOverrides } from '../log/log-config.ts';
import { ConfigResourceType, listTopicConfigs } from './config-descriptions.ts';
import { brokerConfigDefinition } from './broker-configs.ts';
import { ConfigType } from './config-types.ts';
import { checkDynamicallyUpdatable } from './dynamic-broker-configs.ts';

/** Kafka's `AlterConfigOp.OpType`. */
export const AlterConfigOpType = { set: 0, delete: 1, append: 2, subtract: 3 } as const;

export interface ConfigAlteration {
  readonly name: string;
  readonly operation: number;
  readonly value: string | null;
}

function checkNoDuplicates(alterations: readonly ConfigAlteration[]): void {
  const names = new Set<string>();
  for (const { name } of alterations) {
    if (names.has(name)) throw new BrokerError(ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys');
    names.add(name);
  }
}

function listValue(value: string | undefined): string[] {
  return value === undefined || value.trim() === '' ? [] : value.split(',').map((item) => item.trim());
}

/** The configs after `alterations` (SET, DELETE, APPEND/SUBTRACT where `isList`), values not yet validated. */
function applyOperations(current: Readonly<Record<string, string>>, alterations: readonly ConfigAlteration[], isList: (name: string) => boolean): Record<string, string> {
  const next: Record<string, string> = { ...current };
  for (const { name, operation, value } of alterations) {
    switch (operation) {
      case AlterConfigOpType.set:
        if (value === null) throw new BrokerError(ErrorCode.INVALID_CONFIG, `Null value not supported for : ${name}`);
        next[name] = value;
        break;
      case AlterConfigOpType.delete:
        delete next[name];
        break;
      case AlterConfigOpType.append:
      case AlterConfigOpType.subtract: {
        const verb = operation === AlterConfigOpType.append ? 'append' : 'subtract';
        if (!isList(name)) throw new BrokerError(ErrorCode.INVALID_CONFIG, `Config value ${verb} is not allowed for config key: ${name}`);
        if (value === null) throw new BrokerError(ErrorCode.INVALID_CONFIG, `Null value not supported for : ${name}`);
        const items = listValue(next[name]);
        const changed = listValue(value);
        const result = verb === 'append' ? [...items, ...changed.filter((item) => !items.includes(item))] : items.filter((item) => !changed.includes(item));
        next[name] = result.join(',');
        break;
      }
      default:
        throw new BrokerError(ErrorCode.INVALID_REQUEST, `Unknown operation type ${operation} for config ${name}`);
    }
  }
  return next;
}

/** The topic's overrides after `alterations`; throws INVALID_CONFIG/INVALID_REQUEST as Kafka would. */
export function applyIncrementalAlterations(current: Readonly<Record<string, string>>, alterations: readonly ConfigAlteration[]): Record<string, string> {
  const next = applyOperations(current, alterations, (name) => listTopicConfigs.has(name));
  // Names and values are checked against the result, as Kafka validates the whole new topic config.
  logConfigWithOverrides(defaultLogConfig, next);
  return next;
}

const isListBrokerConfig = (name: string): boolean => brokerConfigDefinition(name)?.configType === ConfigType.list;

function checkResource(broker: BrokerContext, resourceType: number, resourceName: string, alterations: readonly ConfigAlteration[]): void {
  checkNoDuplicates(alterations);
  if (resourceType === ConfigResourceType.topic) {
    if (broker.logs.topic(resourceName) === undefined) throw new BrokerError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${resourceName} does not exist.`);
    return;
  }
  if (resourceType === ConfigResourceType.broker) {
    if (resourceName !== '' && resourceName !== String(broker.endpoint.nodeId)) {
      throw new BrokerError(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${broker.endpoint.nodeId} or empty string, but received ${resourceName}`);
    }
    checkDynamicallyUpdatable(alterations.map((alteration) => alteration.name));
    return;
  }
  throw new BrokerError(ErrorCode.INVALID_REQUEST, `Unexpected resource type ${resourceType}`);
}

/**
 * Alters one resource. `incremental` false is the legacy AlterConfigs: the given set replaces every override.
 * With `validateOnly` everything is checked and nothing changes.
 */
export async function alterResourceConfigs(
  broker: BrokerContext,
  resource: { resourceType: number; resourceName: string; alterations: readonly ConfigAlteration[]; incremental: boolean },
  validateOnly: boolean,
): Promise<void> {
  const { resourceType, resourceName, alterations, incremental } = resource;
  checkResource(broker, resourceType, resourceName, alterations);
  if (resourceType === ConfigResourceType.broker) {
    const scope = resourceName === '' ? 'clusterDefault' : 'broker';
    broker.dynamicConfigs.update(scope, (current) => applyOperations(incremental ? current : {}, alterations, isListBrokerConfig), validateOnly);
    if (!validateOnly) await broker.logs.updateDefaultConfig(broker.dynamicConfigs.logDefaults());
    return;
  }
  const update = (current: Readonly<Record<string, string>>): Record<string, string> =>
    applyIncrementalAlterations(incremental ? current : {}, alterations);
  if (validateOnly) {
    update(broker.logs.topic(resourceName)?.configs ?? {});
    return;
  }
  await broker.logs.updateTopicConfigs(resourceName, update);
}
