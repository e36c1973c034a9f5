// Fetch answers of catching-up consumers are read into slabs that the broker reuses once an answer is written.
// A slab handed to another request while an answer still needed it would show up as another partition's bytes:
// here one client asks for 8 MiB of one topic and does not read its answer (so most of it waits in the broker for
// the socket) while consumers read another topic, read_uncommitted and read_committed; then the stalled client
// reads its answer. Every record everyone received is checked by content, offset by offset.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { BrokerConnection, Consumer, Producer } from '../../src/client/index.ts';
import { decodeResponseFrame, encodeRequestFrame, FrameSplitter } from '../../src/protocol/framing.ts';
import { defaultFetchRequest, defaultFetchRequestFetchPartition } from '../../src/protocol/messages/generated/01-fetch.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { iterateRecordBatches } from '../../src/protocol/records/record-batch-decoder.ts';

/** What the stalled client fetches. */
const TOPIC = 'slabs';
/** What the consumers read meanwhile. */
const OTHER_TOPIC = 'others';
const PARTITIONS = 8;
/** A little over one full (1 MiB) fetch per partition. */
const RECORDS_PER_PARTITION = 1200;
const VALUE_BYTES = 1000;
const MIB = 1024 * 1024;

let broker: RunningBroker;

before(async () => {
  broker = await startBroker();
  const [host, port] = broker.bootstrap.split(':');
  const admin = await BrokerConnection.open({ host, port: Number(port) });
  try {
    const topics = [TOPIC, OTHER_TOPIC].map((name) => ({ name, numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [] }));
    const created = await admin.send(ApiKey.CreateTopics, 7, { topics, timeoutMs: 5000, validateOnly: false });
    assert.deepEqual(created.topics.map((topic) => topic.errorCode), [0, 0]);
  } finally {
    admin.close();
  }
  // 16 KiB batches: a backed-up producer left to itself grows them toward 1 MiB, and a fetch returns whole batches.
  const producer = new Producer({ bootstrap: broker.bootstrap, lingerMs: 5, batchSize: 16384 });
  try {
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < RECORDS_PER_PARTITION; i++) {
      for (let partition = 0; partition < PARTITIONS; partition++) {
        for (const topic of [TOPIC, OTHER_TOPIC]) sends.push(producer.send({ topic, partition, value: valueOf(topic, partition, i) }));
      }
    }
    await Promise.all(sends);
  } finally {
    await producer.close();
  }
});

after(async () => {
  await broker?.close();
});

function valueOf(topic: string, partition: number, index: number): string {
  return `${topic}-${partition}-${index}-`.padEnd(VALUE_BYTES, String.fromCharCode(97 + partition));
}

function checkValues(who: string, topic: string, partition: number, values: readonly string[]): void {
  for (let index = 0; index < values.length; index++) {
    if (values[index] !== valueOf(topic, partition, index)) assert.fail(`${who}: ${topic}-${partition} offset ${index} holds ${JSON.stringify(values[index].slice(0, 24))}`);
  }
}

/** Reads a partition of OTHER_TOPIC from the start to its end; checks every value. */
async function readAll(partition: number, isolationLevel: 'read_committed' | 'read_uncommitted'): Promise<number> {
  const consumer = new Consumer({ bootstrap: broker.bootstrap, autoOffsetReset: 'earliest', fetchMaxWaitMs: 50, isolationLevel });
  const values: string[] = [];
  let firstOffset: bigint | null = null;
  try {
    consumer.assign([{ topic: OTHER_TOPIC, partition }]);
    const controller = new AbortController();
    await consumer.run({
      signal: controller.signal,
      eachBatch: (batch) => {
        for (const record of batch.records) {
          firstOffset ??= record.offset;
          values.push(record.value?.toString() ?? '');
          if (values.length >= RECORDS_PER_PARTITION) controller.abort();
        }
      },
    });
  } finally {
    await consumer.close();
  }
  assert.equal(firstOffset, 0n);
  checkValues(`${isolationLevel} consumer`, OTHER_TOPIC, partition, values);
  return values.length;
}

/** A client that sends one Fetch of every partition from offset 0 and reads nothing until `readAnswer`. */
async function stalledFetch(): Promise<{ readAnswer(): Promise<Buffer> }> {
  const [host, port] = broker.bootstrap.split(':');
  const socket: Socket = connect({ host, port: Number(port) });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.pause();
  const request = {
    ...defaultFetchRequest(),
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 64 * MIB,
    topics: [
      {
        topic: TOPIC,
        topicId: Buffer.alloc(16),
        partitions: Array.from({ length: PARTITIONS }, (_, partition) => ({ ...defaultFetchRequestFetchPartition(), partition, partitionMaxBytes: MIB })),
      },
    ],
  };
  socket.write(encodeRequestFrame(ApiKey.Fetch, 12, 1, 'stalled', request));
  return {
    readAnswer: () =>
      new Promise((resolve, reject) => {
        const splitter = new FrameSplitter(128 * MIB);
        socket.on('data', (chunk: Buffer) => {
          const [frame] = splitter.push(chunk);
          if (frame === undefined) return;
          socket.destroy();
          resolve(frame);
        });
        socket.once('error', reject);
        socket.resume();
      }),
  };
}

