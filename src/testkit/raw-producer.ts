// A deliberately small producer built from hand-made Produce requests over one `BrokerConnection`, for tests that
// need control the real client does not give: the checker's mutation tests break its sequence handling on
// purpose (`faults`). It pipelines up to `maxInFlight` batches per partition, and when the connection dies or a
// request times out it reconnects and resends every unanswered batch, in order, with its original producer id,
// epoch and sequence — exactly what lets the broker deduplicate.
import { BrokerConnection } from '../client/index.ts';
import { isRetriable, errorName } from '../protocol/errors/index.ts';
import { ApiKey } from '../protocol/messages/generated/index.ts';
import { encodeRecordBatch } from '../protocol/records/index.ts';
import type { VerifyProducerFactory } from './verify.ts';

export interface RawProducerFaults {
  /** After a reconnect, get a new producer id and resend unanswered batches under it from sequence 0. */
  readonly renewProducerIdOnReconnect?: boolean;
  /** Every n-th batch of a partition does not advance the sequence, so the next batch reuses its numbers. */
  readonly skipSequenceIncrementEvery?: number;
}

export interface RawProducerOptions {
  readonly bootstrap: string;
  readonly topic: string;
  /** Default true: InitProducerId and sequenced batches. */
  readonly idempotent?: boolean;
  /** Records per batch. Default 10. */
  readonly batchSize?: number;
  /** Batches in flight per partition (at most 5 with idempotence). Default 5. */
  readonly maxInFlight?: number;
  readonly requestTimeoutMs?: number;
  /** A send still unanswered after this long fails indefinitely. Default 60 s. */
  readonly deliveryTimeoutMs?: number;
  readonly retryBackoffMs?: number;
  readonly faults?: RawProducerFaults;
}

export interface RawRecordMetadata {
  readonly partition: number;
  readonly offset: bigint;
}

/** A send that did not succeed; `definite` when the broker said nothing was written. */
export class RawProducerError extends Error {
  override readonly name = 'RawProducerError';
  constructor(
    message: string,
    readonly code: number | null,
    readonly definite: boolean,
  ) {
    super(message);
  }
}

interface PendingRecord {
  readonly value: Buffer;
  readonly key: Buffer | null;
  readonly createdAt: number;
  resolve(meta: RawRecordMetadata): void;
  reject(error: Error): void;
}

interface Batch {
  /** Creation order: resends keep it, so each partition's batches reach the broker in sequence order. */
  readonly order: number;
  readonly partition: number;
  readonly records: PendingRecord[];
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  bytes: Buffer;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class RawProducer {
  private connection: BrokerConnection | null = null;
  private connecting: Promise<void> | null = null;
  private producerId = -1n;
  private producerEpoch = -1;
  private readonly queued = new Map<number, PendingRecord[]>();
  private readonly inFlight = new Map<number, Batch[]>();
  private readonly nextSequence = new Map<number, number>();
  private readonly batchCount = new Map<number, number>();
  /** Unanswered batches waiting for a new connection, in send order. */
  private readonly resend: Batch[] = [];
  private closed = false;
  private idle: (() => void)[] = [];
  private batchesCreated = 0;
  reconnects = 0;

  constructor(private readonly options: RawProducerOptions) {}

  private get idempotent(): boolean {
    return this.options.idempotent ?? true;
  }

  send(partition: number, value: string, key: string | null = null): Promise<RawRecordMetadata> {
    if (this.closed) return Promise.reject(new RawProducerError('producer closed', null, true));
    return new Promise((resolve, reject) => {
      let queue = this.queued.get(partition);
      if (queue === undefined) this.queued.set(partition, (queue = []));
      queue.push({ value: Buffer.from(value), key: key === null ? null : Buffer.from(key), createdAt: Date.now(), resolve, reject });
      this.pump();
    });
  }

  /** Resolves when nothing is queued or in flight. */
  flush(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    this.connection?.close();
    this.connection = null;
  }

  private isIdle(): boolean {
    for (const queue of this.queued.values()) if (queue.length > 0) return false;
    for (const batches of this.inFlight.values()) if (batches.length > 0) return false;
    return this.resend.length === 0;
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    for (const resolve of this.idle.splice(0)) resolve();
  }

  private async connect(): Promise<void> {
    const at = this.options.bootstrap.lastIndexOf(':');
    const host = this.options.bootstrap.slice(0, at);
    const port = Number(this.options.bootstrap.slice(at + 1));
    for (let attempt = 0; ; attempt++) {
      try {
        const connection = await BrokerConnection.open({ host, port, clientId: 'seqlog-raw-producer', connectTimeoutMs: 5000 });
        const renew = this.options.faults?.renewProducerIdOnReconnect === true && this.producerId !== -1n;
        if (this.idempotent && (this.producerId === -1n || renew)) {
          const init = await this.withTimeout(connection, connection.send(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 }));
          if (init.errorCode !== 0) throw new Error(`InitProducerId failed: ${errorName(init.errorCode)}`);
          this.producerId = init.producerId;
          this.producerEpoch = init.producerEpoch;
          if (renew) this.rewriteForNewProducerId();
        }
        this.connection = connection;
        return;
      } catch {
        if (this.closed) return;
        await sleep(Math.min(1000, (this.options.retryBackoffMs ?? 100) * (attempt + 1)));
      }
    }
  }

  /** The broken client of `renewProducerIdOnReconnect`: old batches restart at sequence 0 under the new id. */
  private rewriteForNewProducerId(): void {
    this.nextSequence.clear();
    for (const batch of this.resend) {
      batch.producerId = this.producerId;
      batch.producerEpoch = this.producerEpoch;
      batch.baseSequence = this.takeSequence(batch.partition, batch.records.length);
      batch.bytes = this.encode(batch);
    }
  }

