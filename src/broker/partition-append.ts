// Appending a batch to a partition as its leader (Kafka's `UnifiedLog.append` with `analyzeAndValidateProducerState`).
// Everything here is synchronous: the duplicate check, validation against producer state, the append and the
// producer-state update happen with no interleaving point between them (the event-loop form of Kafka's
// partition lock), so two requests can never both pass the same check.
//
// For a batch with a producer id:
//   1. client origin: a retry of one of the producer's last 5 batches (same epoch, same sequence range) is not
//      stored again; it is answered with the original's offsets and, as logAppendTime, the original's timestamp
//      (Kafka does so even on CreateTime topics);
//   2. epoch, sequence and transaction checks (SEMANTICS §2.3) on a working copy: a failure throws a
//      BrokerError with Kafka's code and nothing is appended;
//   3. the log assigns offsets and writes the batch;
//   4. the working copy is rebuilt from the batch as written (its real offsets and, on LogAppendTime topics,
//      its real timestamp) and stored; a marker's completed transaction is indexed if aborted and completed.
import { NO_PRODUCER_ID, readBatchHeader } from '../protocol/records/batch-header.ts';
import type { RecordBatchHeader } from '../protocol/records/batch-header.ts';
import type { PartitionLog } from './log/partition-log.ts';
import { AppendOrigin } from './producer-state/append-origin.ts';
import { producerBatchOf } from './producer-state/producer-batch.ts';
import { applyBatch, recordCompletedTxn } from './producer-state/producer-state-loader.ts';
import type { ProducerStateManager } from './producer-state/producer-state-manager.ts';
import { producerStateFor } from './producer-state/producer-state-registry.ts';
import type { CompletedTxn } from './producer-state/txn-metadata.ts';

export interface LeaderAppendResult {
  baseOffset: bigint;
  lastOffset: bigint;
  /** LogAppendTime stamped on the batch, or -1 with CreateTime; for a duplicate, the original's timestamp. */
  logAppendTime: bigint;
  logStartOffset: bigint;
  /** False when the batch was a duplicate answered with the original's offsets and not stored again. */
  appended: boolean;
  /** The transaction a COMMIT/ABORT marker completed, if one was open. */
  completedTxn: CompletedTxn | null;
}

export interface LeaderAppendOptions {
  /**
   * The partition's producer state; default: the one a ProducerStateRegistry loaded for this log
   * (`producerStateOf`), else a standalone one loaded now.
   */
  producerState?: ProducerStateManager;
  /** `client` (Produce, the default) or `coordinator` (WriteTxnMarkers, coordinator writes). */
  origin?: typeof AppendOrigin.client | typeof AppendOrigin.coordinator;
  /** Stored in the batch's partitionLeaderEpoch field. */
  leaderEpoch?: number;
  /**
   * TEST ONLY (mutation tests of the history checker): append producer batches without the duplicate check or
   * any producer-state validation, as a broker without idempotence support would (Redpanda #3039).
   */
  skipProducerStateChecks?: boolean;
}

/**
 * Appends one validated batch (`header` read from it before the append). Throws BrokerError:
 * OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH, INVALID_TXN_STATE, TRANSACTION_COORDINATOR_FENCED, or
 * a storage error; in every case nothing was appended and producer state is unchanged.
 */
export function appendRecordsAsLeader(
  log: PartitionLog,
  batch: Buffer,
  header: RecordBatchHeader,
  options: LeaderAppendOptions = {},
): LeaderAppendResult {
  const producerState = options.producerState ?? producerStateFor(log);
  const origin = options.origin ?? AppendOrigin.client;
  const appendOptions = options.leaderEpoch === undefined ? {} : { leaderEpoch: options.leaderEpoch };

  if (header.producerId === NO_PRODUCER_ID || options.skipProducerStateChecks === true) {
    const result = log.append(batch, appendOptions);
    producerState.updateMapEndOffset(result.lastOffset + 1n);
    return { ...result, appended: true, completedTxn: null };
  }

  // Offsets are not assigned yet: the log will put the batch at its end.
  const expected = producerBatchOf(header, () => batch, log.logEndOffset);
  if (origin === AppendOrigin.client) {
    const duplicate = producerState.findDuplicateBatch(expected.producerId, expected.producerEpoch, expected.baseSequence, expected.lastSequence);
    if (duplicate !== null) {
      return {
        baseOffset: duplicate.firstOffset,
        lastOffset: duplicate.lastOffset,
        logAppendTime: duplicate.timestamp,
        logStartOffset: log.logStartOffset,
        appended: false,
        completedTxn: null,
      };
    }
  }
  // Validation only: this working copy is dropped; it throws before anything is written.
  producerState.prepareUpdate(expected.producerId, origin).append(expected);

  const result = log.append(batch, appendOptions);

  // The batch as written: real offsets, and on LogAppendTime topics the broker's timestamp.
  const written = producerBatchOf(readBatchHeader(batch, 0), () => batch);
  const completedTxn = applyBatch(producerState, written, origin);
  if (completedTxn !== null) recordCompletedTxn(producerState, log, completedTxn);
  producerState.updateMapEndOffset(result.lastOffset + 1n);
  producerState.onHighWatermarkUpdated(log.highWatermark);
  return { ...result, appended: true, completedTxn };
}
