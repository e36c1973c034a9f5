// The coordinator requests of Kafka's `TransactionManager` (`InitProducerIdHandler`, `AddPartitionsToTxnHandler`,
// `AddOffsetsToTxnHandler`, `TxnOffsetCommitHandler`, `EndTxnHandler`): each builds its request at the version
// the coordinator serves, reads the answer through the policy table (src/client/policy/transaction-policy.ts) and
// tells the TransactionManager what happened. The Sender finds the coordinator (FindCoordinator), sends, and acts
// on the outcome: done, retry after a backoff, or look the coordinator up again.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ErrorCode, errorName } from '../../protocol/errors/index.ts';
import type { BrokerConnection } from '../connection/broker-connection.ts';
import { ErrorKind, KafkaClientError } from '../errors/kafka-client-error.ts';
import { TxnAction, TxnRequestKind, adviceFor, txnPolicyFor } from '../policy/transaction-policy.ts';
import type { ProducerIdAndEpoch } from '../producer/producer-id-and-epoch.ts';
import type { OffsetToCommit, TransactionManager } from '../producer/transaction-manager.ts';

/** KIP-447: the consumer's group metadata, sent with the offsets so zombie consumers are fenced by generation. */
export interface ConsumerGroupMetadata {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

/** FindCoordinator key types. */
export const CoordinatorType = { group: 0, transaction: 1 } as const;
export type CoordinatorType = (typeof CoordinatorType)[keyof typeof CoordinatorType];

export interface CoordinatorKey {
  readonly keyType: CoordinatorType;
  readonly key: string;
}

/** `TransactionManager.Priority`: lower goes first. */
export const TxnPriority = { findCoordinator: 0, initProducerId: 1, addPartitionsOrOffsets: 2, endTxn: 3, epochBump: 4 } as const;

/** First AddPartitionsToTxn of a transaction answered CONCURRENT_TRANSACTIONS: `ADD_PARTITIONS_RETRY_BACKOFF_MS`. */
export const ADD_PARTITIONS_RETRY_BACKOFF_MS = 20;

export type TxnOutcome = { readonly action: 'done' } | { readonly action: 'retry'; readonly backoffMs: number } | { readonly action: 'lookup-coordinator' };

const DONE: TxnOutcome = { action: 'done' };

/** The pending result of an application call (`TransactionalRequestResult`). */
export class TransactionalResult {
  readonly promise: Promise<void>;
  settled = false;
  private resolveFn!: () => void;
  private rejectFn!: (error: Error) => void;

  constructor() {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolveFn = resolve;
      this.rejectFn = reject;
    });
    // Internal requests (AddPartitionsToTxn) have no caller awaiting them; their failure lives on as lastError.
    this.promise.catch(() => undefined);
  }

  done(): void {
    if (this.settled) return;
    this.settled = true;
    this.resolveFn();
  }

  fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.rejectFn(error);
  }
}

const SEVERITY: Readonly<Record<TxnAction, number>> = {
  retry: 0,
  'lookup-coordinator': 1,
  abortable: 2,
  'abortable-with-epoch-bump': 3,
  fatal: 4,
  fenced: 5,
};

export abstract class TxnRequest {
  abstract readonly kind: TxnRequestKind;
  abstract readonly priority: number;
  /** Where it goes: the transaction or group coordinator, or null for any broker. */
  abstract readonly coordinator: CoordinatorKey | null;
  readonly result: TransactionalResult;
  /** Sent at least once before (retries back off). */
  attempts = 0;

  constructor(
    protected readonly manager: TransactionManager,
    result?: TransactionalResult,
  ) {
    this.result = result ?? new TransactionalResult();
  }

  /** Sends the request on the coordinator's connection and handles the answer. */
  abstract send(connection: BrokerConnection): Promise<TxnOutcome>;

  /** Acts on one error code through the policy table; `null` means success. */
  protected outcomeFor(code: number, detail = ''): TxnOutcome | null {
    if (code === ErrorCode.NONE) return null;
    const policy = txnPolicyFor(this.kind, code);
    const advice = adviceFor(policy.action);
    switch (policy.action) {
      case TxnAction.retry:
        return { action: 'retry', backoffMs: this.manager.retryBackoffMs };
      case TxnAction.lookupCoordinator:
        return { action: 'lookup-coordinator' };
      case TxnAction.abortable: {
        const error = this.manager.errorFor(this.kind, code, ErrorKind.abortable, advice, detail);
        this.manager.transitionToAbortableError(error);
        this.result.fail(error);
        return DONE;
      }
      case TxnAction.abortableWithEpochBump: {
        const error = this.manager.errorFor(this.kind, code, ErrorKind.abortable, advice, detail);
        this.manager.transitionToAbortableErrorWithEpochBump(error);
        this.result.fail(this.manager.lastError ?? error);
        return DONE;
      }
      default: {
        const error = this.manager.errorFor(this.kind, code, ErrorKind.fatal, advice, detail);
        this.result.fail(error);
        this.manager.transitionToFatal(error);
        return DONE;
      }
    }
  }

