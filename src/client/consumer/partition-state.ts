// One assigned partition as the consumer tracks it (Kafka's `SubscriptionState.TopicPartitionState`): where the
// next fetch starts, what the application has finished processing (what `commit()` commits: at-least-once),
// whether it is paused, and the offsets the last fetch reported.
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export type OffsetResetStrategy = 'earliest' | 'latest';

export const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class PartitionState implements TopicPartition {
  readonly key: string;
  /** The next offset to hand to the application; null until initialised from the committed offset or auto.offset.reset. */
  position: bigint | null = null;
  /**
   * The next offset to fetch: ahead of `position` by what is fetched but not yet handed out (the fetcher reads
   * ahead while the application works, as librdkafka's prefetch does).
   */
  fetchPosition: bigint | null = null;
  /** Bumped whenever fetched data stops being wanted (seek, reset, pause): answers of an older epoch are dropped. */
  epoch = 0;
  /** One past the last record the application finished with (or the position it was moved to). */
  consumed: bigint | null = null;
  /** The offset last committed by this consumer (to skip commits that change nothing). */
  lastCommitted: bigint | null = null;
  paused = false;
  /** A reset asked for (OFFSET_OUT_OF_RANGE, seekToBeginning/End), done before the next fetch. */
  resetTo: OffsetResetStrategy | null = null;
  /** Answers for this partition waiting in the buffer (at most MAX_BUFFERED_FETCHES). */
  bufferedFetches = 0;
  /** After a partition error, no fetch before this time (retry.backoff.ms). */
  backoffUntilMs = 0;
  highWatermark = -1n;
  lastStableOffset = -1n;
  logStartOffset = -1n;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {
    this.key = partitionKey(topic, partition);
  }

  /** Moves the position (seek, reset, committed offset): what was fetched from the old position is stale. */
  moveTo(offset: bigint): void {
    this.position = offset;
    this.fetchPosition = offset;
    this.consumed = offset;
    this.resetTo = null;
    this.epoch++;
  }

  /** Forgets what was fetched ahead (pause, a seek to earliest/latest, unreadable data). */
  dropFetched(): void {
    this.fetchPosition = this.position;
    this.epoch++;
  }
}
