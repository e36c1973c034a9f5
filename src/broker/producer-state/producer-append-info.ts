// The working copy of one producer's state for one append (Kafka's `ProducerAppendInfo`). It starts from the
// stored entry without its cached batches, validates each batch of the append against what came before (the
// stored entry, then earlier batches of the same append), and accumulates the new batches and the transactions
// they open. Nothing is stored until `ProducerStateManager.update` folds it in, so a rejected append leaves
// producer state untouched.
//
// Rules (`checkProducerEpoch` / `checkSequence`), in order:
//   E1  epoch lower than the current one                    -> INVALID_PRODUCER_EPOCH (not PRODUCER_FENCED, KIP-588)
//   S1  new epoch (or unknown producer with a known epoch)
//       and first sequence != 0                              -> OUT_OF_ORDER_SEQUENCE_NUMBER
//   S1' new epoch and (first sequence 0 or no epoch known)   -> accepted
//   S2  same epoch: in sequence after the last sequence, or
//       the producer is unknown (any sequence accepted)      -> accepted, else OUT_OF_ORDER_SEQUENCE_NUMBER
// KIP-890 verification (rule V1) is not implemented.
import { ErrorCode } from '../../protocol/errors/index.ts';
import { ControlRecordType } from '../../protocol/records/control-record.ts';
import type { EndTransactionMarker } from '../../protocol/records/control-record.ts';
import { NO_PRODUCER_EPOCH, NO_SEQUENCE } from '../../protocol/records/batch-header.ts';
import { BrokerError } from '../broker-error.ts';
import type { LogLogger } from '../log/partition-log.ts';
import { AppendOrigin } from './append-origin.ts';
import type { ProducerBatch } from './producer-batch.ts';
import type { ProducerStateEntry } from './producer-state-entry.ts';
import { TxnMetadata } from './txn-metadata.ts';
import type { CompletedTxn } from './txn-metadata.ts';
import { INT32_MAX } from '../../protocol/wire/int-limits.ts';

const noopLogger: LogLogger = { info() {}, warn() {}, error() {} };

/** `ProducerAppendInfo.inSequence`: the next sequence follows the last one, wrapping from Int32.MAX to 0. */
export function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

export class ProducerAppendInfo {
  private readonly updatedEntry: ProducerStateEntry;
  private readonly transactions: TxnMetadata[] = [];

  constructor(
    readonly producerId: bigint,
    /** The stored entry, or `ProducerStateEntry.empty` for an unknown producer. Never mutated here. */
    private readonly currentEntry: ProducerStateEntry,
    readonly origin: AppendOrigin,
    private readonly partition = '',
    private readonly logger: LogLogger = noopLogger,
  ) {
    this.updatedEntry = currentEntry.withProducerIdAndBatchMetadata(producerId, null);
  }

  /** Validates and records one batch; a marker returns the transaction it completed, if one was open. */
  append(batch: ProducerBatch): CompletedTxn | null {
    if (batch.isControl) {
      // An empty control batch (what compaction can leave of a transaction) changes nothing.
      if (batch.endTransactionMarker === null) return null;
      return this.appendEndTxnMarker(batch.endTransactionMarker, batch.producerEpoch, batch.baseOffset, batch.markerTimestamp);
    }
    this.appendDataBatch(
      batch.producerEpoch,
      batch.baseSequence,
      batch.lastSequence,
      batch.maxTimestamp,
      batch.baseOffset,
      batch.lastOffset,
      batch.isTransactional,
    );
    return null;
  }

  appendDataBatch(
    producerEpoch: number,
    firstSeq: number,
    lastSeq: number,
    lastTimestamp: bigint,
    firstOffset: bigint,
    lastOffset: bigint,
    isTransactional: boolean,
  ): void {
    this.checkProducerEpoch(producerEpoch, firstOffset);
    if (this.origin === AppendOrigin.client) this.checkSequence(producerEpoch, firstSeq, firstOffset);
    this.updatedEntry.addBatch(producerEpoch, lastSeq, lastOffset, Number(lastOffset - firstOffset), lastTimestamp);

    const currentTxnFirstOffset = this.updatedEntry.currentTxnFirstOffset;
    if (currentTxnFirstOffset !== null && !isTransactional) {
      throw new BrokerError(
        ErrorCode.INVALID_TXN_STATE,
        `expected a transactional write from producer ${this.producerId} at offset ${firstOffset}${this.where()}`,
      );
    }
    if (currentTxnFirstOffset === null && isTransactional) {
      this.updatedEntry.setCurrentTxnFirstOffset(firstOffset);
      this.transactions.push(new TxnMetadata(this.producerId, firstOffset));
    }
  }

