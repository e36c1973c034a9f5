// The check handlers call: one null test when no authorizer is configured (every request allowed, Kafka's
// default), otherwise the authorizer's decision for the caller on the request context.
import type { BrokerContext } from '../../broker-context.ts';
import type { RequestContext } from '../../handlers/api-handler.ts';
import { CLUSTER_NAME } from './acl.ts';
import type { AuthorizationRule } from './api-authorization.ts';

/** May the request's principal, from its host, do what `rule` names on the resource `name`? */
export function authorize(broker: BrokerContext, context: RequestContext, rule: AuthorizationRule, name: string): boolean {
  const acls = broker.acls;
  if (acls === null) return true;
  return acls.authorizer.authorize(context.principal, context.clientHost, rule.operation, rule.resourceType, name);
}

/** `authorize` on the one Cluster resource. */
export function authorizeCluster(broker: BrokerContext, context: RequestContext, rule: AuthorizationRule): boolean {
  return authorize(broker, context, rule, CLUSTER_NAME);
}

/** May the principal do `rule`'s operation on at least one resource of its type (Kafka's `authorizeByResourceType`)? */
export function authorizeAnyOfType(broker: BrokerContext, context: RequestContext, rule: AuthorizationRule): boolean {
  const acls = broker.acls;
  if (acls === null) return true;
  return acls.authorizer.authorizeByResourceType(context.principal, context.clientHost, rule.operation, rule.resourceType);
}

/** True when an authorizer is configured (handlers skip building per-resource denial lists otherwise). */
export function authorizationEnabled(broker: BrokerContext): boolean {
  return broker.acls !== null;
}
