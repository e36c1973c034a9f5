// What the coordinator knows of one transactional id (Kafka's `TransactionMetadata`), and its conversion to and
// from the persisted `TransactionLogValue`.
import type { TransactionLogValue } from '../../protocol/messages/generated/internal/transaction-log-value.ts';
import { TransactionState, transactionStateById } from './transaction-state.ts';

export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
/** `TransactionMetadata.isEpochExhausted`: one epoch is kept in reserve for fencing. */
export const MAX_USABLE_PRODUCER_EPOCH = 32766;

export function isEpochExhausted(epoch: number): boolean {
  return epoch >= MAX_USABLE_PRODUCER_EPOCH;
}

/** The fields one persisted transition sets (Kafka's `TxnTransitMetadata`). */
export interface TransactionTransit {
  producerId: bigint;
  previousProducerId: bigint;
  nextProducerId: bigint;
  producerEpoch: number;
  lastProducerEpoch: number;
  txnTimeoutMs: number;
  state: TransactionState;
  /** topic -> partitions in the transaction. */
  partitions: Map<string, Set<number>>;
  txnStartTimestamp: number;
  txnLastUpdateTimestamp: number;
  /** 0: the classic protocol; 2: KIP-890 part 2 (epoch bump at every EndTxn). Kafka's `clientTransactionVersion`. */
  clientTransactionVersion: number;
}

export class TransactionMetadata implements TransactionTransit {
  producerId: bigint;
  previousProducerId = NO_PRODUCER_ID;
  nextProducerId = NO_PRODUCER_ID;
  producerEpoch: number;
  /** Not persisted (Kafka loads it as -1): a retried KIP-360 bump across a restart can fail. */
  lastProducerEpoch = NO_PRODUCER_EPOCH;
  txnTimeoutMs: number;
  state: TransactionState = TransactionState.Empty;
  partitions = new Map<string, Set<number>>();
  txnStartTimestamp = -1;
  txnLastUpdateTimestamp: number;
  clientTransactionVersion = 0;
  /** A transition being persisted: most requests get CONCURRENT_TRANSACTIONS meanwhile. */
  pendingState: TransactionState | null = null;
  /** The last epoch fence failed to persist: the next fence reuses its bumped epoch instead of bumping again. */
  hasFailedEpochFence = false;

  constructor(
    readonly transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    txnTimeoutMs: number,
    now: number,
  ) {
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.txnTimeoutMs = txnTimeoutMs;
    this.txnLastUpdateTimestamp = now;
  }

  hasPartition(topic: string, partition: number): boolean {
    return this.partitions.get(topic)?.has(partition) === true;
  }

  /** The current fields as a transit to modify (a copy: memory changes only once the transit is durable). */
  transit(changes: Partial<TransactionTransit>): TransactionTransit {
    return {
      producerId: this.producerId,
      previousProducerId: this.previousProducerId,
      nextProducerId: this.nextProducerId,
      producerEpoch: this.producerEpoch,
      lastProducerEpoch: this.lastProducerEpoch,
      txnTimeoutMs: this.txnTimeoutMs,
      state: this.state,
      partitions: copyPartitions(this.partitions),
      txnStartTimestamp: this.txnStartTimestamp,
      txnLastUpdateTimestamp: this.txnLastUpdateTimestamp,
      clientTransactionVersion: this.clientTransactionVersion,
      ...changes,
    };
  }

  /** `completeTransitionTo`: memory takes the durable transit. */
  apply(transit: TransactionTransit): void {
    this.producerId = transit.producerId;
    this.previousProducerId = transit.previousProducerId;
    this.nextProducerId = transit.nextProducerId;
    this.producerEpoch = transit.producerEpoch;
    this.lastProducerEpoch = transit.lastProducerEpoch;
    this.txnTimeoutMs = transit.txnTimeoutMs;
    this.state = transit.state;
    this.partitions = transit.partitions;
    this.txnStartTimestamp = transit.txnStartTimestamp;
    this.txnLastUpdateTimestamp = transit.txnLastUpdateTimestamp;
    this.clientTransactionVersion = transit.clientTransactionVersion;
  }

  static fromLogValue(transactionalId: string, value: TransactionLogValue): TransactionMetadata {
    const metadata = new TransactionMetadata(transactionalId, value.producerId, value.producerEpoch, value.transactionTimeoutMs, Number(value.transactionLastUpdateTimestampMs));
    metadata.previousProducerId = value.previousProducerId;
    metadata.nextProducerId = value.nextProducerId;
    metadata.state = transactionStateById(value.transactionStatus);
    for (const entry of value.transactionPartitions ?? []) metadata.partitions.set(entry.topic, new Set(entry.partitionIds));
    metadata.txnStartTimestamp = Number(value.transactionStartTimestampMs);
    metadata.clientTransactionVersion = value.clientTransactionVersion;
    return metadata;
  }
}

export function copyPartitions(partitions: ReadonlyMap<string, ReadonlySet<number>>): Map<string, Set<number>> {
  return new Map([...partitions].map(([topic, set]) => [topic, new Set(set)]));
}

/** `TransactionLog.valueToBytes`: partitions are null in state Empty. */
export function logValueOf(transit: TransactionTransit): TransactionLogValue {
  return {
    producerId: transit.producerId,
    previousProducerId: transit.previousProducerId,
    nextProducerId: transit.nextProducerId,
    producerEpoch: transit.producerEpoch,
    transactionTimeoutMs: transit.txnTimeoutMs,
    transactionStatus: transit.state,
    transactionPartitions:
      transit.state === TransactionState.Empty
        ? null
        : [...transit.partitions].map(([topic, set]) => ({ topic, partitionIds: [...set].sort((a, b) => a - b) })),
    transactionLastUpdateTimestampMs: BigInt(transit.txnLastUpdateTimestamp),
    transactionStartTimestampMs: BigInt(transit.txnStartTimestamp),
    clientTransactionVersion: transit.clientTransactionVersion,
  };
}
