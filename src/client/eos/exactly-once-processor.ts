// The exactly-once consume-transform-produce loop (Kafka's "read-process-write" pattern, KIP-98 + KIP-447) built
// from the consumer and the transactional producer, so that applications do not assemble it themselves:
//
//   for each batch the consumer hands out (read_committed, auto-commit off):
//     begin a transaction; send transform(record) for every record; send the batch's next offset with the
//     consumer's group metadata (sendOffsetsToTransaction); commit.
//
// Outputs and the input offsets become visible together or not at all. A failure aborts the transaction and seeks
// the partition back to its last committed offset, so the records are processed again by a later transaction.
// Rebalances happen only inside `consumer.nextBatch()`, which the loop calls between transactions, so no
// transaction spans a revoke; the revoke listener still aborts one if it ever were open. A member that lost its
// partitions without noticing (a zombie) is fenced by the group coordinator: its TxnOffsetCommit carries an old
// generation and is refused (ILLEGAL_GENERATION / FENCED_INSTANCE_ID, KIP-447), which aborts its transaction. A
// restarted instance with the same transactional id fences the previous one's producer (InitProducerId bumps the
// epoch and aborts its open transaction).
import { Consumer, type RebalanceListener } from '../consumer/consumer.ts';
import type { ConsumerRecord, ConsumerBatch } from '../consumer/consumer-record.ts';
import type { TopicPartition } from '../consumer/partition-state.ts';
import { Producer, type ProducerRecord } from '../producer/producer.ts';
import { TransactionState } from '../producer/transaction-manager.ts';
import type { ConsumerOptions } from '../config/consumer-config.ts';
import type { ProducerOptions } from '../config/producer-config.ts';
import { ErrorKind, KafkaClientError } from '../errors/kafka-client-error.ts';
import { ConnectionError } from '../connection/connection-error.ts';

/** What `transform` returns for one input record: records to produce (none is fine). */
export type TransformResult = ProducerRecord | readonly ProducerRecord[] | null | undefined;

export interface ExactlyOnceProcessorOptions {
  readonly bootstrap: string | readonly string[];
  /** The consumer group: offsets are committed to it inside each transaction. */
  readonly groupId: string;
  /**
   * Stable per processor instance (e.g. `orders-enricher-0`): a restarted instance must reuse it so that it
   * fences its predecessor and completes its open transaction.
   */
  readonly transactionalId: string;
  readonly inputTopics: string | readonly string[];
  /** Pure function of the input record; called again for records of an aborted transaction. */
  transform(record: ConsumerRecord): TransformResult | Promise<TransformResult>;
  /** Extra consumer options (isolation is always read_committed and auto-commit always off; auto.offset.reset defaults to earliest). */
  readonly consumer?: Omit<Partial<ConsumerOptions>, 'bootstrap' | 'groupId' | 'isolationLevel' | 'enableAutoCommit'>;
  /** Extra producer options (the transactional id and idempotence are set by the processor). */
  readonly producer?: Omit<Partial<ProducerOptions>, 'bootstrap' | 'transactionalId' | 'idempotent'>;
  /** Called when a batch's outputs and offsets are sent, just before its transaction is committed (tracing). */
  beforeCommit?(info: { topic: string; partition: number; nextOffset: bigint }): void;
  /** Called after each committed transaction. */
  onCommit?(info: CommittedBatch): void;
  /** Called after an aborted transaction, before its partition is rewound and the batch retried. */
  onAbort?(info: AbortedBatch): void;
}

export interface CommittedBatch {
  readonly topic: string;
  readonly partition: number;
  readonly inputs: number;
  readonly outputs: number;
  /** The offset committed: the next input record to process. */
  readonly nextOffset: bigint;
}

export interface AbortedBatch {
  readonly topic: string;
  readonly partition: number;
  readonly error: unknown;
}

export interface ExactlyOnceProcessorMetrics {
  readonly committedTransactions: number;
  readonly abortedTransactions: number;
  readonly inputs: number;
  readonly outputs: number;
}

function toList(result: TransformResult): readonly ProducerRecord[] {
  if (result === null || result === undefined) return [];
  return Array.isArray(result) ? (result as readonly ProducerRecord[]) : [result as ProducerRecord];
}

/** A failure that a new transaction can get past: Kafka's abortable and retriable errors, connection losses. */
function isRecoverable(error: unknown): boolean {
  if (error instanceof KafkaClientError) return error.kind !== ErrorKind.fatal;
  return error instanceof ConnectionError;
}

export class ExactlyOnceProcessor {
  readonly consumer: Consumer;
  readonly producer: Producer;
  private readonly options: ExactlyOnceProcessorOptions;
  private stopped = false;
  private readonly abort = new AbortController();
  private running: Promise<void> | null = null;
  private committed = 0;
  private aborted = 0;
  private inputs = 0;
  private outputs = 0;

