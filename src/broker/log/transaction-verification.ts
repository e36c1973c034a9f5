// KIP-890 part 1 on the partition side (Kafka's `UnifiedLog.maybeStartTransactionVerification` and
// `ReplicaManager.handleProduceAppend`): a transactional batch is appended only when its producer already has a
// transaction open on this partition at this epoch, or when the transaction coordinator confirms the partition is
// in the producer's ongoing transaction. So a batch for a partition never added (or arriving after its transaction
// ended) cannot open a transaction that nothing will ever end — a hanging transaction that pins the LSO.
//
// Single node: the coordinator is in-process, so the "verifyOnly AddPartitionsToTxn" round trip is a synchronous
// call made in the same synchronous section as the append (no await in between, so no verification guard needed).
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { PartitionLog } from './partition-log.ts';

/** The coordinator's side of verification: the error a verifyOnly AddPartitionsToTxn would answer. */
export interface TransactionVerifier {
  verifyPartitionInTransaction(transactionalId: string, producerId: bigint, producerEpoch: number, topic: string, partition: number): number;
}

/** Produce v12+ comes from transaction version 2 clients, whose first batch adds its partition (KIP-890 part 2). */
export const IMPLICIT_ADD_MIN_PRODUCE_VERSION = 12;

/** TRANSACTION_ABORTABLE exists for Produce v11+ (KIP-890); older clients get INVALID_TXN_STATE. */
const TRANSACTION_ABORTABLE_MIN_PRODUCE_VERSION = 11;

/** Kafka's `UnifiedLog.hasOngoingTransaction`: an open transaction of this producer at this epoch. */
export function hasOngoingTransaction(log: PartitionLog, producerId: bigint, producerEpoch: number): boolean {
  const entry = log.producerState.lastEntry(producerId);
  return entry !== undefined && entry.currentTxnFirstOffset !== null && entry.producerEpoch === producerEpoch;
}

/**
 * The Produce error code for a transactional batch of `producerId`/`producerEpoch` on `topic`/`partition`, NONE when
 * it may be appended. The coordinator's answer is translated as Kafka's produce path does:
 * PRODUCER_FENCED -> INVALID_PRODUCER_EPOCH; TRANSACTION_ABORTABLE -> INVALID_TXN_STATE below Produce v11;
 * coordinator unavailability and CONCURRENT_TRANSACTIONS -> NOT_ENOUGH_REPLICAS (retriable for every client).
 */
export function verifyTransactionalAppend(
  verifier: TransactionVerifier,
  log: PartitionLog,
  request: { transactionalId: string; producerId: bigint; producerEpoch: number; topic: string; partition: number; produceVersion: number },
): number {
  if (hasOngoingTransaction(log, request.producerId, request.producerEpoch)) return ErrorCode.NONE;
  const code = verifier.verifyPartitionInTransaction(request.transactionalId, request.producerId, request.producerEpoch, request.topic, request.partition);
  return produceErrorForCoordinatorError(code, request.produceVersion);
}

/**
 * The Produce error for what the coordinator answered a verification or an implicit add (Kafka's
 * `AddPartitionsToTxnManager` and `ReplicaManager.handleProduceAppend` translations).
 */
export function produceErrorForCoordinatorError(code: number, produceVersion: number): number {
  switch (code) {
    case ErrorCode.NONE:
      return ErrorCode.NONE;
    case ErrorCode.PRODUCER_FENCED:
      return ErrorCode.INVALID_PRODUCER_EPOCH;
    case ErrorCode.TRANSACTION_ABORTABLE:
      return produceVersion >= TRANSACTION_ABORTABLE_MIN_PRODUCE_VERSION ? ErrorCode.TRANSACTION_ABORTABLE : ErrorCode.INVALID_TXN_STATE;
    case ErrorCode.CONCURRENT_TRANSACTIONS:
    case ErrorCode.NETWORK_EXCEPTION:
    case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
    case ErrorCode.COORDINATOR_NOT_AVAILABLE:
    case ErrorCode.NOT_COORDINATOR:
      return ErrorCode.NOT_ENOUGH_REPLICAS;
    default:
      return code;
  }
}
