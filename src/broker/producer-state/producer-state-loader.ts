// Rebuilding a partition's producer state from its snapshot and its log (Kafka's
// `UnifiedLog.rebuildProducerState` and `loadProducersFromRecords`), and the bookkeeping of a completed
// transaction shared by the leader append path and replay.
//
// Recovery: load the latest usable snapshot (a corrupt one is deleted and the next older tried; expired
// producers are dropped), replay every batch after it with origin REPLICATION (no rejections, open
// transactions rebuilt, aborted ones re-indexed), then snapshot at the log end. Snapshots are also taken at the
// base offsets of the last two segments as the replay crosses them, so they line up with segments again.
//
// Deviations from Kafka, on purpose:
// - No "upgrade shortcut" (Kafka skips the scan when a clean shutdown left no snapshot, a case that exists
//   only for brokers upgraded from before snapshots): seqlog always replays, so a missing snapshot can never
//   silently lose producer state.
// - Batches are folded into the state one by one, exactly as live appends were, rather than per segment.
// - At the first load, the snapshot used is at most the base offset of the first segment that log recovery
//   validated: those segments' aborted-transaction indexes may miss entries, and only replay can restore them
//   (see `PartitionLog.appendAbortedTransaction`).
import type { PartitionLog } from '../log/partition-log.ts';
import type { LogLogger } from '../log/partition-log.ts';
import { AppendOrigin } from './append-origin.ts';
import { producerBatchOf } from './producer-batch.ts';
import type { ProducerBatch } from './producer-batch.ts';
import type { ProducerStateManager } from './producer-state-manager.ts';
import type { CompletedTxn } from './txn-metadata.ts';

const noopLogger: LogLogger = { info() {}, warn() {}, error() {} };

/** What the leader path and replay do with a transaction a marker completed (Kafka's `UnifiedLog.append`). */
export function recordCompletedTxn(
  producerState: ProducerStateManager,
  log: Pick<PartitionLog, 'appendAbortedTransaction'>,
  completedTxn: CompletedTxn,
  logger: LogLogger = noopLogger,
): void {
  // The LSO recorded with an aborted transaction is computed before the transaction is marked complete.
  const lastStableOffset = producerState.lastStableOffsetForCompletedTxn(completedTxn);
  if (completedTxn.isAborted) {
    try {
      log.appendAbortedTransaction({
        producerId: completedTxn.producerId,
        firstOffset: completedTxn.firstOffset,
        lastOffset: completedTxn.lastOffset,
        lastStableOffset,
      });
    } catch (error) {
      // The index is repaired by the replay of the next recovery; producer state must still move on.
      logger.error({ partition: producerState.partition, error }, 'cannot index an aborted transaction');
    }
  }
  producerState.completeTxn(completedTxn);
}

/** Folds one stored batch into producer state (Kafka's `UnifiedLog.updateProducers` + `update`). */
export function applyBatch(producerState: ProducerStateManager, batch: ProducerBatch, origin: AppendOrigin): CompletedTxn | null {
  const appendInfo = producerState.prepareUpdate(batch.producerId, origin);
  const completedTxn = appendInfo.append(batch);
  producerState.update(appendInfo);
  return completedTxn;
}

export interface RebuildOptions {
  nowMs: number;
  logger?: LogLogger;
  /**
   * First load of a freshly opened log: stray snapshots are removed and the snapshot used is at most the first
   * segment log recovery validated. False after a truncation.
   */
  initialLoad?: boolean;
}

/** Replays the log after the loaded snapshot so that the state reflects the whole log, then snapshots it. */
export function rebuildProducerState(producerState: ProducerStateManager, log: PartitionLog, options: RebuildOptions): void {
  const logger = options.logger ?? noopLogger;
  const logStartOffset = log.logStartOffset;
  const logEndOffset = log.logEndOffset;
  const segmentBaseOffsets = log.segmentBaseOffsets;
  let maxSnapshotOffset: bigint | null = null;
  if (options.initialLoad === true) {
    producerState.removeStraySnapshots(segmentBaseOffsets);
    for (const base of log.recoveryReport.recoveredSegments) {
      if (maxSnapshotOffset === null || base < maxSnapshotOffset) maxSnapshotOffset = base;
    }
  }
  producerState.truncateAndReload(logStartOffset, logEndOffset, options.nowMs, maxSnapshotOffset);

  // Snapshots at the start of the last two segments, as Kafka takes them while it replays.
  const offsetsToSnapshot = segmentBaseOffsets.slice(-2);
  const startOffset = producerState.mapEndOffset > logStartOffset ? producerState.mapEndOffset : logStartOffset;
  if (startOffset < logEndOffset) {
    let replayed = 0;
    log.replay(startOffset, (header, location, readBatch) => {
      for (const base of offsetsToSnapshot) {
        if (base === location.baseOffset && base >= producerState.mapEndOffset) {
          producerState.updateMapEndOffset(base);
          takeSnapshotSafely(producerState, logger);
        }
      }
      if (header.producerId >= 0n) {
        try {
          const completedTxn = applyBatch(producerState, producerBatchOf(header, readBatch), AppendOrigin.replication);
          if (completedTxn !== null) recordCompletedTxn(producerState, log, completedTxn, logger);
        } catch (error) {
          // Replication origin rejects nothing; this is a batch that cannot be read. Skipping it beats making
          // the whole partition unloadable.
          logger.error(
            { partition: producerState.partition, baseOffset: String(location.baseOffset), error },
            'cannot replay a batch into producer state',
          );
        }
      }
      if (location.lastOffset + 1n > producerState.mapEndOffset) producerState.updateMapEndOffset(location.lastOffset + 1n);
      replayed++;
    });
    logger.info(
      { partition: producerState.partition, from: String(startOffset), to: String(logEndOffset), batches: replayed },
      'replayed the log into producer state',
    );
  }
  producerState.updateMapEndOffset(logEndOffset);
  takeSnapshotSafely(producerState, logger);
}

/** A failed snapshot costs only a longer replay at the next start, so it is logged, not raised. */
export function takeSnapshotSafely(producerState: ProducerStateManager, logger: LogLogger = noopLogger): void {
  try {
    producerState.takeSnapshot();
  } catch (error) {
    logger.warn({ partition: producerState.partition, error }, 'cannot write a producer snapshot');
  }
}
