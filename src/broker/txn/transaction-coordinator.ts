// The transaction coordinator (Kafka's `TransactionCoordinator` + `TransactionStateManager`): one
// TransactionMetadata per transactional id, every transition persisted in the transaction log before it takes
// effect in memory (Kafka's two-phase `prepareTransitionTo` / `completeTransitionTo`), markers written to the
// partitions of a transaction after PrepareCommit/PrepareAbort is durable, and CompleteCommit/CompleteAbort
// persisted once every marker is. This single node coordinates every transactional id.
//
// Interleaving: a transition sets `pendingState` synchronously before its first `await` (the log append), so a
// request arriving while it is being persisted sees the pending state and gets CONCURRENT_TRANSACTIONS, as it
// would under Kafka's metadata lock.
//
// Transaction versions: a TV1 client (the classic protocol) keeps its epoch across transactions and adds
// partitions with AddPartitionsToTxn/AddOffsetsToTxn; a TV2 client (KIP-890 part 2: EndTxn v5, Produce v12,
// TxnOffsetCommit v5) gets an epoch bump at every EndTxn and adds partitions implicitly with its writes.
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { LogFileSystem } from '../log/log-file-system.ts';
import type { BrokerLogger } from '../logger.ts';
import { TransactionLog } from './transaction-log.ts';
import {
  isEpochExhausted,
  logValueOf,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  TransactionMetadata,
  type TransactionTransit,
} from './transaction-metadata.ts';
import { isExpirationAllowed, TransactionState, transactionStateByName, transactionStateName } from './transaction-state.ts';

/** The internal topic whose partition AddOffsetsToTxn adds. */
export const GROUP_OFFSETS_TOPIC = '__consumer_offsets';
/** Leader epoch of the transaction log partition, carried by every marker; one node, never re-elected. */
export const COORDINATOR_EPOCH = 0;
/** Marker and completion retries back off from 50 ms to 1 s (Kafka retries markers until they are written). */
const MARKER_RETRY_BACKOFF_MS = 50;
const MARKER_RETRY_BACKOFF_MAX_MS = 1000;
/** How long an implicit add (TV2) waits for the previous transaction's markers before answering CONCURRENT_TRANSACTIONS. */
const IMPLICIT_ADD_RETRY_MS = 2000;
const IMPLICIT_ADD_BACKOFF_MS = 5;
/** `transaction.version` 2: KIP-890 part 2. */
export const TRANSACTION_VERSION_2 = 2;

export interface TransactionCoordinatorConfig {
  /** `transaction.max.timeout.ms` */
  transactionMaxTimeoutMs: number;
  /** `transactional.id.expiration.ms` */
  transactionalIdExpirationMs: number;
  /** `transaction.abort.timed.out.transaction.cleanup.interval.ms` */
  abortTimedOutTransactionCleanupIntervalMs: number;
  /** `transaction.remove.expired.transaction.cleanup.interval.ms` */
  removeExpiredTransactionalIdsIntervalMs: number;
  /** `offsets.topic.num.partitions`: which `__consumer_offsets` partition a group's offsets belong to. */
  offsetsTopicNumPartitions: number;
}

export const defaultTransactionCoordinatorConfig: Readonly<TransactionCoordinatorConfig> = {
  transactionMaxTimeoutMs: 900_000,
  transactionalIdExpirationMs: 604_800_000,
  abortTimedOutTransactionCleanupIntervalMs: 10_000,
  removeExpiredTransactionalIdsIntervalMs: 3_600_000,
  offsetsTopicNumPartitions: 50,
};

export interface TopicPartitionRef {
  readonly topic: string;
  readonly partition: number;
}

/** A COMMIT/ABORT marker for the data partitions of one transaction (WriteTxnMarkers' `WritableTxnMarker`). */
export interface TransactionMarker {
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
  commit: boolean;
  partitions: TopicPartitionRef[];
}

