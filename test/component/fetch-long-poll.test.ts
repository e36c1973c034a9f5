// A parked Fetch is answered when what it waits for becomes visible, not when its maxWaitMs runs out (Kafka's
// `DelayedFetch` completed by `ReplicaManager` once the high watermark moves): with fsync 'always' the high
// watermark is the durable end, so the wake-up comes from the group commit's fsync; for a read_committed fetch
// the last stable offset must pass the records too, so a transactional record wakes it only once its
// transaction commits. Every fetch here waits up to 10 minutes: one woken only by its timer fails the test by
// its timeout instead.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { BrokerConnection, Producer } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { ErrorCode } from '../../src/protocol/errors/index.ts';

const PARKED_MS = 600_000;
const TEST_TIMEOUT_MS = 60_000;
const READ_UNCOMMITTED = 0;
const READ_COMMITTED = 1;

let broker: RunningBroker;

before(async () => {
  broker = await startBroker({ fsync: 'always' });
});

after(async () => {
  await broker?.close();
});

async function open(): Promise<BrokerConnection> {
  const connection = await BrokerConnection.open({ host: broker.host, port: broker.port });
  await connection.negotiateApiVersions();
  return connection;
}

async function createTopic(connection: BrokerConnection, name: string): Promise<void> {
  const created = await connection.send(ApiKey.CreateTopics, 7, { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  assert.equal(created.topics[0].errorCode, ErrorCode.NONE);
}

/** A sessionless Fetch of partition 0 from `fetchOffset` that waits for one byte for up to PARKED_MS. */
function parkedFetch(connection: BrokerConnection, topic: string, isolationLevel: number, fetchOffset: bigint) {
  return connection.send(ApiKey.Fetch, 12, {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1n },
    maxWaitMs: PARKED_MS,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, topicId: Buffer.alloc(16), partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20, replicaDirectoryId: Buffer.alloc(16) }] }],
    forgottenTopicsData: [],
    rackId: '',
  });
}

describe('Fetch long poll wake-up', () => {
  it('a parked read_uncommitted fetch is answered once the produced batch is fsynced', { timeout: TEST_TIMEOUT_MS }, async () => {
    const consumer = await open();
    const producer = new Producer({ bootstrap: broker.bootstrap, idempotent: true, acks: 'all' });
    try {
      await createTopic(consumer, 'wake-durable');
      const pending = parkedFetch(consumer, 'wake-durable', READ_UNCOMMITTED, 0n);
      await producer.send({ topic: 'wake-durable', partition: 0, value: 'durable' });
      const partition = (await pending).responses[0].partitions[0];
      assert.equal(partition.errorCode, ErrorCode.NONE);
      assert.equal(partition.highWatermark, 1n);
      assert.ok((partition.records?.length ?? 0) > 0, 'the fetch carries the record');
    } finally {
      consumer.close();
      await producer.close();
    }
  });

  it('a parked read_committed fetch waits out an open transaction and is answered by its commit', { timeout: TEST_TIMEOUT_MS }, async () => {
    const consumer = await open();
    // The parked fetch holds its connection (one request at a time, Kafka's muted channel): ask elsewhere.
    const admin = await open();
    const producer = new Producer({ bootstrap: broker.bootstrap, transactionalId: 'long-poll-txn' });
    try {
      await createTopic(admin, 'wake-commit');
      let answered = false;
      const pending = parkedFetch(consumer, 'wake-commit', READ_COMMITTED, 0n).finally(() => (answered = true));
      await producer.beginTransaction();
      // Acknowledged, hence durable: the high watermark passed the record, the last stable offset did not.
      await producer.send({ topic: 'wake-commit', partition: 0, value: 'in a transaction' });
      const uncommitted = await admin.send(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: READ_UNCOMMITTED, topics: [{ name: 'wake-commit', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }], timeoutMs: 5000 });
      assert.equal(uncommitted.topics[0].partitions[0].offset, 1n, 'the transactional record is below the high watermark');
      assert.equal(answered, false, 'an open transaction does not answer a read_committed fetch');
      await producer.commitTransaction();
      const partition = (await pending).responses[0].partitions[0];
      assert.equal(partition.errorCode, ErrorCode.NONE);
      // The record and its commit marker are both below the last stable offset now.
      assert.equal(partition.lastStableOffset, 2n);
      assert.ok((partition.records?.length ?? 0) > 0, 'the fetch carries the committed record');
      assert.deepEqual(partition.abortedTransactions, []);
    } finally {
      consumer.close();
      admin.close();
      await producer.close();
    }
  });
});
