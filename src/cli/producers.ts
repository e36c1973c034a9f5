// `seqlog producers <topic>`: the producers each partition of a topic tracks (DescribeProducers, KIP-664), as a
// table. Works against any broker that serves DescribeProducers (Apache Kafka 2.8+ included).
import Table from 'cli-table3';
import { BrokerConnection } from '../client/index.ts';
import { ApiKey } from '../protocol/messages/generated/index.ts';
import { ErrorCode, errorName } from '../protocol/errors/index.ts';
import { CliError } from './cli-failure.ts';
import { tableStyle } from './terminal.ts';

export interface ProducersOptions {
  bootstrap: string;
  json?: boolean;
}

function parseBootstrap(bootstrap: string): { host: string; port: number } {
  const first = bootstrap.split(',')[0].trim();
  const at = first.lastIndexOf(':');
  if (at <= 0) throw new CliError(`--bootstrap must be host:port, got '${bootstrap}'`, 2);
  return { host: first.slice(0, at), port: Number(first.slice(at + 1)) };
}

type ProducerRow =
  | { partition: number; error: string }
  | { partition: number; producerId: string; producerEpoch: number; lastSequence: number; lastTimestamp: string; currentTxnStartOffset: string };

export async function producersCommand(topic: string, options: ProducersOptions): Promise<void> {
  const connection = await BrokerConnection.open({ ...parseBootstrap(options.bootstrap), clientId: 'seqlog-cli' });
  try {
    await connection.negotiateApiVersions();
    const metadataVersion = connection.versionFor(ApiKey.Metadata, 1, 12);
    const describeVersion = connection.versionFor(ApiKey.DescribeProducers, 0, 0);
    if (metadataVersion === null || describeVersion === null) {
      throw new CliError(`the broker at ${options.bootstrap} does not serve Metadata v1+ and DescribeProducers v0 (Apache Kafka 2.8 or later does)`);
    }
    const metadata = await connection.send(ApiKey.Metadata, metadataVersion, {
      topics: [{ topicId: Buffer.alloc(16), name: topic }],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    const described = metadata.topics[0];
    if (described === undefined || described.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
      throw new CliError(`topic '${topic}' does not exist on ${options.bootstrap} (UNKNOWN_TOPIC_OR_PARTITION); check its name, or produce to it first`);
    }
    if (described.errorCode !== ErrorCode.NONE) throw new CliError(`topic '${topic}': the broker answered ${errorName(described.errorCode)}`);
    const partitionIndexes = described.partitions.map((partition) => partition.partitionIndex).sort((a, b) => a - b);
    // On a multi-broker cluster each partition must be asked of its leader; this command asks the bootstrap broker,
    // which is every partition's leader on a single node.
    const response = await connection.send(ApiKey.DescribeProducers, describeVersion, { topics: [{ name: topic, partitionIndexes }] });
    const rows = response.topics.flatMap((t) =>
      t.partitions.flatMap((partition): ProducerRow[] =>
        partition.errorCode !== 0
          ? [{ partition: partition.partitionIndex, error: errorName(partition.errorCode) }]
          : partition.activeProducers.map((producer) => ({
              partition: partition.partitionIndex,
              producerId: producer.producerId.toString(),
              producerEpoch: producer.producerEpoch,
              lastSequence: producer.lastSequence,
              lastTimestamp: producer.lastTimestamp === -1n ? '-' : new Date(Number(producer.lastTimestamp)).toISOString(),
              currentTxnStartOffset: producer.currentTxnStartOffset === -1n ? '-' : producer.currentTxnStartOffset.toString(),
            })),
      ),
    );
    if (options.json) {
      process.stdout.write(`${JSON.stringify(rows)}\n`);
      return;
    }
    const table = new Table({ head: ['partition', 'producer id', 'epoch', 'last sequence', 'last timestamp', 'txn start offset'], ...tableStyle(process.stdout) });
    for (const row of rows) {
      if ('error' in row) table.push([row.partition, { colSpan: 5, content: row.error }]);
      else table.push([row.partition, row.producerId, row.producerEpoch, row.lastSequence, row.lastTimestamp, row.currentTxnStartOffset]);
    }
    process.stdout.write(`${table.toString()}\n${rows.length} producer(s) on ${partitionIndexes.length} partition(s) of '${topic}'\n`);
  } finally {
    connection.close();
  }
}
