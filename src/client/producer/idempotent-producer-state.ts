// The idempotent producer's state machine: the idempotence half of Kafka's `TransactionManager` (no
// transactional id). It owns the current producer id/epoch (an immutable value), the per-partition sequence
// entries, the partitions whose sequences are unresolved after a delivery timeout, and the local epoch bump of
// KIP-360. It has no timers, sockets or awaits: the Sender calls it synchronously while building a request and
// while handling a response, so no interleaving can observe half an update.
//
// States (a subset of `TransactionManager.State`): uninitialized -> initializing -> ready; any -> fatal.
// A bump past epoch 32767 goes back to uninitialized to take a fresh producer id.
import { NO_SEQUENCE, incrementSequence } from '../../protocol/records/batch-header.ts';
import type { KafkaClientError } from '../errors/kafka-client-error.ts';
import { ProduceAction } from '../policy/produce-policy.ts';
import type { ProducerBatch } from './producer-batch.ts';
import { MAX_PRODUCER_EPOCH, producerIdAndEpoch, sameProducerIdAndEpoch, type ProducerIdAndEpoch } from './producer-id-and-epoch.ts';
import { TxnPartitionEntry } from './txn-partition-entry.ts';

export const IdempotenceState = {
  uninitialized: 'uninitialized',
  initializing: 'initializing',
  ready: 'ready',
  fatal: 'fatal',
} as const;
export type IdempotenceState = (typeof IdempotenceState)[keyof typeof IdempotenceState];

const TRANSITIONS: Readonly<Record<IdempotenceState, readonly IdempotenceState[]>> = {
  uninitialized: ['initializing', 'fatal'],
  initializing: ['ready', 'uninitialized', 'fatal'],
  ready: ['uninitialized', 'fatal'],
  fatal: ['fatal'],
};

/** Per-partition in-flight limit: the broker caches the last 5 batches per producer (NUM_BATCHES_TO_RETAIN). */
export const MAX_INFLIGHT_BATCHES_PER_PARTITION = 5;

