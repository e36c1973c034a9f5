// Kafka's `Sender`, as an event-loop task instead of a thread: each run (1) bumps the epoch or queues
// InitProducerId when the state machine asks, (2) sends the next coordinator request of the TransactionManager's
// queue (one at a time, FindCoordinator first when the coordinator is unknown), (3) fails batches past
// delivery.timeout.ms and, while a transaction is aborting, the batches never sent, (4) finds the nodes with
// sendable batches, (5) drains up to max.in.flight requests per node, and schedules itself for the next linger or
// backoff deadline. Responses arrive in send order per connection (BrokerConnection checks correlation ids) and
// are handled synchronously, batch by batch, in the order the request listed them.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { ProduceResponse } from '../../protocol/messages/generated/00-produce.ts';
import { ErrorCode, errorName, isRetriable } from '../../protocol/errors/index.ts';
import type { BrokerConnection } from '../connection/broker-connection.ts';
import { ConnectionError } from '../connection/connection-error.ts';
import type { ConnectionPool } from '../connection/connection-pool.ts';
import type { ResolvedProducerConfig } from '../config/producer-config.ts';
import { ErrorKind, KafkaClientError } from '../errors/kafka-client-error.ts';
import type { Metadata } from '../metadata/metadata.ts';
import { ProduceAction, producePolicyFor } from '../policy/produce-policy.ts';
import { MAX_INFLIGHT_BATCHES_PER_PARTITION, TransactionState, topicPartitionKey, type TransactionManager } from './transaction-manager.ts';
import { CoordinatorType, type CoordinatorKey, type TxnRequest } from '../transactions/txn-requests.ts';
import { TxnAction, TxnRequestKind, adviceFor, txnPolicyFor } from '../policy/transaction-policy.ts';
import type { ProducerBatch } from './producer-batch.ts';
import type { ProducerMetrics } from './producer-metrics.ts';
import type { RecordAccumulator } from './record-accumulator.ts';

/** The producer state a batch was sent with, to recognise responses to attempts made before a rewrite. */
interface Attempt {
  readonly batch: ProducerBatch;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly baseSequence: number;
}

function describeAction(code: number): string {
  switch (code) {
    case ErrorCode.MESSAGE_TOO_LARGE:
      return 'the record is larger than the topic allows (max.message.bytes); send smaller records';
    case ErrorCode.INVALID_PRODUCER_EPOCH:
    case ErrorCode.PRODUCER_FENCED:
      return 'another producer took over this producer id; close this producer and create a new one';
    case ErrorCode.UNSUPPORTED_VERSION:
      return 'the broker does not support a required protocol version; close the producer';
    case ErrorCode.CLUSTER_AUTHORIZATION_FAILED:
    case ErrorCode.TOPIC_AUTHORIZATION_FAILED:
    case ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
      return 'the principal lacks the required ACL; grant it and create a new producer';
    default:
      return isRetriable(code) ? 'sending again may succeed' : 'the records were not written; fix the cause and send them again';
  }
}

/**
 * Requests in flight to one broker past which growing batches wait instead of taking the next slot (up to
 * max.in.flight): one being handled, one queued behind it, so the broker never waits for the client.
 */
const PIPELINE_DEPTH = 2;
/**
 * Record batches of at least this many bytes are written from their own memory, as chunks of the Produce frame
 * (one gathered write), instead of being copied into it: a 1 MiB batch costs a copy of 1 MiB, a chunk costs one
 * more buffered write. Smaller batches are copied, which is cheaper than a write of their own.
 */
const SPLICE_BATCHES_FROM = 8 * 1024;

export class Sender {
  private scheduled = false;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  /** A coordinator request is on the wire (`hasInFlightRequest`): only one at a time. */
  private txnRequestInFlight = false;
  /** Coordinator requests wait until then after a retriable answer. */
  private txnRetryAt = 0;
  /** FindCoordinator answers, by key type and key. */
  private readonly coordinators = new Map<string, number>();
  private stopped = false;
  /** Batches handed to the network and not yet answered, per node. */
  private readonly inflightRequests = new Map<number, number>();
  /** Notified when a batch is done (flush bookkeeping). */
  onBatchDone: (batch: ProducerBatch) => void = () => undefined;

