// DescribeUserScramCredentials (key 50), version 0 (KIP-554): users' SCRAM mechanisms and iteration counts, never
// salts or keys. As Kafka: no users (null or empty) lists every user with credentials; a user given twice is
// DUPLICATE_RESOURCE, a user without credentials RESOURCE_NOT_FOUND.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { ScramMechanism } from '../../protocol/sasl/scram.ts';
import type { ApiHandler } from './api-handler.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorizeCluster } from '../security/authorizer/authorize.ts';

export const describeUserScramCredentialsHandler: ApiHandler<typeof ApiKey.DescribeUserScramCredentials> = {
  apiKey: ApiKey.DescribeUserScramCredentials,
  minVersion: 0,
  maxVersion: 0,
  handle(broker, request, context) {
    if (!authorizeCluster(broker, context, apiAuthorization.DescribeUserScramCredentials.cluster)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, results: [] };
    const all = broker.security.scramCredentials.list();
    const infos = (user: string) => (all.get(user) ?? []).map(({ mechanism, iterations }) => ({ mechanism: ScramMechanism[mechanism].type, iterations }));
    const requested = request.users ?? [];
    if (requested.length === 0) {
      const results = [...all.keys()].sort().map((user) => ({ user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: infos(user) }));
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results };
    }
    const counts = new Map<string, number>();
    for (const { name } of requested) counts.set(name, (counts.get(name) ?? 0) + 1);
    const results = [...counts].map(([user, count]) => {
      if (count > 1) return { user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: 'Cannot describe SCRAM credentials for the same user twice in a single request', credentialInfos: [] };
      if (!all.has(user)) return { user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to describe a user credential that does not exist', credentialInfos: [] };
      return { user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: infos(user) };
    });
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results };
  },
};