export interface TransactionCoordinatorOptions {
  dataDir: string;
  fs: LogFileSystem;
  logger: BrokerLogger;
  clock: () => number;
  durability: 'always' | 'interval' | 'never';
  config?: Partial<TransactionCoordinatorConfig>;
  /** Allocates producer ids (shared with idempotent producers). */
  generateProducerId: () => bigint;
  /** Writes markers to partition logs; resolves when they are durable, with a code per partition. */
  writeMarkers: (marker: TransactionMarker) => Promise<{ topic: string; partition: number; errorCode: number }[]>;
  /** Makes the producer's pending transactional offsets visible (commit) or drops them (abort), durably. */
  completeTransactionalOffsets: (producerId: bigint, producerEpoch: number, commit: boolean) => Promise<void>;
  /** Told of each transaction completed (CompleteCommit/CompleteAbort persisted) and how long it was open, in ms. */
  onTransactionCompleted?: (commit: boolean, durationMs: number) => void;
}

export interface ProducerIdAndEpoch {
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

export interface DescribedTransaction {
  errorCode: number;
  transactionalId: string;
  transactionState: string;
  transactionTimeoutMs: number;
  transactionStartTimeMs: bigint;
  producerId: bigint;
  producerEpoch: number;
  topics: { topic: string; partitions: number[] }[];
}

export interface ListedTransactions {
  unknownStateFilters: string[];
  transactionStates: { transactionalId: string; producerId: bigint; transactionState: string }[];
}

/** Marker results that are retried (the partition's leader may come back); anything else ends that partition. */
const RETRIABLE_MARKER_ERRORS: ReadonlySet<number> = new Set([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.KAFKA_STORAGE_ERROR,
]);

export class TransactionCoordinator {
  private readonly transactions = new Map<string, TransactionMetadata>();
  private readonly config: TransactionCoordinatorConfig;
  /** Marker rounds running in the background, awaited at close. */
  private readonly completions = new Set<Promise<void>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;

  private constructor(
    private readonly log: TransactionLog,
    private readonly options: TransactionCoordinatorOptions,
  ) {
    this.config = { ...defaultTransactionCoordinatorConfig, ...options.config };
  }

  /**
   * Loads the transaction log (Kafka's `loadTransactionsForTxnTopicPartition`) and resumes every transaction
   * found in PrepareCommit/PrepareAbort: its markers are written again and it is completed.
   */
  static open(options: TransactionCoordinatorOptions): TransactionCoordinator {
    const { log, transactions } = TransactionLog.open({ dataDir: options.dataDir, fs: options.fs, logger: options.logger, durability: options.durability });
    const coordinator = new TransactionCoordinator(log, options);
    for (const [transactionalId, value] of transactions) {
      coordinator.transactions.set(transactionalId, TransactionMetadata.fromLogValue(transactionalId, value));
    }
    for (const metadata of coordinator.transactions.values()) {
      if (metadata.state === TransactionState.PrepareCommit || metadata.state === TransactionState.PrepareAbort) {
        coordinator.startCompletion(metadata);
      }
    }
    coordinator.startTimers();
    return coordinator;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    await Promise.allSettled([...this.completions]);
    await this.log.close();
  }

  // ---------------------------------------------------------------------------------------------------------
  // InitProducerId (`handleInitProducerId`)