  constructor(
    private readonly config: ResolvedProducerConfig,
    private readonly pool: ConnectionPool,
    private readonly metadata: Metadata,
    private readonly accumulator: RecordAccumulator,
    private readonly idempotence: TransactionManager | null,
    private readonly metrics: ProducerMetrics,
  ) {
    accumulator.backedUp = this.backedUp;
    if (config.adaptiveLinger) accumulator.sendsEarly = this.sendsEarly;
  }

  /** Requests a node may have in flight before growing batches wait for a response. */
  private get pipelineDepth(): number {
    return Math.min(PIPELINE_DEPTH, this.config.maxInFlight);
  }

  /**
   * With linger.ms unset, a node's queued batches go without waiting for linger.ms once they add up to batch.size
   * (Java's readiness size, here per request since batches grow past it) while the node has a pipeline slot free:
   * waiting longer would only leave the broker idle. Under load the batches still grow, while two requests are in
   * flight; at low load nothing changes (a batch leaves at linger.ms, as in Java).
   */
  private readonly sendsEarly = (nodeId: number, queuedBytes: number): boolean =>
    queuedBytes >= this.config.batchSize && (this.inflightRequests.get(nodeId) ?? 0) < this.pipelineDepth;

  /**
   * The bytes the next request to `nodeId` may take. With linger.ms unset and pipeline slots free, a large queue is
   * split evenly across them: a producer whose sends wait on their own acknowledgements (a bounded window of
   * records outstanding) would otherwise put its whole window in one request and leave the broker idle while
   * it handles the answer and refills; two requests keep one being handled while the next waits, and their
   * answers come back at different times, so the refilled records follow while the other request is handled.
   */
  private requestShare(nodeId: number, queuedBytes: number): number {
    if (!this.config.adaptiveLinger) return Infinity;
    const free = this.pipelineDepth - (this.inflightRequests.get(nodeId) ?? 0);
    if (free < 2 || queuedBytes < 2 * this.config.batchSize) return Infinity;
    return Math.ceil(queuedBytes / free);
  }

  /**
   * The partition's requests are backed up: its node already has a request being handled and one queued behind it
   * (or max.in.flight, if lower), or the partition itself has 5 batches in flight. A growing batch is then
   * held back, filling (see RecordAccumulator).
   */
  private readonly backedUp = (key: string, topic: string, partition: number): boolean => {
    const leader = this.metadata.leaderFor(topic, partition);
    if (leader >= 0 && (this.inflightRequests.get(leader) ?? 0) >= this.pipelineDepth) return true;
    return this.idempotence !== null && this.idempotence.entry(key).inflight.length >= MAX_INFLIGHT_BATCHES_PER_PARTITION;
  };

  private readonly leaderFor = (topic: string, partition: number): number => this.metadata.leaderFor(topic, partition);