export function topicPartitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export class IdempotentProducerState {
  private current: ProducerIdAndEpoch | null = null;
  private stateValue: IdempotenceState = IdempotenceState.uninitialized;
  fatalError: KafkaClientError | null = null;
  private readonly partitions = new Map<string, TxnPartitionEntry>();
  /** Partition -> the sequence after the highest expired batch (`partitionsWithUnresolvedSequences`). */
  private readonly unresolved = new Map<string, number>();
  private readonly partitionsToRewriteSequences = new Set<string>();
  private epochBumpRequired = false;
  /** Count of epoch bumps and producer id resets, for metrics and tests. */
  epochBumps = 0;

  get state(): IdempotenceState {
    return this.stateValue;
  }

  get producerIdAndEpoch(): ProducerIdAndEpoch | null {
    return this.current;
  }

  transitionTo(next: IdempotenceState): void {
    if (!TRANSITIONS[this.stateValue].includes(next)) throw new Error(`invalid idempotent producer transition ${this.stateValue} -> ${next}`);
    this.stateValue = next;
  }

  /** InitProducerId answered: a new value for every partition (each resets when its old batches are done). */
  setProducerIdAndEpoch(producerId: bigint, epoch: number): void {
    this.current = producerIdAndEpoch(producerId, epoch);
    this.transitionTo(IdempotenceState.ready);
    this.rewritePendingPartitions();
  }

  transitionToFatal(error: KafkaClientError): void {
    if (this.fatalError === null) this.fatalError = error;
    this.stateValue = IdempotenceState.fatal;
  }

  entry(key: string): TxnPartitionEntry {
    let entry = this.partitions.get(key);
    if (entry === undefined) {
      entry = new TxnPartitionEntry();
      entry.producerIdAndEpoch = this.current;
      this.partitions.set(key, entry);
    }
    return entry;
  }

  hasUnresolvedSequence(key: string): boolean {
    return this.unresolved.has(key);
  }

  /** `RecordAccumulator.shouldStopDrainBatchesForPartition`, negated. */
  canDrain(key: string, first: ProducerBatch): boolean {
    if (this.stateValue !== IdempotenceState.ready || this.current === null) return false;
    const entry = this.entry(key);
    if (!first.hasSequence) {
      // A new batch with the new epoch and sequence 0 must not overtake old-epoch batches still in flight.
      if (entry.inflight.length > 0 && !sameProducerIdAndEpoch(entry.producerIdAndEpoch, this.current)) return false;
      if (this.unresolved.has(key)) return false;
      if (entry.inflight.length >= MAX_INFLIGHT_BATCHES_PER_PARTITION) return false;
      return true;
    }
    // A retried batch goes only when it is the lowest in-flight sequence: one batch at a time until the chain
    // heals (SEMANTICS §4.4).
    const firstInflight = entry.firstInflightSequence;
    return firstInflight === NO_SEQUENCE || first.baseSequence === firstInflight;
  }

  /**
   * Gives a drained batch its producer state: `RecordAccumulator.drainBatchesForOneNode` ->
   * `maybeUpdateProducerIdAndEpoch` + `setProducerState`. Batches that already have a sequence keep it.
   */
  assignSequence(key: string, batch: ProducerBatch): void {
    if (batch.hasSequence) return;
    const entry = this.entry(key);
    if (!sameProducerIdAndEpoch(entry.producerIdAndEpoch, this.current) && entry.inflight.length === 0) {
      entry.reset(this.current);
    }
    batch.setProducerState(entry.producerIdAndEpoch, entry.nextSequence);
    entry.nextSequence = incrementSequence(entry.nextSequence, batch.recordCount);
    entry.addInflight(batch);
  }

  /** `TransactionManager.handleCompletedBatch`. */
  handleCompletedBatch(key: string, batch: ProducerBatch, baseOffset: bigint): void {
    const entry = this.entry(key);
    if (batch.producerId === entry.producerIdAndEpoch?.producerId && batch.producerEpoch === entry.producerIdAndEpoch.epoch) {
      const last = batch.lastSequence;
      if (entry.lastAckedSequence === NO_SEQUENCE || last > entry.lastAckedSequence || (entry.lastAckedSequence > 0x7fff0000 && last < 0x10000)) {
        entry.lastAckedSequence = last;
      }
      if (baseOffset >= 0n) entry.lastAckedOffset = baseOffset + BigInt(batch.recordCount - 1);
    }
    entry.removeInflight(batch);
    this.maybeResolveSequences();
  }

  /** `TransactionManager.isNextSequence`: the batch right after the last acknowledged one. */
  isNextSequence(key: string, sequence: number): boolean {
    const entry = this.entry(key);
    const expected = entry.lastAckedSequence === NO_SEQUENCE ? 0 : incrementSequence(entry.lastAckedSequence, 1);
    return sequence === expected;
  }

  /**
   * `TransactionManager.canRetry` for the idempotent producer: may this failed batch be sent again? Requests the
   * local epoch bump where KIP-360 says so.
   */
  canRetry(key: string, batch: ProducerBatch, action: ProduceAction, retriable: boolean, logStartOffset: bigint): boolean {
    if (action === ProduceAction.unknownProducerId) {
      if (logStartOffset === -1n) return true;
      this.requestEpochBumpForPartition(key);
      return true;
    }
    if (action === ProduceAction.outOfOrderSequence) {
      const unresolved = this.unresolved.get(key);
      if (unresolved === undefined && (batch.sequenceHasBeenReset || !this.isNextSequence(key, batch.baseSequence))) return true;
      // A real gap (or the batch right after an unresolved one): bump the epoch; otherwise wait and retry.
      if (unresolved === undefined || unresolved === batch.baseSequence) this.requestEpochBumpForPartition(key);
      return true;
    }
    return retriable;
  }

  /** `TransactionManager.handleFailedBatch`: the batch leaves the in-flight set; maybe close the sequence gap. */
  handleFailedBatch(key: string, batch: ProducerBatch, adjustSequenceNumbers: boolean): void {
    const entry = this.entry(key);
    entry.removeInflight(batch);
    if (adjustSequenceNumbers && batch.hasSequence) this.requestEpochBumpForPartition(key);
    this.maybeResolveSequences();
  }

  /** `TransactionManager.markSequenceUnresolved`: an expired batch that may or may not have been written. */
  markSequenceUnresolved(key: string, batch: ProducerBatch): void {
    const next = incrementSequence(batch.lastSequence, 1);
    const previous = this.unresolved.get(key);
    if (previous === undefined || next > previous) this.unresolved.set(key, next);
  }

  /** `TransactionManager.maybeResolveSequences`. */
  maybeResolveSequences(): void {
    for (const [key, _] of this.unresolved) {
      const entry = this.entry(key);
      if (entry.inflight.length > 0) continue;
      const expectedNext = entry.lastAckedSequence === NO_SEQUENCE ? 0 : incrementSequence(entry.lastAckedSequence, 1);
      // A later batch was acknowledged, so the broker has the expired one too; otherwise restart the sequence.
      if (expectedNext !== entry.nextSequence || !sameProducerIdAndEpoch(entry.producerIdAndEpoch, this.current)) {
        this.requestEpochBumpForPartition(key);
      } else {
        this.unresolved.delete(key);
      }
    }
  }

  requestEpochBumpForPartition(key: string): void {
    this.epochBumpRequired = true;
    this.partitionsToRewriteSequences.add(key);
  }

  get needsEpochBump(): boolean {
    return this.epochBumpRequired;
  }

  /**
   * `TransactionManager.bumpIdempotentEpochAndResetIdIfNeeded`, run by the Sender before it builds requests.
   * Returns true when a new producer id must be fetched with InitProducerId.
   */
  bumpIdempotentEpochAndResetIdIfNeeded(): boolean {
    if (this.stateValue === IdempotenceState.fatal) return false;
    if (this.epochBumpRequired && this.stateValue === IdempotenceState.ready && this.current !== null) {
      this.epochBumps++;
      if (this.current.epoch >= MAX_PRODUCER_EPOCH) {
        // `resetIdempotentProducerId`: a new id; the partitions are rewritten once it arrives.
        this.current = null;
        this.transitionTo(IdempotenceState.uninitialized);
      } else {
        this.current = producerIdAndEpoch(this.current.producerId, this.current.epoch + 1);
        this.rewritePendingPartitions();
      }
    }
    return this.stateValue === IdempotenceState.uninitialized;
  }

  /** `TxnPartitionMap.startSequencesAtBeginning` for every partition that asked for the bump. */
  private rewritePendingPartitions(): void {
    if (this.current === null) return;
    for (const key of this.partitionsToRewriteSequences) {
      const entry = this.entry(key);
      let sequence = 0;
      for (const batch of entry.inflight) {
        batch.setProducerState(this.current, sequence);
        batch.sequenceHasBeenReset = true;
        sequence = incrementSequence(sequence, batch.recordCount);
      }
      entry.reset(this.current);
      entry.nextSequence = sequence;
      this.unresolved.delete(key);
    }
    this.partitionsToRewriteSequences.clear();
    this.epochBumpRequired = false;
  }

  /** Every batch still waiting on a sequence decision, for a fatal shutdown. */
  allInflight(): ProducerBatch[] {
    const out: ProducerBatch[] = [];
    for (const entry of this.partitions.values()) out.push(...entry.inflight);
    return out;
  }
}
