// ListPartitionReassignments (key 46), version 0 (KIP-455): the partition reassignments in progress. One node
// hosts the single replica of every partition and AlterPartitionReassignments is not served, so there are never
// any; the answer lists none, as Kafka's controller does when nothing is being reassigned.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorizeCluster } from '../security/authorizer/authorize.ts';

export const listPartitionReassignmentsHandler: ApiHandler<typeof ApiKey.ListPartitionReassignments> = {
  apiKey: ApiKey.ListPartitionReassignments,
  minVersion: 0,
  maxVersion: 0,
  handle(broker, _request, context) {
    if (!authorizeCluster(broker, context, apiAuthorization.ListPartitionReassignments.cluster)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, topics: [] };
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics: [] };
  },
};
