// Kafka's ACL model, with the wire codes of `ResourceType`, `PatternType`, `AclOperation` and
// `AclPermissionType` (org.apache.kafka.common.acl / .resource): an ACL binding is a resource pattern (type, name,
// LITERAL or PREFIXED) plus an access control entry (principal, host, operation, ALLOW or DENY). Filters (for
// DescribeAcls and DeleteAcls) may leave any part open: ANY, a null name, MATCH.

export { AclOperation, AclPermissionType, PatternType, ResourceType } from '../../../protocol/acl-codes.ts';
import { AclOperation, AclPermissionType, PatternType, ResourceType } from '../../../protocol/acl-codes.ts';

/** Kafka's `ResourcePattern.WILDCARD_RESOURCE`: a LITERAL pattern named `*` matches every resource of its type. */
export const WILDCARD_RESOURCE = '*';
/** Kafka's `AclEntry.WILDCARD_PRINCIPAL_STRING`. */
export const WILDCARD_PRINCIPAL = 'User:*';
/** Kafka's `AclEntry.WILDCARD_HOST`. */
export const WILDCARD_HOST = '*';
/** The one Cluster resource's name (`Resource.CLUSTER_NAME`). */
export const CLUSTER_NAME = 'kafka-cluster';

/** Kafka's `AclBinding`: who may (or may not) do what from where on which resources. */
export interface AclBinding {
  readonly resourceType: ResourceType;
  readonly resourceName: string;
  readonly patternType: PatternType;
  readonly principal: string;
  readonly host: string;
  readonly operation: AclOperation;
  readonly permissionType: AclPermissionType;
}

/** Kafka's `AclBindingFilter`: null strings and ANY codes match everything; MATCH patterns match what would apply. */
export interface AclBindingFilter {
  readonly resourceType: ResourceType;
  readonly resourceName: string | null;
  readonly patternType: PatternType;
  readonly principal: string | null;
  readonly host: string | null;
  readonly operation: AclOperation;
  readonly permissionType: AclPermissionType;
}

const names = <T extends Record<string, number>>(table: T): ReadonlyMap<number, keyof T & string> =>
  new Map(Object.entries(table).map(([name, code]) => [code, name as keyof T & string]));
const resourceTypeNames = names(ResourceType);
const patternTypeNames = names(PatternType);
const operationNames = names(AclOperation);
const permissionNames = names(AclPermissionType);

/** A wire code Kafka does not know decodes to UNKNOWN (`ResourceType.fromCode` and friends). */
export const resourceTypeOf = (code: number): ResourceType => (resourceTypeNames.has(code) ? (code as ResourceType) : ResourceType.UNKNOWN);
export const patternTypeOf = (code: number): PatternType => (patternTypeNames.has(code) ? (code as PatternType) : PatternType.UNKNOWN);
export const operationOf = (code: number): AclOperation => (operationNames.has(code) ? (code as AclOperation) : AclOperation.UNKNOWN);
export const permissionTypeOf = (code: number): AclPermissionType => (permissionNames.has(code) ? (code as AclPermissionType) : AclPermissionType.UNKNOWN);

export const resourceTypeName = (code: number): string => resourceTypeNames.get(code) ?? 'UNKNOWN';
export const patternTypeName = (code: number): string => patternTypeNames.get(code) ?? 'UNKNOWN';
export const operationName = (code: number): string => operationNames.get(code) ?? 'UNKNOWN';
export const permissionTypeName = (code: number): string => permissionNames.get(code) ?? 'UNKNOWN';

/**
 * Why a binding cannot be created, or null when it can: the checks of Kafka's `AclControlManager.validateNewAcl`
 * (answered INVALID_REQUEST with this message).
 */
export function newAclProblem(binding: AclBinding): string | null {
  if (binding.resourceType === ResourceType.UNKNOWN || binding.resourceType === ResourceType.ANY) return `Invalid resourceType ${resourceTypeName(binding.resourceType)}`;
  if (binding.patternType !== PatternType.LITERAL && binding.patternType !== PatternType.PREFIXED) return `Invalid patternType ${patternTypeName(binding.patternType)}`;
  if (binding.operation === AclOperation.UNKNOWN || binding.operation === AclOperation.ANY) return `Invalid operation ${operationName(binding.operation)}`;
  if (binding.permissionType !== AclPermissionType.ALLOW && binding.permissionType !== AclPermissionType.DENY) return `Invalid permissionType ${permissionTypeName(binding.permissionType)}`;
  if (binding.resourceName === '') return 'Resource name should not be empty';
  if (!binding.principal.includes(':')) return `Could not parse principal from \`${binding.principal}\` (no colon is present separating the principal type from the principal name)`;
  return null;
}

/** Why a filter is unusable (Kafka's `AclBindingFilter.findIndefiniteField` on delete), or null. */
export function filterProblem(filter: AclBindingFilter): string | null {
  if (filter.resourceType === ResourceType.UNKNOWN) return 'Resource type is UNKNOWN';
  if (filter.patternType === PatternType.UNKNOWN) return 'Resource pattern type is UNKNOWN';
  if (filter.operation === AclOperation.UNKNOWN) return 'Operation is UNKNOWN';
  if (filter.permissionType === AclPermissionType.UNKNOWN) return 'Permission type is UNKNOWN';
  return null;
}

/** Kafka's `ResourcePatternFilter.matches` + `AccessControlEntryFilter.matches`. */
export function filterMatches(filter: AclBindingFilter, binding: AclBinding): boolean {
  if (filter.resourceType !== ResourceType.ANY && filter.resourceType !== binding.resourceType) return false;
  if (!resourceMatches(filter, binding)) return false;
  if (filter.principal !== null && filter.principal !== binding.principal) return false;
  if (filter.host !== null && filter.host !== binding.host) return false;
  if (filter.operation !== AclOperation.ANY && filter.operation !== binding.operation) return false;
  if (filter.permissionType !== AclPermissionType.ANY && filter.permissionType !== binding.permissionType) return false;
  return true;
}

function resourceMatches(filter: AclBindingFilter, binding: AclBinding): boolean {
  const name = filter.resourceName;
  if (filter.patternType === PatternType.MATCH) {
    // Every pattern that would apply to a resource named `name`: its literal, the wildcard, prefixes of it.
    if (name === null) return true;
    if (binding.patternType === PatternType.LITERAL) return binding.resourceName === name || binding.resourceName === WILDCARD_RESOURCE;
    return binding.patternType === PatternType.PREFIXED && name.startsWith(binding.resourceName);
  }
  if (filter.patternType !== PatternType.ANY && filter.patternType !== binding.patternType) return false;
  return name === null || name === binding.resourceName;
}

/** The identity of a binding (two equal bindings are one ACL: creating it twice keeps one). */
export function bindingKey(binding: AclBinding): string {
  return `${binding.resourceType}\u0000${binding.patternType}\u0000${binding.resourceName}\u0000${binding.principal}\u0000${binding.host}\u0000${binding.operation}\u0000${binding.permissionType}`;
}
