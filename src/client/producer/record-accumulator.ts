// Kafka's `RecordAccumulator`: a deque of batches per partition, `buffer.memory` accounting with FIFO
// backpressure, the readiness rules (full batch, linger expired, flush/close, retry backoff) and the per-node
// drain that hands each request at most one batch per partition. With idempotence the drain asks the state
// machine whether a partition may send (`shouldStopDrainBatchesForPartition`) and assigns sequences to the
// batches it takes, never earlier (`RecordAccumulator.drainBatchesForOneNode`).
//
// Batch size when `batch.size` is left unset (a departure from Java, which always closes a batch at `batch.size`):
// a partition's batch fills up to `maxBatchSize` (the smaller of max.request.size and 1 MiB, librdkafka's
// batch.size) and leaves when `linger.ms` has passed since its first record or when it is that full, as
// librdkafka's does. At low load a batch leaves after `linger.ms` with whatever arrived, as in Java; under load,
// records that queue behind slow acknowledgements (an fsync per request, a distant broker) leave in a few large
// requests instead of many 16 KiB ones. Set explicitly, `batch.size` is Java's hard limit and readiness threshold.
// A growing batch is also held back while its partition is backed up (`drain` skips it until a response frees the
// node, it reaches `maxBatchSize`, or a flush forces it out): a broker handles one connection's requests one at a
// time, so a third request queued behind two in flight adds no parallelism, only more, smaller appends (each an
// fsync on a broker that flushes every append) and more per-request work on both sides.
import { NO_SEQUENCE } from '../../protocol/records/batch-header.ts';
import type { ResolvedProducerConfig } from '../config/producer-config.ts';
import { CompressionType } from '../../protocol/records/batch-header.ts';
import { BufferPool } from './buffer-pool.ts';
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
  /** Per node with queued batches: the bytes of the batches a drain would take now (one per partition). */
  readonly queuedBytes: ReadonlyMap<number, number>;
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
   * Set by the Sender: true while the partition's requests are backed up (its node has two requests in flight, or,
   * with idempotence, the partition has max.in.flight batches outstanding); a growing batch is then held.
   */
  backedUp: (key: string, topic: string, partition: number) => boolean = () => false;
  /**
   * Set by the Sender: true when a node's queued batches (`queuedBytes`, one per partition) should go now rather
   * than wait for linger.ms, because the broker would otherwise wait for this client (see Sender.sendsEarly).
   */
  sendsEarly: (nodeId: number, queuedBytes: number) => boolean = () => false;
  /** Deques by topic, indexed by partition: the per-record lookup, without building a key string per record. */
  private readonly byTopic = new Map<string, PartitionDeque[]>();

  /** Whether batches may grow past batch.size (batch.size left unset). */
  private readonly grows: boolean;
  /** The size at which a batch is sent without waiting for linger.ms. */
  private readonly readySize: number;

  /**
   * Memory for batches and the request frames carrying them, reused (`BufferPool`). A quarter of buffer.memory may
   * wait idle: enough for the batches and frames a busy producer has in use at once.
   */
  readonly memory: BufferPool;

  constructor(private readonly config: ResolvedProducerConfig) {
    this.memory = new BufferPool(Math.floor(config.bufferMemory / 4));
    this.compression = CompressionType[config.compression];
    this.grows = config.maxBatchSize > config.batchSize;
    this.readySize = this.grows ? config.maxBatchSize : config.batchSize;
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
    let partitions = this.byTopic.get(topic);
    if (partitions === undefined) this.byTopic.set(topic, (partitions = []));
    let deque = partitions[partition];
    if (deque === undefined) {
      const key = topicPartitionKey(topic, partition);
      deque = { key, topic, partition, batches: [], lastBatchBytes: 0 };
      this.deques.set(key, deque);
      partitions[partition] = deque;
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
    if (batch === undefined || batch.hasSequence || !this.hasRoom(batch, estimatedSize)) {
      if (batch !== undefined) deque.lastBatchBytes = batch.estimatedSizeInBytes;
      batch = new ProducerBatch(topic, partition, nowMs, this.compression, this.initialCapacity(deque, estimatedSize), this.memory);
      deque.batches.push(batch);
      created = true;
    }
    batch.append(timestamp, key, value, headers, sink, sinkIndex);
    batch.reservedBytes += estimatedSize;
    const full = deque.batches.length > 1 || batch.estimatedSizeInBytes >= this.readySize;
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

  /** `ProducerBatch.tryAppend`'s size check, against maxBatchSize (batch.size when set explicitly). */
  private hasRoom(batch: ProducerBatch, estimatedSize: number): boolean {
    return batch.hasRoomFor(estimatedSize, this.config.maxBatchSize);
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

  /** Everything queued is sendable now: a flush or close, a transaction completing, or senders waiting for memory. */
  private get forced(): boolean {
    return this.flushesInProgress > 0 || this.transactionCompleting || this.exhausted;
  }

  /**
   * The partition's only batch is its open one, still allowed to grow, and the partition is backed up: it waits for
   * a response to free the node instead of taking another request slot (see the file comment).
   */
  private holdsGrowingBatch(deque: PartitionDeque, first: ProducerBatch, forced: boolean): boolean {
    if (!this.grows || forced || deque.batches.length > 1 || first.attempts > 0 || first.closed) return false;
    if (!first.hasRoomFor(1, this.config.maxBatchSize)) return false;
    return this.backedUp(deque.key, deque.topic, deque.partition);
  }

  /**
   * `RecordAccumulator.ready`: the nodes that lead a partition with a sendable batch. A node whose batches all
   * linger is ready anyway when `sendsEarly` says so for the bytes it has queued.
   */
  ready(leaderFor: (topic: string, partition: number) => number, nowMs: number): ReadyCheckResult {
    const readyNodes = new Set<number>();
    const queuedBytes = new Map<number, number>();
    let lingerDelay = Infinity;
    let nextDelay = Infinity;
    let unknownLeaders = false;
    const forced = this.forced;
    for (const deque of this.deques.values()) {
      const first = deque.batches[0];
      if (first === undefined) continue;
      const leader = leaderFor(deque.topic, deque.partition);
      if (leader < 0) {
        unknownLeaders = true;
        continue;
      }
      if (this.backingOff(first, nowMs)) {
        const backoff = Math.min(this.config.retryBackoffMaxMs, this.config.retryBackoffMs * 2 ** Math.min(first.attempts - 1, 10));
        nextDelay = Math.min(nextDelay, first.lastAttemptMs + backoff - nowMs);
        continue;
      }
      queuedBytes.set(leader, (queuedBytes.get(leader) ?? 0) + first.estimatedSizeInBytes);
      if (readyNodes.has(leader)) continue;
      const waited = nowMs - (first.attempts > 0 ? first.lastAttemptMs : first.createdMs);
      const full = deque.batches.length > 1 || first.closed || first.estimatedSizeInBytes >= this.readySize;
      if (full || forced || first.attempts > 0 || waited >= this.config.lingerMs) readyNodes.add(leader);
      else lingerDelay = Math.min(lingerDelay, this.config.lingerMs - waited);
    }
    for (const [leader, bytes] of queuedBytes) if (!readyNodes.has(leader) && this.sendsEarly(leader, bytes)) readyNodes.add(leader);
    // Kept even for a node sent early: its drain may still leave a batch behind (first-ack rule, a held batch).
    nextDelay = Math.min(nextDelay, lingerDelay);
    return { readyNodes, queuedBytes, nextReadyCheckDelayMs: nextDelay, unknownLeaders };
  }

  /**
   * `RecordAccumulator.drainBatchesForOneNode`: at most one batch per partition led by `nodeId`, up to
   * `max.request.size` (a single oversized batch still goes alone) and up to `maxBytes` of uncompressed batches
   * (the Sender's share of the node's queue for this request).
   */
  drain(nodeId: number, leaderFor: (topic: string, partition: number) => number, idempotence: TransactionManager | null, nowMs: number, maxBytes = Infinity): ProducerBatch[] {
    const out: ProducerBatch[] = [];
    let size = 0;
    let taken = 0;
    const deques = [...this.deques.values()];
    const count = deques.length;
    if (count === 0) return out;
    const start = this.drainIndex++ % count;
    const forced = this.forced;
    for (let i = 0; i < count; i++) {
      const deque = deques[(start + i) % count];
      const first = deque.batches[0];
      if (first === undefined || leaderFor(deque.topic, deque.partition) !== nodeId) continue;
      if (this.backingOff(first, nowMs)) continue;
      if (this.holdsGrowingBatch(deque, first, forced)) continue;
      if (idempotence !== null && !idempotence.canDrain(deque.key, first)) continue;
      // Checked before encoding: encoding closes the batch, and one left for the next request may still grow.
      if (out.length > 0 && taken + first.estimatedSizeInBytes > maxBytes) break;
      const encodedSize = first.encodedSize();
      if (out.length > 0 && size + encodedSize > this.config.maxRequestSize) break;
      deque.batches.shift();
      if (first.attempts === 0) deque.lastBatchBytes = first.estimatedSizeInBytes;
      if (idempotence !== null) idempotence.assignSequence(deque.key, first);
      first.drainedMs = nowMs;
      size += encodedSize;
      taken += first.estimatedSizeInBytes;
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
