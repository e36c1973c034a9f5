// What producer state remembers of one appended batch (Kafka's `BatchMetadata`): enough to recognise a retry of
// it (its sequence range) and to answer that retry with the original offsets and timestamp. The first sequence
// and first offset are derived, so a batch whose sequences wrap past Int32.MAX is stored like any other.
import { decrementSequence } from '../../protocol/records/batch-header.ts';

export class BatchMetadata {
  constructor(
    readonly lastSeq: number,
    readonly lastOffset: bigint,
    /** lastOffset - firstOffset, which for a client batch is also lastSeq - firstSeq (modulo the wrap). */
    readonly offsetDelta: number,
    /** The batch's maxTimestamp (client CreateTime, or the broker's LogAppendTime). */
    readonly timestamp: bigint,
  ) {}

  get firstSeq(): number {
    return decrementSequence(this.lastSeq, this.offsetDelta);
  }

  get firstOffset(): bigint {
    return this.lastOffset - BigInt(this.offsetDelta);
  }
}