  constructor(options: ExactlyOnceProcessorOptions) {
    this.options = options;
    // Like Kafka Streams, a new group starts from the beginning of its input (auto.offset.reset=earliest).
    this.consumer = new Consumer({ autoOffsetReset: 'earliest', ...options.consumer, bootstrap: options.bootstrap, groupId: options.groupId, isolationLevel: 'read_committed', enableAutoCommit: false });
    this.producer = new Producer({ ...options.producer, bootstrap: options.bootstrap, transactionalId: options.transactionalId });
  }

  metrics(): ExactlyOnceProcessorMetrics {
    return { committedTransactions: this.committed, abortedTransactions: this.aborted, inputs: this.inputs, outputs: this.outputs };
  }

  /**
   * Processes until `stop()` (or `signal`). Rethrows a fatal error (PRODUCER_FENCED: another instance with this
   * transactional id took over) and an error thrown by `transform` (after aborting and rewinding, so a restart
   * processes the record again); recovers from every other failure by aborting and retrying the batch.
   */
  run(signal?: AbortSignal): Promise<void> {
    if (this.running !== null) return Promise.reject(KafkaClientError.config('run() is already running', 'consumer'));
    this.running = this.loop(signal).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async loop(signal?: AbortSignal): Promise<void> {
    signal?.addEventListener('abort', () => this.abort.abort(), { once: true });
    const listener: RebalanceListener = {
      // Never reached with a transaction open (rebalances run between batches); kept as the invariant's guard.
      onPartitionsRevoked: () => this.abortOpenTransaction(),
      onPartitionsLost: () => this.abortOpenTransaction(),
    };
    this.consumer.subscribe(typeof this.options.inputTopics === 'string' ? [this.options.inputTopics] : this.options.inputTopics, listener);
    await this.producer.initTransactions();
    while (!this.stopped) {
      const batch = await this.consumer.nextBatch(this.abort.signal);
      if (batch === null) return;
      await this.processBatch(batch);
    }
  }

  private async processBatch(batch: ConsumerBatch): Promise<void> {
    let transformFailed = false;
    let outputs = 0;
    try {
      await this.producer.transaction(async (tx) => {
        const sends: Promise<unknown>[] = [];
        for (const record of batch.records) {
          let result: TransformResult;
          try {
            result = await this.options.transform(record);
          } catch (error) {
            transformFailed = true;
            throw error;
          }
          const records = toList(result);
          outputs += records.length;
          if (records.length > 0) {
            const sent = tx.send(records);
            // Awaited below; if the transaction aborts first, the rejection is the transaction's failure, not an
            // unhandled one.
            sent.catch(() => undefined);
            sends.push(sent);
          }
        }
        await Promise.all(sends);
        await tx.sendOffsets(this.consumer, [{ topic: batch.topic, partition: batch.partition, offset: batch.nextOffset }]);
        this.options.beforeCommit?.({ topic: batch.topic, partition: batch.partition, nextOffset: batch.nextOffset });
      });
      this.committed++;
      this.inputs += batch.records.length;
      this.outputs += outputs;
      this.options.onCommit?.({ topic: batch.topic, partition: batch.partition, inputs: batch.records.length, outputs, nextOffset: batch.nextOffset });
    } catch (error) {
      this.aborted++;
      // `transaction()` aborted already unless the producer is fenced or the commit's outcome is unknown (a
      // retriable failure of EndTxn): Kafka's rule is to repeat the same call, then the rewind below reads where
      // the group's offsets ended up.
      if (this.producer.transactionState === TransactionState.committingTransaction) await this.producer.commitTransaction().catch(() => undefined);
      await this.abortOpenTransaction();
      this.options.onAbort?.({ topic: batch.topic, partition: batch.partition, error });
      await this.rewind(batch);
      if (transformFailed || !isRecoverable(error) || this.producer.transactionState === TransactionState.fatalError) throw error;
    }
  }

  /** Seeks the batch's partition back to the group's committed offset (its first record when none is known). */
  private async rewind(tp: TopicPartition & { records: readonly ConsumerRecord[] }): Promise<void> {
    let offset = tp.records[0].offset;
    try {
      const committed = await this.consumer.committed([{ topic: tp.topic, partition: tp.partition }]);
      if (committed.length > 0 && committed[0].offset >= 0n) offset = committed[0].offset;
    } catch {
      // The batch's first record is where the last committed transaction ended.
    }
    if (this.consumer.assignment().some((owned) => owned.topic === tp.topic && owned.partition === tp.partition)) {
      this.consumer.seek({ topic: tp.topic, partition: tp.partition, offset });
    }
  }

  private async abortOpenTransaction(): Promise<void> {
    const state = this.producer.transactionState;
    if (state === TransactionState.inTransaction || state === TransactionState.abortableError) {
      await this.producer.abortTransaction().catch(() => undefined);
    }
  }

  /** Ends `run()` after the current transaction. */
  stop(): void {
    this.stopped = true;
    this.abort.abort();
  }

  /** Stops after the current transaction (committed or aborted), leaves the group and closes both clients. */
  async close(): Promise<void> {
    this.stop();
    await this.running?.catch(() => undefined);
    await this.abortOpenTransaction();
    await this.consumer.close();
    await this.producer.close();
  }
}
