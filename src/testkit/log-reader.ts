// Reads a topic back in full — every partition, from its first offset to its end as of the start of the read —
// through the client's Consumer with read_uncommitted (a checker must see everything, aborted data included;
// control batches are never shown), so it works against seqlog and Apache Kafka alike. Each record comes with the
// batch's producer id, epoch and the record's sequence: the checker's ground truth. Keys and values arrive as
// bytes; the scan keeps them (`keyBytes`, `valueBytes`) next to their UTF-8 text.
import { BrokerConnection, Consumer, type ConsumerRecord, type IsolationLevelName } from '../client/index.ts';
import { errorName } from '../protocol/errors/index.ts';
import { ApiKey } from '../protocol/messages/generated/index.ts';

export interface ScannedRecord {
  readonly offset: bigint;
  readonly key: string | null;
  readonly value: string | null;
  /** The key as read (absent in scans built by hand). */
  readonly keyBytes?: Buffer | null;
  /** The value as read (absent in scans built by hand). */
  readonly valueBytes?: Buffer | null;
  readonly headers: readonly { key: string; value: string | null }[];
  /** CreateTime, or the batch's LogAppendTime. */
  readonly timestamp: bigint;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly sequence: number;
  /** The batch's compression codec id (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd). */
  readonly compression: number;
}

/** Records by partition, in offset order. */
export type LogScan = Map<number, ScannedRecord[]>;

export interface ReadLogOptions {
  /** `host:port` of the broker. */
  readonly bootstrap: string;
  readonly topic: string;
  /** Default: every partition Metadata lists. */
  readonly partitions?: readonly number[];
  /** Bytes per partition per Fetch. Default 4 MiB. */
  readonly maxBytes?: number;
  /** Give up when the scan makes no progress for this long. Default 30 s. */
  readonly timeoutMs?: number;
  /**
   * Default read_uncommitted: everything written, aborted data included. read_committed reads up to the last
   * stable offset and drops aborted transactions, as an application's consumer sees the topic.
   */
  readonly isolationLevel?: IsolationLevelName;
  /**
   * read_committed only: how long to wait for the last stable offset to reach the high watermark the read started
   * at, before reading up to the LSO there is. A broker answers EndTxn once the commit is decided and writes the
   * markers after it (Kafka's `TransactionCoordinator`), so right after `commitTransaction()` the LSO can still be
   * below that transaction's records. Default 3 s; a transaction left open costs the read this long.
   */
  readonly pendingTransactionWaitMs?: number;
}