  private withTimeout<T>(connection: BrokerConnection, promise: Promise<T>): Promise<T> {
    const ms = this.options.requestTimeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          // Kafka's client closes a connection whose request timed out; every request on it becomes unanswered.
          connection.close();
          reject(new Error('request timed out'));
        }, ms);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  private takeSequence(partition: number, count: number): number {
    const base = this.nextSequence.get(partition) ?? 0;
    const n = (this.batchCount.get(partition) ?? 0) + 1;
    this.batchCount.set(partition, n);
    const skipEvery = this.options.faults?.skipSequenceIncrementEvery;
    if (skipEvery === undefined || n % skipEvery !== 0) this.nextSequence.set(partition, (base + count) & 0x7fffffff);
    return base;
  }

  private encode(batch: Batch): Buffer {
    return encodeRecordBatch({
      records: batch.records.map((record) => ({ key: record.key, value: record.value, timestamp: BigInt(record.createdAt) })),
      ...(this.idempotent ? { producerId: batch.producerId, producerEpoch: batch.producerEpoch, baseSequence: batch.baseSequence } : {}),
    });
  }

  private pump(): void {
    if (this.closed) return;
    const connection = this.connection;
    if (connection === null || connection.closed) {
      this.connection = null;
      this.connecting ??= this.connect().finally(() => {
        this.connecting = null;
        this.pump();
      });
      return;
    }
    // Unanswered batches go first, in their original order, so sequences reach the broker in order.
    while (this.resend.length > 0) this.transmit(connection, this.resend.shift()!);
    const maxInFlight = this.options.maxInFlight ?? 5;
    for (const [partition, queue] of this.queued) {
      let flying = this.inFlight.get(partition);
      if (flying === undefined) this.inFlight.set(partition, (flying = []));
      while (queue.length > 0 && flying.length < maxInFlight) {
        const records = queue.splice(0, this.options.batchSize ?? 10);
        const batch: Batch = { order: this.batchesCreated++, partition, records, producerId: this.producerId, producerEpoch: this.producerEpoch, baseSequence: 0, bytes: Buffer.alloc(0) };
        if (this.idempotent) batch.baseSequence = this.takeSequence(partition, records.length);
        batch.bytes = this.encode(batch);
        this.transmit(connection, batch);
      }
    }
  }

  private transmit(connection: BrokerConnection, batch: Batch): void {
    let flying = this.inFlight.get(batch.partition);
    if (flying === undefined) this.inFlight.set(batch.partition, (flying = []));
    if (!flying.includes(batch)) flying.push(batch);
    const request = connection.send(ApiKey.Produce, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 30000,
      topicData: [{ name: this.options.topic, partitionData: [{ index: batch.partition, records: batch.bytes }] }],
    });
    this.withTimeout(connection, request).then(
      (response) => this.onResponse(batch, response.responses[0]?.partitionResponses[0]),
      () => this.onUnanswered(batch),
    );
  }

  private settle(batch: Batch): void {
    const flying = this.inFlight.get(batch.partition) ?? [];
    const at = flying.indexOf(batch);
    if (at >= 0) flying.splice(at, 1);
  }

  private onResponse(batch: Batch, partition: { errorCode: number; baseOffset: bigint } | undefined): void {
    if (partition === undefined) return this.onUnanswered(batch);
    if (partition.errorCode === 0) {
      this.settle(batch);
      batch.records.forEach((record, i) => record.resolve({ partition: batch.partition, offset: partition.baseOffset + BigInt(i) }));
    } else if (isRetriable(partition.errorCode) && !this.expired(batch)) {
      this.settle(batch);
      this.resend.push(batch);
      this.resend.sort((a, b) => a.order - b.order);
    } else {
      this.settle(batch);
      // A broker error answer is definite: the batch was not appended.
      const error = new RawProducerError(`produce failed: ${errorName(partition.errorCode)}`, partition.errorCode, true);
      for (const record of batch.records) record.reject(error);
    }
    this.pump();
    this.notifyIdle();
  }

  private onUnanswered(batch: Batch): void {
    this.settle(batch);
    if (this.expired(batch)) {
      const error = new RawProducerError('delivery timed out with the request in flight', null, false);
      for (const record of batch.records) record.reject(error);
    } else {
      this.resend.push(batch);
      this.resend.sort((a, b) => a.order - b.order);
      this.reconnects++;
    }
    this.connection = null;
    // Let every other request of the dead connection fail first, so the resend keeps their order.
    setImmediate(() => {
      this.pump();
      this.notifyIdle();
    });
  }

  private expired(batch: Batch): boolean {
    return Date.now() - batch.records[0].createdAt > (this.options.deliveryTimeoutMs ?? 60_000);
  }
}

/** `RawProducer` behind the workload interface of `verifyExactlyOnce` (one topic per producer). */
export function rawProducerFactory(extra: Partial<Omit<RawProducerOptions, 'bootstrap' | 'idempotent' | 'topic'>> = {}): VerifyProducerFactory {
  return ({ bootstrap, idempotent }) => {
    let raw: RawProducer | null = null;
    return {
      send({ topic, value, partition }) {
        raw ??= new RawProducer({ ...extra, bootstrap, idempotent, topic });
        return raw.send(partition ?? 0, value);
      },
      flush: () => raw?.flush() ?? Promise.resolve(),
      close: () => raw?.close() ?? Promise.resolve(),
    };
  };
}
