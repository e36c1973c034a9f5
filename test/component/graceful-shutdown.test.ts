// A clean shutdown answers the requests it already read: batches appended but not yet acknowledged when close()
// begins are acknowledged before the connection closes (Kafka's controlled shutdown does the same). Otherwise a
// producer would retry them after the restart, against a producer state that remembers only each producer's last
// batch, and could store them twice.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../../src/broker/index.ts';
import { BrokerConnection } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { encodeRecordBatch } from '../../src/protocol/records/index.ts';
import { instrumentedFileSystem } from '../../src/broker/log/test-support.ts';

it('close() acknowledges every produce request already read, then closes', async () => {
  // A slow disk keeps the five batches appended but unacknowledged (waiting for their fsync) when close() begins.
  const fs = instrumentedFileSystem();
  const broker = await startBroker({ fs });
  const connection = await BrokerConnection.open({ host: '127.0.0.1', port: broker.port });
  await connection.send(ApiKey.CreateTopics, 7, { topics: [{ name: 'drain', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
  const init = await connection.send(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
  const inFlight = Array.from({ length: 5 }, (_, i) =>
    connection.send(ApiKey.Produce, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: 'drain', partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ key: null, value: Buffer.from(`r${i}`), timestamp: BigInt(Date.now()) }], producerId: init.producerId, producerEpoch: 0, baseSequence: i }) }] }],
    }),
  );
  fs.beforeFsync = () => new Promise((resolve) => setTimeout(resolve, 300));
  // Give the broker time to read and append all five; their fsync is still running when close() begins.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const closing = broker.close();
  const answers = await Promise.all(inFlight);
  await closing;
  assert.deepEqual(
    answers.map((answer) => answer.responses[0].partitionResponses[0].errorCode),
    [0, 0, 0, 0, 0],
  );
  assert.deepEqual(
    answers.map((answer) => answer.responses[0].partitionResponses[0].baseOffset),
    [0n, 1n, 2n, 3n, 4n],
  );
});