  /** The most severe of several per-partition codes decides (the coordinator applies one error to all). */
  protected worstOf(codes: readonly number[]): number {
    let worst: number = ErrorCode.NONE;
    for (const code of codes) {
      if (code === ErrorCode.NONE) continue;
      // OPERATION_NOT_ATTEMPTED only says "another partition failed": the other code explains it.
      if (worst !== ErrorCode.NONE && code === ErrorCode.OPERATION_NOT_ATTEMPTED) continue;
      if (worst === ErrorCode.NONE || worst === ErrorCode.OPERATION_NOT_ATTEMPTED) {
        worst = code;
        continue;
      }
      if (SEVERITY[txnPolicyFor(this.kind, code).action] > SEVERITY[txnPolicyFor(this.kind, worst).action]) worst = code;
    }
    return worst;
  }

  protected unsupported(what: string): TxnOutcome {
    const error = new KafkaClientError({ code: ErrorCode.UNSUPPORTED_VERSION, kind: ErrorKind.fatal, message: `the broker does not serve ${what}; close the producer` });
    this.result.fail(error);
    this.manager.transitionToFatal(error);
    return DONE;
  }

  protected get transactionalId(): string {
    return this.manager.transactionalId as string;
  }

  protected get producer(): ProducerIdAndEpoch {
    const current = this.manager.producerIdAndEpoch;
    if (current === null) throw new Error('no producer id yet');
    return current;
  }
}

/**
 * `maybeUpdateTransactionV2Enabled`: transaction version 2 (KIP-890 part 2) is used when the cluster finalizes
 * `transaction.version` >= 2 and the coordinator serves EndTxn v5; it takes effect at the next transaction.
 */
function noteTransactionVersion(manager: TransactionManager, connection: BrokerConnection): void {
  const level = connection.finalizedFeatures.get('transaction.version') ?? 0;
  manager.coordinatorSupportsTransactionV2 = level >= 2 && connection.versionFor(ApiKey.EndTxn, 5, 5) !== null;
}

/** InitProducerId: a producer id (first call), or KIP-360's epoch bump with the current id and epoch. */
export class InitProducerIdRequest extends TxnRequest {
  readonly kind = TxnRequestKind.initProducerId;
  readonly priority: number;
  readonly coordinator: CoordinatorKey | null;

  constructor(
    manager: TransactionManager,
    private readonly bump: ProducerIdAndEpoch | null,
  ) {
    super(manager);
    this.priority = bump === null ? TxnPriority.initProducerId : TxnPriority.epochBump;
    this.coordinator = manager.transactionalId === null ? null : { keyType: CoordinatorType.transaction, key: manager.transactionalId };
  }

  async send(connection: BrokerConnection): Promise<TxnOutcome> {
    const version = connection.versionFor(ApiKey.InitProducerId, 0, 5);
    if (version === null) return this.unsupported('InitProducerId; idempotence and transactions need it (set idempotent: false to produce without it)');
    this.manager.coordinatorSupportsBumpingEpoch = version >= 3;
    noteTransactionVersion(this.manager, connection);
    if (this.bump !== null && version < 3) {
      this.manager.transitionToAbortableErrorWithEpochBump(this.manager.errorFor('InitProducerId', ErrorCode.UNSUPPORTED_VERSION, ErrorKind.fatal, 'the coordinator cannot bump the epoch'));
      this.result.fail(this.manager.lastError as KafkaClientError);
      return DONE;
    }
    const response = await connection.send(ApiKey.InitProducerId, version, {
      transactionalId: this.manager.transactionalId,
      transactionTimeoutMs: this.manager.initTimeoutMs,
      producerId: this.bump?.producerId ?? -1n,
      producerEpoch: this.bump?.epoch ?? -1,
    });
    if (response.errorCode === ErrorCode.NONE) {
      if (this.manager.isTransactional) this.manager.producerIdInitialized(response.producerId, response.producerEpoch, this.bump !== null);
      else this.manager.setProducerIdAndEpoch(response.producerId, response.producerEpoch);
      this.result.done();
      return DONE;
    }
    if (!this.manager.isTransactional) {
      // InitProducerId without a transactional id (`ProducerIdManager`, KIP-98): retried while retriable, else fatal.
      const policy = txnPolicyFor(this.kind, response.errorCode);
      if (policy.action === TxnAction.retry || policy.action === TxnAction.lookupCoordinator) return { action: 'retry', backoffMs: this.manager.retryBackoffMs };
      const error = this.manager.errorFor('InitProducerId', response.errorCode, ErrorKind.fatal, adviceFor(TxnAction.fatal));
      this.result.fail(error);
      this.manager.transitionToFatal(error);
      return DONE;
    }
    const policy = txnPolicyFor(this.kind, response.errorCode);
    if (this.bump === null && policy.action === TxnAction.abortable) {
      // Nothing to abort yet (an ACL is missing): the producer goes back to UNINITIALIZED, so initTransactions()
      // can be called again once the cause is fixed.
      const error = this.manager.errorFor('InitProducerId', response.errorCode, ErrorKind.abortable, 'grant the principal WRITE on the transactional id (or fix the cause), then call initTransactions() again');
      this.manager.initializationFailed(error);
      this.result.fail(error);
      return DONE;
    }
    return this.outcomeFor(response.errorCode) ?? DONE;
  }
}

