// The producer: `new Producer(options)`, `send(record | records)`, `flush()`, `close()`. Idempotent by default
// (acks=all, retries bounded only by delivery.timeout.ms, up to 5 batches in flight per partition with order
// kept), as Kafka 3+ producers are. With a `transactionalId` it is transactional (KIP-98): `transaction(fn)`
// commits what `fn` sends (and the consumer offsets it hands over) atomically, or aborts on a throw; the explicit
// calls are KafkaProducer's (`initTransactions`, `beginTransaction`, `commitTransaction`, `abortTransaction`,
// `sendOffsetsToTransaction`). `send` appends to the accumulator synchronously whenever it can (topic
// metadata known, buffer space free, nothing queued before it), so records sent in one tick land in the same
// batch in call order; otherwise it waits in a FIFO queue, so call order is still append order.
import type { RecordHeaderInput, RecordMetadata, RecordSink } from './producer-batch.ts';
import { estimateRecordSize } from './producer-batch.ts';
import { resolveProducerConfig, type ProducerOptions, type ResolvedProducerConfig } from '../config/producer-config.ts';
import { ConnectionPool } from '../connection/connection-pool.ts';
import { ErrorKind, KafkaClientError } from '../errors/kafka-client-error.ts';
import { Metadata, type TopicMetadata } from '../metadata/metadata.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { DefaultPartitioner } from './default-partitioner.ts';
import { TransactionManager, TransactionState, type OffsetToCommit } from './transaction-manager.ts';
import type { ConsumerGroupMetadata } from '../transactions/txn-requests.ts';
import type { ProducerBatch } from './producer-batch.ts';
import { ProducerMetrics, type ProducerMetricsSnapshot } from './producer-metrics.ts';
import { producerMetricRegistry } from '../metrics/client-metric-registries.ts';
import type { Registry } from 'prom-client';
import { RecordAccumulator } from './record-accumulator.ts';
import { checkRecordInput } from './record-input.ts';
import { Sender } from './sender.ts';
import { Fifo } from '../../internal/fifo.ts';

/** Bytes as they go on the wire; a string is sent as its UTF-8 bytes. Anything else is refused by `send`. */
export type RecordValue = Buffer | Uint8Array | string | null;

/** One record to send. Types are checked at runtime too: a wrong one fails `send` with INVALID_RECORD_TYPE. */
export interface ProducerRecord {
  topic: string;
  /** Chooses the partition (murmur2, as the Java client) when `partition` is not given. Default null. */
  key?: RecordValue;
  /** The payload; null is a tombstone. Serialize objects first (e.g. `JSON.stringify`). */
  value: RecordValue;
  /** An object (`{ name: value }`) or a list (repeated keys allowed, order kept). Default none. */
  headers?: Readonly<Record<string, Buffer | Uint8Array | string | null>> | readonly { key: string; value: Buffer | Uint8Array | string | null }[];
  /** Default: by key hash, or sticky partitioning (KIP-480) for records without a key. */
  partition?: number;
  /** CreateTime in ms since the epoch; default now. */
  timestamp?: number | bigint | Date;
}

export interface SendOptions {
  /** Aborts a send still waiting for metadata or buffer space. A record already appended cannot be recalled. */
  signal?: AbortSignal;
}

export type { RecordMetadata } from './producer-batch.ts';
export type { ConsumerGroupMetadata } from '../transactions/txn-requests.ts';

/** One consumer offset to commit in a transaction: the next offset to consume from `topic`-`partition`. */
export interface TransactionOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint | number;
  readonly leaderEpoch?: number;
  readonly metadata?: string | null;
}

/** The consumer's group metadata (KIP-447), a consumer that can give it, or just a group id (no fencing). */
export type GroupMetadataInput =
  | string
  | { readonly groupId: string; readonly generationId?: number; readonly memberId?: string; readonly groupInstanceId?: string | null }
  | { groupMetadata(): ConsumerGroupMetadata };

