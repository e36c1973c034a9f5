// What one client may make the broker do or hold: admin requests past Kafka's 10,000-partition limit, Fetch
// answers (repeated partitions, `fetch.max.bytes`), a client that never reads (muted connection), idle and
// half-sent connections (`connections.max.idle.ms`, `socket.request.receive.timeout.ms`) and the broker-wide
// bound on queued bytes (`queued.max.request.bytes`). Each test sends raw frames over real sockets.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { BrokerConnection } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import type { FetchRequest } from '../../src/protocol/messages/generated/01-fetch.ts';
import { ErrorCode } from '../../src/protocol/errors/index.ts';
import { encodeRequestFrame } from '../../src/protocol/framing.ts';
import { encodeRecordBatch, iterateRecordBatches } from '../../src/protocol/records/index.ts';

const INT32_MAX = 2 ** 31 - 1;
const KiB = 1024;
const MiB = 1024 * KiB;

function address(broker: RunningBroker): { host: string; port: number } {
  return { host: '127.0.0.1', port: broker.port };
}

async function createTopic(connection: BrokerConnection, name: string, numPartitions: number) {
  const answer = await connection.send(ApiKey.CreateTopics, 7, {
    topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 30000,
    validateOnly: false,
  });
  return answer.topics[0];
}

/** Fills partition 0 of `topic` with `batches` batches of `recordsPerBatch` 64 KiB records. */
async function fill(connection: BrokerConnection, topic: string, batches: number, recordsPerBatch = 1): Promise<void> {
  for (let i = 0; i < batches; i++) {
    const records = Array.from({ length: recordsPerBatch }, () => ({ key: null, value: Buffer.alloc(64 * KiB, 0x61 + (i % 26)), timestamp: BigInt(Date.now()) }));
    const answer = await connection.send(ApiKey.Produce, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 30000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records: encodeRecordBatch({ records }) }] }],
    });
    assert.equal(answer.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE);
  }
}

function fetchBody(topic: string, repeats: number, maxBytes: number, partitionMaxBytes: number): FetchRequest {
  return {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1n },
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        topicId: Buffer.alloc(16),
        partitions: Array.from({ length: repeats }, () => ({
          partition: 0,
          currentLeaderEpoch: -1,
          fetchOffset: 0n,
          lastFetchedEpoch: -1,
          logStartOffset: -1n,
          partitionMaxBytes,
          replicaDirectoryId: Buffer.alloc(16),
        })),
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  };
}

function openRaw(broker: RunningBroker): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(broker.port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    socket.once('close', () => resolve());
  });
}

