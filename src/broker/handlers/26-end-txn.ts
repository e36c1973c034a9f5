// EndTxn (key 26), versions 0-4. Answered once PrepareCommit/PrepareAbort is durable; the markers and the
// Complete state follow in the background (the next AddPartitionsToTxn gets CONCURRENT_TRANSACTIONS until then).
// A retry after completion with the same result is NONE; the opposite result, or no open transaction, is
// INVALID_TXN_STATE. PRODUCER_FENCED is INVALID_PRODUCER_EPOCH before v2 (KIP-588). v5 (transaction version 2,
// epoch bump at every EndTxn) is not served: this broker speaks the classic protocol.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { errorCodeOf } from '../broker-error.ts';
import { errorCodeForVersion } from '../txn/error-versions.ts';

export const endTxnHandler: ApiHandler<typeof ApiKey.EndTxn> = {
  apiKey: ApiKey.EndTxn,
  minVersion: 0,
  maxVersion: 4,
  async handle(broker, request, context) {
    try {
      const result = await broker.transactions.endTransaction(request.transactionalId, request.producerId, request.producerEpoch, request.committed);
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
