// Kafka's `TxnPartitionEntry`: the client's sequence state for one partition. `producerIdAndEpoch` is the value
// this partition's sequences belong to; it lags the producer's current value while old-epoch batches are still
// in flight. `inflight` holds every batch that has a sequence and is not done yet, sorted by
// base sequence, whether it is on the wire or queued for a retry.
import { NO_SEQUENCE } from '../../protocol/records/batch-header.ts';
import type { ProducerBatch } from './producer-batch.ts';
import type { ProducerIdAndEpoch } from './producer-id-and-epoch.ts';

export class TxnPartitionEntry {
  producerIdAndEpoch: ProducerIdAndEpoch | null = null;
  nextSequence = 0;
  lastAckedSequence = NO_SEQUENCE;
  lastAckedOffset = -1n;
  readonly inflight: ProducerBatch[] = [];

  addInflight(batch: ProducerBatch): void {
    // Sequences only grow within one epoch, so appending keeps the order; a sort covers split pieces.
    this.inflight.push(batch);
    if (this.inflight.length > 1 && this.inflight[this.inflight.length - 2].baseSequence > batch.baseSequence) {
      this.inflight.sort((a, b) => a.baseSequence - b.baseSequence);
    }
  }

  removeInflight(batch: ProducerBatch): void {
    const at = this.inflight.indexOf(batch);
    if (at >= 0) this.inflight.splice(at, 1);
  }

  /** `TransactionManager.firstInFlightSequence`. */
  get firstInflightSequence(): number {
    return this.inflight.length === 0 ? NO_SEQUENCE : this.inflight[0].baseSequence;
  }

  /** `TxnPartitionEntry.resetSequenceNumbers`-style restart for a new producer id or epoch. */
  reset(producerIdAndEpoch: ProducerIdAndEpoch | null): void {
    this.producerIdAndEpoch = producerIdAndEpoch;
    this.nextSequence = 0;
    this.lastAckedSequence = NO_SEQUENCE;
    this.lastAckedOffset = -1n;
  }
}
