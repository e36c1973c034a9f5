// Kafka's `RecordAccumulator`: a deque of batches per partition, `buffer.memory` accounting with FIFO
// backpressure, the readiness rules (full batch, linger expired, flush/close, retry backoff) and the per-node
// drain that hands each request at most one batch per partition. With idempotence the drain asks the state
// machine whether a partition may send (`shouldStopDrainBatchesForPartition`) and assigns sequences to the
// batches it takes, never earlier (`RecordAccumulator.drainBatchesForOneNode`).
//
// Batch growth under load (a departure from Java, which always closes a batch at `batch.size`): while a
// partition's open batch could not be sent now anyway (full batches queue ahead of it, or the partition has
// max.in.flight requests outstanding), it keeps filling past `batch.size` up to `maxBatchSize` (the smaller of
// max.request.size and 1 MiB, librdkafka's batch.size, unless batch.size was set explicitly).
// Records that queue behind a slow acknowledgement (an fsync per request, a distant broker) then leave in a few
// large requests instead of many 16 KiB ones; when requests are not backed up, batches still close at
// `batch.size` or `linger.ms`, so latency at low load is Java's.
import { NO_SEQUENCE } from '../../protocol/records/batch-header.ts';
import type { ResolvedProducerConfig } from '../config/producer-config.ts';
import { CompressionType } from '../../protocol/records/batch-header.ts';
import { ProducerBatch, type RecordHeaderInput, type RecordSink } from './producer-batch.ts';
import type { TransactionManager } from './transaction-manager.ts';
import { topicPartitionKey } from './transaction-manager.ts';

export interface PartitionDeque {
  readonly key: string;
  readonly topic: string;
  readonly partition: number;
  readonly batches: ProducerBatch[];
  /** Bytes the partition's last batch reached when it was closed: the next one starts with that much room. */
  lastBatchBytes: number;
}

export interface ReadyCheckResult {
  readonly readyNodes: Set<number>;
  /** When the next batch may become ready, in ms from now (Infinity when nothing waits). */
  readonly nextReadyCheckDelayMs: number;
  readonly unknownLeaders: boolean;
}

interface MemoryWaiter {
  readonly bytes: number;
  readonly resolve: () => void;
}

export class RecordAccumulator {
  readonly deques = new Map<string, PartitionDeque>();
  private bufferUsed = 0;
  private readonly memoryWaiters: MemoryWaiter[] = [];
  /** While > 0, every batch is ready regardless of linger (`flushInProgress`, close). */
  flushesInProgress = 0;
  /** While a transaction commits or aborts, every batch is ready too (the Sender's `beginFlush`). */
  transactionCompleting = false;
  private readonly compression: number;
  private drainIndex = 0;
  /**
   * Set by the Sender: true while the partition may not send another request now (its node or, with
   * idempotence, the partition has max.in.flight requests outstanding).
   */
  backedUp: (key: string, topic: string, partition: number) => boolean = () => false;

  constructor(private readonly config: ResolvedProducerConfig) {
    this.compression = CompressionType[config.compression];
  }

  get bufferedBytes(): number {
    return this.bufferUsed;
  }

  /** Takes `bytes` from buffer.memory now (true) or reports that the caller must wait (false). */
  tryReserve(bytes: number): boolean {
    if (this.memoryWaiters.length > 0) return false;
    if (this.bufferUsed + bytes > this.config.bufferMemory && this.bufferUsed > 0) return false;
    this.bufferUsed += bytes;
    return true;
  }

  /** Waits for buffer space in FIFO order (`BufferPool.allocate`). */
  reserve(bytes: number): Promise<void> {
    if (this.tryReserve(bytes)) return Promise.resolve();
    return new Promise((resolve) => this.memoryWaiters.push({ bytes, resolve }));
  }

  cancelReserve(resolve: () => void): boolean {
    const at = this.memoryWaiters.findIndex((waiter) => waiter.resolve === resolve);
    if (at < 0) return false;
    this.memoryWaiters.splice(at, 1);
    this.grantWaiters();
    return true;
  }

  release(bytes: number): void {
    this.bufferUsed -= bytes;
    this.grantWaiters();
  }

  private grantWaiters(): void {
    while (this.memoryWaiters.length > 0) {
      const next = this.memoryWaiters[0];
      if (this.bufferUsed + next.bytes > this.config.bufferMemory && this.bufferUsed > 0) break;
      this.memoryWaiters.shift();
      this.bufferUsed += next.bytes;
      next.resolve();
    }
  }

