// A client mutation for the transactional checker's own tests: a transactional producer that never fences itself.
// A real client that hears PRODUCER_FENCED (or INVALID_PRODUCER_EPOCH) stops for good (Kafka's
// `TransactionManager` goes to FATAL_ERROR); this one keeps its producer id and epoch whatever the broker answers,
// as a zombie does that wakes from a long pause after a successor took over its transactional id (KIP-98). It
// speaks the classic protocol (transaction version 1: AddPartitionsToTxn before the first write of a partition,
// EndTxn without an epoch bump) in raw requests over one connection, so it talks to one node: seqlog's broker or a
// one-node Kafka, which coordinates every transactional id and group.
//
// What a correct broker does with it: its open transaction is aborted when the successor initializes, and every
// later write, offset commit and EndTxn is refused. What a broker that does not fence does: its writes commit next
// to the successor's, which the checker reports (OUTPUT_DUPLICATED in a consume-transform-produce run).
import { BrokerConnection } from '../client/index.ts';
import { errorName } from '../protocol/errors/index.ts';
import { ApiKey } from '../protocol/messages/generated/index.ts';
import { encodeRecordBatch } from '../protocol/records/index.ts';
import { parseHostPort } from './topics.ts';

export interface UnfencedProducerOptions {
  /** `host:port` of a single-node cluster. */
  readonly bootstrap: string;
  readonly transactionalId: string;
  /** Default 60 s. */
  readonly transactionTimeoutMs?: number;
}

/** A broker's answer: the Kafka error code and its name (NONE when it succeeded). */
export interface UnfencedAnswer {
  readonly errorCode: number;
  readonly errorName: string;
}

export interface UnfencedSendAnswer extends UnfencedAnswer {
  /** The offset of the first record, when written. */
  readonly baseOffset: bigint;
}

const answer = (errorCode: number): UnfencedAnswer => ({ errorCode, errorName: errorName(errorCode) });

export class UnfencedTransactionalProducer {
  /** Partitions added to the current transaction, as `topic\0partition`. */
  private readonly added = new Set<string>();
  private readonly sequences = new Map<string, number>();

  private constructor(
    private readonly connection: BrokerConnection,
    readonly transactionalId: string,
    /** Kept for good, whatever the broker says later: the mutation. */
    readonly producerId: bigint,
    readonly producerEpoch: number,
  ) {}

  /** InitProducerId for `transactionalId`; rejects when the broker refuses it. */
  static async init(options: UnfencedProducerOptions): Promise<UnfencedTransactionalProducer> {
    const connection = await BrokerConnection.open({ ...parseHostPort(options.bootstrap), clientId: 'seqlog-unfenced-producer', connectTimeoutMs: 5000 });
    try {
      for (;;) {
        const init = await connection.send(ApiKey.InitProducerId, 4, { transactionalId: options.transactionalId, transactionTimeoutMs: options.transactionTimeoutMs ?? 60_000, producerId: -1n, producerEpoch: -1 });
        // A previous transaction of this id still completing: Kafka's client retries the same way.
        if (errorName(init.errorCode) === 'CONCURRENT_TRANSACTIONS' || errorName(init.errorCode) === 'COORDINATOR_LOAD_IN_PROGRESS') {
          await new Promise((resolve) => setTimeout(resolve, 20));
          continue;
        }
        if (init.errorCode !== 0) throw new Error(`InitProducerId failed: ${errorName(init.errorCode)}`);
        return new UnfencedTransactionalProducer(connection, options.transactionalId, init.producerId, init.producerEpoch);
      }
    } catch (error) {
      connection.close();
      throw error;
    }
  }

  /** Writes `values` as one transactional batch to `topic`/`partition` (adding the partition first if needed). */
  async send(topic: string, partition: number, values: readonly string[]): Promise<UnfencedSendAnswer> {
    const key = `${topic}\u0000${partition}`;
    if (!this.added.has(key)) {
      const added = await this.connection.send(ApiKey.AddPartitionsToTxn, 3, {
        transactions: [],
        v3AndBelowTransactionalId: this.transactionalId,
        v3AndBelowProducerId: this.producerId,
        v3AndBelowProducerEpoch: this.producerEpoch,
        v3AndBelowTopics: [{ name: topic, partitions: [partition] }],
      });
      const code = added.resultsByTopicV3AndBelow[0]?.resultsByPartition[0]?.partitionErrorCode ?? 0;
      if (code !== 0) return { ...answer(code), baseOffset: -1n };
      this.added.add(key);
    }
    const baseSequence = this.sequences.get(key) ?? 0;
    const now = BigInt(Date.now());
    const records = encodeRecordBatch({
      records: values.map((value) => ({ key: null, value: Buffer.from(value), timestamp: now })),
      producerId: this.producerId,
      producerEpoch: this.producerEpoch,
      baseSequence,
      isTransactional: true,
    });
    const response = await this.connection.send(ApiKey.Produce, 9, { transactionalId: this.transactionalId, acks: -1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
    const result = response.responses[0]?.partitionResponses[0];
    const errorCode = result?.errorCode ?? 0;
    if (errorCode === 0) this.sequences.set(key, baseSequence + values.length);
    return { ...answer(errorCode), baseOffset: result?.baseOffset ?? -1n };
  }

  /** AddOffsetsToTxn, then TxnOffsetCommit without group metadata (generation -1: no fencing by generation). */
  async sendOffsets(groupId: string, offsets: readonly { topic: string; partition: number; offset: bigint }[]): Promise<UnfencedAnswer> {
    const added = await this.connection.send(ApiKey.AddOffsetsToTxn, 3, { transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, groupId });
    if (added.errorCode !== 0) return answer(added.errorCode);
    const topics = [...new Set(offsets.map((o) => o.topic))].map((name) => ({
      name,
      partitions: offsets.filter((o) => o.topic === name).map((o) => ({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: null })),
    }));
    const committed = await this.connection.send(ApiKey.TxnOffsetCommit, 3, {
      transactionalId: this.transactionalId,
      groupId,
      producerId: this.producerId,
      producerEpoch: this.producerEpoch,
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      topics,
    });
    const failed = committed.topics.flatMap((t) => t.partitions).find((p) => p.errorCode !== 0);
    return answer(failed?.errorCode ?? 0);
  }

  /** EndTxn; the next write starts a new transaction under the same producer id and epoch. */
  async commit(): Promise<UnfencedAnswer> {
    return this.end(true);
  }

  async abort(): Promise<UnfencedAnswer> {
    return this.end(false);
  }

  private async end(committed: boolean): Promise<UnfencedAnswer> {
    const response = await this.connection.send(ApiKey.EndTxn, 4, { transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, committed });
    this.added.clear();
    return answer(response.errorCode);
  }

  close(): void {
    this.connection.close();
  }
}
