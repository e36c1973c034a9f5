// Error codes that an older request version predates, mapped down to what that version's clients understand
// (KIP-588 introduced PRODUCER_FENCED; KIP-890 introduced TRANSACTION_ABORTABLE).
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';

/** First version of each API that may carry PRODUCER_FENCED (older ones get INVALID_PRODUCER_EPOCH). */
const producerFencedSince: Partial<Record<number, number>> = {
  [ApiKey.InitProducerId]: 4,
  [ApiKey.AddPartitionsToTxn]: 2,
  [ApiKey.AddOffsetsToTxn]: 2,
  [ApiKey.EndTxn]: 2,
};

/**
 * First version of each API that may carry TRANSACTION_ABORTABLE (older ones get INVALID_TXN_STATE). Not
 * AddPartitionsToTxn: its VerifyOnly form (v4+, broker to broker) answers TRANSACTION_ABORTABLE as it is.
 */
const transactionAbortableSince: Partial<Record<number, number>> = {
  [ApiKey.Produce]: 11,
  [ApiKey.TxnOffsetCommit]: 4,
  [ApiKey.InitProducerId]: 5,
  [ApiKey.AddOffsetsToTxn]: 4,
  [ApiKey.EndTxn]: 4,
};

export function errorCodeForVersion(errorCode: number, apiKey: number, apiVersion: number): number {
  if (errorCode === ErrorCode.PRODUCER_FENCED && apiVersion < (producerFencedSince[apiKey] ?? 0)) return ErrorCode.INVALID_PRODUCER_EPOCH;
  if (errorCode === ErrorCode.TRANSACTION_ABORTABLE && apiVersion < (transactionAbortableSince[apiKey] ?? 0)) return ErrorCode.INVALID_TXN_STATE;
  return errorCode;
}
