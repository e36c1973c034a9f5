// The broker reads Produce requests into memory it uses again for later requests (request slabs). These tests drive
// the cases where a request's bytes are still needed after the next requests have been read — appends queued
// behind a KIP-890 implicit add, retries answered from producer state, several producers at once — and read the
// log back record by record: a slab handed out again too early would store another request's bytes in place of a
// batch (or fail its append).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { BrokerConnection } from '../../src/client/index.ts';
import { ErrorCode, errorName } from '../../src/protocol/errors/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { encodeRecordBatch, iterateRecordBatches } from '../../src/protocol/records/index.ts';
import { encodeRequestFrame } from '../../src/protocol/framing.ts';

const RECORD_BYTES = 8 * 1024;
/** 75 records of 8 KiB: about 600 KiB per batch, so three requests fill most of a 2 MiB slab. */
const RECORDS_PER_BATCH = 75;

/** The value of record `index` of a partition: its own bytes, so any misplaced record is noticed. */
function valueOf(tag: number, index: number): Buffer {
  const value = Buffer.alloc(RECORD_BYTES, (tag * 31 + index) % 251);
  value.writeUInt32BE(tag, 0);
  value.writeUInt32BE(index, 4);
  return value;
}

function batchOf(tag: number, first: number, producer: { producerId: bigint; producerEpoch: number }, isTransactional = false): Buffer {
  return encodeRecordBatch({
    producerId: producer.producerId,
    producerEpoch: producer.producerEpoch,
    baseSequence: first,
    isTransactional,
    records: Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({ key: null, value: valueOf(tag, first + i), timestamp: 1_000n })),
  });
}

let broker: RunningBroker;
let connection: BrokerConnection;

async function createTopic(name: string): Promise<void> {
  const created = await connection.send(ApiKey.CreateTopics, 5, {
    topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 30_000,
    validateOnly: false,
  });
  assert.equal(errorName(created.topics[0].errorCode), 'NONE');
}

async function idempotentProducer(): Promise<{ producerId: bigint; producerEpoch: number }> {
  const init = await connection.send(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
  assert.equal(init.errorCode, ErrorCode.NONE);
  return init;
}

function produce(on: BrokerConnection, topic: string, records: Buffer, transactionalId: string | null = null) {
  return on.send(ApiKey.Produce, 12, { transactionalId, acks: -1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] }, records.length + 256);
}

/** Every record value of partition 0 of `topic`, in offset order (uncommitted transactional records included). */
async function readAll(topic: string): Promise<Buffer[]> {
  const values: Buffer[] = [];
  for (let offset = 0n; ; ) {
    const answer = await connection.send(ApiKey.Fetch, 12, {
      clusterId: null,
      replicaId: -1,
      replicaState: { replicaId: -1, replicaEpoch: -1n },
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 64 * 1024 * 1024,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic, topicId: Buffer.alloc(16), partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 64 * 1024 * 1024, replicaDirectoryId: Buffer.alloc(16) }] }],
      forgottenTopicsData: [],
      rackId: '',
    });
    const partition = answer.responses[0].partitions[0];
    assert.equal(errorName(partition.errorCode), 'NONE');
    let read = 0;
    for (const batch of iterateRecordBatches(partition.records ?? Buffer.alloc(0), { verifyCrc: true })) {
      if (batch.isControl) {
        offset = batch.baseOffset + 1n;
        continue;
      }
      for (const record of batch.records) {
        values.push(Buffer.from(record.value ?? Buffer.alloc(0)));
        offset = batch.baseOffset + BigInt(record.offsetDelta) + 1n;
        read++;
      }
    }
    if (offset >= partition.highWatermark) return values;
    assert.ok(read > 0 || (partition.records?.length ?? 0) > 0, `fetch at ${offset} made no progress`);
  }
}

function assertRecords(values: Buffer[], tag: number, count: number): void {
  assert.equal(values.length, count, 'record count');
  for (let i = 0; i < count; i++) assert.ok(values[i].equals(valueOf(tag, i)), `record ${i} holds the bytes sent for it`);
}

before(async () => {
  broker = await startBroker();
  connection = await BrokerConnection.open({ host: broker.host, port: broker.port });
});
after(async () => {
  connection?.close();
  await broker?.close();
});

