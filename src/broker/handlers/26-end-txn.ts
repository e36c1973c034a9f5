// EndTxn (key 26), versions 0-5. Answered once PrepareCommit/PrepareAbort is durable; the markers and the
// Complete state follow in the background (the next AddPartitionsToTxn gets CONCURRENT_TRANSACTIONS until then).
// A retry after completion with the same result is NONE; the opposite result, or no open transaction, is
// INVALID_TXN_STATE. PRODUCER_FENCED is INVALID_PRODUCER_EPOCH before v2 (KIP-588). v5 is transaction version 2
// (KIP-890 part 2): the epoch is bumped, the answer carries the producer id and the new epoch, a retry is
// recognised by the previous epoch, and an abort of an empty transaction bumps the epoch too.
import { ErrorCode } from '../../protocol/errors/index.ts';
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { errorCodeOf } from '../broker-error.ts';
import { errorCodeForVersion } from '../txn/error-versions.ts';
import { TRANSACTION_VERSION_2 } from '../txn/transaction-coordinator.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorize } from '../security/authorizer/authorize.ts';

/** `TransactionVersion.transactionVersionForEndTxn`: v5+ is transaction version 2. */
const TRANSACTION_VERSION_2_MIN_VERSION = 5;

export const endTxnHandler: ApiHandler<typeof ApiKey.EndTxn> = {
  apiKey: ApiKey.EndTxn,
  minVersion: 0,
  maxVersion: 5,
  async handle(broker, request, context) {
    if (!authorize(broker, context, apiAuthorization.EndTxn.transactionalId, request.transactionalId)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 };
    }
    try {
      const clientTransactionVersion = context.apiVersion >= TRANSACTION_VERSION_2_MIN_VERSION ? TRANSACTION_VERSION_2 : 0;
      const result = await broker.transactions.endTransaction(request.transactionalId, request.producerId, request.producerEpoch, request.committed, clientTransactionVersion);
      return {
        throttleTimeMs: 0,
        errorCode: errorCodeForVersion(result.errorCode, ApiKey.EndTxn, context.apiVersion),
        producerId: result.producerId,
        producerEpoch: result.producerEpoch,
      };
    } catch (error) {
      return { throttleTimeMs: 0, errorCode: errorCodeOf(error, broker.logger), producerId: -1n, producerEpoch: -1 };
    }
  },
};