/** What `producer.transaction(fn)` hands to `fn`. */
export interface Transaction {
  send(record: ProducerRecord, options?: SendOptions): Promise<RecordMetadata>;
  send(records: readonly ProducerRecord[], options?: SendOptions): Promise<RecordMetadata[]>;
  /** Commits the consumer's offsets with the transaction (`sendOffsetsToTransaction`). */
  sendOffsets(group: GroupMetadataInput, offsets: readonly TransactionOffset[]): Promise<void>;
}

function toOffsetToCommit(offset: TransactionOffset): OffsetToCommit {
  return { topic: offset.topic, partition: offset.partition, offset: BigInt(offset.offset), leaderEpoch: offset.leaderEpoch, metadata: offset.metadata };
}

function toGroupMetadata(group: GroupMetadataInput): ConsumerGroupMetadata {
  if (typeof group === 'string') return { groupId: group, generationId: -1, memberId: '', groupInstanceId: null };
  if ('groupMetadata' in group && typeof group.groupMetadata === 'function') return group.groupMetadata();
  const plain = group as { readonly groupId: string; readonly generationId?: number; readonly memberId?: string; readonly groupInstanceId?: string | null };
  return { groupId: plain.groupId, generationId: plain.generationId ?? -1, memberId: plain.memberId ?? '', groupInstanceId: plain.groupInstanceId ?? null };
}

function toBytes(value: RecordValue | undefined): Uint8Array | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return Buffer.from(value);
  return value;
}

function toHeaders(headers: ProducerRecord['headers']): RecordHeaderInput[] | undefined {
  if (headers === undefined) return undefined;
  if (Array.isArray(headers)) {
    return (headers as readonly { key: string; value: Buffer | Uint8Array | string | null }[]).map((h) => ({ key: h.key, value: toBytes(h.value) }));
  }
  return Object.entries(headers as Readonly<Record<string, Buffer | Uint8Array | string | null>>).map(([key, value]) => ({ key, value: toBytes(value) }));
}

/** The last `Date.now()` as a bigint: records sent in the same millisecond share it instead of allocating one each. */
let clockMs = 0;
let clockBigint = 0n;

function toTimestamp(timestamp: ProducerRecord['timestamp'], nowMs: number): bigint {
  if (timestamp === undefined) {
    if (nowMs !== clockMs) {
      clockMs = nowMs;
      clockBigint = BigInt(nowMs);
    }
    return clockBigint;
  }
  if (typeof timestamp === 'bigint') return timestamp;
  if (timestamp instanceof Date) return BigInt(timestamp.getTime());
  return BigInt(Math.trunc(timestamp));
}

/** Settles one `send(record)` call. */
class SingleSink implements RecordSink {
  settled = false;
  constructor(
    readonly resolve: (metadata: RecordMetadata) => void,
    readonly reject: (error: Error) => void,
  ) {}
  complete(_index: number, metadata: RecordMetadata): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve(metadata);
  }
  fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(error);
  }
}

/** Settles one `send(records[])` call once every record is acknowledged, or at the first failure. */
class ArraySink implements RecordSink {
  settled = false;
  private remaining: number;
  private readonly results: RecordMetadata[];
  constructor(
    count: number,
    readonly resolve: (metadata: RecordMetadata[]) => void,
    readonly reject: (error: Error) => void,
  ) {
    this.remaining = count;
    this.results = new Array<RecordMetadata>(count);
    if (count === 0) this.finish();
  }
  complete(index: number, metadata: RecordMetadata): void {
    if (this.settled) return;
    this.results[index] = metadata;
    if (--this.remaining === 0) this.finish();
  }
  private finish(): void {
    this.settled = true;
    this.resolve(this.results);
  }
  fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(error);
  }
}

/** A send waiting for metadata or buffer space: `records[next..]` are still to be appended. */
interface PendingAppend {
  readonly records: readonly ProducerRecord[];
  next: number;
  readonly sink: RecordSink;
  readonly signal: AbortSignal | undefined;
}

