// The ACL operations of the admin client (Kafka's `Admin.createAcls` / `describeAcls` / `deleteAcls`): ACL
// bindings with Kafka's names for resource types, pattern types, operations and permissions, sent as
// CreateAcls / DescribeAcls / DeleteAcls (v1-3) to any broker.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { AclOperation as AclOperationCode, AclPermissionType as AclPermissionCode, PatternType as PatternTypeCode, ResourceType as ResourceTypeCode } from '../../protocol/acl-codes.ts';
import { ErrorKind, KafkaClientError } from '../errors/kafka-client-error.ts';
import { adminConfigError } from './admin-options.ts';
import type { AdminNetwork } from './admin-network.ts';
import { brokerError } from './admin-network.ts';

// Kafka's names and wire codes; UNKNOWN (0) is never sent.
const resourceTypes = ResourceTypeCode;
const patternTypes = PatternTypeCode;
const operations = AclOperationCode;
const permissions = AclPermissionCode;

export type AclResourceType = Exclude<keyof typeof resourceTypes, 'ANY' | 'UNKNOWN'>;
export type AclPatternType = 'LITERAL' | 'PREFIXED';
export type AclOperation = Exclude<keyof typeof operations, 'ANY' | 'UNKNOWN'>;
export type AclPermission = 'ALLOW' | 'DENY';

/** One ACL (Kafka's `AclBinding`). */
export interface AclBinding {
  readonly resourceType: AclResourceType;
  /** The resource's name; `*` (LITERAL) is every resource of the type; the Cluster's name is `kafka-cluster`. */
  readonly resourceName: string;
  /** Default LITERAL. */
  readonly patternType?: AclPatternType;
  /** `User:alice`, or `User:*` for everyone. */
  readonly principal: string;
  /** The client address the ACL applies to; default `*` (any). */
  readonly host?: string;
  readonly operation: AclOperation;
  /** Default ALLOW. */
  readonly permission?: AclPermission;
}

/** Which ACLs to describe or delete (Kafka's `AclBindingFilter`); every field left out matches anything. */
export interface AclBindingFilter {
  readonly resourceType?: AclResourceType | 'ANY';
  readonly resourceName?: string | null;
  /** MATCH: every pattern that applies to `resourceName` (its literal, the wildcard, prefixes of it). Default ANY. */
  readonly patternType?: AclPatternType | 'ANY' | 'MATCH';
  readonly principal?: string | null;
  readonly host?: string | null;
  readonly operation?: AclOperation | 'ANY';
  readonly permission?: AclPermission | 'ANY';
}

/** An ACL as a broker reports it: every field filled in. */
export type DescribedAcl = Required<AclBinding>;

const nameOf = <T extends Record<string, number>>(table: T, code: number, what: string): keyof T & string => {
  const entry = Object.entries(table).find(([, value]) => value === code);
  if (entry === undefined) throw new KafkaClientError({ code: -1, kind: ErrorKind.abortable, message: `the broker reported an unknown ${what} code ${code}` });
  return entry[0] as keyof T & string;
};

function codeOf<T extends Record<string, number>>(table: T, name: string, what: string): number {
  const code = table[name];
  if (code === undefined) {
    throw adminConfigError(`unknown ${what} '${name}'; known: ${Object.keys(table).join(', ')}`);
  }
  return code;
}

function filterFields(filter: AclBindingFilter) {
  return {
    resourceTypeFilter: codeOf(resourceTypes, filter.resourceType ?? 'ANY', 'resource type'),
    resourceNameFilter: filter.resourceName ?? null,
    patternTypeFilter: codeOf(patternTypes, filter.patternType ?? 'ANY', 'pattern type'),
    principalFilter: filter.principal ?? null,
    hostFilter: filter.host ?? null,
    operation: codeOf(operations, filter.operation ?? 'ANY', 'operation'),
    permissionType: codeOf(permissions, filter.permission ?? 'ANY', 'permission'),
  };
}

function describedAcl(fields: { resourceType: number; resourceName: string; patternType: number; principal: string; host: string; operation: number; permissionType: number }): DescribedAcl {
  return {
    resourceType: nameOf(resourceTypes, fields.resourceType, 'resource type') as AclResourceType,
    resourceName: fields.resourceName,
    patternType: nameOf(patternTypes, fields.patternType, 'pattern type') as AclPatternType,
    principal: fields.principal,
    host: fields.host,
    operation: nameOf(operations, fields.operation, 'operation') as AclOperation,
    permission: nameOf(permissions, fields.permissionType, 'permission') as AclPermission,
  };
}

export async function createAcls(network: AdminNetwork, acls: readonly AclBinding[]): Promise<void> {
  const creations = acls.map((acl) => ({
    resourceType: codeOf(resourceTypes, acl.resourceType, 'resource type'),
    resourceName: acl.resourceName,
    resourcePatternType: codeOf(patternTypes, acl.patternType ?? 'LITERAL', 'pattern type'),
    principal: acl.principal,
    host: acl.host ?? '*',
    operation: codeOf(operations, acl.operation, 'operation'),
    permissionType: codeOf(permissions, acl.permission ?? 'ALLOW', 'permission'),
  }));
  const { response } = await network.retrying('createAcls', () => network.send(null, ApiKey.CreateAcls, 1, 3, () => ({ creations })));
  response.results.forEach((result, i) => {
    if (result.errorCode !== 0) throw brokerError(result.errorCode, result.errorMessage, `createAcls ${acls[i].resourceType}:${acls[i].resourceName}`);
  });
}

export async function describeAcls(network: AdminNetwork, filter: AclBindingFilter): Promise<DescribedAcl[]> {
  const request = filterFields(filter);
  const { response } = await network.retrying('describeAcls', () => network.send(null, ApiKey.DescribeAcls, 1, 3, () => request));
  if (response.errorCode !== 0) throw brokerError(response.errorCode, response.errorMessage, 'describeAcls');
  return response.resources.flatMap((resource) => resource.acls.map((acl) => describedAcl({ ...resource, ...acl })));
}

/** Deletes every ACL the filters match; returns what was deleted. */
export async function deleteAcls(network: AdminNetwork, filters: readonly AclBindingFilter[]): Promise<DescribedAcl[]> {
  const request = { filters: filters.map(filterFields) };
  const { response } = await network.retrying('deleteAcls', () => network.send(null, ApiKey.DeleteAcls, 1, 3, () => request));
  const deleted: DescribedAcl[] = [];
  for (const result of response.filterResults) {
    if (result.errorCode !== 0) throw brokerError(result.errorCode, result.errorMessage, 'deleteAcls');
    for (const acl of result.matchingAcls) {
      if (acl.errorCode !== 0) throw brokerError(acl.errorCode, acl.errorMessage, `deleteAcls ${acl.resourceName}`);
      deleted.push(describedAcl(acl));
    }
  }
  return deleted;
}
