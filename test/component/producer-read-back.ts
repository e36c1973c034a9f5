// Reads a partition back with raw Fetch requests over a BrokerConnection (no consumer needed), for producer
// tests against seqlog and against Apache Kafka.
import { BrokerConnection } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { ErrorCode } from '../../src/protocol/errors/index.ts';
import { iterateRecordBatches } from '../../src/protocol/records/index.ts';

export interface StoredRecord {
  readonly offset: bigint;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: readonly { key: string; value: string | null }[];
  readonly timestamp: bigint;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly sequence: number;
  readonly compression: number;
}

export async function openConnection(bootstrap: string): Promise<BrokerConnection> {
  const [host, port] = bootstrap.split(',')[0].split(':');
  const connection = await BrokerConnection.open({ host, port: Number(port) });
  await connection.negotiateApiVersions();
  return connection;
}

/** Every record of one partition from offset 0 to the high watermark. */
export async function readPartition(connection: BrokerConnection, topic: string, partition = 0): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  let fetchOffset = 0n;
  const version = connection.versionFor(ApiKey.Fetch, 4, 12) ?? 4;
  for (let round = 0; round < 10000; round++) {
    const response = await connection.send(ApiKey.Fetch, version, {
      clusterId: null,
      replicaId: -1,
      replicaState: { replicaId: -1, replicaEpoch: -1n },
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 8 * 1024 * 1024,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic, topicId: Buffer.alloc(16), partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 8 * 1024 * 1024, replicaDirectoryId: Buffer.alloc(16) }] }],
      forgottenTopicsData: [],
      rackId: '',
    });
    const data = response.responses[0].partitions[0];
    if (data.errorCode !== ErrorCode.NONE) throw new Error(`fetch ${topic}-${partition} failed with code ${data.errorCode}`);
    if (data.records === null || data.records.length === 0) {
      if (fetchOffset >= data.highWatermark) return out;
      throw new Error(`empty fetch below the high watermark at ${fetchOffset}`);
    }
    let progressed = false;
    for (const batch of iterateRecordBatches(data.records)) {
      for (const record of batch.records) {
        if (record.offset < fetchOffset) continue;
        out.push({
          offset: record.offset,
          key: record.key === null ? null : record.key.toString(),
          value: record.value === null ? null : record.value.toString(),
          headers: record.headers.map((h) => ({ key: h.key, value: h.value === null ? null : h.value.toString() })),
          timestamp: record.timestamp,
          producerId: batch.producerId,
          producerEpoch: batch.producerEpoch,
          sequence: record.sequence,
          compression: batch.attributes & 0x07,
        });
        fetchOffset = record.offset + 1n;
        progressed = true;
      }
    }
    if (fetchOffset >= data.highWatermark) return out;
    if (!progressed) throw new Error(`fetch made no progress at ${fetchOffset}`);
  }
  return out;
}