  /** Runs the loop soon (coalesced). */
  wakeup(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.runOnce();
    });
  }

  private scheduleIn(delayMs: number): void {
    if (!Number.isFinite(delayMs) || this.stopped) return;
    const at = Date.now() + Math.max(1, Math.ceil(delayMs));
    if (this.timer !== null && this.timerAt <= at) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.runOnce();
    }, at - Date.now());
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  get requestsInFlight(): number {
    let total = 0;
    for (const count of this.inflightRequests.values()) total += count;
    return total;
  }

  private runOnce(): void {
    if (this.stopped) return;
    const now = Date.now();
    const manager = this.idempotence;
    let nextDelay = Infinity;
    if (manager !== null) {
      if (manager.state === TransactionState.fatalError) {
        this.failEverything(manager.fatalError as KafkaClientError);
        return;
      }
      if (manager.bumpIdempotentEpochAndResetIdIfNeeded()) manager.initializeIdempotentProducerId();
      if (manager.isTransactional && (manager.hasAbortableError || manager.isAborting)) {
        // `abortUndrainedBatches`: records never sent in a transaction being aborted fail right away.
        const error = manager.lastError ?? this.transactionAbortedError();
        for (const batch of this.accumulator.drainUnsequenced()) this.failBatch(batch, error, false);
      }
      nextDelay = this.maybeSendTransactionalRequest(manager, now);
    }
    for (const batch of this.accumulator.expiredBatches(now)) this.expire(batch);
    // A transaction being completed sends what it has without waiting for linger.ms (`beginFlush`).
    this.accumulator.transactionCompleting = manager !== null && manager.isCompleting;
    const ready = this.accumulator.ready(this.leaderFor, now);
    if (ready.unknownLeaders) this.metadata.requestUpdate();
    else this.metadata.maybeRefresh();
    nextDelay = Math.min(nextDelay, ready.nextReadyCheckDelayMs, this.accumulator.nextExpiryDelayMs(now));
    if (manager === null || manager.hasProducerId) {
      for (const nodeId of ready.readyNodes) {
        const connection = this.pool.ready(nodeId);
        if (connection === null) {
          const backoff = this.pool.backoffRemainingMs(nodeId);
          if (backoff > 0) nextDelay = Math.min(nextDelay, backoff);
          continue;
        }
        let queued = ready.queuedBytes.get(nodeId) ?? 0;
        while ((this.inflightRequests.get(nodeId) ?? 0) < this.config.maxInFlight) {
          const batches = this.accumulator.drain(nodeId, this.leaderFor, manager, now, this.requestShare(nodeId, queued));
          if (batches.length === 0) break;
          for (const batch of batches) queued -= batch.estimatedSizeInBytes;
          this.sendProduceRequest(nodeId, connection, batches, now);
        }
      }
    }
    this.scheduleIn(nextDelay);
  }

  private transactionAbortedError(): KafkaClientError {
    return new KafkaClientError({ code: ErrorCode.UNKNOWN_SERVER_ERROR, kind: ErrorKind.abortable, message: 'the transaction was aborted before this record was sent (TransactionAbortedException); send it again in a new transaction' });
  }

  /** True while any batch is queued or in flight (`RecordAccumulator.hasIncomplete`). */
  hasIncompleteBatches: () => boolean = () => this.accumulator.hasQueued;

  /**
   * `Sender.maybeSendAndPollTransactionalRequest`: sends the next coordinator request, if none is in flight and
   * its backoff has passed. Returns the delay until the queue should be looked at again.
   */
  private maybeSendTransactionalRequest(manager: TransactionManager, now: number): number {
    if (this.txnRequestInFlight) return Infinity;
    if (now < this.txnRetryAt) return this.txnRetryAt - now;
    const request = manager.nextRequest(this.hasIncompleteBatches());
    if (request === null) return Infinity;
    this.txnRequestInFlight = true;
    void this.sendTransactionalRequest(manager, request).finally(() => {
      this.txnRequestInFlight = false;
      this.wakeup();
    });
    return Infinity;
  }

  private async sendTransactionalRequest(manager: TransactionManager, request: TxnRequest): Promise<void> {
    let outcome: { action: string; backoffMs?: number };
    try {
      if (this.stopped) return;
      const connection = request.coordinator === null ? (this.pool.leastLoaded() ?? (await this.pool.any())) : await this.coordinatorConnection(manager, request.coordinator);
      if (connection === null) {
        outcome = { action: 'retry', backoffMs: this.config.retryBackoffMs };
      } else {
        request.attempts++;
        outcome = await this.withTimeout(connection, request.send(connection));
      }
    } catch (error) {
      if (error instanceof KafkaClientError && error.kind === ErrorKind.abortable) {
        request.result.fail(error);
        manager.transitionToAbortableError(error);
        return;
      }
      if (!(error instanceof ConnectionError)) {
        const failure = error instanceof KafkaClientError ? error : new KafkaClientError({ code: ErrorCode.UNKNOWN_SERVER_ERROR, kind: ErrorKind.fatal, message: `${request.kind} failed: ${(error as Error).message}`, cause: error });
        request.result.fail(failure);
        manager.transitionToFatal(failure);
        return;
      }
      // Disconnected: the coordinator may have moved (`NetworkClient` disconnect -> lookup again).
      outcome = { action: 'lookup-coordinator' };
    }
    if (this.stopped) return;
    if (outcome.action === 'done') return;
    if (outcome.action === 'lookup-coordinator' && request.coordinator !== null) this.coordinators.delete(coordinatorCacheKey(request.coordinator));
    const backoff = outcome.backoffMs ?? Math.min(this.config.retryBackoffMaxMs, this.config.retryBackoffMs * 2 ** Math.min(request.attempts, 10));
    this.txnRetryAt = Date.now() + backoff;
    manager.enqueue(request);
    this.scheduleIn(backoff);
  }

  /** request.timeout.ms for a coordinator request: no answer in time drops the connection (retriable). */
  private withTimeout<T>(connection: BrokerConnection, pending: Promise<T>): Promise<T> {
    const timer = setTimeout(() => connection.close(), this.config.requestTimeoutMs + 1000);
    return pending.finally(() => clearTimeout(timer));
  }

  /** The coordinator's connection, after FindCoordinator when it is not known (`FindCoordinatorHandler`). */
  private async coordinatorConnection(manager: TransactionManager, coordinator: CoordinatorKey): Promise<BrokerConnection | null> {
    const cacheKey = coordinatorCacheKey(coordinator);
    const known = this.coordinators.get(cacheKey);
    if (known !== undefined) return this.pool.connect(known);
    const connection = this.pool.leastLoaded() ?? (await this.pool.any());
    const version = connection.versionFor(ApiKey.FindCoordinator, coordinator.keyType === CoordinatorType.group ? 0 : 1, 6);
    if (version === null) throw new Error('the broker does not serve FindCoordinator');
    const response = await this.withTimeout(
      connection,
      connection.send(ApiKey.FindCoordinator, version, { key: version < 4 ? coordinator.key : '', keyType: coordinator.keyType, coordinatorKeys: version >= 4 ? [coordinator.key] : [] }),
    );
    const answer = version >= 4 ? response.coordinators[0] : response;
    if (answer === undefined) return null;
    if (answer.errorCode !== ErrorCode.NONE) {
      const policy = txnPolicyFor(TxnRequestKind.findCoordinator, answer.errorCode);
      if (policy.action === TxnAction.retry || policy.action === TxnAction.lookupCoordinator) return null;
      const kind = policy.action === TxnAction.abortable ? ErrorKind.abortable : ErrorKind.fatal;
      throw manager.errorFor(`FindCoordinator(${coordinator.key})`, answer.errorCode, kind, adviceFor(policy.action));
    }
    this.pool.updateNodes([{ nodeId: answer.nodeId, host: answer.host, port: answer.port }]);
    this.coordinators.set(cacheKey, answer.nodeId);
    return this.pool.connect(answer.nodeId);
  }

  private sendProduceRequest(nodeId: number, connection: BrokerConnection, batches: ProducerBatch[], now: number): void {
    // Produce v12 with transaction version 2: the leader adds the partition to the transaction (KIP-890 part 2).
    const version = connection.versionFor(ApiKey.Produce, 3, this.idempotence?.transactionVersion2 === true ? 12 : 11);
    if (version === null) {
      this.fatal(new KafkaClientError({ code: ErrorCode.UNSUPPORTED_VERSION, kind: ErrorKind.fatal, message: 'the broker serves no Produce version in 3..11 (record batch v2 is required)' }));
      for (const batch of batches) this.failBatch(batch, this.idempotence?.fatalError as KafkaClientError, false);
      return;
    }
    const transactionalId = this.idempotence?.transactionalId ?? null;
    const attempts: Attempt[] = [];
    const byTopic = new Map<string, { index: number; records: Buffer }[]>();
    // The bytes the frame copies, to allocate them once: headers, topic names, per-partition fields, and the
    // batches too small to be worth a chunk of their own (SPLICE_BATCHES_FROM).
    let sizeHint = 256 + (transactionalId?.length ?? 0) * 3;
    for (const batch of batches) {
      attempts.push({ batch, producerId: batch.producerId, producerEpoch: batch.producerEpoch, baseSequence: batch.baseSequence });
      const encoded = batch.encoded();
      sizeHint += (encoded.length < SPLICE_BATCHES_FROM ? encoded.length : 0) + 16 + batch.topic.length * 3;
      let list = byTopic.get(batch.topic);
      if (list === undefined) byTopic.set(batch.topic, (list = []));
      list.push({ index: batch.partition, records: encoded });
      if (batch.attempts === 0) this.metrics.recordBatchDrained(encoded.length, batch.recordCount, now - batch.createdMs);
    }
    const request = {
      transactionalId,
      acks: this.config.acks,
      timeoutMs: this.config.requestTimeoutMs,
      topicData: [...byTopic].map(([name, partitionData]) => ({ name, partitionData })),
    };
    this.metrics.requestsSent++;
    const layout = { memory: this.accumulator.memory, sizeHint, spliceAtLeast: SPLICE_BATCHES_FROM };
    if (this.config.acks === 0) {
      // acks=0: nothing comes back; the batch is done once handed to the socket (offset unknown).
      connection.sendWithoutResponse(ApiKey.Produce, version, request, layout).then(
        () => {
          for (const attempt of attempts) this.completeBatch(attempt.batch, -1n, -1n);
          this.wakeup();
        },
        (error: unknown) => this.handleRequestFailure(attempts, error),
      );
      return;
    }
    this.inflightRequests.set(nodeId, (this.inflightRequests.get(nodeId) ?? 0) + 1);
    this.metrics.requestsInFlight++;
    // request.timeout.ms: like NetworkClient, a request without an answer in time disconnects the node, which
    // fails every request outstanding on it with a retriable network error.
    const timer = setTimeout(() => connection.close(), this.config.requestTimeoutMs + 1000);
    const sentAt = Date.now();
    connection.send(ApiKey.Produce, version, request, layout).then(
      (response) => {
        clearTimeout(timer);
        this.requestDone(nodeId);
        this.metrics.recordRequestLatency(Date.now() - sentAt);
        this.handleProduceResponse(attempts, response);
      },
      (error: unknown) => {
        clearTimeout(timer);
        this.requestDone(nodeId);
        this.handleRequestFailure(attempts, error);
      },
    );
  }

  private requestDone(nodeId: number): void {
    this.inflightRequests.set(nodeId, (this.inflightRequests.get(nodeId) ?? 1) - 1);
    this.metrics.requestsInFlight--;
  }

  private handleRequestFailure(attempts: readonly Attempt[], error: unknown): void {
    if (error instanceof ConnectionError) {
      this.metadata.requestUpdate();
      for (const attempt of attempts) this.handlePartitionResult(attempt, ErrorCode.NETWORK_EXCEPTION, -1n, -1n, -1n, error.message);
    } else {
      // An encoding failure: the request never left; nothing about it can succeed by retrying.
      const failure = new KafkaClientError({ code: ErrorCode.UNKNOWN_SERVER_ERROR, kind: ErrorKind.fatal, message: `building the Produce request failed: ${(error as Error).message}`, cause: error });
      this.fatal(failure);
    }
    this.wakeup();
  }

  private handleProduceResponse(attempts: readonly Attempt[], response: ProduceResponse): void {
    const results = new Map<string, ProduceResponse['responses'][number]['partitionResponses'][number]>();
    for (const topic of response.responses) {
      for (const partition of topic.partitionResponses) results.set(topicPartitionKey(topic.name, partition.index), partition);
    }
    for (const attempt of attempts) {
      const result = results.get(topicPartitionKey(attempt.batch.topic, attempt.batch.partition));
      if (result === undefined) {
        this.handlePartitionResult(attempt, ErrorCode.UNKNOWN_SERVER_ERROR, -1n, -1n, -1n, 'the response has no entry for this partition');
      } else {
        this.handlePartitionResult(attempt, result.errorCode, result.baseOffset, result.logAppendTimeMs, result.logStartOffset, result.errorMessage);
      }
    }
    this.wakeup();
  }

  /** `Sender.completeBatch(batch, response)`: one partition's answer, through the policy table. */
  private handlePartitionResult(attempt: Attempt, code: number, baseOffset: bigint, logAppendTime: bigint, logStartOffset: bigint, message: string | null): void {
    const batch = attempt.batch;
    if (batch.done) return;
    const key = topicPartitionKey(batch.topic, batch.partition);
    const policy = producePolicyFor(code);
    if (policy.refreshMetadata) this.metadata.requestUpdate();
    const now = Date.now();
    // The batch was rewritten by an epoch bump after this attempt left: this answer is about bytes that no longer
    // exist; unless it is a success, the rewritten batch simply goes again (`sequenceHasBeenReset`).
    const rewritten = attempt.producerEpoch !== batch.producerEpoch || attempt.producerId !== batch.producerId || attempt.baseSequence !== batch.baseSequence;
    switch (policy.action) {
      case ProduceAction.complete:
        this.completeBatch(batch, baseOffset, logAppendTime);
        return;
      case ProduceAction.duplicate:
        this.completeBatch(batch, -1n, -1n);
        return;
      case ProduceAction.splitOrFail:
        if (batch.recordCount > 1) {
          this.splitAndReenqueue(key, batch, now);
          return;
        }
        break;
      case ProduceAction.fatal:
        if (rewritten) {
          this.retry(batch, now);
          return;
        }
        // KIP-588: a transactional producer's stale epoch on a partition (e.g. after a transaction timeout) is
        // abortable; the coordinator answers PRODUCER_FENCED if it really was fenced.
        if (code === ErrorCode.INVALID_PRODUCER_EPOCH && this.idempotence?.isTransactional === true) {
          this.failBatch(batch, this.errorFor(code, message, batch, ErrorKind.abortable), false);
          return;
        }
        this.fatal(this.errorFor(code, message, batch, ErrorKind.fatal));
        return;
      default:
        break;
    }
    const expired = now - batch.createdMs >= this.config.deliveryTimeoutMs;
    const retriable = policy.action === ProduceAction.retry;
    const mayRetry =
      policy.action !== ProduceAction.splitOrFail &&
      policy.action !== ProduceAction.fail &&
      !expired &&
      batch.attempts < this.config.retries &&
      (this.idempotence === null ? retriable : rewritten || this.idempotence.canRetry(key, batch, policy.action, retriable, logStartOffset));
    if (mayRetry) {
      this.retry(batch, now);
      return;
    }
    if (expired && this.idempotence !== null && batch.hasSequence && retriable) {
      // Whether the broker wrote it is unknown: hold new sequences for the partition until resolved.
      this.idempotence.markSequenceUnresolved(key, batch);
      this.failBatch(batch, this.timeoutError(batch, code), false);
      return;
    }
    this.failBatch(batch, this.errorFor(code, message, batch, isRetriable(code) ? ErrorKind.retriable : ErrorKind.abortable), batch.attempts < this.config.retries);
  }

  private retry(batch: ProducerBatch, now: number): void {
    this.metrics.recordRetries++;
    this.accumulator.reenqueue(batch, now);
  }

  /** `Sender.splitAndReenqueue`: pieces keep the sequence range; not counted as a retry. */
  private splitAndReenqueue(key: string, batch: ProducerBatch, now: number): void {
    const pieces = batch.split(Math.max(1024, Math.floor(this.config.batchSize / 2)));
    const reserved = batch.reservedBytes;
    const entry = this.idempotence?.entry(key);
    entry?.removeInflight(batch);
    for (let i = pieces.length - 1; i >= 0; i--) {
      const piece = pieces[i];
      piece.reservedBytes = i === 0 ? reserved : 0;
      if (entry !== undefined && piece.hasSequence) entry.addInflight(piece);
      piece.attempts = Math.max(0, batch.attempts - 1);
      this.accumulator.reenqueue(piece, now);
      piece.lastAttemptMs = 0;
    }
    this.onBatchDone(batch);
    for (const piece of pieces) this.onSplitPiece(batch, piece);
  }

  /** Hook for flush bookkeeping when a batch is replaced by its split pieces. */
  onSplitPiece: (original: ProducerBatch, piece: ProducerBatch) => void = () => undefined;

  private completeBatch(batch: ProducerBatch, baseOffset: bigint, logAppendTime: bigint): void {
    if (batch.done) return;
    this.idempotence?.handleCompletedBatch(topicPartitionKey(batch.topic, batch.partition), batch, baseOffset);
    this.metrics.recordsSent += batch.recordCount;
    this.metrics.bytesSent += batch.encodedSize();
    batch.complete(baseOffset, logAppendTime);
    this.accumulator.release(batch.reservedBytes);
    this.onBatchDone(batch);
  }

  /** `written` false: the batch may still be queued on a socket in an unanswered request (`ProducerBatch.fail`). */
  private failBatch(batch: ProducerBatch, error: KafkaClientError, adjustSequenceNumbers: boolean, written = true): void {
    if (batch.done) return;
    this.idempotence?.handleFailedBatch(topicPartitionKey(batch.topic, batch.partition), batch, adjustSequenceNumbers, error);
    this.metrics.recordErrors += batch.recordCount;
    batch.fail(error, written);
    this.accumulator.release(batch.reservedBytes);
    this.onBatchDone(batch);
  }

  /** A queued batch reached delivery.timeout.ms (`Sender.sendProducerData` expiry). */
  private expire(batch: ProducerBatch): void {
    const key = topicPartitionKey(batch.topic, batch.partition);
    if (this.idempotence !== null && batch.hasSequence) this.idempotence.markSequenceUnresolved(key, batch);
    this.failBatch(batch, this.timeoutError(batch, ErrorCode.REQUEST_TIMED_OUT), false);
  }

  private timeoutError(batch: ProducerBatch, lastCode: number): KafkaClientError {
    return new KafkaClientError({
      code: ErrorCode.REQUEST_TIMED_OUT,
      kind: ErrorKind.retriable,
      message: `${batch.recordCount} record(s) for ${batch.topic}-${batch.partition} expired after delivery.timeout.ms (${this.config.deliveryTimeoutMs} ms; last error ${errorName(lastCode)}); they may or may not have been written — send again if duplicates are acceptable, or raise delivery.timeout.ms`,
    });
  }

  private errorFor(code: number, message: string | null, batch: ProducerBatch, kind: ErrorKind): KafkaClientError {
    const detail = message !== null && message.length > 0 ? ` (${message})` : '';
    const action = kind === ErrorKind.abortable && this.idempotence?.isTransactional === true ? 'the transaction cannot commit; call abortTransaction() and run it again' : describeAction(code);
    return new KafkaClientError({ code, kind, message: `producing to ${batch.topic}-${batch.partition} failed with ${errorName(code)}${detail}: ${action}` });
  }

  private fatal(error: KafkaClientError): void {
    if (this.idempotence !== null) this.idempotence.transitionToFatal(error);
    else this.fatalWithoutIdempotence = error;
    this.failEverything(error);
  }

  /** For a non-idempotent producer, the error that stopped it. */
  fatalWithoutIdempotence: KafkaClientError | null = null;

  get fatalError(): KafkaClientError | null {
    return this.idempotence?.fatalError ?? this.fatalWithoutIdempotence;
  }

  /** `Sender.maybeAbortBatches`: every queued and in-flight batch fails with the fatal error. */
  private failEverything(error: KafkaClientError): void {
    for (const batch of this.accumulator.drainAll()) this.failBatch(batch, error, false);
    if (this.idempotence !== null) for (const batch of this.idempotence.allInflight()) this.failBatch(batch, error, false, false);
  }

  /** Fails everything still queued (forced close). */
  abortAll(error: KafkaClientError): void {
    this.failEverything(error);
  }
}

function coordinatorCacheKey(coordinator: CoordinatorKey): string {
  return `${coordinator.keyType}\u0000${coordinator.key}`;
}