describe('request memory reuse', () => {
  it('appends queued behind an implicit add keep their bytes while the connection reads on', async () => {
    await createTopic('reuse-txn');
    await createTopic('reuse-plain');
    const txn = await connection.send(ApiKey.InitProducerId, 5, { transactionalId: 'reuse-txn-id', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    assert.equal(txn.errorCode, ErrorCode.NONE);
    const plain = await idempotentProducer();
    // Sent back to back on one connection: the first transactional batch waits for the coordinator to add the
    // partition, the next two queue behind it, and the plain batches after them are read (into request memory)
    // and appended while the queued ones still wait.
    const sends = [
      ...[0, 1, 2].map((k) => produce(connection, 'reuse-txn', batchOf(1, k * RECORDS_PER_BATCH, txn, true), 'reuse-txn-id')),
      ...[0, 1, 2, 3, 4].map((k) => produce(connection, 'reuse-plain', batchOf(2, k * RECORDS_PER_BATCH, plain))),
    ];
    const answers = (await Promise.all(sends)).map((answer) => answer.responses[0].partitionResponses[0]);
    assert.deepEqual(answers.map((a) => errorName(a.errorCode)), Array(8).fill('NONE'));
    assert.deepEqual(answers.map((a) => a.baseOffset), [0n, 75n, 150n, 0n, 75n, 150n, 225n, 300n]);
    const ended = await connection.send(ApiKey.EndTxn, 5, { transactionalId: 'reuse-txn-id', producerId: txn.producerId, producerEpoch: txn.producerEpoch, committed: true });
    assert.equal(ended.errorCode, ErrorCode.NONE);
    assertRecords(await readAll('reuse-txn'), 1, 3 * RECORDS_PER_BATCH);
    assertRecords(await readAll('reuse-plain'), 2, 5 * RECORDS_PER_BATCH);
  });

  it('answers a retried batch from producer state after its request memory held other requests', async () => {
    await createTopic('reuse-retry');
    const producer = await idempotentProducer();
    const batches = Array.from({ length: 12 }, (_, k) => batchOf(3, k * RECORDS_PER_BATCH, producer));
    const first = await Promise.all(batches.slice(0, 8).map((batch) => produce(connection, 'reuse-retry', batch)));
    assert.deepEqual(first.map((a) => errorName(a.responses[0].partitionResponses[0].errorCode)), Array(8).fill('NONE'));
    // A retry of the 7th batch (still among the producer's last five) is a duplicate: same offsets, nothing stored.
    const retried = (await produce(connection, 'reuse-retry', batchOf(3, 6 * RECORDS_PER_BATCH, producer))).responses[0].partitionResponses[0];
    assert.deepEqual([errorName(retried.errorCode), retried.baseOffset], ['NONE', 450n]);
    const rest = await Promise.all(batches.slice(8).map((batch) => produce(connection, 'reuse-retry', batch)));
    assert.deepEqual(rest.map((a) => a.responses[0].partitionResponses[0].baseOffset), [600n, 675n, 750n, 825n]);
    assertRecords(await readAll('reuse-retry'), 3, 12 * RECORDS_PER_BATCH);
  });

  it('closes only the connection of a Produce frame cut short inside its batch, and stores nothing from it', async () => {
    await createTopic('reuse-cut');
    const producer = await idempotentProducer();
    const whole = encodeRequestFrame(ApiKey.Produce, 12, 1, 'cut', {
      transactionalId: null,
      acks: -1,
      timeoutMs: 30_000,
      topicData: [{ name: 'reuse-cut', partitionData: [{ index: 0, records: batchOf(4, 0, producer) }] }],
    });
    // The size prefix ends the frame 200,000 bytes before its batch does: decoding fails on the frame's bytes where
    // they were read (in a request slab), and that connection alone is closed.
    const cut = whole.subarray(0, whole.length - 200_000);
    cut.writeInt32BE(cut.length - 4, 0);
    const bad = connect({ host: broker.host, port: broker.port });
    await new Promise((resolve) => bad.once('connect', resolve));
    const closed = new Promise((resolve) => bad.once('close', resolve));
    bad.write(cut);
    const good = produce(connection, 'reuse-cut', batchOf(4, 0, producer));
    await closed;
    assert.equal(errorName((await good).responses[0].partitionResponses[0].errorCode), 'NONE');
    assertRecords(await readAll('reuse-cut'), 4, RECORDS_PER_BATCH);
  });

  it('keeps each of several concurrent producers’ batches apart', async () => {
    const producers = 4;
    const connections = await Promise.all(Array.from({ length: producers }, () => BrokerConnection.open({ host: broker.host, port: broker.port })));
    try {
      for (let p = 0; p < producers; p++) await createTopic(`reuse-many-${p}`);
      const ids = await Promise.all(Array.from({ length: producers }, () => idempotentProducer()));
      await Promise.all(
        connections.map(async (on, p) => {
          // Two requests in flight per connection, as a producer under load keeps them.
          for (let k = 0; k < 10; k += 2) {
            const answers = await Promise.all([k, k + 1].map((j) => produce(on, `reuse-many-${p}`, batchOf(10 + p, j * RECORDS_PER_BATCH, ids[p]))));
            for (const answer of answers) assert.equal(errorName(answer.responses[0].partitionResponses[0].errorCode), 'NONE');
          }
        }),
      );
      for (let p = 0; p < producers; p++) assertRecords(await readAll(`reuse-many-${p}`), 10 + p, 10 * RECORDS_PER_BATCH);
    } finally {
      for (const on of connections) on.close();
    }
  });
});