export async function listPartitions(connection: BrokerConnection, topic: string): Promise<number[]> {
  const metadata = await connection.send(ApiKey.Metadata, 4, {
    topics: [{ topicId: Buffer.alloc(16), name: topic }],
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
  const entry = metadata.topics.find((t) => t.name === topic);
  if (entry === undefined || entry.errorCode !== 0) throw new Error(`topic ${topic} not found (${errorName(entry?.errorCode ?? 3)})`);
  return entry.partitions.map((p) => p.partitionIndex).sort((a, b) => a - b);
}

function scanned(record: ConsumerRecord): ScannedRecord {
  return {
    offset: record.offset,
    key: record.keyString(),
    value: record.valueString(),
    keyBytes: record.key,
    valueBytes: record.value,
    headers: record.headers.map((header) => ({ key: header.key, value: header.value === null ? null : header.value.toString('utf8') })),
    timestamp: record.timestamp,
    producerId: record.batch.producerId,
    producerEpoch: record.batch.producerEpoch,
    sequence: record.sequence,
    compression: record.batch.compression,
  };
}

/** Reads every data record of `topic` (control batches are skipped). */
export async function readLog(options: ReadLogOptions): Promise<LogScan> {
  let partitions = options.partitions;
  if (partitions === undefined) {
    const at = options.bootstrap.lastIndexOf(':');
    const connection = await BrokerConnection.open({ host: options.bootstrap.slice(0, at), port: Number(options.bootstrap.slice(at + 1)), clientId: 'seqlog-log-reader' });
    try {
      partitions = await listPartitions(connection, options.topic);
    } finally {
      connection.close();
    }
  }
  return scanPartitions(options.bootstrap, options.topic, partitions, options);
}

/** Every data record of one partition; `connection` names the broker to start from (any node of a cluster). */
export async function readLogPartition(
  connection: BrokerConnection,
  topic: string,
  partition: number,
  options: Pick<ReadLogOptions, 'maxBytes' | 'timeoutMs' | 'isolationLevel' | 'pendingTransactionWaitMs'> = {},
): Promise<ScannedRecord[]> {
  const scan = await scanPartitions(`${connection.address.host}:${connection.address.port}`, topic, [partition], options);
  return scan.get(partition) ?? [];
}

async function scanPartitions(bootstrap: string, topic: string, partitions: readonly number[], options: Pick<ReadLogOptions, 'maxBytes' | 'timeoutMs' | 'isolationLevel' | 'pendingTransactionWaitMs'>): Promise<LogScan> {
  const scan: LogScan = new Map(partitions.map((p) => [p, []]));
  const maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
  const consumer = new Consumer({
    bootstrap,
    clientId: 'seqlog-log-reader',
    isolationLevel: options.isolationLevel ?? 'read_uncommitted',
    autoOffsetReset: 'earliest',
    maxPartitionFetchBytes: maxBytes,
    fetchMaxBytes: Math.max(maxBytes, 4 * 1024 * 1024),
    fetchMaxWaitMs: 50,
  });
  try {
    const tps = partitions.map((partition) => ({ topic, partition }));
    consumer.assign(tps);
    for (const tp of tps) consumer.seek({ ...tp, offset: 'earliest' });
    const ends = options.isolationLevel === 'read_committed' ? await stableEnds(bootstrap, consumer, tps, options.pendingTransactionWaitMs ?? 3000) : await endsOf(consumer, tps);
    const unfinished = (): number[] => partitions.filter((p) => (consumer.position({ topic, partition: p }) ?? -1n) < (ends.get(p) ?? 0n));
    if (unfinished().length === 0) return scan;
    const controller = new AbortController();
    const timeoutMs = options.timeoutMs ?? 30_000;
    let stalled: Error | null = null;
    let progressAt = Date.now();
    // An empty partition never yields a batch, so its end is noticed here rather than in eachBatch: its position
    // is known only once the consumer has resolved 'earliest', possibly after the last batch of the others.
    const watchdog = setInterval(() => {
      // So does a read_committed partition ending in aborted data or markers.
      if (unfinished().length === 0) controller.abort();
      else if (Date.now() - progressAt > timeoutMs) {
        stalled = new Error(`reading ${topic} made no progress for ${timeoutMs} ms; partitions ${unfinished().join(', ')} not at their end`);
        controller.abort();
      }
    }, Math.min(100, timeoutMs));
    try {
      await consumer.run({
        signal: controller.signal,
        eachBatch: (batch) => {
          progressAt = Date.now();
          const end = ends.get(batch.partition) ?? 0n;
          const list = scan.get(batch.partition) as ScannedRecord[];
          for (const record of batch.records) if (record.offset < end) list.push(scanned(record));
          if (unfinished().length === 0) controller.abort();
        },
      });
    } finally {
      clearInterval(watchdog);
    }
    if (stalled !== null) throw stalled;
    return scan;
  } finally {
    await consumer.close();
  }
}

async function endsOf(consumer: Consumer, partitions: readonly { topic: string; partition: number }[]): Promise<Map<number, bigint>> {
  return new Map((await consumer.endOffsets(partitions)).map((end) => [end.partition, end.offset]));
}

/**
 * The read_committed ends to read up to: each partition's LSO, once it has reached the high watermark seen at the
 * start (the markers of every transaction decided by then are written), or as it is after `waitMs`.
 */
async function stableEnds(bootstrap: string, consumer: Consumer, partitions: readonly { topic: string; partition: number }[], waitMs: number): Promise<Map<number, bigint>> {
  const uncommitted = new Consumer({ bootstrap, clientId: 'seqlog-log-reader', isolationLevel: 'read_uncommitted' });
  let highWatermarks: Map<number, bigint>;
  try {
    highWatermarks = await endsOf(uncommitted, partitions);
  } finally {
    await uncommitted.close();
  }
  const deadline = Date.now() + waitMs;
  for (;;) {
    const stable = await endsOf(consumer, partitions);
    const behind = [...highWatermarks].some(([partition, end]) => (stable.get(partition) ?? 0n) < end);
    if (!behind || Date.now() >= deadline) return stable;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
