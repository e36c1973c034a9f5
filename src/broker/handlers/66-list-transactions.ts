// ListTransactions (key 66), versions 0-1 (KIP-664, KIP-994): every transactional id matching all the filters
// given — states (unknown names are echoed in UnknownStateFilters), producer ids, and from v1 a minimum running
// time in ms (-1: none).
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorize } from '../security/authorizer/authorize.ts';

const DURATION_FILTER_MIN_VERSION = 1;

export const listTransactionsHandler: ApiHandler<typeof ApiKey.ListTransactions> = {
  apiKey: ApiKey.ListTransactions,
  minVersion: 0,
  maxVersion: 1,
  handle(broker, request, context) {
    const duration = context.apiVersion >= DURATION_FILTER_MIN_VERSION ? request.durationFilter : -1n;
    const listed = broker.transactions.list(request.stateFilters, request.producerIdFilters, duration);
    // Transactional ids the caller may not DESCRIBE are left out.
    const transactionStates = listed.transactionStates.filter((state) => authorize(broker, context, apiAuthorization.ListTransactions.transactionalId, state.transactionalId));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, ...listed, transactionStates };
  },
};
