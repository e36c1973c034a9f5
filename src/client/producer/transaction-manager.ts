// Kafka's `TransactionManager`: the one state machine of an idempotent or transactional producer. It owns the
// current producer id/epoch (an immutable value), the per-partition sequence entries, the partitions whose
// sequences are unresolved after a delivery timeout, the epoch bumps of KIP-360, and — with a transactional
// id — the transaction's partitions and the queue of coordinator requests (FindCoordinator is folded into each
// request's send) that the Sender serves, one at a time, before produce data. It has no timers, sockets or
// awaits: the Sender and the producer call it synchronously, so no interleaving can observe half an update.
//
// States and valid transitions are `TransactionManager.State.isTransitionValid`. An idempotent
// producer only walks UNINITIALIZED -> INITIALIZING -> READY (and back to UNINITIALIZED to take a new producer
// id when its epoch is exhausted); any state may go to FATAL_ERROR.
import { NO_SEQUENCE, incrementSequence } from '../../protocol/records/batch-header.ts';
import { ErrorCode, errorName } from '../../protocol/errors/index.ts';
import { ErrorKind, KafkaClientError } from '../errors/kafka-client-error.ts';
import { ProduceAction } from '../policy/produce-policy.ts';
import type { ProducerBatch } from './producer-batch.ts';
import { MAX_PRODUCER_EPOCH, producerIdAndEpoch, sameProducerIdAndEpoch, type ProducerIdAndEpoch } from './producer-id-and-epoch.ts';
import { TxnPartitionEntry } from './txn-partition-entry.ts';
import {
  AddOffsetsToTxnRequest,
  AddPartitionsToTxnRequest,
  EndTxnRequest,
  InitProducerIdRequest,
  TransactionalResult,
  TxnOffsetCommitRequest,
  type ConsumerGroupMetadata,
  type TxnRequest,
} from '../transactions/txn-requests.ts';
import { INT32_MAX } from '../../protocol/wire/int-limits.ts';

export const TransactionState = {
  uninitialized: 'UNINITIALIZED',
  initializing: 'INITIALIZING',
  ready: 'READY',
  inTransaction: 'IN_TRANSACTION',
  committingTransaction: 'COMMITTING_TRANSACTION',
  abortingTransaction: 'ABORTING_TRANSACTION',
  abortableError: 'ABORTABLE_ERROR',
  fatalError: 'FATAL_ERROR',
} as const;
export type TransactionState = (typeof TransactionState)[keyof typeof TransactionState];

/** Target state -> the states it may be entered from (`State.isTransitionValid`). FATAL_ERROR: from any. */
const VALID_SOURCES: Readonly<Record<TransactionState, readonly TransactionState[] | 'any'>> = {
  UNINITIALIZED: ['READY', 'ABORTABLE_ERROR'],
  INITIALIZING: ['UNINITIALIZED', 'ABORTING_TRANSACTION'],
  READY: ['INITIALIZING', 'COMMITTING_TRANSACTION', 'ABORTING_TRANSACTION'],
  IN_TRANSACTION: ['READY'],
  COMMITTING_TRANSACTION: ['IN_TRANSACTION'],
  ABORTING_TRANSACTION: ['IN_TRANSACTION', 'ABORTABLE_ERROR'],
  ABORTABLE_ERROR: ['IN_TRANSACTION', 'COMMITTING_TRANSACTION', 'ABORTABLE_ERROR', 'INITIALIZING'],
  FATAL_ERROR: 'any',
};

export function isTransitionValid(from: TransactionState, to: TransactionState): boolean {
  const sources = VALID_SOURCES[to];
  return sources === 'any' || sources.includes(from);
}

/** Per-partition in-flight limit: the broker caches the last 5 batches per producer (NUM_BATCHES_TO_RETAIN). */
export const MAX_INFLIGHT_BATCHES_PER_PARTITION = 5;

export function topicPartitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export interface TransactionManagerOptions {
  /** null for an idempotent (non-transactional) producer. */
  readonly transactionalId?: string | null;
  /** transaction.timeout.ms, sent in InitProducerId. */
  readonly transactionTimeoutMs?: number;
  /** retry.backoff.ms for coordinator requests. */
  readonly retryBackoffMs?: number;
}

