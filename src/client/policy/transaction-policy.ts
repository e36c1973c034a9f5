// What the transactional producer does with each error code of each coordinator request: one row per
// (request, code), each citing the handler of Kafka's `TransactionManager` it mirrors (the `*Handler.handleResponse`
// methods, `abortableErrorIfPossible`, KIP-360, KIP-447, KIP-588, KIP-890). A code without a row falls back to
// Kafka's rule for unexpected errors: retriable codes are retried, anything else is fatal (the handlers' final
// `fatalError(new KafkaException("Unexpected error ..."))`).
import { ErrorCode, isRetriable } from '../../protocol/errors/index.ts';

export const TxnAction = {
  /** Send the same request again after retry.backoff.ms. */
  retry: 'retry',
  /** The cached coordinator is wrong or gone: FindCoordinator again, then retry. */
  lookupCoordinator: 'lookup-coordinator',
  /** This transaction cannot commit: the application must call abortTransaction(); the producer stays usable. */
  abortable: 'abortable',
  /** Like abortable, and the producer bumps its epoch after the abort (KIP-360 `abortableErrorIfPossible`). */
  abortableWithEpochBump: 'abortable-with-epoch-bump',
  /** The producer cannot continue: close it. */
  fatal: 'fatal',
  /** Another producer with the same transactional.id took over (a zombie is fenced): close this one. */
  fenced: 'fenced',
} as const;
export type TxnAction = (typeof TxnAction)[keyof typeof TxnAction];

export const TxnRequestKind = {
  findCoordinator: 'FindCoordinator',
  initProducerId: 'InitProducerId',
  addPartitionsToTxn: 'AddPartitionsToTxn',
  addOffsetsToTxn: 'AddOffsetsToTxn',
  txnOffsetCommit: 'TxnOffsetCommit',
  endTxn: 'EndTxn',
} as const;
export type TxnRequestKind = (typeof TxnRequestKind)[keyof typeof TxnRequestKind];

export interface TxnPolicyRow {
  readonly action: TxnAction;
  /** The Kafka class and branch this row mirrors. */
  readonly source: string;
}

const row = (action: TxnAction, source: string): TxnPolicyRow => ({ action, source });

type PolicyRows = readonly (readonly [number, TxnAction, string?])[];

/** The coordinator moved, is gone, or is still loading its log: every coordinator request but FindCoordinator. */
const COORDINATOR_ROWS: PolicyRows = [
  [ErrorCode.NOT_COORDINATOR, TxnAction.lookupCoordinator],
  [ErrorCode.COORDINATOR_NOT_AVAILABLE, TxnAction.lookupCoordinator],
  [ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, TxnAction.retry],
];
/** A newer producer with this transactional.id exists (KIP-588; older brokers answer INVALID_PRODUCER_EPOCH). */
const FENCED_ROWS: PolicyRows = [
  [ErrorCode.INVALID_PRODUCER_EPOCH, TxnAction.fenced, 'pre-KIP-588 form of PRODUCER_FENCED'],
  [ErrorCode.PRODUCER_FENCED, TxnAction.fenced, 'KIP-588'],
];
/** The coordinator no longer knows this producer id: abort, then bump the epoch (KIP-360). */
const PRODUCER_ID_LOST_ROWS: PolicyRows = [
  [ErrorCode.UNKNOWN_PRODUCER_ID, TxnAction.abortableWithEpochBump, 'abortableErrorIfPossible, KIP-360'],
  [ErrorCode.INVALID_PRODUCER_ID_MAPPING, TxnAction.abortableWithEpochBump, 'abortableErrorIfPossible, KIP-360'],
];
const ABORTABLE_ROW = [ErrorCode.TRANSACTION_ABORTABLE, TxnAction.abortable, 'KIP-890'] as const;

function table(handler: string, rows: PolicyRows): ReadonlyMap<number, TxnPolicyRow> {
  return new Map(rows.map(([code, action, note]) => [code, row(action, note === undefined ? handler : `${handler} (${note})`)]));
}

const FIND = 'TransactionManager.FindCoordinatorHandler';
const INIT = 'TransactionManager.InitProducerIdHandler';
const ADD_PARTITIONS = 'TransactionManager.AddPartitionsToTxnHandler';
const ADD_OFFSETS = 'TransactionManager.AddOffsetsToTxnHandler';
const TXN_OFFSET_COMMIT = 'TransactionManager.TxnOffsetCommitHandler';
const END_TXN = 'TransactionManager.EndTxnHandler';

