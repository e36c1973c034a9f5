// Creates a topic with a given partition count through CreateTopics (any Kafka, seqlog included).
import { BrokerConnection } from '../client/index.ts';
import { ApiKey } from '../protocol/messages/generated/index.ts';
import { errorName } from '../protocol/errors/index.ts';

export function parseHostPort(address: string): { host: string; port: number } {
  const first = address.split(',')[0];
  const at = first.lastIndexOf(':');
  return { host: first.slice(0, at), port: Number(first.slice(at + 1)) };
}

export async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const connection = await BrokerConnection.open({ ...parseHostPort(bootstrap), clientId: 'seqlog-testkit' });
  try {
    const response = await connection.send(ApiKey.CreateTopics, 5, {
      topics: [{ name: topic, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 30000,
      validateOnly: false,
    });
    const code = response.topics[0]?.errorCode ?? -1;
    // TOPIC_ALREADY_EXISTS (36): a rerun against the same cluster.
    if (code !== 0 && code !== 36) throw new Error(`creating topic ${topic} failed: ${errorName(code)}`);
  } finally {
    connection.close();
  }
}
