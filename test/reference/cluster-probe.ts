// Raw probes of a reference Kafka cluster whose nodes a test kills and restarts: a connection to any live node, and
// the node FindCoordinator names for a group or transactional id once that node is alive.
import { BrokerConnection } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { ErrorCode, errorName } from '../../src/protocol/errors/index.ts';
import type { ReferenceKafka } from './kafka.ts';

/** A connection (ApiVersions negotiated) to the first live node that accepts one. */
export async function connectToAnyLiveNode(kafka: ReferenceKafka): Promise<BrokerConnection> {
  for (const broker of kafka.brokers.filter((b) => b.alive)) {
    try {
      const connection = await BrokerConnection.open({ host: '127.0.0.1', port: broker.port, connectTimeoutMs: 5000 });
      await connection.negotiateApiVersions();
      return connection;
    } catch {
      // Try the next node.
    }
  }
  throw new Error('no live broker');
}

/** FindCoordinator (`keyType` 0: group, 1: transactional id), asked again until a live node is named. */
export async function liveCoordinator(kafka: ReferenceKafka, key: string, keyType: 0 | 1, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const connection = await connectToAnyLiveNode(kafka);
      try {
        const response = await connection.send(ApiKey.FindCoordinator, 3, { key, keyType, coordinatorKeys: [] });
        if (response.errorCode === ErrorCode.NONE && kafka.brokers.some((b) => b.id === response.nodeId && b.alive)) return response.nodeId;
        last = `${errorName(response.errorCode)} node ${response.nodeId}`;
      } finally {
        connection.close();
      }
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no live coordinator for ${keyType === 0 ? 'group' : 'transactional id'} ${key} after ${timeoutMs} ms: ${last}`);
}