export const TRANSACTION_POLICY: Readonly<Record<TxnRequestKind, ReadonlyMap<number, TxnPolicyRow>>> = {
  FindCoordinator: table(FIND, [
    [ErrorCode.COORDINATOR_NOT_AVAILABLE, TxnAction.retry],
    [ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, TxnAction.retry],
    [ErrorCode.NOT_COORDINATOR, TxnAction.retry],
    [ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, TxnAction.fatal],
    [ErrorCode.GROUP_AUTHORIZATION_FAILED, TxnAction.abortable],
    ABORTABLE_ROW,
  ]),
  InitProducerId: table(INIT, [
    ...COORDINATOR_ROWS,
    // The coordinator is aborting the previous instance's open transaction (fencing); retry until it is done.
    [ErrorCode.CONCURRENT_TRANSACTIONS, TxnAction.retry],
    ...FENCED_ROWS,
    [ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, TxnAction.abortable, 'authorization errors are abortable from INITIALIZING'],
    [ErrorCode.CLUSTER_AUTHORIZATION_FAILED, TxnAction.abortable, 'authorization errors are abortable from INITIALIZING'],
    ABORTABLE_ROW,
    [ErrorCode.INVALID_TRANSACTION_TIMEOUT, TxnAction.fatal, 'transaction.timeout.ms above transaction.max.timeout.ms'],
  ]),
  AddPartitionsToTxn: table(ADD_PARTITIONS, [
    ...COORDINATOR_ROWS,
    [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, TxnAction.retry],
    // The previous transaction's markers are still being written; the first add retries after 20 ms.
    [ErrorCode.CONCURRENT_TRANSACTIONS, TxnAction.retry, 'ADD_PARTITIONS_RETRY_BACKOFF_MS'],
    ...FENCED_ROWS,
    [ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, TxnAction.fatal],
    [ErrorCode.INVALID_TXN_STATE, TxnAction.fatal],
    [ErrorCode.TOPIC_AUTHORIZATION_FAILED, TxnAction.abortable],
    [ErrorCode.OPERATION_NOT_ATTEMPTED, TxnAction.abortable, 'another partition of the request failed'],
    ...PRODUCER_ID_LOST_ROWS,
    ABORTABLE_ROW,
  ]),
  AddOffsetsToTxn: table(ADD_OFFSETS, [
    ...COORDINATOR_ROWS,
    [ErrorCode.CONCURRENT_TRANSACTIONS, TxnAction.retry],
    ...FENCED_ROWS,
    [ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, TxnAction.fatal],
    [ErrorCode.INVALID_TXN_STATE, TxnAction.fatal],
    [ErrorCode.GROUP_AUTHORIZATION_FAILED, TxnAction.abortable],
    ...PRODUCER_ID_LOST_ROWS,
    ABORTABLE_ROW,
  ]),
  TxnOffsetCommit: table(TXN_OFFSET_COMMIT, [
    ...COORDINATOR_ROWS,
    [ErrorCode.REQUEST_TIMED_OUT, TxnAction.lookupCoordinator],
    [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, TxnAction.retry],
    [ErrorCode.CONCURRENT_TRANSACTIONS, TxnAction.retry],
    // KIP-447: the consumer's generation is stale (a zombie consumer): CommitFailedException, abortable.
    [ErrorCode.UNKNOWN_MEMBER_ID, TxnAction.abortable, 'KIP-447 CommitFailedException'],
    [ErrorCode.ILLEGAL_GENERATION, TxnAction.abortable, 'KIP-447 CommitFailedException'],
    [ErrorCode.FENCED_INSTANCE_ID, TxnAction.abortable, 'KIP-447'],
    [ErrorCode.GROUP_AUTHORIZATION_FAILED, TxnAction.abortable],
    ABORTABLE_ROW,
    ...FENCED_ROWS,
    [ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, TxnAction.fatal],
    [ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, TxnAction.fatal],
  ]),
  EndTxn: table(END_TXN, [
    ...COORDINATOR_ROWS,
    // The coordinator has not finished the previous transition (PrepareCommit/PrepareAbort): retry.
    [ErrorCode.CONCURRENT_TRANSACTIONS, TxnAction.retry],
    ...FENCED_ROWS,
    [ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, TxnAction.fatal],
    [ErrorCode.INVALID_TXN_STATE, TxnAction.fatal],
    ...PRODUCER_ID_LOST_ROWS,
    ABORTABLE_ROW,
  ]),
};

export function txnPolicyFor(kind: TxnRequestKind, code: number): TxnPolicyRow {
  if (code === ErrorCode.NONE) return row(TxnAction.retry, 'success');
  return TRANSACTION_POLICY[kind].get(code) ?? row(isRetriable(code) ? TxnAction.retry : TxnAction.fatal, `${kind}: unexpected error (RetriableException or KafkaException)`);
}

/** What the application should do, for the message of the error it receives. */
export function adviceFor(action: TxnAction): string {
  switch (action) {
    case TxnAction.abortable:
    case TxnAction.abortableWithEpochBump:
      return 'call abortTransaction(), then retry the transaction from its start';
    case TxnAction.fenced:
      return 'another producer with the same transactional.id has started (this one is a zombie); close this producer';
    case TxnAction.fatal:
      return 'the producer cannot continue; close it and create a new one after fixing the cause';
    default:
      return 'the operation is retried';
  }
}