  async initProducerId(transactionalId: string, transactionTimeoutMs: number, expectedProducerId: bigint, expectedProducerEpoch: number): Promise<ProducerIdAndEpoch> {
    const fail = (errorCode: number): ProducerIdAndEpoch => ({ errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH });
    if (this.closed) return fail(ErrorCode.NOT_COORDINATOR);
    if (transactionalId === '') return fail(ErrorCode.INVALID_REQUEST);
    if (transactionTimeoutMs <= 0 || transactionTimeoutMs > this.config.transactionMaxTimeoutMs) return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    const now = this.options.clock();
    let metadata = this.transactions.get(transactionalId);
    if (metadata === undefined) {
      let producerId: bigint;
      try {
        producerId = this.options.generateProducerId();
      } catch {
        return fail(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      }
      metadata = new TransactionMetadata(transactionalId, producerId, NO_PRODUCER_EPOCH, transactionTimeoutMs, now);
      this.transactions.set(transactionalId, metadata);
    }
    const expected = expectedProducerId === NO_PRODUCER_ID ? null : { producerId: expectedProducerId, producerEpoch: expectedProducerEpoch };

    if (metadata.pendingState !== null) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
    if (
      expected !== null &&
      !(
        metadata.producerEpoch === NO_PRODUCER_EPOCH ||
        expected.producerId === metadata.producerId ||
        (expected.producerId === metadata.previousProducerId && isEpochExhausted(expected.producerEpoch))
      )
    ) {
      return fail(ErrorCode.PRODUCER_FENCED);
    }
    switch (metadata.state) {
      case TransactionState.PrepareCommit:
      case TransactionState.PrepareAbort:
        return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
      case TransactionState.Ongoing: {
        // Fence the running producer and abort its transaction; the client retries and bumps the epoch again
        // once the abort completes (so a new instance usually ends at the old epoch + 2).
        this.track(this.fenceAndAbort(metadata));
        return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
      }
      default:
        break;
    }
    let transit: TransactionTransit;
    if (isEpochExhausted(metadata.producerEpoch) && (expected === null || expected.producerEpoch === metadata.producerEpoch)) {
      // `prepareProducerIdRotation`
      let producerId: bigint;
      try {
        producerId = this.options.generateProducerId();
      } catch {
        return fail(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      }
      transit = metadata.transit({
        producerId,
        previousProducerId: metadata.producerId,
        nextProducerId: NO_PRODUCER_ID,
        producerEpoch: 0,
        lastProducerEpoch: expected === null ? NO_PRODUCER_EPOCH : metadata.producerEpoch,
      });
    } else {
      // `prepareIncrementProducerEpoch`
      let epoch: number;
      let lastEpoch: number;
      if (expected === null) {
        epoch = metadata.producerEpoch + 1;
        lastEpoch = NO_PRODUCER_EPOCH;
      } else if (metadata.producerEpoch === NO_PRODUCER_EPOCH || expected.producerEpoch === metadata.producerEpoch) {
        epoch = metadata.producerEpoch + 1;
        lastEpoch = metadata.producerEpoch;
      } else if (expected.producerEpoch === metadata.lastProducerEpoch) {
        // A retry of a bump that already succeeded.
        epoch = metadata.producerEpoch;
        lastEpoch = metadata.lastProducerEpoch;
      } else {
        return fail(ErrorCode.PRODUCER_FENCED);
      }
      transit = metadata.transit({ producerEpoch: epoch, lastProducerEpoch: lastEpoch });
    }
    Object.assign(transit, {
      state: TransactionState.Empty,
      partitions: new Map(),
      txnTimeoutMs: transactionTimeoutMs,
      txnStartTimestamp: -1,
      txnLastUpdateTimestamp: now,
    });
    const errorCode = await this.persist(metadata, transit);
    if (errorCode !== ErrorCode.NONE) return fail(errorCode);
    return { errorCode: ErrorCode.NONE, producerId: metadata.producerId, producerEpoch: metadata.producerEpoch };
  }

  // ---------------------------------------------------------------------------------------------------------
  // AddPartitionsToTxn / AddOffsetsToTxn (`handleAddPartitionsToTransaction`)

  /**
   * Adds partitions to the producer's transaction. Returns one code for the whole request (Kafka applies the
   * coordinator's error to every partition); partition existence is the caller's check.
   */
  async addPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: readonly TopicPartitionRef[], clientTransactionVersion = 0): Promise<number> {
    if (this.closed) return ErrorCode.NOT_COORDINATOR;
    if (transactionalId === '') return ErrorCode.INVALID_REQUEST;
    const metadata = this.transactions.get(transactionalId);
    const check = this.checkProducer(metadata, producerId, producerEpoch);
    if (check !== ErrorCode.NONE || metadata === undefined) return check;
    if (metadata.pendingState !== null) return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (metadata.state === TransactionState.PrepareCommit || metadata.state === TransactionState.PrepareAbort) return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (metadata.state === TransactionState.Ongoing && partitions.every((p) => metadata.hasPartition(p.topic, p.partition))) return ErrorCode.NONE;
    const now = this.options.clock();
    const transit = metadata.transit({ state: TransactionState.Ongoing, txnLastUpdateTimestamp: now, clientTransactionVersion });
    // The transaction timeout starts with the first partition (`prepareAddPartitions`).
    if (metadata.state !== TransactionState.Ongoing) {
      transit.txnStartTimestamp = now;
      transit.partitions = new Map();
    }
    for (const { topic, partition } of partitions) {
      let set = transit.partitions.get(topic);
      if (set === undefined) {
        set = new Set();
        transit.partitions.set(topic, set);
      }
      set.add(partition);
    }
    return this.persist(metadata, transit);
  }

  /**
   * KIP-890 part 2: a transactional Produce v12+ (or TxnOffsetCommit v5+) adds its partition to the transaction
   * itself, as the partition leader's AddPartitionsToTxn on the client's behalf does. While the previous
   * transaction's markers are being written (CONCURRENT_TRANSACTIONS) it waits and tries again for a while, as
   * Kafka's `AddPartitionsToTxnManager` does, so a producer that starts its next transaction at once is not
   * refused. Returns the coordinator's code (NONE, INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED,
   * CONCURRENT_TRANSACTIONS, ...).
   */
  async addPartitionImplicitly(transactionalId: string, producerId: bigint, producerEpoch: number, topic: string, partition: number): Promise<number> {
    const metadata = this.transactions.get(transactionalId);
    if (metadata?.state === TransactionState.Ongoing && metadata.pendingState === null && metadata.producerId === producerId && metadata.producerEpoch === producerEpoch && metadata.hasPartition(topic, partition)) {
      return ErrorCode.NONE;
    }
    const deadline = this.options.clock() + IMPLICIT_ADD_RETRY_MS;
    for (;;) {
      const errorCode = await this.addPartitions(transactionalId, producerId, producerEpoch, [{ topic, partition }], TRANSACTION_VERSION_2);
      if (errorCode !== ErrorCode.CONCURRENT_TRANSACTIONS || this.closed || this.options.clock() >= deadline) return errorCode;
      await delay(IMPLICIT_ADD_BACKOFF_MS);
    }
  }

  /** AddPartitionsToTxn v4+ `VerifyOnly` (and the produce path's KIP-890 check): a code per partition. */
  verifyPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: readonly TopicPartitionRef[]): { errorCode: number; partitionErrors: number[] } {
    const metadata = this.transactions.get(transactionalId);
    const check = this.closed ? ErrorCode.NOT_COORDINATOR : this.checkProducer(metadata, producerId, producerEpoch);
    if (check !== ErrorCode.NONE || metadata === undefined) return { errorCode: check, partitionErrors: [] };
    if (metadata.pendingState !== null || metadata.state === TransactionState.PrepareCommit || metadata.state === TransactionState.PrepareAbort) {
      return { errorCode: ErrorCode.CONCURRENT_TRANSACTIONS, partitionErrors: [] };
    }
    return {
      errorCode: ErrorCode.NONE,
      partitionErrors: partitions.map((p) =>
        metadata.state === TransactionState.Ongoing && metadata.hasPartition(p.topic, p.partition) ? ErrorCode.NONE : ErrorCode.TRANSACTION_ABORTABLE,
      ),
    };
  }

