// Reads partitions back for the producer tests against seqlog and Apache Kafka: the testkit's log reader (raw
// Fetch, no consumer), over a connection the test chooses (a cluster's partitions are read from their leaders).
import { BrokerConnection } from '../../src/client/index.ts';
import { readLogPartition, type ScannedRecord } from '../../src/testkit/log-reader.ts';

export type StoredRecord = ScannedRecord;

export async function openConnection(bootstrap: string): Promise<BrokerConnection> {
  const [host, port] = bootstrap.split(',')[0].split(':');
  const connection = await BrokerConnection.open({ host, port: Number(port) });
  await connection.negotiateApiVersions();
  return connection;
}

/** Every record of one partition from offset 0 to the high watermark. */
export function readPartition(connection: BrokerConnection, topic: string, partition = 0): Promise<StoredRecord[]> {
  return readLogPartition(connection, topic, partition);
}