  /**
   * A COMMIT or ABORT marker at `offset`. Its epoch may be higher than the producer's (the coordinator bumped
   * it to fence a zombie) but not lower; its coordinator epoch may not be lower than the last one seen. The
   * transaction completes only if one is open: a marker for a producer with no open transaction is still
   * written but yields no CompletedTxn (it cannot affect the last stable offset or the aborted index).
   */
  appendEndTxnMarker(marker: Pick<EndTransactionMarker, 'type' | 'coordinatorEpoch'>, producerEpoch: number, offset: bigint, timestamp: bigint): CompletedTxn | null {
    this.checkProducerEpoch(producerEpoch, offset);
    this.checkCoordinatorEpoch(marker.coordinatorEpoch, offset);
    const firstOffset = this.updatedEntry.currentTxnFirstOffset;
    const completed: CompletedTxn | null =
      firstOffset === null
        ? null
        : { producerId: this.producerId, firstOffset, lastOffset: offset, isAborted: marker.type === ControlRecordType.abort };
    this.updatedEntry.updateFromMarker(producerEpoch, marker.coordinatorEpoch, timestamp);
    return completed;
  }

  /** The entry as it will be once this append is stored. */
  toEntry(): ProducerStateEntry {
    return this.updatedEntry;
  }

  /** Transactions opened by this append, in offset order. */
  startedTransactions(): readonly TxnMetadata[] {
    return this.transactions;
  }

  private checkProducerEpoch(producerEpoch: number, offset: bigint): void {
    const current = this.updatedEntry.producerEpoch;
    if (producerEpoch >= current) return;
    const message =
      `epoch of producer ${this.producerId} at offset ${offset}${this.where()} is ${producerEpoch}, ` +
      `which is smaller than the last seen epoch ${current}`;
    if (this.origin === AppendOrigin.replication) {
      this.logger.warn({ producerId: String(this.producerId), offset: String(offset) }, message);
      return;
    }
    throw new BrokerError(ErrorCode.INVALID_PRODUCER_EPOCH, message);
  }

  private checkSequence(producerEpoch: number, appendFirstSeq: number, offset: bigint): void {
    if (producerEpoch !== this.updatedEntry.producerEpoch) {
      // S1: a new epoch starts at sequence 0, unless no epoch was known at all.
      if (appendFirstSeq !== 0 && this.updatedEntry.producerEpoch !== NO_PRODUCER_EPOCH) {
        throw new BrokerError(
          ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          `invalid sequence number for new epoch of producer ${this.producerId} at offset ${offset}${this.where()}: ` +
            `${producerEpoch} (request epoch), ${appendFirstSeq} (seq. number), ${this.updatedEntry.producerEpoch} (current producer epoch)`,
        );
      }
      return;
    }
    // S2: the last sequence is this append's last batch if it has one, else the stored one if of this epoch.
    let currentLastSeq: number;
    if (!this.updatedEntry.isEmpty) currentLastSeq = this.updatedEntry.lastSeq;
    else if (producerEpoch === this.currentEntry.producerEpoch) currentLastSeq = this.currentEntry.lastSeq;
    else currentLastSeq = NO_SEQUENCE;
    // No epoch known (the producer's records were all deleted, or it expired): any sequence starts it afresh.
    if (this.currentEntry.producerEpoch === NO_PRODUCER_EPOCH || inSequence(currentLastSeq, appendFirstSeq)) return;
    throw new BrokerError(
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
      `out of order sequence number for producer ${this.producerId} at offset ${offset}${this.where()}: ` +
        `${appendFirstSeq} (incoming seq. number), ${currentLastSeq} (current end sequence number)`,
    );
  }

  private checkCoordinatorEpoch(coordinatorEpoch: number, offset: bigint): void {
    if (this.updatedEntry.coordinatorEpoch <= coordinatorEpoch) return;
    const message =
      `invalid coordinator epoch for producer ${this.producerId} at offset ${offset}${this.where()}: ` +
      `${coordinatorEpoch} (zombie), ${this.updatedEntry.coordinatorEpoch} (current)`;
    if (this.origin === AppendOrigin.replication) {
      this.logger.info({ producerId: String(this.producerId), offset: String(offset) }, message);
      return;
    }
    throw new BrokerError(ErrorCode.TRANSACTION_COORDINATOR_FENCED, message);
  }

  private where(): string {
    return this.partition === '' ? '' : ` in partition ${this.partition}`;
  }
}