  /** True when sends are waiting for memory: then everything is sendable (`BufferPool.queued`). */
  get exhausted(): boolean {
    return this.memoryWaiters.length > 0;
  }

  private dequeFor(topic: string, partition: number): PartitionDeque {
    const key = topicPartitionKey(topic, partition);
    let deque = this.deques.get(key);
    if (deque === undefined) {
      deque = { key, topic, partition, batches: [], lastBatchBytes: 0 };
      this.deques.set(key, deque);
    }
    return deque;
  }

  /**
   * Appends one record to the partition's last open batch, or a new one (`RecordAccumulator.append`). Returns
   * the batch and whether it is now full (the Sender should wake up).
   */
  append(
    topic: string,
    partition: number,
    timestamp: bigint,
    key: Uint8Array | null,
    value: Uint8Array | null,
    headers: readonly RecordHeaderInput[] | undefined,
    estimatedSize: number,
    sink: RecordSink,
    sinkIndex: number,
    nowMs: number,
  ): { batch: ProducerBatch; full: boolean; created: boolean } {
    const deque = this.dequeFor(topic, partition);
    let batch = deque.batches.length > 0 ? deque.batches[deque.batches.length - 1] : undefined;
    let created = false;
    if (batch === undefined || batch.hasSequence || !this.hasRoom(deque, batch, estimatedSize)) {
      if (batch !== undefined) deque.lastBatchBytes = batch.estimatedSizeInBytes;
      batch = new ProducerBatch(topic, partition, nowMs, this.compression, this.initialCapacity(deque, estimatedSize));
      deque.batches.push(batch);
      created = true;
    }
    batch.append(timestamp, key, value, headers, sink, sinkIndex);
    batch.reservedBytes += estimatedSize;
    const full = deque.batches.length > 1 || batch.estimatedSizeInBytes >= this.config.batchSize;
    return { batch, full, created };
  }

  /**
   * A new batch's buffer: batch.size, or the size the partition's previous batch reached when that grew past it
   * under load, so a batch that grows again is not copied at every doubling. It follows the load down as soon as a
   * batch leaves smaller.
   */
  private initialCapacity(deque: PartitionDeque, estimatedSize: number): number {
    const capacity = Math.max(Math.min(this.config.batchSize, 1 << 20), Math.min(deque.lastBatchBytes, this.config.maxBatchSize));
    return Math.max(capacity, estimatedSize);
  }

  /**
   * `ProducerBatch.tryAppend`'s size check, with growth: past batch.size only while the batch could not leave now
   * anyway, because full batches wait ahead of it or the partition is backed up. Only a batch already past
   * batch.size pays for the check.
   */
  private hasRoom(deque: PartitionDeque, batch: ProducerBatch, estimatedSize: number): boolean {
    if (batch.hasRoomFor(estimatedSize, this.config.batchSize)) return true;
    if (!batch.hasRoomFor(estimatedSize, this.config.maxBatchSize)) return false;
    return deque.batches.length > 1 || this.backedUp(deque.key, deque.topic, deque.partition);
  }

  /** `RecordAccumulator.reenqueue` + `insertInSequenceOrder`: a retried batch goes back in sequence order. */
  reenqueue(batch: ProducerBatch, nowMs: number): void {
    batch.attempts++;
    batch.lastAttemptMs = nowMs;
    batch.inRetry = true;
    const deque = this.dequeFor(batch.topic, batch.partition);
    const batches = deque.batches;
    if (batch.baseSequence === NO_SEQUENCE) {
      batches.unshift(batch);
      return;
    }
    let at = 0;
    while (at < batches.length && batches[at].hasSequence && batches[at].baseSequence < batch.baseSequence) at++;
    batches.splice(at, 0, batch);
  }

  private backingOff(batch: ProducerBatch, nowMs: number): boolean {
    if (batch.attempts === 0) return false;
    const backoff = Math.min(this.config.retryBackoffMaxMs, this.config.retryBackoffMs * 2 ** Math.min(batch.attempts - 1, 10));
    return nowMs - batch.lastAttemptMs < backoff;
  }

