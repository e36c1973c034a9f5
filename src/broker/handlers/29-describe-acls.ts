// DescribeAcls (key 29), versions 1-3 (v0 was removed in Kafka 4.0, KIP-896). Needs DESCRIBE on the cluster
// (CLUSTER_AUTHORIZATION_FAILED otherwise); without an authorizer SECURITY_DISABLED, as Kafka answers. Answers
// the ACLs the filter matches (MATCH: every pattern that applies to the named resource), grouped by resource
// pattern as Kafka's `DescribeAclsResponse.aclsResources` groups them.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { DescribeAclsResponseDescribeAclsResource } from '../../protocol/messages/generated/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { filterProblem, type AclBinding } from '../security/authorizer/acl.ts';
import { aclFilterOf } from '../security/authorizer/acl-filter.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorizeCluster } from '../security/authorizer/authorize.ts';
import { NO_AUTHORIZER_MESSAGE } from './30-create-acls.ts';

export const describeAclsHandler: ApiHandler<typeof ApiKey.DescribeAcls> = {
  apiKey: ApiKey.DescribeAcls,
  minVersion: 1,
  maxVersion: 3,
  handle(broker, request, context) {
    const answer = (errorCode: number, errorMessage: string | null, resources: DescribeAclsResponseDescribeAclsResource[] = []) => ({ throttleTimeMs: 0, errorCode, errorMessage, resources });
    const acls = broker.acls;
    if (acls === null) return answer(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER_MESSAGE);
    if (!authorizeCluster(broker, context, apiAuthorization.DescribeAcls.cluster)) return answer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
    const filter = aclFilterOf(request);
    const problem = filterProblem(filter);
    if (problem !== null) return answer(ErrorCode.INVALID_REQUEST, problem);
    return answer(ErrorCode.NONE, null, groupByResource(acls.authorizer.matching(filter)));
  },
};

export function groupByResource(bindings: readonly AclBinding[]): DescribeAclsResponseDescribeAclsResource[] {
  const resources = new Map<string, DescribeAclsResponseDescribeAclsResource>();
  for (const binding of bindings) {
    const key = `${binding.resourceType}\u0000${binding.patternType}\u0000${binding.resourceName}`;
    let resource = resources.get(key);
    if (resource === undefined) {
      resource = { resourceType: binding.resourceType, resourceName: binding.resourceName, patternType: binding.patternType, acls: [] };
      resources.set(key, resource);
    }
    resource.acls.push({ principal: binding.principal, host: binding.host, operation: binding.operation, permissionType: binding.permissionType });
  }
  return [...resources.values()];
}
