// What the producer does with each Produce partition error code: one row per code, each citing the Kafka
// source or KIP it mirrors (`Sender.completeBatch`/`canRetry`, `TransactionManager.canRetry`/
// `handleFailedBatch`/`maybeTransitionToErrorState`). The idempotence state machine refines two rows
// (OUT_OF_ORDER_SEQUENCE_NUMBER, UNKNOWN_PRODUCER_ID) with the batch's sequence position.
import { ErrorCode, isRetriable } from '../../protocol/errors/index.ts';

export const ProduceAction = {
  /** The batch is written: complete it with the returned offset. */
  complete: 'complete',
  /** DUPLICATE_SEQUENCE_NUMBER: written before; success without an offset. */
  duplicate: 'duplicate',
  /** Re-enqueue with the same producer id, epoch and sequence. */
  retry: 'retry',
  /** Sequence gap: retry, or bump the epoch when the batch is the next expected one (KIP-360). */
  outOfOrderSequence: 'out-of-order-sequence',
  /** The broker lost the producer's state (old brokers): bump the epoch and retry (KIP-360). */
  unknownProducerId: 'unknown-producer-id',
  /** MESSAGE_TOO_LARGE: split a multi-record batch keeping its sequence range, else fail. */
  splitOrFail: 'split-or-fail',
  /** The batch failed for good; the producer bumps its epoch so later sequences restart at 0. */
  fail: 'fail',
  /** The producer cannot continue: every pending batch fails and later sends are refused. */
  fatal: 'fatal',
} as const;
export type ProduceAction = (typeof ProduceAction)[keyof typeof ProduceAction];

export interface ProducePolicyRow {
  readonly action: ProduceAction;
  /** Ask for a metadata refresh (Java: the exception is an `InvalidMetadataException`). */
  readonly refreshMetadata: boolean;
  readonly source: string;
}

const row = (action: ProduceAction, refreshMetadata: boolean, source: string): ProducePolicyRow => ({ action, refreshMetadata, source });

const SENDER = 'Sender.completeBatch';
const INVALID_METADATA = 'Sender.completeBatch: InvalidMetadataException -> metadata.requestUpdate()';

/** Explicit rows; every other code falls back to `retriable ? retry : fail` (Kafka's `RetriableException`). */
export const PRODUCE_POLICY: ReadonlyMap<number, ProducePolicyRow> = new Map<number, ProducePolicyRow>([
  [ErrorCode.NONE, row(ProduceAction.complete, false, SENDER)],
  [ErrorCode.DUPLICATE_SEQUENCE_NUMBER, row(ProduceAction.duplicate, false, 'Sender.completeBatch: DUPLICATE_SEQUENCE_NUMBER is success (KIP-98)')],
  [ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, row(ProduceAction.outOfOrderSequence, false, 'TransactionManager.canRetry (KIP-360)')],
  [ErrorCode.UNKNOWN_PRODUCER_ID, row(ProduceAction.unknownProducerId, false, 'TransactionManager.canRetry (KIP-360)')],
  [ErrorCode.MESSAGE_TOO_LARGE, row(ProduceAction.splitOrFail, false, 'Sender.completeBatch -> splitAndReenqueue')],
  [ErrorCode.NOT_LEADER_OR_FOLLOWER, row(ProduceAction.retry, true, INVALID_METADATA)],
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, row(ProduceAction.retry, true, INVALID_METADATA)],
  [ErrorCode.LEADER_NOT_AVAILABLE, row(ProduceAction.retry, true, INVALID_METADATA)],
  [ErrorCode.NETWORK_EXCEPTION, row(ProduceAction.retry, true, 'NetworkClient: disconnect -> metadata update')],
  [ErrorCode.KAFKA_STORAGE_ERROR, row(ProduceAction.retry, true, INVALID_METADATA)],
  [ErrorCode.FENCED_LEADER_EPOCH, row(ProduceAction.retry, true, INVALID_METADATA)],
  [ErrorCode.UNKNOWN_LEADER_EPOCH, row(ProduceAction.retry, true, INVALID_METADATA)],
  [ErrorCode.REQUEST_TIMED_OUT, row(ProduceAction.retry, false, SENDER)],
  [ErrorCode.NOT_ENOUGH_REPLICAS, row(ProduceAction.retry, false, SENDER)],
  [ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, row(ProduceAction.retry, false, SENDER)],
  [ErrorCode.CORRUPT_MESSAGE, row(ProduceAction.retry, false, SENDER)],
  // An idempotent producer's epoch is only ever raised by itself; a lower one on the broker means another
  // producer took this id: stop (task rule; Java fails the batch and, for PRODUCER_FENCED, goes fatal).
  [ErrorCode.INVALID_PRODUCER_EPOCH, row(ProduceAction.fatal, false, 'TransactionManager.maybeTransitionToErrorState (KIP-588)')],
  [ErrorCode.PRODUCER_FENCED, row(ProduceAction.fatal, false, 'TransactionManager.maybeTransitionToErrorState (KIP-588)')],
  [ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, row(ProduceAction.fatal, false, 'TransactionManager.maybeTransitionToErrorState')],
  [ErrorCode.CLUSTER_AUTHORIZATION_FAILED, row(ProduceAction.fatal, false, 'TransactionManager.maybeTransitionToErrorState')],
  [ErrorCode.UNSUPPORTED_VERSION, row(ProduceAction.fatal, false, 'TransactionManager.maybeTransitionToErrorState')],
  [ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, row(ProduceAction.fail, false, SENDER)],
  [ErrorCode.TOPIC_AUTHORIZATION_FAILED, row(ProduceAction.fail, false, SENDER)],
  [ErrorCode.INVALID_RECORD, row(ProduceAction.fail, false, SENDER)],
  [ErrorCode.INVALID_TIMESTAMP, row(ProduceAction.fail, false, SENDER)],
  [ErrorCode.RECORD_LIST_TOO_LARGE, row(ProduceAction.fail, false, SENDER)],
  [ErrorCode.INVALID_TXN_STATE, row(ProduceAction.fail, false, SENDER)],
  [ErrorCode.TRANSACTION_ABORTABLE, row(ProduceAction.fail, false, SENDER)],
]);

export function producePolicyFor(code: number): ProducePolicyRow {
  return PRODUCE_POLICY.get(code) ?? row(isRetriable(code) ? ProduceAction.retry : ProduceAction.fail, false, 'RetriableException');
}
