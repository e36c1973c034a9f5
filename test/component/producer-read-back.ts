// Reads partitions back for the producer tests against seqlog and Apache Kafka: the testkit's log reader (the
// client's consumer, read_uncommitted), starting from the node of a connection the test chooses.
import { BrokerConnection } from '../../src/client/index.ts';
import { readLogPartition, type ScannedRecord } from '../../src/testkit/log-reader.ts';

export type StoredRecord = ScannedRecord;

export async function openConnection(bootstrap: string): Promise<BrokerConnection> {
  const [host, port] = bootstrap.split(',')[0].split(':');
  const connection = await BrokerConnection.open({ host, port: Number(port) });
  await connection.negotiateApiVersions();
  return connection;
}

/** Every record of one partition from its first offset to the high watermark. */
export function readPartition(connection: BrokerConnection, topic: string, partition = 0): Promise<StoredRecord[]> {
  return readLogPartition(connection, topic, partition);
}
