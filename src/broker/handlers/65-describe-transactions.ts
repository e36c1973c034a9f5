// DescribeTransactions (key 65), version 0 (KIP-664): state, timeout, start time, producer id/epoch and
// partitions of each transactional id; TRANSACTIONAL_ID_NOT_FOUND for an unknown one.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { ApiHandler } from './api-handler.ts';

export const describeTransactionsHandler: ApiHandler<typeof ApiKey.DescribeTransactions> = {
  apiKey: ApiKey.DescribeTransactions,
  minVersion: 0,
  maxVersion: 0,
  handle(broker, request) {
    return { throttleTimeMs: 0, transactionStates: broker.transactions.describe(request.transactionalIds) };
  },
};
