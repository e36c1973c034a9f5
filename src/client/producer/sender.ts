// Kafka's `Sender`, as an event-loop task instead of a thread: each run (1) bumps the epoch or fetches a
// producer id when the state machine asks, (2) fails batches past delivery.timeout.ms, (3) finds the nodes with
// sendable batches, (4) drains up to max.in.flight requests per node, and schedules itself for the next linger or
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
import { IdempotenceState, topicPartitionKey, type IdempotentProducerState } from './idempotent-producer-state.ts';
import type { ProducerBatch } from './producer-batch.ts';
import type { ProducerMetrics } from './producer-metrics.ts';
import type { RecordAccumulator } from './record-accumulator.ts';

const INT32_MAX = 2147483647;

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

export class Sender {
  private scheduled = false;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private initInFlight = false;
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
    private readonly idempotence: IdempotentProducerState | null,
    private readonly metrics: ProducerMetrics,
  ) {}

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
    const idempotence = this.idempotence;
    if (idempotence !== null) {
      if (idempotence.state === IdempotenceState.fatal) {
        this.failEverything(idempotence.fatalError as KafkaClientError);
        return;
      }
      if (idempotence.bumpIdempotentEpochAndResetIdIfNeeded()) this.initProducerId();
    }
    for (const batch of this.accumulator.expiredBatches(now)) this.expire(batch);
    const ready = this.accumulator.ready(this.leaderFor, now);
    if (ready.unknownLeaders) this.metadata.requestUpdate();
    else this.metadata.maybeRefresh();
    let nextDelay = Math.min(ready.nextReadyCheckDelayMs, this.accumulator.nextExpiryDelayMs(now));
    if (idempotence === null || idempotence.state === IdempotenceState.ready) {
      for (const nodeId of ready.readyNodes) {
        const connection = this.pool.ready(nodeId);
        if (connection === null) {
          const backoff = this.pool.backoffRemainingMs(nodeId);
          if (backoff > 0) nextDelay = Math.min(nextDelay, backoff);
          continue;
        }
        while ((this.inflightRequests.get(nodeId) ?? 0) < this.config.maxInFlight) {
          const batches = this.accumulator.drain(nodeId, this.leaderFor, idempotence, now);
          if (batches.length === 0) break;
          this.sendProduceRequest(nodeId, connection, batches, now);
        }
      }
    }
    this.scheduleIn(nextDelay);
  }

  /** InitProducerId with a null transactional id (SEMANTICS §2.7), retried with backoff until it works. */
  private initProducerId(): void {
    const idempotence = this.idempotence;
    if (idempotence === null || this.initInFlight) return;
    this.initInFlight = true;
    if (idempotence.state === IdempotenceState.uninitialized) idempotence.transitionTo(IdempotenceState.initializing);
    void (async () => {
      let attempt = 0;
      for (;;) {
        if (this.stopped) return;
        try {
          const connection = this.pool.leastLoaded() ?? (await this.pool.any());
          const version = connection.versionFor(ApiKey.InitProducerId, 0, 5);
          if (version === null) {
            idempotence.transitionToFatal(new KafkaClientError({ code: ErrorCode.UNSUPPORTED_VERSION, kind: ErrorKind.fatal, message: 'the broker does not serve InitProducerId; idempotence needs it (set idempotent: false to produce without it)' }));
            return;
          }
          const response = await connection.send(ApiKey.InitProducerId, version, {
            transactionalId: null,
            transactionTimeoutMs: INT32_MAX,
            producerId: -1n,
            producerEpoch: -1,
          });
          if (response.errorCode === ErrorCode.NONE) {
            idempotence.setProducerIdAndEpoch(response.producerId, response.producerEpoch);
            return;
          }
          if (!isRetriable(response.errorCode)) {
            idempotence.transitionToFatal(
              new KafkaClientError({ code: response.errorCode, kind: ErrorKind.fatal, message: `InitProducerId failed with ${errorName(response.errorCode)}: ${describeAction(response.errorCode)}` }),
            );
            return;
          }
        } catch (error) {
          if (!(error instanceof ConnectionError)) {
            idempotence.transitionToFatal(new KafkaClientError({ code: ErrorCode.UNKNOWN_SERVER_ERROR, kind: ErrorKind.fatal, message: `InitProducerId failed: ${(error as Error).message}`, cause: error }));
            return;
          }
        }
        attempt++;
        await new Promise((resolve) => setTimeout(resolve, Math.min(this.config.retryBackoffMaxMs, this.config.retryBackoffMs * 2 ** Math.min(attempt, 10))));
      }
    })().finally(() => {
      this.initInFlight = false;
      this.wakeup();
    });
  }

  private sendProduceRequest(nodeId: number, connection: BrokerConnection, batches: ProducerBatch[], now: number): void {
    const version = connection.versionFor(ApiKey.Produce, 3, 11);
    if (version === null) {
      this.fatal(new KafkaClientError({ code: ErrorCode.UNSUPPORTED_VERSION, kind: ErrorKind.fatal, message: 'the broker serves no Produce version in 3..11 (record batch v2 is required)' }));
      for (const batch of batches) this.failBatch(batch, this.idempotence?.fatalError as KafkaClientError, false);
      return;
    }
    const attempts: Attempt[] = [];
    const byTopic = new Map<string, { index: number; records: Buffer }[]>();
    for (const batch of batches) {
      attempts.push({ batch, producerId: batch.producerId, producerEpoch: batch.producerEpoch, baseSequence: batch.baseSequence });
      const encoded = batch.encoded();
      let list = byTopic.get(batch.topic);
      if (list === undefined) byTopic.set(batch.topic, (list = []));
      list.push({ index: batch.partition, records: encoded });
      if (batch.attempts === 0) this.metrics.recordBatchDrained(encoded.length, batch.recordCount, now - batch.createdMs);
    }
    const request = {
      transactionalId: null,
      acks: this.config.acks,
      timeoutMs: this.config.requestTimeoutMs,
      topicData: [...byTopic].map(([name, partitionData]) => ({ name, partitionData })),
    };
    this.metrics.requestsSent++;
    if (this.config.acks === 0) {
      // acks=0: nothing comes back; the batch is done once handed to the socket (offset unknown).
      connection.sendWithoutResponse(ApiKey.Produce, version, request).then(
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
    connection.send(ApiKey.Produce, version, request).then(
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
      // Whether the broker wrote it is unknown: hold new sequences for the partition until resolved (§4.8).
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
    this.metrics.bytesSent += batch.encoded().length;
    batch.complete(baseOffset, logAppendTime);
    this.accumulator.release(batch.reservedBytes);
    this.onBatchDone(batch);
  }

  private failBatch(batch: ProducerBatch, error: KafkaClientError, adjustSequenceNumbers: boolean): void {
    if (batch.done) return;
    this.idempotence?.handleFailedBatch(topicPartitionKey(batch.topic, batch.partition), batch, adjustSequenceNumbers);
    this.metrics.recordErrors += batch.recordCount;
    batch.fail(error);
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
    return new KafkaClientError({ code, kind, message: `producing to ${batch.topic}-${batch.partition} failed with ${errorName(code)}${detail}: ${describeAction(code)}` });
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
    if (this.idempotence !== null) for (const batch of this.idempotence.allInflight()) this.failBatch(batch, error, false);
  }

  /** Fails everything still queued (forced close). */
  abortAll(error: KafkaClientError): void {
    this.failEverything(error);
  }
}