  /** `RecordAccumulator.ready`: the nodes that lead a partition with a sendable batch. */
  ready(leaderFor: (topic: string, partition: number) => number, nowMs: number): ReadyCheckResult {
    const readyNodes = new Set<number>();
    let nextDelay = Infinity;
    let unknownLeaders = false;
    const forced = this.flushesInProgress > 0 || this.transactionCompleting || this.exhausted;
    for (const deque of this.deques.values()) {
      const first = deque.batches[0];
      if (first === undefined) continue;
      const leader = leaderFor(deque.topic, deque.partition);
      if (leader < 0) {
        unknownLeaders = true;
        continue;
      }
      if (readyNodes.has(leader)) continue;
      if (this.backingOff(first, nowMs)) {
        const backoff = Math.min(this.config.retryBackoffMaxMs, this.config.retryBackoffMs * 2 ** Math.min(first.attempts - 1, 10));
        nextDelay = Math.min(nextDelay, first.lastAttemptMs + backoff - nowMs);
        continue;
      }
      const waited = nowMs - (first.attempts > 0 ? first.lastAttemptMs : first.createdMs);
      const full = deque.batches.length > 1 || first.closed || first.estimatedSizeInBytes >= this.config.batchSize;
      if (full || forced || first.attempts > 0 || waited >= this.config.lingerMs) readyNodes.add(leader);
      else nextDelay = Math.min(nextDelay, this.config.lingerMs - waited);
    }
    return { readyNodes, nextReadyCheckDelayMs: nextDelay, unknownLeaders };
  }

  /**
   * `RecordAccumulator.drainBatchesForOneNode`: at most one batch per partition led by `nodeId`, up to
   * `max.request.size` (a single oversized batch still goes alone).
   */
  drain(nodeId: number, leaderFor: (topic: string, partition: number) => number, idempotence: TransactionManager | null, nowMs: number): ProducerBatch[] {
    const out: ProducerBatch[] = [];
    let size = 0;
    const deques = [...this.deques.values()];
    const count = deques.length;
    if (count === 0) return out;
    const start = this.drainIndex++ % count;
    for (let i = 0; i < count; i++) {
      const deque = deques[(start + i) % count];
      const first = deque.batches[0];
      if (first === undefined || leaderFor(deque.topic, deque.partition) !== nodeId) continue;
      if (this.backingOff(first, nowMs)) continue;
      if (idempotence !== null && !idempotence.canDrain(deque.key, first)) continue;
      const encodedSize = first.encoded().length;
      if (out.length > 0 && size + encodedSize > this.config.maxRequestSize) break;
      deque.batches.shift();
      if (first.attempts === 0) deque.lastBatchBytes = first.estimatedSizeInBytes;
      if (idempotence !== null) idempotence.assignSequence(deque.key, first);
      first.drainedMs = nowMs;
      size += encodedSize;
      out.push(first);
    }
    return out;
  }

  /** Batches past `delivery.timeout.ms` at the head of their deques (`RecordAccumulator.expiredBatches`). */
  expiredBatches(nowMs: number): ProducerBatch[] {
    const out: ProducerBatch[] = [];
    for (const deque of this.deques.values()) {
      while (deque.batches.length > 0 && nowMs - deque.batches[0].createdMs >= this.config.deliveryTimeoutMs) {
        out.push(deque.batches.shift() as ProducerBatch);
      }
    }
    return out;
  }

  /** Earliest head-of-deque delivery deadline, in ms from now. */
  nextExpiryDelayMs(nowMs: number): number {
    let next = Infinity;
    for (const deque of this.deques.values()) {
      const first = deque.batches[0];
      if (first !== undefined) next = Math.min(next, first.createdMs + this.config.deliveryTimeoutMs - nowMs);
    }
    return next;
  }

  /** Every queued batch, removed (fatal error, forced close). */
  drainAll(): ProducerBatch[] {
    const out: ProducerBatch[] = [];
    for (const deque of this.deques.values()) out.push(...deque.batches.splice(0));
    return out;
  }

  /** Every queued batch that was never sent (no sequence yet), removed (`abortUndrainedBatches`). */
  drainUnsequenced(): ProducerBatch[] {
    const out: ProducerBatch[] = [];
    for (const deque of this.deques.values()) {
      if (deque.batches.length === 0) continue;
      const kept: ProducerBatch[] = [];
      for (const batch of deque.batches) (batch.hasSequence ? kept : out).push(batch);
      deque.batches.splice(0, deque.batches.length, ...kept);
    }
    return out;
  }

  get hasQueued(): boolean {
    for (const deque of this.deques.values()) if (deque.batches.length > 0) return true;
    return false;
  }
}
