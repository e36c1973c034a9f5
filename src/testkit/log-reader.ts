// Reads a topic back in full — every partition, from offset 0 to the high watermark — over a plain
// `BrokerConnection` (Fetch v11, read_uncommitted), so it works against seqlog and Apache Kafka alike. Each
// record comes with the batch's producer id, epoch and the record's sequence: the checker's ground truth.
import { errorName } from '../protocol/errors/index.ts';
import { BrokerConnection } from '../client/index.ts';
import { ApiKey } from '../protocol/messages/generated/index.ts';
import { defaultFetchRequest, defaultFetchRequestFetchPartition } from '../protocol/messages/generated/01-fetch.ts';
import { iterateRecordBatches } from '../protocol/records/index.ts';

export interface ScannedRecord {
  readonly offset: bigint;
  readonly key: string | null;
  readonly value: string | null;
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
  /** Bytes per Fetch. Default 4 MiB. */
  readonly maxBytes?: number;
  /** Give up when the scan makes no progress for this long. Default 30 s. */
  readonly timeoutMs?: number;
}

function parseBootstrap(bootstrap: string): { host: string; port: number } {
  const at = bootstrap.lastIndexOf(':');
  return { host: bootstrap.slice(0, at), port: Number(bootstrap.slice(at + 1)) };
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

/** Reads every data record of `topic` (control batches are skipped). */
export async function readLog(options: ReadLogOptions): Promise<LogScan> {
  const connection = await BrokerConnection.open({ ...parseBootstrap(options.bootstrap), clientId: 'seqlog-log-reader' });
  try {
    const partitions = options.partitions ?? (await listPartitions(connection, options.topic));
    const scan: LogScan = new Map();
    for (const partition of partitions) scan.set(partition, await readLogPartition(connection, options.topic, partition, options));
    return scan;
  } finally {
    connection.close();
  }
}

/** Every data record of one partition, over an open connection (to the partition's leader on a cluster). */
export async function readLogPartition(
  connection: BrokerConnection,
  topic: string,
  partition: number,
  options: Pick<ReadLogOptions, 'maxBytes' | 'timeoutMs'> = {},
): Promise<ScannedRecord[]> {
  const records: ScannedRecord[] = [];
  const maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
  const deadline = () => Date.now() + (options.timeoutMs ?? 30_000);
  let giveUpAt = deadline();
  let fetchOffset = 0n;
  for (;;) {
    const response = await connection.send(ApiKey.Fetch, 11, {
      ...defaultFetchRequest(),
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes,
      topics: [{ topic, topicId: Buffer.alloc(16), partitions: [{ ...defaultFetchRequestFetchPartition(), partition, fetchOffset, partitionMaxBytes: maxBytes }] }],
    });
    const data = response.responses[0]?.partitions[0];
    if (data === undefined || data.errorCode !== 0) {
      throw new Error(`fetch ${topic}-${partition} at ${fetchOffset} failed with ${errorName(data?.errorCode ?? response.errorCode)}`);
    }
    const before = fetchOffset;
    for (const batch of iterateRecordBatches(data.records ?? Buffer.alloc(0))) {
      if (batch.lastOffset < fetchOffset) continue;
      if (!batch.isControl) {
        for (const record of batch.records) {
          if (record.offset < fetchOffset) continue;
          records.push({
            offset: record.offset,
            key: record.key === null ? null : record.key.toString('utf8'),
            value: record.value === null ? null : record.value.toString('utf8'),
            headers: record.headers.map((header) => ({ key: header.key, value: header.value === null ? null : header.value.toString('utf8') })),
            timestamp: record.timestamp,
            producerId: batch.producerId,
            producerEpoch: batch.producerEpoch,
            sequence: record.sequence,
            compression: batch.compression,
          });
        }
      }
      fetchOffset = batch.lastOffset + 1n;
    }
    if (fetchOffset >= data.highWatermark) return records;
    if (fetchOffset > before) giveUpAt = deadline();
    else if (Date.now() > giveUpAt) throw new Error(`reading ${topic}-${partition} made no progress at offset ${fetchOffset}`);
  }
}
