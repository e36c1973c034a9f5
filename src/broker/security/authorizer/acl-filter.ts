// An ACL filter as DescribeAcls and DeleteAcls carry it on the wire, as the authorizer's filter type.
import { operationOf, patternTypeOf, permissionTypeOf, resourceTypeOf, type AclBindingFilter } from './acl.ts';

export interface AclFilterFields {
  readonly resourceTypeFilter: number;
  readonly resourceNameFilter: string | null;
  readonly patternTypeFilter: number;
  readonly principalFilter: string | null;
  readonly hostFilter: string | null;
  readonly operation: number;
  readonly permissionType: number;
}

export function aclFilterOf(fields: AclFilterFields): AclBindingFilter {
  return {
    resourceType: resourceTypeOf(fields.resourceTypeFilter),
    resourceName: fields.resourceNameFilter,
    patternType: patternTypeOf(fields.patternTypeFilter),
    principal: fields.principalFilter,
    host: fields.hostFilter,
    operation: operationOf(fields.operation),
    permissionType: permissionTypeOf(fields.permissionType),
  };
}
