// The check handlers call: one null test when no authorizer is configured (every request allowed, Kafka's
// default), otherwise the authorizer's decision for the caller on the request context.
import type { BrokerContext } from '../../broker-context.ts';
import type { RequestContext } from '../../handlers/api-handler.ts';
import { AclOperation, CLUSTER_NAME, ResourceType } from './acl.ts';
import { BROKER_PRINCIPAL } from '../principal.ts';
import type { AuthorizationRule } from './api-authorization.ts';

/** May the request's principal, from its host, do what `rule` names on the resource `name`? */
export function authorize(broker: BrokerContext, context: RequestContext, rule: AuthorizationRule, name: string): boolean {
  const acls = broker.acls;
  if (acls === null || context.principal === BROKER_PRINCIPAL) return true;
  return acls.authorizer.authorize(context.principal, context.clientHost, rule.operation, rule.resourceType, name);
}

/** `authorize` on the one Cluster resource. */
export function authorizeCluster(broker: BrokerContext, context: RequestContext, rule: AuthorizationRule): boolean {
  return authorize(broker, context, rule, CLUSTER_NAME);
}

/** May the principal do `rule`'s operation on at least one resource of its type (Kafka's `authorizeByResourceType`)? */
export function authorizeAnyOfType(broker: BrokerContext, context: RequestContext, rule: AuthorizationRule): boolean {
  const acls = broker.acls;
  if (acls === null || context.principal === BROKER_PRINCIPAL) return true;
  return acls.authorizer.authorizeByResourceType(context.principal, context.clientHost, rule.operation, rule.resourceType);
}

/** True when an authorizer is configured (handlers skip building per-resource denial lists otherwise). */
export function authorizationEnabled(broker: BrokerContext): boolean {
  return broker.acls !== null;
}

/** Kafka's `ConfigResource.Type` codes that name the cluster's own configs. */
const CLUSTER_CONFIG_RESOURCE_TYPES: ReadonlySet<number> = new Set([4 /* BROKER */, 8 /* BROKER_LOGGER */, 16 /* CLIENT_METRICS */]);
const TOPIC_CONFIG_RESOURCE_TYPE = 2;
const GROUP_CONFIG_RESOURCE_TYPE = 32;

/**
 * The error a config resource is answered with when the caller may not describe or alter its configs (Kafka's
 * `ConfigHelper`/`ConfigAdminManager` checks: a topic's on the topic, a group's on the group, the broker's on the
 * cluster), or 0 when allowed. Unknown resource types are left to the handler.
 */
export function configResourceDenial(
  broker: BrokerContext,
  context: RequestContext,
  rules: { readonly topic: AuthorizationRule; readonly cluster: AuthorizationRule; readonly group: AuthorizationRule },
  resourceType: number,
  resourceName: string,
): number {
  if (broker.acls === null) return 0;
  if (resourceType === TOPIC_CONFIG_RESOURCE_TYPE) return authorize(broker, context, rules.topic, resourceName) ? 0 : rules.topic.error;
  if (resourceType === GROUP_CONFIG_RESOURCE_TYPE) return authorize(broker, context, rules.group, resourceName) ? 0 : rules.group.error;
  if (CLUSTER_CONFIG_RESOURCE_TYPES.has(resourceType)) return authorizeCluster(broker, context, rules.cluster) ? 0 : rules.cluster.error;
  return 0;
}

/**
 * Kafka's `AuthHelper.authorizedOperations`: the bit field (1 << operation code) of `operations` the caller may
 * perform on the resource, as DescribeGroups, ConsumerGroupDescribe and Metadata report it when asked. Null when
 * no authorizer is configured (the handler keeps its own answer).
 */
export function authorizedOperations(broker: BrokerContext, context: RequestContext, resourceType: ResourceType, name: string, operations: readonly AclOperation[]): number | null {
  const acls = broker.acls;
  if (acls === null) return null;
  let bits = 0;
  for (const operation of operations) {
    if (context.principal === BROKER_PRINCIPAL || acls.authorizer.authorize(context.principal, context.clientHost, operation, resourceType, name)) bits |= 1 << operation;
  }
  return bits;
}

/** The operations Kafka reports for each resource type (`AclEntry.supportedOperations`). */
export const SUPPORTED_OPERATIONS = {
  topic: [AclOperation.READ, AclOperation.WRITE, AclOperation.CREATE, AclOperation.DESCRIBE, AclOperation.DELETE, AclOperation.ALTER, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS],
  group: [AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE],
  cluster: [AclOperation.CREATE, AclOperation.CLUSTER_ACTION, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS, AclOperation.IDEMPOTENT_WRITE, AclOperation.ALTER, AclOperation.DESCRIBE],
} as const satisfies Record<string, readonly AclOperation[]>;
