// A read_committed reader for the transaction tests: raw Fetch v11 with IsolationLevel 1 (up to the last stable
// offset) through the generated codecs, dropping aborted transactions the way the Java consumer does
// (`CompletedFetch`: the AbortedTransactions list as a heap by first offset, an ABORT marker ends one). It works
// against seqlog and Apache Kafka alike, and needs no consumer.
import { BrokerConnection } from '../../../src/client/index.ts';
import { ApiKey } from '../../../src/protocol/messages/generated/index.ts';
import { defaultFetchRequest, defaultFetchRequestFetchPartition } from '../../../src/protocol/messages/generated/01-fetch.ts';
import { ControlRecordType, endTransactionMarkerOf, iterateRecordBatches } from '../../../src/protocol/records/index.ts';

export interface CommittedRecord {
  readonly offset: bigint;
  readonly key: string | null;
  readonly value: string | null;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly sequence: number;
  readonly transactional: boolean;
}

export interface ReadCommittedResult {
  readonly records: CommittedRecord[];
  readonly lastStableOffset: bigint;
  readonly highWatermark: bigint;
  /** Control batches seen (commit and abort markers). */
  readonly markers: { offset: bigint; type: 'commit' | 'abort'; producerId: bigint; producerEpoch: number }[];
}

export async function openConnection(bootstrap: string): Promise<BrokerConnection> {
  const first = bootstrap.split(',')[0];
  const at = first.lastIndexOf(':');
  const connection = await BrokerConnection.open({ host: first.slice(0, at), port: Number(first.slice(at + 1)), clientId: 'seqlog-read-committed' });
  await connection.negotiateApiVersions();
  return connection;
}

/**
 * Reads `topic`-`partition` from offset 0 to the last stable offset, read_committed. With `waitForStable`, first
 * waits (up to the timeout) until the LSO reaches the high watermark, i.e. no transaction is open on it.
 */
export async function readCommitted(connection: BrokerConnection, topic: string, partition = 0, options: { waitForStable?: boolean; timeoutMs?: number } = {}): Promise<ReadCommittedResult> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const fetch = async (fetchOffset: bigint) => {
    const response = await connection.send(ApiKey.Fetch, 11, {
      ...defaultFetchRequest(),
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 8 << 20,
      isolationLevel: 1,
      topics: [{ topic, topicId: Buffer.alloc(16), partitions: [{ ...defaultFetchRequestFetchPartition(), partition, fetchOffset, partitionMaxBytes: 8 << 20 }] }],
    });
    const data = response.responses[0]?.partitions[0];
    if (data === undefined || data.errorCode !== 0) throw new Error(`fetch ${topic}-${partition} at ${fetchOffset} failed with error ${data?.errorCode ?? response.errorCode}`);
    return data;
  };
  if (options.waitForStable === true) {
    for (;;) {
      const data = await fetch(0n);
      if (data.lastStableOffset >= data.highWatermark) break;
      if (Date.now() > deadline) throw new Error(`${topic}-${partition}: LSO ${data.lastStableOffset} stayed below HW ${data.highWatermark}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const records: CommittedRecord[] = [];
  const markers: ReadCommittedResult['markers'] = [];
  let fetchOffset = 0n;
  let lastStableOffset = 0n;
  let highWatermark = 0n;
  const abortedProducers = new Set<bigint>();
  for (;;) {
    const data = await fetch(fetchOffset);
    lastStableOffset = data.lastStableOffset;
    highWatermark = data.highWatermark;
    const aborted = [...(data.abortedTransactions ?? [])].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
    const before = fetchOffset;
    for (const batch of iterateRecordBatches(data.records ?? Buffer.alloc(0))) {
      if (batch.lastOffset < fetchOffset) continue;
      while (aborted.length > 0 && aborted[0].firstOffset <= batch.lastOffset) abortedProducers.add((aborted.shift() as { producerId: bigint }).producerId);
      if (batch.isControl) {
        const marker = endTransactionMarkerOf(batch);
        if (marker !== null) {
          markers.push({ offset: batch.baseOffset, type: marker.type === ControlRecordType.abort ? 'abort' : 'commit', producerId: batch.producerId, producerEpoch: batch.producerEpoch });
          if (marker.type === ControlRecordType.abort) abortedProducers.delete(batch.producerId);
        }
      } else if (!(batch.isTransactional && abortedProducers.has(batch.producerId))) {
        for (const record of batch.records) {
          if (record.offset < fetchOffset) continue;
          records.push({
            offset: record.offset,
            key: record.key === null ? null : record.key.toString('utf8'),
            value: record.value === null ? null : record.value.toString('utf8'),
            producerId: batch.producerId,
            producerEpoch: batch.producerEpoch,
            sequence: record.sequence,
            transactional: batch.isTransactional,
          });
        }
      }
      fetchOffset = batch.lastOffset + 1n;
    }
    if (fetchOffset >= data.lastStableOffset) return { records, lastStableOffset, highWatermark, markers };
    if (fetchOffset === before && Date.now() > deadline) throw new Error(`reading ${topic}-${partition} made no progress at ${fetchOffset}`);
  }
}