/** AddPartitionsToTxn (v0-3, one transaction per request): the partitions appended since the last one. */
export class AddPartitionsToTxnRequest extends TxnRequest {
  readonly kind = TxnRequestKind.addPartitionsToTxn;
  readonly priority = TxnPriority.addPartitionsOrOffsets;
  readonly coordinator: CoordinatorKey;

  constructor(
    manager: TransactionManager,
    readonly partitions: readonly { topic: string; partition: number }[],
  ) {
    super(manager);
    this.coordinator = { keyType: CoordinatorType.transaction, key: manager.transactionalId as string };
  }

  async send(connection: BrokerConnection): Promise<TxnOutcome> {
    const version = connection.versionFor(ApiKey.AddPartitionsToTxn, 0, 3);
    if (version === null) return this.unsupported('AddPartitionsToTxn v0-3');
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of this.partitions) {
      let list = byTopic.get(topic);
      if (list === undefined) byTopic.set(topic, (list = []));
      list.push(partition);
    }
    const producer = this.producer;
    const response = await connection.send(ApiKey.AddPartitionsToTxn, version, {
      transactions: [],
      v3AndBelowTransactionalId: this.transactionalId,
      v3AndBelowProducerId: producer.producerId,
      v3AndBelowProducerEpoch: producer.epoch,
      v3AndBelowTopics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
    });
    const codes: number[] = [];
    const failed: string[] = [];
    for (const topic of response.resultsByTopicV3AndBelow) {
      for (const result of topic.resultsByPartition) {
        codes.push(result.partitionErrorCode);
        if (result.partitionErrorCode !== ErrorCode.NONE) failed.push(`${topic.name}-${result.partitionIndex}: ${errorName(result.partitionErrorCode)}`);
      }
    }
    const worst = this.worstOf(codes);
    if (worst === ErrorCode.NONE) {
      this.manager.partitionsAdded(this.partitions.map((p) => `${p.topic}\u0000${p.partition}`));
      this.result.done();
      return DONE;
    }
    const outcome = this.outcomeFor(worst, ` (${failed.join(', ')})`) as TxnOutcome;
    if (outcome.action === 'done') {
      this.manager.partitionsNotAdded(this.partitions, false);
      return outcome;
    }
    // The previous transaction's markers are still being written (TV1): the first add retries quickly.
    if (worst === ErrorCode.CONCURRENT_TRANSACTIONS && this.manager.isFirstAddOfTransaction) return { action: 'retry', backoffMs: ADD_PARTITIONS_RETRY_BACKOFF_MS };
    return outcome;
  }
}

/** AddOffsetsToTxn: puts the group's offsets partition in the transaction; then TxnOffsetCommit follows. */
export class AddOffsetsToTxnRequest extends TxnRequest {
  readonly kind = TxnRequestKind.addOffsetsToTxn;
  readonly priority = TxnPriority.addPartitionsOrOffsets;
  readonly coordinator: CoordinatorKey;

  constructor(
    manager: TransactionManager,
    private readonly offsets: readonly OffsetToCommit[],
    private readonly group: ConsumerGroupMetadata,
  ) {
    super(manager);
    this.coordinator = { keyType: CoordinatorType.transaction, key: manager.transactionalId as string };
  }

  async send(connection: BrokerConnection): Promise<TxnOutcome> {
    const version = connection.versionFor(ApiKey.AddOffsetsToTxn, 0, 4);
    if (version === null) return this.unsupported('AddOffsetsToTxn');
    const producer = this.producer;
    const response = await connection.send(ApiKey.AddOffsetsToTxn, version, {
      transactionalId: this.transactionalId,
      producerId: producer.producerId,
      producerEpoch: producer.epoch,
      groupId: this.group.groupId,
    });
    const outcome = this.outcomeFor(response.errorCode);
    if (outcome !== null) return outcome;
    this.manager.offsetsAdded();
    // The same result settles when the offsets are committed (`AddOffsetsToTxnHandler` -> `TxnOffsetCommitHandler`).
    this.manager.enqueue(new TxnOffsetCommitRequest(this.manager, this.offsets, this.group, this.result));
    return DONE;
  }
}

