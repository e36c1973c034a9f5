// DescribeTransactions (key 65), version 0 (KIP-664): state, timeout, start time, producer id/epoch and
// partitions of each transactional id; TRANSACTIONAL_ID_NOT_FOUND for an unknown one.
import { ErrorCode } from '../../protocol/errors/index.ts';
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorize, authorizationEnabled } from '../security/authorizer/authorize.ts';

export const describeTransactionsHandler: ApiHandler<typeof ApiKey.DescribeTransactions> = {
  apiKey: ApiKey.DescribeTransactions,
  minVersion: 0,
  maxVersion: 0,
  handle(broker, request, context) {
    const described = broker.transactions.describe(request.transactionalIds);
    if (!authorizationEnabled(broker)) return { throttleTimeMs: 0, transactionStates: described };
    const rules = apiAuthorization.DescribeTransactions;
    const transactionStates = described.map((state) => {
      if (!authorize(broker, context, rules.transactionalId, state.transactionalId)) {
        return { ...state, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] };
      }
      // Partitions of topics the caller may not DESCRIBE are left out (Kafka's `handleDescribeTransactionsRequest`).
      return { ...state, topics: state.topics.filter((topic) => authorize(broker, context, rules.topic, topic.topic)) };
    });
    return { throttleTimeMs: 0, transactionStates };
  },
};