/** Offsets to commit in a transaction: `topic -> partition -> offset` entries (the next offset to consume). */
export interface OffsetToCommit {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly leaderEpoch?: number;
  readonly metadata?: string | null;
}

export class TransactionManager {
  readonly transactionalId: string | null;
  readonly transactionTimeoutMs: number;
  readonly retryBackoffMs: number;
  private current: ProducerIdAndEpoch | null = null;
  private stateValue: TransactionState = TransactionState.uninitialized;
  /** The abortable or fatal error behind the current error state (`lastError`). */
  lastError: KafkaClientError | null = null;
  private readonly partitions = new Map<string, TxnPartitionEntry>();
  /** Partition -> the sequence after the highest expired batch (`partitionsWithUnresolvedSequences`). */
  private readonly unresolved = new Map<string, number>();
  private readonly partitionsToRewriteSequences = new Set<string>();
  private epochBumpRequired = false;
  /** Count of epoch bumps and producer id resets, for metrics and tests. */
  epochBumps = 0;

  // Transaction bookkeeping (`newPartitionsInTransaction`, `pendingPartitionsInTransaction`, `partitionsInTransaction`).
  private readonly newPartitions = new Map<string, { topic: string; partition: number }>();
  private readonly pendingPartitions = new Set<string>();
  private readonly partitionsInTransaction = new Set<string>();
  /** A partition or offsets were added: the transaction needs an EndTxn (`transactionStarted`). */
  private transactionStarted = false;
  /** The transaction version in use (KIP-890): decided at a transaction boundary (`beginTransaction`). */
  transactionVersion2 = false;
  /** Whether the coordinator's cluster offers transaction version 2: `transaction.version` >= 2 finalized, with EndTxn v5. */
  coordinatorSupportsTransactionV2 = false;
  /** InitProducerId v3+ is served by the coordinator (KIP-360 `coordinatorSupportsBumpingEpoch`). */
  coordinatorSupportsBumpingEpoch = true;
  private readonly pendingRequests: TxnRequest[] = [];
  /** The result of a call still pending, so a retried call gets the same one (`handleCachedTransactionRequestResult`). */
  private pendingResult: { readonly operation: string; readonly result: TransactionalResult } | null = null;

  constructor(options: TransactionManagerOptions = {}) {
    this.transactionalId = options.transactionalId ?? null;
    this.transactionTimeoutMs = options.transactionTimeoutMs ?? 60000;
    this.retryBackoffMs = options.retryBackoffMs ?? 100;
  }

  get isTransactional(): boolean {
    return this.transactionalId !== null;
  }

  get state(): TransactionState {
    return this.stateValue;
  }

  get producerIdAndEpoch(): ProducerIdAndEpoch | null {
    return this.current;
  }

  get hasProducerId(): boolean {
    return this.current !== null;
  }

  get fatalError(): KafkaClientError | null {
    return this.stateValue === TransactionState.fatalError ? this.lastError : null;
  }

  get hasAbortableError(): boolean {
    return this.stateValue === TransactionState.abortableError;
  }

  get isAborting(): boolean {
    return this.stateValue === TransactionState.abortingTransaction;
  }

  get isCompleting(): boolean {
    return this.stateValue === TransactionState.committingTransaction || this.stateValue === TransactionState.abortingTransaction;
  }

  get isInTransaction(): boolean {
    return this.stateValue === TransactionState.inTransaction || this.isCompleting || this.stateValue === TransactionState.abortableError;
  }

  get needsEpochBump(): boolean {
    return this.epochBumpRequired;
  }