/** TxnOffsetCommit to the group coordinator, with the consumer's generation (KIP-447). */
export class TxnOffsetCommitRequest extends TxnRequest {
  readonly kind = TxnRequestKind.txnOffsetCommit;
  readonly priority = TxnPriority.addPartitionsOrOffsets;
  readonly coordinator: CoordinatorKey;

  constructor(
    manager: TransactionManager,
    private offsets: readonly OffsetToCommit[],
    private readonly group: ConsumerGroupMetadata,
    result: TransactionalResult,
  ) {
    super(manager, result);
    this.coordinator = { keyType: CoordinatorType.group, key: group.groupId };
  }

  async send(connection: BrokerConnection): Promise<TxnOutcome> {
    const version = this.manager.transactionVersion2 ? connection.versionFor(ApiKey.TxnOffsetCommit, 5, 5) : connection.versionFor(ApiKey.TxnOffsetCommit, 0, 4);
    if (version === null) return this.unsupported('TxnOffsetCommit');
    const byTopic = new Map<string, OffsetToCommit[]>();
    for (const offset of this.offsets) {
      let list = byTopic.get(offset.topic);
      if (list === undefined) byTopic.set(offset.topic, (list = []));
      list.push(offset);
    }
    const producer = this.producer;
    const kip447 = version >= 3;
    const response = await connection.send(ApiKey.TxnOffsetCommit, version, {
      transactionalId: this.transactionalId,
      groupId: this.group.groupId,
      producerId: producer.producerId,
      producerEpoch: producer.epoch,
      generationId: kip447 ? this.group.generationId : -1,
      memberId: kip447 ? this.group.memberId : '',
      groupInstanceId: kip447 ? this.group.groupInstanceId : null,
      topics: [...byTopic].map(([name, list]) => ({
        name,
        partitions: list.map((o) => ({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: version >= 2 ? (o.leaderEpoch ?? -1) : -1, committedMetadata: o.metadata ?? '' })),
      })),
    });
    const codes: number[] = [];
    const failed: string[] = [];
    const retry = new Set<string>();
    for (const topic of response.topics) {
      for (const partition of topic.partitions) {
        codes.push(partition.errorCode);
        if (partition.errorCode !== ErrorCode.NONE) {
          failed.push(`${topic.name}-${partition.partitionIndex}: ${errorName(partition.errorCode)}`);
          retry.add(`${topic.name}\u0000${partition.partitionIndex}`);
        }
      }
    }
    const worst = this.worstOf(codes);
    if (worst === ErrorCode.NONE) {
      this.result.done();
      return DONE;
    }
    const outcome = this.outcomeFor(worst, ` (${failed.join(', ')})`) as TxnOutcome;
    // Only the partitions that failed are sent again.
    if (outcome.action !== 'done') this.offsets = this.offsets.filter((o) => retry.has(`${o.topic}\u0000${o.partition}`));
    return outcome;
  }
}

/** EndTxn: commit or abort. Sent only once every batch of the transaction is done. */
export class EndTxnRequest extends TxnRequest {
  readonly kind = TxnRequestKind.endTxn;
  readonly priority = TxnPriority.endTxn;
  readonly coordinator: CoordinatorKey;

  constructor(
    manager: TransactionManager,
    readonly commit: boolean,
  ) {
    super(manager);
    this.coordinator = { keyType: CoordinatorType.transaction, key: manager.transactionalId as string };
  }

  async send(connection: BrokerConnection): Promise<TxnOutcome> {
    const version = this.manager.transactionVersion2 ? connection.versionFor(ApiKey.EndTxn, 5, 5) : connection.versionFor(ApiKey.EndTxn, 0, 4);
    if (version === null) return this.unsupported('EndTxn');
    const producer = this.producer;
    const response = await connection.send(ApiKey.EndTxn, version, {
      transactionalId: this.transactionalId,
      producerId: producer.producerId,
      producerEpoch: producer.epoch,
      committed: this.commit,
    });
    noteTransactionVersion(this.manager, connection);
    const outcome = this.outcomeFor(response.errorCode);
    if (outcome !== null) return outcome;
    // KIP-890 part 2: the coordinator bumped the epoch with this EndTxn; the next transaction starts at sequence 0.
    if (version >= 5 && response.producerId >= 0n) {
      this.manager.resetSequenceNumbers(response.producerId, response.producerEpoch);
      this.manager.epochBumps++;
    }
    this.manager.completeTransaction();
    this.result.done();
    return DONE;
  }
}