async function waitFor(condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('admin requests past 10,000 partitions', () => {
  let broker: RunningBroker;
  before(async () => {
    broker = await startBroker();
  });
  after(() => broker.close());

  it('answers a 45-byte CreateTopics for 2^31-1 partitions with POLICY_VIOLATION while another client is served', async () => {
    const attacker = await BrokerConnection.open(address(broker));
    const other = await BrokerConnection.open(address(broker));
    try {
      const huge = createTopic(attacker, 'huge', INT32_MAX);
      // Sent while the CreateTopics is in the broker: the loop must not be held.
      const metadata = await other.send(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      assert.equal(metadata.brokers.length, 1);
      const result = await huge;
      assert.equal(result.errorCode, ErrorCode.POLICY_VIOLATION);
      assert.equal(result.errorMessage, 'Excessively large number of partitions per request.');
      assert.equal((await createTopic(attacker, 'huge', 1)).errorCode, ErrorCode.NONE, 'nothing was created under the name');
    } finally {
      attacker.close();
      other.close();
    }
  });

  it('allows one topic of 9,999 partitions per request but not 10,000 (one metadata record per topic and partition)', async () => {
    const connection = await BrokerConnection.open(address(broker));
    try {
      const validate = (numPartitions: number) =>
        connection.send(ApiKey.CreateTopics, 7, {
          topics: [{ name: 'limit', numPartitions, replicationFactor: 1, assignments: [], configs: [] }],
          timeoutMs: 30000,
          validateOnly: true,
        });
      assert.equal((await validate(9_999)).topics[0].errorCode, ErrorCode.NONE);
      const over = (await validate(10_000)).topics[0];
      assert.equal(over.errorCode, ErrorCode.POLICY_VIOLATION);
      assert.equal(over.errorMessage, 'Unable to perform excessively large batch operation.');
    } finally {
      connection.close();
    }
  });

  it('answers CreatePartitions to 2^31-1 with POLICY_VIOLATION and leaves the topic as it was', async () => {
    const connection = await BrokerConnection.open(address(broker));
    try {
      await createTopic(connection, 'grow', 1);
      const answer = await connection.send(ApiKey.CreatePartitions, 3, { topics: [{ name: 'grow', count: INT32_MAX, assignments: null }], timeoutMs: 30000, validateOnly: false });
      assert.equal(answer.results[0].errorCode, ErrorCode.POLICY_VIOLATION);
      const grown = await connection.send(ApiKey.CreatePartitions, 3, { topics: [{ name: 'grow', count: 10_001, assignments: null }], timeoutMs: 30000, validateOnly: true });
      assert.equal(grown.results[0].errorCode, ErrorCode.NONE, '10,000 new partitions are within the limit');
    } finally {
      connection.close();
    }
  });
});

describe('Fetch answers', () => {
  let broker: RunningBroker;
  before(async () => {
    broker = await startBroker({ fetchMaxBytes: 256 * KiB });
    const connection = await BrokerConnection.open(address(broker));
    await createTopic(connection, 'big', 1);
    await fill(connection, 'big', 16);
    connection.close();
  });
  after(() => broker.close());

  it('reads a partition named 256 times once', async () => {
    const connection = await BrokerConnection.open(address(broker));
    try {
      const answer = await connection.send(ApiKey.Fetch, 12, fetchBody('big', 256, INT32_MAX, 64 * MiB));
      assert.equal(answer.responses.length, 1);
      assert.equal(answer.responses[0].partitions.length, 1);
    } finally {
      connection.close();
    }
  });

  it('caps an answer at fetch.max.bytes whatever the request asks, keeping whole batches', async () => {
    const connection = await BrokerConnection.open(address(broker));
    try {
      const answer = await connection.send(ApiKey.Fetch, 12, fetchBody('big', 1, INT32_MAX, INT32_MAX));
      const records = answer.responses[0].partitions[0].records ?? Buffer.alloc(0);
      assert.ok(records.length > 0 && records.length <= 256 * KiB, `${records.length} bytes`);
      // Batches of a little over 64 KiB: three fit in 256 KiB, a fourth would not.
      assert.equal([...iterateRecordBatches(records)].length, 3);
    } finally {
      connection.close();
    }
  });

  it('still returns a first batch larger than every limit (KIP-74)', async () => {
    const connection = await BrokerConnection.open(address(broker));
    try {
      await createTopic(connection, 'one-big-batch', 1);
      await fill(connection, 'one-big-batch', 1, 8); // one 512 KiB batch, over fetch.max.bytes
      const answer = await connection.send(ApiKey.Fetch, 12, fetchBody('one-big-batch', 1, 1, 1));
      const batches = [...iterateRecordBatches(answer.responses[0].partitions[0].records ?? Buffer.alloc(0))];
      assert.equal(batches.length, 1);
      assert.equal(batches[0].records.length, 8);
    } finally {
      connection.close();
    }
  });

  it('holds one answer for a client that sends 64 Fetch requests and reads none (muted connection)', async () => {
    const socket = await openRaw(broker);
    socket.pause();
    try {
      for (let i = 0; i < 64; i++) socket.write(encodeRequestFrame(ApiKey.Fetch, 12, i, 'never-reads', fetchBody('big', 1, INT32_MAX, INT32_MAX)));
      await new Promise((resolve) => setTimeout(resolve, 1000));
      // One 256 KiB answer at a time, whatever the socket buffers took; unmuted it would be 64 answers (16 MiB).
      assert.ok(broker.metrics().peakQueuedBytes < 2 * MiB, `peak queued ${broker.metrics().peakQueuedBytes}`);
    } finally {
      socket.destroy();
    }
  });
});

describe('idle and half-sent connections', () => {
  let broker: RunningBroker;
  before(async () => {
    broker = await startBroker({ connectionsMaxIdleMs: 300, socketRequestReceiveTimeoutMs: 60_000 });
  });
  after(() => broker.close());

  it('closes a connection idle for connections.max.idle.ms', async () => {
    const socket = await openRaw(broker);
    await closed(socket);
    assert.equal(socket.destroyed, true);
  });

  it('closes a connection holding a half-sent frame once it is idle', async () => {
    const socket = await openRaw(broker);
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(10 * MiB);
    socket.write(prefix);
    socket.write(Buffer.alloc(MiB));
    await waitFor(() => broker.metrics().queuedBytes >= MiB, 2000);
    await closed(socket);
    await waitFor(() => broker.metrics().queuedBytes === 0, 2000);
    assert.equal(broker.metrics().queuedBytes, 0, 'the half frame is released');
  });

  it('keeps a connection that is used', async () => {
    const connection = await BrokerConnection.open(address(broker));
    try {
      for (let i = 0; i < 8; i++) {
        await connection.send(ApiKey.ApiVersions, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(connection.closed, false);
    } finally {
      connection.close();
    }
  });
});

describe('a frame that keeps arriving slowly', () => {
  let broker: RunningBroker;
  before(async () => {
    broker = await startBroker({ connectionsMaxIdleMs: 600_000, socketRequestReceiveTimeoutMs: 300 });
  });
  after(() => broker.close());

  it('is cut off after socket.request.receive.timeout.ms even though bytes keep coming', async () => {
    const socket = await openRaw(broker);
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(MiB);
    socket.write(prefix);
    const drip = setInterval(() => socket.write(Buffer.alloc(16)), 50);
    try {
      await closed(socket);
    } finally {
      clearInterval(drip);
    }
    assert.equal(socket.destroyed, true);
  });
});

describe('queued.max.request.bytes', () => {
  let broker: RunningBroker;
  before(async () => {
    broker = await startBroker({ queuedMaxRequestBytes: 8 * MiB, socketRequestReceiveTimeoutMs: 1000 });
  });
  after(() => broker.close());

  it('stops reading half-sent frames past the bound and still answers a well-behaved client', async () => {
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 32; i++) {
        const socket = await openRaw(broker);
        socket.on('error', () => undefined);
        const prefix = Buffer.alloc(4);
        prefix.writeInt32BE(50 * MiB);
        socket.write(prefix);
        socket.write(Buffer.alloc(2 * MiB));
        sockets.push(socket);
      }
      await waitFor(() => broker.metrics().queuedBytes >= 8 * MiB, 3000);
      const connection = await BrokerConnection.open(address(broker));
      const answer = await connection.send(ApiKey.ApiVersions, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
      connection.close();
      assert.equal(answer.errorCode, ErrorCode.NONE);
      // 64 MiB were sent; the broker holds the bound plus at most one read (64 KiB) per connection over it.
      const peak = broker.metrics().peakQueuedBytes;
      assert.ok(peak >= 8 * MiB, `peak ${peak}`);
      assert.ok(peak <= 8 * MiB + 33 * 128 * KiB, `peak ${peak}`);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
    // A paused socket does not see its peer leave until it reads again; the receive timeout closes it.
    await waitFor(() => broker.metrics().queuedBytes === 0, 5000);
    assert.equal(broker.metrics().queuedBytes, 0, 'closed connections release what they held');
  });
});