interface FlushWaiter {
  readonly pending: Set<ProducerBatch>;
  readonly resolve: () => void;
}

/**
 * A Kafka producer, idempotent by default: `acks: 'all'`, retries until `deliveryTimeoutMs` (120 s), up to 5
 * requests in flight per broker with order kept, `lingerMs` 5. See `ProducerOptions` for every setting.
 *
 * ```ts
 * const producer = new Producer({ bootstrap: '127.0.0.1:9092' });
 * const { partition, offset } = await producer.send({ topic: 'orders', key: 'customer-42', value: '{"total":42}' });
 * await producer.close();
 * ```
 *
 * Nothing connects until the first `send`. Errors are `KafkaClientError`s (Kafka's error name, `kind`, what to
 * do). The constructor throws INVALID_CONFIG for a bad or unknown option.
 */
export class Producer {
  /** The options after defaults and validation. */
  readonly config: ResolvedProducerConfig;
  private readonly pool: ConnectionPool;
  private readonly metadata: Metadata;
  private readonly accumulator: RecordAccumulator;
  private readonly idempotence: TransactionManager | null;
  private readonly sender: Sender;
  private readonly partitioner: DefaultPartitioner;
  private readonly producerMetrics = new ProducerMetrics();
  private registry: Registry | undefined;
  private readonly queue = new Fifo<PendingAppend>();
  private pumping = false;
  private closing = false;
  private closed = false;
  private readonly incomplete = new Set<ProducerBatch>();
  private readonly flushWaiters = new Set<FlushWaiter>();