  /**
   * KIP-890 part 1 for the produce path: whether a transactional batch of (producerId, producerEpoch) may open a
   * transaction on this partition. NONE, TRANSACTION_ABORTABLE (not added), PRODUCER_FENCED,
   * INVALID_PRODUCER_ID_MAPPING (unknown transactional id or another producer id) or CONCURRENT_TRANSACTIONS.
   */
  verifyPartitionInTransaction(transactionalId: string, producerId: bigint, producerEpoch: number, topic: string, partition: number): number {
    const { errorCode, partitionErrors } = this.verifyPartitions(transactionalId, producerId, producerEpoch, [{ topic, partition }]);
    return errorCode !== ErrorCode.NONE ? errorCode : partitionErrors[0];
  }

  // ---------------------------------------------------------------------------------------------------------
  // EndTxn (`handleEndTransaction`)

  /**
   * EndTxn. `clientTransactionVersion` 2 (EndTxn v5, KIP-890 part 2): the prepare state bumps the epoch, the
   * answer carries the new producer id and epoch, a retry is recognised by the previous epoch (request epoch + 1
   * == the current one), and an abort with nothing in the transaction still bumps the epoch (how a TV2 client
   * recovers from an abortable error). Otherwise the classic rules.
   */
  async endTransaction(transactionalId: string, producerId: bigint, producerEpoch: number, commit: boolean, clientTransactionVersion = 0): Promise<ProducerIdAndEpoch> {
    const metadata = this.transactions.get(transactionalId);
    const answer = (errorCode: number): ProducerIdAndEpoch => {
      if (errorCode !== ErrorCode.NONE || metadata === undefined) return { errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH };
      // After an exhausted epoch the transaction ends on a new producer id at epoch 0 (KAFKA-18660).
      if (metadata.nextProducerId !== NO_PRODUCER_ID) return { errorCode, producerId: metadata.nextProducerId, producerEpoch: 0 };
      return { errorCode, producerId: metadata.producerId, producerEpoch: metadata.producerEpoch };
    };
    if (this.closed) return answer(ErrorCode.NOT_COORDINATOR);
    if (transactionalId === '') return answer(ErrorCode.INVALID_REQUEST);
    if (metadata === undefined || metadata.state === TransactionState.Dead) return answer(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    const tv2 = clientTransactionVersion >= TRANSACTION_VERSION_2;
    const completed = metadata.state === TransactionState.CompleteCommit || metadata.state === TransactionState.CompleteAbort;
    const preparing = metadata.state === TransactionState.PrepareCommit || metadata.state === TransactionState.PrepareAbort;
    // A TV2 retry of an EndTxn whose epoch bump rotated the producer id: the old id at its last epoch.
    const overflowRetry = tv2 && completed && producerId === metadata.previousProducerId && isEpochExhausted(producerEpoch);
    if (metadata.producerId !== producerId && !overflowRetry) return answer(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    const isRetry = tv2 && (completed || preparing) && (overflowRetry || metadata.producerEpoch === producerEpoch + 1);
    if (producerEpoch !== metadata.producerEpoch && !isRetry) return answer(ErrorCode.PRODUCER_FENCED);
    if (metadata.pendingState !== null) return answer(ErrorCode.CONCURRENT_TRANSACTIONS);
    const sameResult = (state: TransactionState): boolean =>
      commit ? state === TransactionState.CompleteCommit || state === TransactionState.PrepareCommit : state === TransactionState.CompleteAbort || state === TransactionState.PrepareAbort;
    switch (metadata.state) {
      case TransactionState.Ongoing:
        return answer(await this.prepareEnd(metadata, commit, tv2));
      case TransactionState.CompleteCommit:
      case TransactionState.CompleteAbort:
        if (tv2 && !isRetry) {
          // A TV2 abort of a transaction that added nothing bumps the epoch; a commit of nothing is invalid.
          return answer(commit ? ErrorCode.INVALID_TXN_STATE : await this.prepareEnd(metadata, false, true));
        }
        return answer(sameResult(metadata.state) ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE);
      case TransactionState.PrepareCommit:
      case TransactionState.PrepareAbort:
        return answer(sameResult(metadata.state) ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE);
      case TransactionState.Empty:
        return answer(tv2 && !commit ? await this.prepareEnd(metadata, false, true) : ErrorCode.INVALID_TXN_STATE);
      default:
        return answer(ErrorCode.INVALID_TXN_STATE);
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // DescribeTransactions / ListTransactions (KIP-664)

  describe(transactionalIds: readonly string[]): DescribedTransaction[] {
    return transactionalIds.map((transactionalId) => {
      const metadata = this.transactions.get(transactionalId);
      if (metadata === undefined || metadata.state === TransactionState.Dead || this.closed) {
        // Every other field at its schema default (0), as Kafka leaves them.
        return {
          errorCode: this.closed ? ErrorCode.NOT_COORDINATOR : ErrorCode.TRANSACTIONAL_ID_NOT_FOUND,
          transactionalId,
          transactionState: '',
          transactionTimeoutMs: 0,
          transactionStartTimeMs: 0n,
          producerId: 0n,
          producerEpoch: 0,
          topics: [],
        };
      }
      return {
        errorCode: ErrorCode.NONE,
        transactionalId,
        transactionState: transactionStateName(metadata.state),
        transactionTimeoutMs: metadata.txnTimeoutMs,
        transactionStartTimeMs: BigInt(metadata.txnStartTimestamp),
        producerId: metadata.producerId,
        producerEpoch: metadata.producerEpoch,
        topics: [...metadata.partitions].map(([topic, set]) => ({ topic, partitions: [...set].sort((a, b) => a - b) })),
      };
    });
  }

  /** `TransactionStateManager.listTransactionStates`: every filter given must match; duration in ms (-1: none). */
  list(stateFilters: readonly string[], producerIdFilters: readonly bigint[], durationFilterMs: bigint): ListedTransactions {
    const unknownStateFilters: string[] = [];
    const states = new Set<TransactionState>();
    for (const name of stateFilters) {
      const state = transactionStateByName(name);
      if (state === null) unknownStateFilters.push(name);
      else states.add(state);
    }
    const producerIds = new Set(producerIdFilters);
    const now = BigInt(this.options.clock());
    const transactionStates: ListedTransactions['transactionStates'] = [];
    for (const metadata of this.transactions.values()) {
      if (metadata.state === TransactionState.Dead) continue;
      if (producerIds.size > 0 && !producerIds.has(metadata.producerId)) continue;
      if (stateFilters.length > 0 && !states.has(metadata.state)) continue;
      if (durationFilterMs >= 0n && now - BigInt(metadata.txnStartTimestamp) <= durationFilterMs) continue;
      transactionStates.push({ transactionalId: metadata.transactionalId, producerId: metadata.producerId, transactionState: transactionStateName(metadata.state) });
    }
    return { unknownStateFilters, transactionStates };
  }

  /** The `__consumer_offsets` partition of a group (`GroupCoordinator.partitionFor`), as AddOffsetsToTxn adds it. */
  offsetsPartitionFor(groupId: string): number {
    const hash = javaStringHashCode(groupId);
    // `Utils.abs` maps Integer.MIN_VALUE to 0.
    return (hash === -2147483648 ? 0 : Math.abs(hash)) % this.config.offsetsTopicNumPartitions;
  }

  /** Whether `partition` is a partition of `__consumer_offsets`. */
  isOffsetsPartition(partition: number): boolean {
    return partition >= 0 && partition < this.config.offsetsTopicNumPartitions;
  }

  /** The state of a transactional id, for tests and the CLI; undefined when unknown. */
  stateOf(transactionalId: string): TransactionState | undefined {
    return this.transactions.get(transactionalId)?.state;
  }

  /** Settles when every marker round started so far has finished (a clean point for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.completions.size > 0) await Promise.allSettled([...this.completions]);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Timeouts and expiry (`abortTimedOutTransactions`, `removeExpiredTransactionalIds`)

  /** Aborts, with an epoch fence, every Ongoing transaction older than its timeout. Returns how many. */
  abortTimedOutTransactions(): number {
    const now = this.options.clock();
    let aborted = 0;
    for (const metadata of this.transactions.values()) {
      if (metadata.state !== TransactionState.Ongoing || metadata.pendingState !== null) continue;
      if (metadata.txnStartTimestamp + metadata.txnTimeoutMs >= now) continue;
      this.options.logger.info({ transactionalId: metadata.transactionalId, producerId: String(metadata.producerId) }, 'aborting a timed-out transaction');
      this.track(this.fenceAndAbort(metadata));
      aborted++;
    }
    return aborted;
  }

  /** Tombstones transactional ids idle for `transactional.id.expiration.ms`. Returns how many. */
  async removeExpiredTransactionalIds(): Promise<number> {
    const now = this.options.clock();
    const expiring: TransactionMetadata[] = [];
    for (const metadata of this.transactions.values()) {
      if (!isExpirationAllowed(metadata.state) || metadata.pendingState !== null) continue;
      if (metadata.txnLastUpdateTimestamp > now - this.config.transactionalIdExpirationMs) continue;
      metadata.pendingState = TransactionState.Dead;
      expiring.push(metadata);
    }
    const results = await Promise.allSettled(
      expiring.map(async (metadata) => {
        try {
          await this.log.append({ transactionalId: metadata.transactionalId, value: null });
          metadata.state = TransactionState.Dead;
          this.transactions.delete(metadata.transactionalId);
        } finally {
          metadata.pendingState = null;
        }
      }),
    );
    return results.filter((result) => result.status === 'fulfilled').length;
  }

  // ---------------------------------------------------------------------------------------------------------

  /** The epoch and producer-id checks shared by AddPartitions, AddOffsets, EndTxn and verification. */
  private checkProducer(metadata: TransactionMetadata | undefined, producerId: bigint, producerEpoch: number): number {
    if (metadata === undefined || metadata.state === TransactionState.Dead || metadata.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (metadata.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    return ErrorCode.NONE;
  }

  /**
   * `prepareFenceProducerEpoch` then `endTransaction(ABORT, isFromClient = false)`. The fenced epoch is kept as
   * the last epoch, as Kafka 4.x does: the fenced producer's KIP-360 InitProducerId with it (after a timeout, or
   * retried after CONCURRENT_TRANSACTIONS) is a retry of this bump and gets the fencing epoch.
   */
  private async fenceAndAbort(metadata: TransactionMetadata): Promise<void> {
    if (!metadata.hasFailedEpochFence) {
      metadata.lastProducerEpoch = metadata.producerEpoch;
      metadata.producerEpoch += 1;
    }
    const errorCode = await this.prepareEnd(metadata, false);
    metadata.hasFailedEpochFence = errorCode !== ErrorCode.NONE;
  }

  /**
   * -> PrepareCommit/PrepareAbort (durable), then the markers and the Complete state in the background
   * (`prepareAbortOrCommit`). `bumpEpoch` (TV2): the prepare state carries epoch + 1, which the markers use; an
   * exhausted epoch allocates the next producer id, taken at completion (`prepareComplete`).
   */
  private async prepareEnd(metadata: TransactionMetadata, commit: boolean, bumpEpoch = false): Promise<number> {
    const now = this.options.clock();
    const transit = metadata.transit({
      state: commit ? TransactionState.PrepareCommit : TransactionState.PrepareAbort,
      txnLastUpdateTimestamp: now,
    });
    if (bumpEpoch) {
      if (isEpochExhausted(metadata.producerEpoch)) {
        try {
          transit.nextProducerId = this.options.generateProducerId();
        } catch {
          return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
        }
      }
      transit.producerEpoch = metadata.producerEpoch + 1;
      transit.lastProducerEpoch = metadata.producerEpoch;
      transit.clientTransactionVersion = TRANSACTION_VERSION_2;
      // An abort of nothing (TV2) starts and ends here.
      if (metadata.state !== TransactionState.Ongoing) {
        transit.partitions = new Map();
        transit.txnStartTimestamp = now;
      }
    }
    const errorCode = await this.persist(metadata, transit);
    if (errorCode === ErrorCode.NONE) this.startCompletion(metadata);
    return errorCode;
  }

  private startCompletion(metadata: TransactionMetadata): void {
    const commit = metadata.state === TransactionState.PrepareCommit;
    metadata.pendingState = commit ? TransactionState.CompleteCommit : TransactionState.CompleteAbort;
    this.track(
      this.complete(metadata, commit).catch((error: unknown) => {
        this.options.logger.error({ transactionalId: metadata.transactionalId, err: String(error) }, 'completing a transaction failed');
      }),
    );
  }

  /** Background work that close() and idle() wait for. */
  private track(work: Promise<void>): void {
    this.completions.add(work);
    void work.finally(() => this.completions.delete(work));
  }

  /** Writes the markers (Kafka's `TransactionMarkerChannelManager`), then persists CompleteCommit/CompleteAbort. */
  private async complete(metadata: TransactionMetadata, commit: boolean): Promise<void> {
    const { producerId, producerEpoch } = metadata;
    let remaining: TopicPartitionRef[] = [];
    let offsetsPending = false;
    for (const [topic, set] of metadata.partitions) {
      if (topic === GROUP_OFFSETS_TOPIC) offsetsPending = true;
      else for (const partition of set) remaining.push({ topic, partition });
    }
    let backoffMs = MARKER_RETRY_BACKOFF_MS;
    while (!this.closed) {
      try {
        if (remaining.length > 0) {
          const results = await this.options.writeMarkers({ producerId, producerEpoch, coordinatorEpoch: COORDINATOR_EPOCH, commit, partitions: remaining });
          remaining = results.filter((result) => RETRIABLE_MARKER_ERRORS.has(result.errorCode)).map(({ topic, partition }) => ({ topic, partition }));
          for (const result of results) {
            if (result.errorCode !== ErrorCode.NONE && !RETRIABLE_MARKER_ERRORS.has(result.errorCode)) {
              // Deleted partitions, or a marker superseded by a newer epoch: nothing left to complete there.
              this.options.logger.warn({ transactionalId: metadata.transactionalId, topic: result.topic, partition: result.partition, errorCode: result.errorCode }, 'transaction marker not written');
            }
          }
        }
        if (remaining.length === 0 && offsetsPending) {
          await this.options.completeTransactionalOffsets(producerId, producerEpoch, commit);
          offsetsPending = false;
        }
        if (remaining.length === 0 && !offsetsPending) break;
      } catch (error) {
        this.options.logger.warn({ transactionalId: metadata.transactionalId, err: String(error) }, 'writing transaction markers failed; retrying');
      }
      if (this.closed) break;
      await delay(backoffMs);
      backoffMs = Math.min(backoffMs * 2, MARKER_RETRY_BACKOFF_MAX_MS);
    }
    if (this.closed) return;
    const transit = metadata.transit({
      state: commit ? TransactionState.CompleteCommit : TransactionState.CompleteAbort,
      partitions: new Map(),
      txnLastUpdateTimestamp: this.options.clock(),
    });
    if (metadata.nextProducerId !== NO_PRODUCER_ID) {
      Object.assign(transit, {
        producerId: metadata.nextProducerId,
        previousProducerId: metadata.producerId,
        nextProducerId: NO_PRODUCER_ID,
        producerEpoch: 0,
        lastProducerEpoch: NO_PRODUCER_EPOCH,
      });
    }
    // Captured before the transition: it resets the start timestamp.
    const startedMs = metadata.txnStartTimestamp;
    backoffMs = MARKER_RETRY_BACKOFF_MS;
    while (!this.closed) {
      const persisted = await this.persist(metadata, transit, true);
      if (persisted === ErrorCode.NONE) this.options.onTransactionCompleted?.(commit, startedMs < 0 ? -1 : this.options.clock() - startedMs);
      if (persisted === ErrorCode.NONE || this.closed) return;
      await delay(backoffMs);
      backoffMs = Math.min(backoffMs * 2, MARKER_RETRY_BACKOFF_MAX_MS);
    }
  }

  /**
   * Persists `transit` and then applies it to memory; the pending state blocks other transitions meanwhile.
   * Storage failures become NOT_COORDINATOR (Kafka's mapping of KAFKA_STORAGE_ERROR in `appendTransactionToLog`).
   * `keepPending`: the caller already holds the pending state (completion after markers).
   */
  private async persist(metadata: TransactionMetadata, transit: TransactionTransit, keepPending = false): Promise<number> {
    metadata.pendingState = transit.state;
    try {
      await this.log.append({ transactionalId: metadata.transactionalId, value: logValueOf(transit) });
    } catch (error) {
      if (!keepPending) metadata.pendingState = null;
      else metadata.pendingState = transit.state;
      this.options.logger.error({ transactionalId: metadata.transactionalId, err: String(error) }, 'transaction log append failed');
      return ErrorCode.NOT_COORDINATOR;
    }
    metadata.apply(transit);
    metadata.pendingState = null;
    return ErrorCode.NONE;
  }

  private startTimers(): void {
    const every = (ms: number, task: () => unknown): void => {
      const timer = setInterval(() => {
        if (!this.closed) void Promise.resolve().then(task).catch((error: unknown) => this.options.logger.warn({ err: String(error) }, 'transaction coordinator task failed'));
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.config.abortTimedOutTransactionCleanupIntervalMs, () => this.abortTimedOutTransactions());
    every(this.config.removeExpiredTransactionalIdsIntervalMs, () => this.removeExpiredTransactionalIds());
  }
}

/** A retry backoff; close() waits for the rounds that sleep in it, so it keeps the process alive. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Java's `String.hashCode` (over UTF-16 code units), as Kafka partitions group ids with it. */
function javaStringHashCode(value: string): number {
  let hash = 0;
  for (let i = 0; i < value.length; i++) hash = (Math.imul(hash, 31) + value.charCodeAt(i)) | 0;
  return hash;
}