describe('Fetch from reused read buffers', () => {
  it('an answer waiting for a slow client keeps its bytes while other fetches read into other slabs', async () => {
    const stalled = await stalledFetch();
    // The broker charges an answer to the connection memory until the kernel has taken all of it: most of 8 MiB
    // cannot fit in the socket buffers of a client that reads nothing.
    for (let tries = 0; broker.metrics().queuedBytes < 4 * MIB; tries++) {
      assert.ok(tries < 500, `the stalled answer never waited for the socket (${broker.metrics().queuedBytes} bytes queued)`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    for (const isolation of ['read_uncommitted', 'read_committed'] as const) {
      const counts = await Promise.all(Array.from({ length: PARTITIONS }, (_, partition) => readAll(partition, isolation)));
      assert.deepEqual(counts, new Array<number>(PARTITIONS).fill(RECORDS_PER_PARTITION));
    }
    const frame = await stalled.readAnswer();
    const answer = decodeResponseFrame(ApiKey.Fetch, 12, frame).body;
    const partitions = answer.responses[0].partitions;
    assert.equal(partitions.length, PARTITIONS);
    for (const data of partitions) {
      assert.equal(data.errorCode, 0);
      const values: string[] = [];
      for (const batch of iterateRecordBatches(data.records ?? Buffer.alloc(0))) for (const record of batch.records) values.push(record.value?.toString() ?? '');
      assert.ok(values.length > 500, `partition ${data.partitionIndex}: about 1 MiB of records (${values.length})`);
      checkValues('stalled client', TOPIC, data.partitionIndex, values);
    }
    assert.ok(broker.metrics().fetchReadSlabsFree > 0, 'the answers were read into slabs that came back to the pool');
  });

  it('an answer cut before a batch too large to send holds the whole batches before it, byte for byte', async () => {
    // Batches of about 400 KB and 800 KB in turn: a 1 MiB read from the start of a small one ends inside the large
    // one after it, so the answer (the small batch) is under half its read and moves to a smaller buffer while the
    // read's buffer goes back to the pool (ReadBufferLease.trim). Readers running at once share that pool.
    const topic = 'big-batches';
    const sizes = [400, 800, 400, 800, 400, 800];
    const [host, port] = broker.bootstrap.split(':');
    const admin = await BrokerConnection.open({ host, port: Number(port) });
    try {
      const created = await admin.send(ApiKey.CreateTopics, 7, { topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
      assert.equal(created.topics[0].errorCode, 0);
    } finally {
      admin.close();
    }
    const producer = new Producer({ bootstrap: broker.bootstrap, lingerMs: 60_000, batchSize: 900_000 });
    let index = 0;
    try {
      for (const size of sizes) {
        const sends: Promise<unknown>[] = [];
        for (let i = 0; i < size; i++) sends.push(producer.send({ topic, partition: 0, value: valueOf(topic, 0, index++) }));
        await producer.flush();
        await Promise.all(sends);
      }
    } finally {
      await producer.close();
    }
    const total = index;
    const fetchFrom = async (offset: bigint): Promise<string[]> => {
      const connection = await BrokerConnection.open({ host, port: Number(port) });
      try {
        const request = { ...defaultFetchRequest(), maxWaitMs: 0, minBytes: 1, maxBytes: 64 * MIB, topics: [{ topic, topicId: Buffer.alloc(16), partitions: [{ ...defaultFetchRequestFetchPartition(), partition: 0, fetchOffset: offset, partitionMaxBytes: MIB }] }] };
        const answer = await connection.send(ApiKey.Fetch, 12, request);
        const data = answer.responses[0].partitions[0];
        assert.equal(data.errorCode, 0);
        const values: string[] = [];
        for (const batch of iterateRecordBatches(data.records ?? Buffer.alloc(0))) for (const record of batch.records) values.push(record.value?.toString() ?? '');
        return values;
      } finally {
        connection.close();
      }
    };
    const readers = Array.from({ length: 4 }, async () => {
      const values: string[] = [];
      while (values.length < total) {
        const got = await fetchFrom(BigInt(values.length));
        assert.ok(got.length > 0, `a fetch at ${values.length} returned nothing`);
        values.push(...got);
      }
      return values;
    });
    for (const values of await Promise.all(readers)) {
      assert.equal(values.length, total);
      checkValues('reader', topic, 0, values);
    }
    assert.deepEqual((await fetchFrom(0n)).length, sizes[0], 'an answer from a small batch holds that batch alone: the large one after it does not fit');
  });
});