  constructor(options: ProducerOptions) {
    this.config = resolveProducerConfig(options);
    this.pool = new ConnectionPool({
      clientId: this.config.clientId,
      bootstrap: this.config.bootstrap,
      connectTimeoutMs: Math.min(this.config.requestTimeoutMs, 10000),
      reconnectBackoffMs: this.config.reconnectBackoffMs,
      reconnectBackoffMaxMs: this.config.reconnectBackoffMaxMs,
      security: this.config.security,
      onChange: () => this.sender.wakeup(),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    this.metadata = new Metadata(this.pool, this.config.retryBackoffMs, this.config.metadataMaxAgeMs, () => this.sender.wakeup());
    this.accumulator = new RecordAccumulator(this.config);
    this.idempotence = this.config.idempotent
      ? new TransactionManager({ transactionalId: this.config.transactionalId, transactionTimeoutMs: this.config.transactionTimeoutMs, retryBackoffMs: this.config.retryBackoffMs })
      : null;
    this.partitioner = new DefaultPartitioner(this.config.batchSize);
    this.sender = new Sender(this.config, this.pool, this.metadata, this.accumulator, this.idempotence, this.producerMetrics);
    this.sender.onBatchDone = (batch) => this.batchDone(batch);
    this.sender.hasIncompleteBatches = () => this.incomplete.size > 0;
    this.sender.onSplitPiece = (original, piece) => {
      this.incomplete.add(piece);
      for (const waiter of this.flushWaiters) if (waiter.pending.has(original)) waiter.pending.add(piece);
    };
    // Nothing connects until the first send (the producer id is fetched then, alongside the first metadata): a
    // producer that is never used opens no socket and keeps no timer, so it never holds the process open.
  }

  /** Whether idempotence ended up on (it turns off silently when unset and acks != all, as in Kafka's ProducerConfig). */
  get idempotent(): boolean {
    return this.idempotence !== null;
  }

  /** The current producer id and epoch, once InitProducerId has answered (idempotent producers only). */
  get producerIdAndEpoch(): { readonly producerId: bigint; readonly epoch: number } | null {
    return this.idempotence?.producerIdAndEpoch ?? null;
  }

  /**
   * Sends one record, or several (resolving with their metadata in order once all are acknowledged, or rejecting
   * at the first failure). Resolves when the broker acknowledged the record under `acks`; records sent in the same
   * tick share batches, in call order. Waits at most `maxBlockMs` (60 s) for metadata or buffer space. Rejects with
   * a `KafkaClientError`: INVALID_RECORD_TYPE for a wrong-typed field, NETWORK_EXCEPTION when no broker can be
   * reached, MESSAGE_TOO_LARGE, PRODUCER_CLOSED after `close()`, or the broker's error once retries are spent.
   */
  send(record: ProducerRecord, options?: SendOptions): Promise<RecordMetadata>;
  send(records: readonly ProducerRecord[], options?: SendOptions): Promise<RecordMetadata[]>;
  send(input: ProducerRecord | readonly ProducerRecord[], options?: SendOptions): Promise<RecordMetadata | RecordMetadata[]> {
    const refusal = this.refusal();
    if (refusal !== null) return Promise.reject(refusal);
    try {
      if (Array.isArray(input)) for (let i = 0; i < input.length; i++) checkRecordInput(input[i], i);
      else checkRecordInput(input, -1);
    } catch (error) {
      return Promise.reject(error);
    }
    if (Array.isArray(input)) {
      const records = input as readonly ProducerRecord[];
      return new Promise<RecordMetadata[]>((resolve, reject) => this.enqueue(records, new ArraySink(records.length, resolve, reject), options?.signal));
    }
    return new Promise<RecordMetadata>((resolve, reject) => this.enqueueOne(input as ProducerRecord, new SingleSink(resolve, reject), options?.signal));
  }

  private refusal(): KafkaClientError | null {
    const fatal = this.sender.fatalError;
    if (fatal !== null) return fatal;
    if (this.closing) return KafkaClientError.producerClosed('the producer is closed; create a new one to send');
    return null;
  }

  /** One record: no array per call on the fast path (the list is made only if the record has to wait). */
  private enqueueOne(record: ProducerRecord, sink: RecordSink, signal: AbortSignal | undefined): void {
    if (signal === undefined && this.queue.length === 0 && !this.pumping) {
      this.single[0] = record;
      let appended: number;
      try {
        appended = this.appendReady(this.single, 0, sink);
      } catch (error) {
        sink.fail(error as Error);
        return;
      } finally {
        this.single[0] = undefined as unknown as ProducerRecord;
      }
      if (appended === 1) return;
    }
    this.enqueue([record], sink, signal);
  }

  private readonly single: ProducerRecord[] = [undefined as unknown as ProducerRecord];

  private enqueue(records: readonly ProducerRecord[], sink: RecordSink, signal: AbortSignal | undefined): void {
    if (signal?.aborted) {
      sink.fail(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      return;
    }
    let next = 0;
    // Fast path: nothing queued ahead, so appending now keeps call order.
    if (this.queue.length === 0 && !this.pumping) {
      try {
        next = this.appendReady(records, 0, sink);
      } catch (error) {
        sink.fail(error as Error);
        return;
      }
      if (next === records.length) return;
    }
    this.queue.push({ records, next, sink, signal });
    void this.pump();
  }

  /**
   * Appends `records[from..]` while metadata is known and memory is free; returns the index of the first record
   * not appended (`records.length` when all were). A record's index is its index in the sink. Throws for a record
   * that can never be sent (too large, bad partition).
   */
  private appendReady(records: readonly ProducerRecord[], from: number, sink: RecordSink): number {
    const now = Date.now();
    let next = from;
    let wake = false;
    for (; next < records.length; next++) {
      const record = records[next];
      const topic = this.metadata.topic(record.topic);
      if (topic === undefined || topic.partitions.length === 0 || topic.errorCode !== ErrorCode.NONE) break;
      const key = toBytes(record.key);
      const value = toBytes(record.value);
      const headers = toHeaders(record.headers);
      const size = estimateRecordSize(key, value, headers);
      if (size > this.config.maxRequestSize) {
        throw new KafkaClientError({ code: ErrorCode.MESSAGE_TOO_LARGE, kind: ErrorKind.abortable, message: `a record of about ${size} bytes is larger than max.request.size (${this.config.maxRequestSize}); send smaller records or raise max.request.size` });
      }
      if (size > this.config.bufferMemory) {
        throw new KafkaClientError({ code: ErrorCode.MESSAGE_TOO_LARGE, kind: ErrorKind.abortable, message: `a record of about ${size} bytes is larger than buffer.memory (${this.config.bufferMemory})` });
      }
      const partition = this.choosePartition(record, key, topic);
      // A transactional producer sends only inside a transaction; the partition joins it (`maybeAddPartition`).
      this.idempotence?.maybeAddPartition(record.topic, partition);
      if (!this.accumulator.tryReserve(size)) break;
      const result = this.accumulator.append(record.topic, partition, toTimestamp(record.timestamp, now), key, value, headers, size, sink, next, now);
      if (result.created) this.incomplete.add(result.batch);
      if (record.partition === undefined && key === null) this.partitioner.onAppend(record.topic, partition, size, topic.partitions.length, topic.availablePartitions);
      if (result.full || result.created) wake = true;
    }
    if (wake || next > from) this.sender.wakeup();
    return next;
  }

  private choosePartition(record: ProducerRecord, key: Uint8Array | null, topic: TopicMetadata): number {
    if (record.partition !== undefined) {
      if (!Number.isInteger(record.partition) || record.partition < 0 || record.partition >= topic.partitions.length) {
        throw new KafkaClientError({ code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, kind: ErrorKind.abortable, message: `partition ${record.partition} is not in topic '${record.topic}' (${topic.partitions.length} partitions)` });
      }
      return record.partition;
    }
    return this.partitioner.partition(record.topic, key, topic.partitions.length, topic.availablePartitions);
  }

  /** Works through queued sends in order, waiting for metadata or memory as needed. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        const head = this.queue.peek() as PendingAppend;
        try {
          const refusal = this.refusal();
          if (refusal !== null && !this.closing) throw refusal;
          head.signal?.throwIfAborted();
          head.next = this.appendReady(head.records, head.next, head.sink);
          if (head.next === head.records.length) {
            this.queue.shift();
            continue;
          }
          await this.waitForRoom(head.records[head.next], head.signal);
        } catch (error) {
          this.queue.shift();
          head.sink.fail(error instanceof Error ? error : new Error(String(error)));
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private async waitForRoom(record: ProducerRecord, signal: AbortSignal | undefined): Promise<void> {
    const topic = this.metadata.topic(record.topic);
    if (topic === undefined || topic.partitions.length === 0 || topic.errorCode !== ErrorCode.NONE) {
      await this.metadata.waitForTopic(record.topic, this.config.maxBlockMs, signal);
      return;
    }
    // Out of buffer.memory: wait (FIFO) until batches complete, for at most max.block.ms.
    const size = estimateRecordSize(toBytes(record.key), toBytes(record.value), toHeaders(record.headers));
    await new Promise<void>((resolve, reject) => {
      let granted = false;
      const onGrant = (): void => {
        granted = true;
        cleanup();
        // Hand the reservation straight back: appendReady reserves again, in order, right after this.
        this.accumulator.release(size);
        resolve();
      };
      const onAbort = (): void => {
        if (granted) return;
        if (this.accumulator.cancelReserve(onGrant)) {
          cleanup();
          reject(signal?.reason instanceof Error ? signal.reason : new KafkaClientError({ code: ErrorCode.REQUEST_TIMED_OUT, kind: ErrorKind.retriable, message: `no buffer space for ${this.config.maxBlockMs} ms (max.block.ms); the broker is slower than the send rate` }));
        }
      };
      const timer = setTimeout(onAbort, this.config.maxBlockMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sender.wakeup();
      void this.accumulator.reserve(size).then(onGrant);
    });
  }

  private batchDone(batch: ProducerBatch): void {
    this.incomplete.delete(batch);
    for (const waiter of this.flushWaiters) {
      if (waiter.pending.delete(batch) && waiter.pending.size === 0) {
        this.flushWaiters.delete(waiter);
        waiter.resolve();
      }
    }
    if (this.flushWaiters.size === 0 && this.accumulator.flushesInProgress > 0) this.accumulator.flushesInProgress = 0;
  }

  /**
   * Sends everything appended so far without waiting for `lingerMs` and resolves when each of those records is
   * acknowledged or failed (the failures reject their own `send` promises, not this one).
   */
  async flush(): Promise<void> {
    // Sends still queued for metadata/memory are part of "so far".
    while (this.queue.length > 0 || this.pumping) await new Promise((resolve) => setTimeout(resolve, 1));
    if (this.incomplete.size === 0) return;
    this.accumulator.flushesInProgress++;
    this.sender.wakeup();
    await new Promise<void>((resolve) => this.flushWaiters.add({ pending: new Set(this.incomplete), resolve }));
  }

  /**
   * Flushes (waiting up to `deliveryTimeoutMs` for records still being retried), then closes the connections.
   * Later sends reject with PRODUCER_CLOSED. Calling it again does nothing. An open transaction is aborted first.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    const manager = this.idempotence;
    // Sender.run on shutdown: "Aborting incomplete transaction due to shutdown".
    if (manager !== null && manager.isTransactional && manager.isInTransaction && !this.closing) {
      await this.abortTransaction().catch(() => undefined);
    }
    this.closing = true;
    try {
      if (this.sender.fatalError === null) await this.flush();
    } finally {
      this.closed = true;
      this.sender.stop();
      this.sender.abortAll(KafkaClientError.producerClosed('the producer was closed before the record was sent'));
      this.pool.close();
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Transactions (KafkaProducer's transactional API over the TransactionManager)

  /** The transaction manager's state (`TransactionManager.State`): UNINITIALIZED ... FATAL_ERROR. */
  get transactionState(): TransactionState | null {
    return this.idempotence?.state ?? null;
  }

  /** The transaction protocol in use (KIP-890): 2 once the cluster finalizes transaction.version >= 2, else 1. */
  get transactionVersion(): 1 | 2 | null {
    const manager = this.idempotence;
    if (manager === null || !manager.isTransactional) return null;
    return manager.transactionVersion2 ? 2 : 1;
  }

  private manager(operation: string): TransactionManager {
    const manager = this.idempotence;
    if (manager === null || !manager.isTransactional) {
      throw new KafkaClientError({ code: ErrorCode.INVALID_TXN_STATE, kind: ErrorKind.fatal, message: `${operation} needs a transactional producer; set the transactionalId option` });
    }
    if (this.closing) throw KafkaClientError.producerClosed('the producer is closed; create a new one');
    return manager;
  }

  /**
   * Registers the transactional id with its coordinator: fences any older producer with the same id and
   * completes (aborts) its open transaction. Called implicitly by the first `beginTransaction()`.
   */
  async initTransactions(): Promise<void> {
    const result = this.manager('initTransactions').initializeTransactions();
    this.sender.wakeup();
    await this.awaitResult(result.promise, 'initTransactions');
  }

  /** Opens a transaction (after `initTransactions()`, which it runs first if needed). */
  async beginTransaction(): Promise<void> {
    const manager = this.manager('beginTransaction');
    if (manager.state === TransactionState.uninitialized || manager.state === TransactionState.initializing) await this.initTransactions();
    manager.beginTransaction();
  }

  /**
   * Commits everything sent since `beginTransaction()` and the offsets handed over: waits for every record to be
   * acknowledged, then EndTxn(commit). A failed record makes the commit throw an abortable error: call
   * `abortTransaction()`.
   */
  async commitTransaction(): Promise<void> {
    const manager = this.manager('commitTransaction');
    await this.appendQueued();
    const result = manager.beginCommit();
    this.sender.wakeup();
    await this.awaitResult(result.promise, 'commitTransaction');
    this.producerMetrics.transactionsCommitted++;
  }

  /** Aborts the open transaction: nothing it wrote becomes visible to read_committed consumers. */
  async abortTransaction(): Promise<void> {
    const manager = this.manager('abortTransaction');
    const result = manager.beginAbort();
    this.sender.wakeup();
    await this.awaitResult(result.promise, 'abortTransaction');
    this.producerMetrics.transactionsAborted++;
  }

  /**
   * Commits consumer offsets as part of the transaction (KIP-447): `offsets` are the next offsets to consume;
   * `group` is the consumer's group metadata (or the consumer itself), so a zombie consumer is fenced by its
   * generation.
   */
  async sendOffsetsToTransaction(offsets: readonly TransactionOffset[], group: GroupMetadataInput): Promise<void> {
    const manager = this.manager('sendOffsetsToTransaction');
    const result = manager.sendOffsetsToTransaction(offsets.map(toOffsetToCommit), toGroupMetadata(group));
    this.sender.wakeup();
    await this.awaitResult(result.promise, 'sendOffsetsToTransaction');
  }

  /**
   * Runs `fn` in a transaction: commits when it returns, aborts when it throws (then rethrows). A commit that
   * fails with an abortable error is aborted too, and the error rethrown; a fatal one (fenced) leaves the
   * producer closed for business.
   */
  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    await this.beginTransaction();
    const tx: Transaction = {
      send: ((input: ProducerRecord | readonly ProducerRecord[], options?: SendOptions) => this.send(input as ProducerRecord, options)) as Transaction['send'],
      sendOffsets: (group, offsets) => this.sendOffsetsToTransaction(offsets, group),
    };
    let value: T;
    try {
      value = await fn(tx);
    } catch (error) {
      await this.abortQuietly();
      throw error;
    }
    try {
      await this.commitTransaction();
    } catch (error) {
      if (error instanceof KafkaClientError && error.kind !== ErrorKind.fatal) await this.abortQuietly();
      throw error;
    }
    return value;
  }

  private async abortQuietly(): Promise<void> {
    const manager = this.idempotence;
    if (manager === null || manager.state === TransactionState.fatalError || !manager.isInTransaction) return;
    await this.abortTransaction().catch(() => undefined);
  }

  /** Sends still waiting for metadata or memory are appended before the transaction ends. */
  private async appendQueued(): Promise<void> {
    while (this.queue.length > 0 || this.pumping) await new Promise((resolve) => setTimeout(resolve, 1));
  }

  /** Waits for a transactional call, for at most max.block.ms (Kafka: the same call must then be made again). */
  private awaitResult(pending: Promise<void>, operation: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new KafkaClientError({ code: ErrorCode.REQUEST_TIMED_OUT, kind: ErrorKind.retriable, message: `${operation} did not complete within max.block.ms (${this.config.maxBlockMs} ms); call ${operation}() again to keep waiting` }));
      }, this.config.maxBlockMs);
      pending.then(
        () => {
          clearTimeout(timer);
          resolve();
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  /** Counters and gauges in the spirit of the Java producer's metrics (record send rate, retries, batch sizes, ...). */
  metrics(): ProducerMetricsSnapshot {
    this.producerMetrics.requestsInFlight = this.sender.requestsInFlight;
    return this.producerMetrics.snapshot(this.idempotence?.epochBumps ?? 0, this.accumulator.bufferedBytes);
  }

  /**
   * This producer's prom-client registry (its own; combine several with `Registry.merge`), read from the same
   * counters as `metrics()` when collected. Names are the Java producer's JMX metrics as the JMX exporter maps them.
   */
  get metricRegistry(): Registry {
    this.registry ??= producerMetricRegistry(this.config.clientId, () => {
      const snapshot = this.metrics();
      const { batchesSent, transactionsCommitted, transactionsAborted } = this.producerMetrics;
      return { ...snapshot, batchesSent, transactionsCommitted, transactionsAborted };
    });
    return this.registry;
  }

  /** The registry in the Prometheus text format, labelled with the client id. */
  metricsPrometheus(): Promise<string> {
    return this.metricRegistry.metrics();
  }
}
