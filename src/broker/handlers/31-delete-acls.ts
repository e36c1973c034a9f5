// DeleteAcls (key 31), versions 1-3 (v0 was removed in Kafka 4.0, KIP-896). Needs ALTER on the cluster
// (CLUSTER_AUTHORIZATION_FAILED for every filter otherwise); without an authorizer SECURITY_DISABLED, as Kafka
// answers. Every ACL a filter matches is removed and listed under that filter (an ACL two filters match is
// listed under both, removed once); answered once the removal is durable.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { DeleteAclsResponseDeleteAclsFilterResult } from '../../protocol/messages/generated/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { errorCodeOf } from '../broker-error.ts';
import { filterProblem } from '../security/authorizer/acl.ts';
import { aclFilterOf } from '../security/authorizer/acl-filter.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorizeCluster } from '../security/authorizer/authorize.ts';
import { NO_AUTHORIZER_MESSAGE } from './30-create-acls.ts';

export const deleteAclsHandler: ApiHandler<typeof ApiKey.DeleteAcls> = {
  apiKey: ApiKey.DeleteAcls,
  minVersion: 1,
  maxVersion: 3,
  async handle(broker, request, context) {
    const all = (errorCode: number, errorMessage: string | null) => ({
      throttleTimeMs: 0,
      filterResults: request.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })),
    });
    const acls = broker.acls;
    if (acls === null) return all(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER_MESSAGE);
    if (!authorizeCluster(broker, context, apiAuthorization.DeleteAcls.cluster)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
    const filters = request.filters.map(aclFilterOf);
    const problems = filters.map(filterProblem);
    const valid = filters.filter((_, i) => problems[i] === null);
    let removed: Awaited<ReturnType<typeof acls.delete>>;
    try {
      removed = await acls.delete(valid);
    } catch (error) {
      return all(errorCodeOf(error, broker.logger), null);
    }
    let next = 0;
    const filterResults: DeleteAclsResponseDeleteAclsFilterResult[] = problems.map((problem) => {
      if (problem !== null) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem, matchingAcls: [] };
      const matched = removed[next++];
      return {
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        matchingAcls: matched.map((binding) => ({ errorCode: ErrorCode.NONE, errorMessage: null, ...binding })),
      };
    });
    return { throttleTimeMs: 0, filterResults };
  },
};
