// CreateAcls (key 30), versions 1-3 (v0 was removed in Kafka 4.0, KIP-896). Needs ALTER on the cluster
// (CLUSTER_AUTHORIZATION_FAILED for every creation otherwise); without an authorizer every creation is
// SECURITY_DISABLED, as Kafka answers. Each creation is checked as Kafka's `AclControlManager.validateNewAcl`
// does (INVALID_REQUEST with its message); the valid ones are stored and answered once durable. Creating an ACL
// that exists already succeeds and keeps one.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { CreateAclsRequestAclCreation } from '../../protocol/messages/generated/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { errorCodeOf } from '../broker-error.ts';
import { AclOperation, AclPermissionType, PatternType, ResourceType, newAclProblem, operationOf, patternTypeName, patternTypeOf, permissionTypeOf, resourceTypeOf, type AclBinding } from '../security/authorizer/acl.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorizeCluster } from '../security/authorizer/authorize.ts';

export const NO_AUTHORIZER_MESSAGE = 'No Authorizer is configured.';

export const createAclsHandler: ApiHandler<typeof ApiKey.CreateAcls> = {
  apiKey: ApiKey.CreateAcls,
  minVersion: 1,
  maxVersion: 3,
  async handle(broker, request, context) {
    const all = (errorCode: number, errorMessage: string | null) => ({ throttleTimeMs: 0, results: request.creations.map(() => ({ errorCode, errorMessage })) });
    const acls = broker.acls;
    if (acls === null) return all(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER_MESSAGE);
    if (!authorizeCluster(broker, context, apiAuthorization.CreateAcls.cluster)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
    const bindings = request.creations.map(bindingOf);
    // Kafka builds every `AclBinding` before validating any, and ANY or MATCH in a creation makes that
    // construction throw: the whole request then fails as an unexpected error, UNKNOWN_SERVER_ERROR for each.
    const unbuildable = bindings.map(unbuildableReason).find((reason) => reason !== null);
    if (unbuildable !== undefined) return all(ErrorCode.UNKNOWN_SERVER_ERROR, unbuildable);
    const results = bindings.map((binding): { errorCode: number; errorMessage: string | null } => {
      const problem = newAclProblem(binding);
      return problem === null ? { errorCode: ErrorCode.NONE, errorMessage: null } : { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem };
    });
    try {
      await acls.create(bindings.filter((_, i) => results[i].errorCode === ErrorCode.NONE));
    } catch (error) {
      const errorCode = errorCodeOf(error, broker.logger);
      for (const result of results) if (result.errorCode === ErrorCode.NONE) result.errorCode = errorCode;
    }
    return { throttleTimeMs: 0, results };
  },
};

function unbuildableReason(binding: AclBinding): string | null {
  if (binding.resourceType === ResourceType.ANY) return 'resourceType must not be ANY';
  if (binding.patternType === PatternType.MATCH || binding.patternType === PatternType.ANY) return `patternType must not be ${patternTypeName(binding.patternType)}`;
  if (binding.operation === AclOperation.ANY) return 'operation must not be ANY';
  if (binding.permissionType === AclPermissionType.ANY) return 'permissionType must not be ANY';
  return null;
}

function bindingOf(creation: CreateAclsRequestAclCreation): AclBinding {
  return {
    resourceType: resourceTypeOf(creation.resourceType),
    resourceName: creation.resourceName,
    patternType: patternTypeOf(creation.resourcePatternType),
    principal: creation.principal,
    host: creation.host,
    operation: operationOf(creation.operation),
    permissionType: permissionTypeOf(creation.permissionType),
  };
}