  transitionTo(next: TransactionState, error: KafkaClientError | null = null): void {
    if (!isTransitionValid(this.stateValue, next)) {
      throw new Error(`invalid transaction manager transition ${this.stateValue} -> ${next}`);
    }
    if (next === TransactionState.fatalError || next === TransactionState.abortableError) {
      if (error !== null) this.lastError = error;
    } else {
      this.lastError = null;
    }
    this.stateValue = next;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Producer id and epoch

  /** InitProducerId answered: a new value for every partition (each resets when its old batches are done). */
  setProducerIdAndEpoch(producerId: bigint, epoch: number): void {
    this.current = producerIdAndEpoch(producerId, epoch);
    if (this.stateValue === TransactionState.initializing) this.transitionTo(TransactionState.ready);
    this.rewritePendingPartitions();
  }

  /** A transactional producer's new id or epoch (InitProducerId bump, TV2 EndTxn): every partition restarts at 0. */
  resetSequenceNumbers(producerId: bigint, epoch: number): void {
    this.current = producerIdAndEpoch(producerId, epoch);
    for (const entry of this.partitions.values()) if (entry.inflight.length === 0) entry.reset(this.current);
    this.unresolved.clear();
    this.partitionsToRewriteSequences.clear();
    this.epochBumpRequired = false;
  }

  transitionToFatal(error: KafkaClientError): void {
    if (this.stateValue === TransactionState.fatalError) return;
    this.transitionTo(TransactionState.fatalError, error);
    for (const request of this.pendingRequests.splice(0)) request.result.fail(error);
    this.pendingResult = null;
  }

  /** `transitionToAbortableError`: ignored while an abort is already under way. */
  transitionToAbortableError(error: KafkaClientError): void {
    if (this.stateValue === TransactionState.abortingTransaction || this.stateValue === TransactionState.fatalError) return;
    if (!this.isTransactional) return;
    this.transitionTo(TransactionState.abortableError, error);
  }

  /** InitProducerId failed with an abortable error (authorization): back to UNINITIALIZED via ABORTABLE_ERROR. */
  initializationFailed(error: KafkaClientError): void {
    this.transitionTo(TransactionState.abortableError, error);
    this.transitionTo(TransactionState.uninitialized);
    this.pendingResult = null;
  }

  /** `abortableErrorIfPossible`: an error that needs a new epoch is abortable only if the coordinator can bump it. */
  transitionToAbortableErrorWithEpochBump(error: KafkaClientError): void {
    if (!this.coordinatorSupportsBumpingEpoch) {
      this.transitionToFatal(new KafkaClientError({ code: error.code, kind: ErrorKind.fatal, message: `${error.message} (the coordinator cannot bump the epoch: InitProducerId < v3)` }));
      return;
    }
    this.epochBumpRequired = true;
    this.transitionToAbortableError(error);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Application calls (KafkaProducer.initTransactions / beginTransaction / commitTransaction / abortTransaction /
  // sendOffsetsToTransaction). Each checks the state synchronously and throws a typed error when the call is
  // not allowed now; the returned result settles when the coordinator has answered.

  /** Throws the pending error: fatal always; abortable unless the caller is abortTransaction (`maybeFailWithError`). */
  maybeFailWithError(): void {
    if (this.lastError === null) return;
    if (this.stateValue === TransactionState.fatalError || this.stateValue === TransactionState.abortableError) throw this.lastError;
  }

  private cached(operation: string, target: TransactionState, start: () => TransactionalResult): TransactionalResult {
    if (this.pendingResult !== null && !this.pendingResult.result.settled) {
      if (this.pendingResult.operation === operation && this.stateValue === target) return this.pendingResult.result;
      throw this.stateError(`${operation} while ${this.pendingResult.operation} is still pending; wait for it first`);
    }
    const result = start();
    this.pendingResult = { operation, result };
    return result;
  }

  private requireTransactional(operation: string): void {
    if (!this.isTransactional) throw this.stateError(`${operation} needs a transactionalId; set the transactionalId option`);
  }

  private stateError(message: string): KafkaClientError {
    return new KafkaClientError({ code: ErrorCode.INVALID_TXN_STATE, kind: ErrorKind.abortable, message });
  }

  /** `initializeTransactions`: fetch a producer id (first call) or bump the epoch (`producerIdAndEpoch` given). */
  initializeTransactions(bump: ProducerIdAndEpoch | null = null): TransactionalResult {
    if (bump === null) this.requireTransactional('initTransactions');
    this.maybeFailWithError();
    if (bump === null && this.isTransactional && this.stateValue !== TransactionState.uninitialized) {
      if (this.stateValue === TransactionState.initializing && this.pendingResult?.operation === 'initTransactions') return this.pendingResult.result;
      if (this.hasProducerId) {
        const done = new TransactionalResult();
        done.done();
        return done;
      }
    }
    if (bump !== null) {
      // The epoch bump after an abort (KIP-360): the state moves when EndTxn completes (`completeTransaction`).
      const request = new InitProducerIdRequest(this, bump);
      this.enqueue(request);
      return request.result;
    }
    return this.cached('initTransactions', TransactionState.initializing, () => {
      this.transitionTo(TransactionState.initializing);
      const request = new InitProducerIdRequest(this, null);
      this.enqueue(request);
      return request.result;
    });
  }

  beginTransaction(): void {
    this.requireTransactional('beginTransaction');
    this.maybeFailWithError();
    if (this.stateValue !== TransactionState.ready) {
      throw this.stateError(
        this.stateValue === TransactionState.uninitialized || this.stateValue === TransactionState.initializing
          ? 'beginTransaction before initTransactions() completed; call and await initTransactions() first'
          : `beginTransaction in state ${this.stateValue}; commit or abort the open transaction first`,
      );
    }
    // `maybeUpdateTransactionV2Enabled`: the protocol changes only between transactions.
    this.transactionVersion2 = this.coordinatorSupportsTransactionV2;
    this.transitionTo(TransactionState.inTransaction);
  }

  beginCommit(): TransactionalResult {
    this.requireTransactional('commitTransaction');
    return this.cached('commitTransaction', TransactionState.committingTransaction, () => {
      this.maybeFailWithError();
      if (this.stateValue !== TransactionState.inTransaction) throw this.stateError(`commitTransaction in state ${this.stateValue}; call beginTransaction() first`);
      this.transitionTo(TransactionState.committingTransaction);
      return this.beginCompletingTransaction(true);
    });
  }

  beginAbort(): TransactionalResult {
    this.requireTransactional('abortTransaction');
    return this.cached('abortTransaction', TransactionState.abortingTransaction, () => {
      if (this.stateValue !== TransactionState.abortableError) this.maybeFailWithError();
      if (this.stateValue !== TransactionState.inTransaction && this.stateValue !== TransactionState.abortableError) {
        throw this.stateError(`abortTransaction in state ${this.stateValue}; there is no open transaction`);
      }
      const lastError = this.lastError;
      this.transitionTo(TransactionState.abortingTransaction);
      // Aborting: partitions not yet added need no AddPartitionsToTxn.
      this.newPartitions.clear();
      return this.beginCompletingTransaction(false, lastError);
    });
  }

  private beginCompletingTransaction(commit: boolean, lastError: KafkaClientError | null = null): TransactionalResult {
    if (this.newPartitions.size > 0) this.enqueue(new AddPartitionsToTxnRequest(this, this.takeNewPartitions()));
    // INVALID_PRODUCER_ID_MAPPING: the coordinator will refuse EndTxn; go straight to the epoch bump.
    if (lastError?.code !== ErrorCode.INVALID_PRODUCER_ID_MAPPING) {
      const endTxn = new EndTxnRequest(this, commit);
      this.enqueue(endTxn);
      if (!this.epochBumpRequired || this.transactionVersion2) return endTxn.result;
    }
    return this.initializeTransactions(this.current);
  }

  /** `sendOffsetsToTransaction`: AddOffsetsToTxn, then TxnOffsetCommit to the group coordinator (KIP-447). */
  sendOffsetsToTransaction(offsets: readonly OffsetToCommit[], group: ConsumerGroupMetadata): TransactionalResult {
    this.requireTransactional('sendOffsetsToTransaction');
    this.maybeFailWithError();
    if (this.stateValue !== TransactionState.inTransaction) throw this.stateError(`sendOffsetsToTransaction in state ${this.stateValue}; call beginTransaction() first`);
    if (this.transactionVersion2) {
      // KIP-890 part 2: TxnOffsetCommit v5 adds the offsets partition itself; no AddOffsetsToTxn.
      this.transactionStarted = true;
      const commit = new TxnOffsetCommitRequest(this, offsets, group, new TransactionalResult());
      this.enqueue(commit);
      return commit.result;
    }
    const request = new AddOffsetsToTxnRequest(this, offsets, group);
    this.enqueue(request);
    return request.result;
  }

  /** `failIfNotReadyForSend` + `maybeAddPartition`: called for each record appended by a transactional producer. */
  maybeAddPartition(topic: string, partition: number): void {
    if (!this.isTransactional) return;
    this.maybeFailWithError();
    if (this.stateValue !== TransactionState.inTransaction) {
      throw this.stateError(
        this.hasProducerId
          ? `send outside a transaction (state ${this.stateValue}); call beginTransaction() first`
          : 'send before initTransactions() completed; call and await initTransactions() first',
      );
    }
    const key = topicPartitionKey(topic, partition);
    if (this.partitionsInTransaction.has(key) || this.pendingPartitions.has(key)) return;
    if (this.transactionVersion2) {
      // KIP-890 part 2: a transactional Produce v12+ adds the partition on the broker's side.
      this.partitionsInTransaction.add(key);
      this.transactionStarted = true;
      return;
    }
    this.newPartitions.set(key, { topic, partition });
  }

  private takeNewPartitions(): { topic: string; partition: number }[] {
    const out = [...this.newPartitions.values()];
    for (const key of this.newPartitions.keys()) this.pendingPartitions.add(key);
    this.newPartitions.clear();
    return out;
  }

  /** `isSendToPartitionAllowed`. */
  isSendToPartitionAllowed(key: string): boolean {
    if (this.stateValue === TransactionState.fatalError) return false;
    return !this.isTransactional || this.partitionsInTransaction.has(key);
  }

  // ---------------------------------------------------------------------------------------------------------
  // The coordinator request queue

  enqueue(request: TxnRequest): void {
    // Priority order, then arrival order (`pendingRequests` is a PriorityQueue by `Priority`).
    let at = this.pendingRequests.length;
    while (at > 0 && this.pendingRequests[at - 1].priority > request.priority) at--;
    this.pendingRequests.splice(at, 0, request);
  }

  get hasPendingRequests(): boolean {
    return this.pendingRequests.length > 0 || this.newPartitions.size > 0;
  }

  /**
   * `nextRequest`: the next coordinator request to send, or null. AddPartitionsToTxn for partitions appended
   * since the last one is queued first; EndTxn waits until no batch is incomplete.
   */
  nextRequest(hasIncompleteBatches: boolean): TxnRequest | null {
    if (this.newPartitions.size > 0 && (this.stateValue === TransactionState.inTransaction || this.stateValue === TransactionState.committingTransaction)) {
      this.enqueue(new AddPartitionsToTxnRequest(this, this.takeNewPartitions()));
    }
    const next = this.pendingRequests[0];
    if (next === undefined) return null;
    if (next instanceof EndTxnRequest && hasIncompleteBatches) return null;
    this.pendingRequests.shift();
    if (this.stateValue === TransactionState.fatalError) {
      next.result.fail(this.lastError as KafkaClientError);
      return null;
    }
    // `maybeTerminateRequestWithError`: after an abortable error only the abort's requests still go out.
    if (this.stateValue === TransactionState.abortableError) {
      next.result.fail(this.lastError as KafkaClientError);
      return this.nextRequest(hasIncompleteBatches);
    }
    if (next instanceof EndTxnRequest && !this.transactionStarted) {
      // Nothing was added: there is nothing for the coordinator to end.
      this.completeTransaction();
      next.result.done();
      return this.nextRequest(hasIncompleteBatches);
    }
    return next;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Outcomes of coordinator requests, called by the request handlers

  /** AddPartitionsToTxn succeeded for these partitions. */
  partitionsAdded(keys: readonly string[]): void {
    for (const key of keys) {
      this.pendingPartitions.delete(key);
      this.partitionsInTransaction.add(key);
    }
    if (keys.length > 0) this.transactionStarted = true;
  }

  /** AddPartitionsToTxn failed: the partitions go back to "new" so a retry includes them. */
  partitionsNotAdded(keys: readonly { topic: string; partition: number }[], requeue: boolean): void {
    for (const entry of keys) {
      const key = topicPartitionKey(entry.topic, entry.partition);
      this.pendingPartitions.delete(key);
      if (requeue && !this.partitionsInTransaction.has(key)) this.newPartitions.set(key, entry);
    }
  }

  offsetsAdded(): void {
    this.transactionStarted = true;
  }

  /** Whether this is the first AddPartitionsToTxn of the transaction (CONCURRENT_TRANSACTIONS backs off 20 ms). */
  get isFirstAddOfTransaction(): boolean {
    return this.partitionsInTransaction.size === 0;
  }

  /** `completeTransaction`: EndTxn answered. READY, or INITIALIZING when an epoch bump follows. */
  completeTransaction(): void {
    if (this.epochBumpRequired && !this.transactionVersion2) this.transitionTo(TransactionState.initializing);
    else this.transitionTo(TransactionState.ready);
    this.transactionStarted = false;
    this.newPartitions.clear();
    this.pendingPartitions.clear();
    this.partitionsInTransaction.clear();
  }

  /** InitProducerId answered for a transactional producer (first init or an epoch bump). */
  producerIdInitialized(producerId: bigint, epoch: number, wasBump: boolean): void {
    if (wasBump) this.epochBumps++;
    this.resetSequenceNumbers(producerId, epoch);
    // INITIALIZING after EndTxn, or still ABORTING when EndTxn was skipped (INVALID_PRODUCER_ID_MAPPING).
    if (this.stateValue === TransactionState.initializing || this.stateValue === TransactionState.abortingTransaction) this.transitionTo(TransactionState.ready);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Sequences (shared by idempotent and transactional producers)

  entry(key: string): TxnPartitionEntry {
    let entry = this.partitions.get(key);
    if (entry === undefined) {
      entry = new TxnPartitionEntry();
      entry.producerIdAndEpoch = this.current;
      this.partitions.set(key, entry);
    }
    return entry;
  }

  hasUnresolvedSequence(key: string): boolean {
    return this.unresolved.has(key);
  }

  private get canSendProduceData(): boolean {
    const state = this.stateValue;
    return this.current !== null && state !== TransactionState.fatalError && state !== TransactionState.uninitialized && state !== TransactionState.initializing;
  }

  /** `RecordAccumulator.shouldStopDrainBatchesForPartition`, negated, plus `isSendToPartitionAllowed`. */
  canDrain(key: string, first: ProducerBatch): boolean {
    if (!this.canSendProduceData) return false;
    if (!this.isSendToPartitionAllowed(key)) return false;
    const entry = this.entry(key);
    if (!first.hasSequence) {
      // New data only while the transaction is open (after an abortable error it is aborted instead).
      if (this.isTransactional && this.stateValue !== TransactionState.inTransaction && this.stateValue !== TransactionState.committingTransaction) return false;
      // A new batch with the new epoch and sequence 0 must not overtake old-epoch batches still in flight.
      if (entry.inflight.length > 0 && !sameProducerIdAndEpoch(entry.producerIdAndEpoch, this.current)) return false;
      if (this.unresolved.has(key)) return false;
      if (entry.inflight.length >= MAX_INFLIGHT_BATCHES_PER_PARTITION) return false;
      // Until the partition has acknowledged a batch of this producer id and epoch, one batch at a time: a leader
      // that has no state for the producer accepts any first sequence (`ProducerAppendInfo.checkSequence` with an
      // empty entry), so a later batch could be written ahead of a first one that failed with a retriable error
      // (NOT_LEADER_OR_FOLLOWER while a new partition's leader gets ready). The first would then be answered
      // OUT_OF_ORDER_SEQUENCE_NUMBER on every retry, stalling the partition until delivery.timeout.ms.
      if (entry.inflight.length > 0 && entry.lastAckedSequence === NO_SEQUENCE) return false;
      return true;
    }
    // A retried batch goes only when it is the lowest in-flight sequence: one batch at a time until the chain
    // heals (`RecordAccumulator.shouldStopDrainBatchesForPartition`).
    const firstInflight = entry.firstInflightSequence;
    return firstInflight === NO_SEQUENCE || first.baseSequence === firstInflight;
  }

  /**
   * Gives a drained batch its producer state: `RecordAccumulator.drainBatchesForOneNode` ->
   * `maybeUpdateProducerIdAndEpoch` + `setProducerState`. Batches that already have a sequence keep it.
   */
  assignSequence(key: string, batch: ProducerBatch): void {
    if (batch.hasSequence) return;
    const entry = this.entry(key);
    if (!sameProducerIdAndEpoch(entry.producerIdAndEpoch, this.current) && entry.inflight.length === 0) {
      entry.reset(this.current);
    }
    batch.isTransactional = this.isTransactional;
    batch.setProducerState(entry.producerIdAndEpoch, entry.nextSequence);
    entry.nextSequence = incrementSequence(entry.nextSequence, batch.recordCount);
    entry.addInflight(batch);
  }

  /** `TransactionManager.handleCompletedBatch`. */
  handleCompletedBatch(key: string, batch: ProducerBatch, baseOffset: bigint): void {
    const entry = this.entry(key);
    if (batch.producerId === entry.producerIdAndEpoch?.producerId && batch.producerEpoch === entry.producerIdAndEpoch.epoch) {
      const last = batch.lastSequence;
      if (entry.lastAckedSequence === NO_SEQUENCE || last > entry.lastAckedSequence || (entry.lastAckedSequence > 0x7fff0000 && last < 0x10000)) {
        entry.lastAckedSequence = last;
      }
      if (baseOffset >= 0n) entry.lastAckedOffset = baseOffset + BigInt(batch.recordCount - 1);
    }
    entry.removeInflight(batch);
    this.maybeResolveSequences();
  }

  /** `TransactionManager.isNextSequence`: the batch right after the last acknowledged one. */
  isNextSequence(key: string, sequence: number): boolean {
    const entry = this.entry(key);
    const expected = entry.lastAckedSequence === NO_SEQUENCE ? 0 : incrementSequence(entry.lastAckedSequence, 1);
    return sequence === expected;
  }

  /**
   * `TransactionManager.canRetry`: may this failed batch be sent again? The idempotent producer requests the
   * local epoch bump where KIP-360 says so; the transactional one fails the batch instead (abortable, and the
   * epoch is bumped through the coordinator after the abort).
   */
  canRetry(key: string, batch: ProducerBatch, action: ProduceAction, retriable: boolean, logStartOffset: bigint): boolean {
    if (action === ProduceAction.unknownProducerId) {
      if (logStartOffset === -1n) return true;
      if (this.isTransactional) return false;
      this.requestEpochBumpForPartition(key);
      return true;
    }
    if (action === ProduceAction.outOfOrderSequence) {
      const unresolved = this.unresolved.get(key);
      if (unresolved === undefined && (batch.sequenceHasBeenReset || !this.isNextSequence(key, batch.baseSequence))) return true;
      if (this.isTransactional) return false;
      // A real gap (or the batch right after an unresolved one): bump the epoch; otherwise wait and retry.
      if (unresolved === undefined || unresolved === batch.baseSequence) this.requestEpochBumpForPartition(key);
      return true;
    }
    return retriable;
  }

  /**
   * `TransactionManager.handleFailedBatch`: the batch leaves the in-flight set. An idempotent producer closes
   * the sequence gap with a local bump; a transactional one enters ABORTABLE_ERROR (`maybeTransitionToErrorState`)
   * and, when the failed batch had a sequence, bumps its epoch through the coordinator after the abort.
   */
  handleFailedBatch(key: string, batch: ProducerBatch, adjustSequenceNumbers: boolean, error: KafkaClientError | null = null): void {
    const entry = this.entry(key);
    entry.removeInflight(batch);
    if (this.isTransactional) {
      if (error !== null && error.kind !== ErrorKind.fatal) {
        if (batch.hasSequence && !this.transactionVersion2 && !this.isAborting) this.epochBumpRequired = true;
        this.transitionToAbortableError(error);
      }
      return;
    }
    if (adjustSequenceNumbers && batch.hasSequence) this.requestEpochBumpForPartition(key);
    this.maybeResolveSequences();
  }

  /** `TransactionManager.markSequenceUnresolved`: an expired batch that may or may not have been written. */
  markSequenceUnresolved(key: string, batch: ProducerBatch): void {
    // A transactional producer aborts and bumps its epoch instead (handleFailedBatch).
    if (this.isTransactional) return;
    const next = incrementSequence(batch.lastSequence, 1);
    const previous = this.unresolved.get(key);
    if (previous === undefined || next > previous) this.unresolved.set(key, next);
  }

  /** `TransactionManager.maybeResolveSequences`. */
  maybeResolveSequences(): void {
    for (const [key, _] of this.unresolved) {
      const entry = this.entry(key);
      if (entry.inflight.length > 0) continue;
      const expectedNext = entry.lastAckedSequence === NO_SEQUENCE ? 0 : incrementSequence(entry.lastAckedSequence, 1);
      // A later batch was acknowledged, so the broker has the expired one too; otherwise restart the sequence.
      if (expectedNext !== entry.nextSequence || !sameProducerIdAndEpoch(entry.producerIdAndEpoch, this.current)) {
        this.requestEpochBumpForPartition(key);
      } else {
        this.unresolved.delete(key);
      }
    }
  }

  requestEpochBumpForPartition(key: string): void {
    this.epochBumpRequired = true;
    this.partitionsToRewriteSequences.add(key);
  }

  /**
   * `TransactionManager.bumpIdempotentEpochAndResetIdIfNeeded`, run by the Sender before it builds requests.
   * For an idempotent producer: bumps the epoch locally, or queues InitProducerId for a (new) producer id.
   * Returns true when a producer id is needed.
   */
  bumpIdempotentEpochAndResetIdIfNeeded(): boolean {
    if (this.isTransactional || this.stateValue === TransactionState.fatalError) return false;
    if (this.epochBumpRequired && this.stateValue === TransactionState.ready && this.current !== null) {
      this.epochBumps++;
      if (this.current.epoch >= MAX_PRODUCER_EPOCH) {
        // `resetIdempotentProducerId`: a new id; the partitions are rewritten once it arrives.
        this.current = null;
        this.transitionTo(TransactionState.uninitialized);
      } else {
        this.current = producerIdAndEpoch(this.current.producerId, this.current.epoch + 1);
        this.rewritePendingPartitions();
      }
    }
    return this.stateValue === TransactionState.uninitialized;
  }

  /** For an idempotent producer that needs a producer id: InitProducerId without a transactional id, queued. */
  initializeIdempotentProducerId(): void {
    if (this.isTransactional || this.stateValue !== TransactionState.uninitialized) return;
    this.transitionTo(TransactionState.initializing);
    this.enqueue(new InitProducerIdRequest(this, null));
  }

  /** `TxnPartitionMap.startSequencesAtBeginning` for every partition that asked for the bump. */
  private rewritePendingPartitions(): void {
    if (this.current === null) return;
    for (const key of this.partitionsToRewriteSequences) {
      const entry = this.entry(key);
      let sequence = 0;
      for (const batch of entry.inflight) {
        batch.setProducerState(this.current, sequence);
        batch.sequenceHasBeenReset = true;
        sequence = incrementSequence(sequence, batch.recordCount);
      }
      entry.reset(this.current);
      entry.nextSequence = sequence;
      this.unresolved.delete(key);
    }
    this.partitionsToRewriteSequences.clear();
    this.epochBumpRequired = false;
  }

  /** Every batch still waiting on a sequence decision, for a fatal shutdown. */
  allInflight(): ProducerBatch[] {
    const out: ProducerBatch[] = [];
    for (const entry of this.partitions.values()) out.push(...entry.inflight);
    return out;
  }

  /** The InitProducerId timeout to send: transaction.timeout.ms for a transactional producer. */
  get initTimeoutMs(): number {
    return this.isTransactional ? this.transactionTimeoutMs : INT32_MAX;
  }

  /** An error for a coordinator answer, naming the request, Kafka's error and what to do. */
  errorFor(request: string, code: number, kind: ErrorKind, advice: string, detail = ''): KafkaClientError {
    const id = this.transactionalId === null ? '' : ` for transactional id '${this.transactionalId}'`;
    return new KafkaClientError({ code, kind, message: `${request}${id} failed with ${errorName(code)}${detail}: ${advice}` });
  }
}
