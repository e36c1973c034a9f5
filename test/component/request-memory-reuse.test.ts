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
import { makeCertificates } from '../security/certificates.ts';
import { ErrorCode, errorName } from '../../src/protocol/errors/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { CompressionType, TimestampType, encodeRecordBatch, iterateRecordBatches, type DecodedRecordBatch } from '../../src/protocol/records/index.ts';
import { decodeResponseFrame, encodeRequestFrame } from '../../src/protocol/framing.ts';

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

/** Distinct bytes that gzip cannot shrink (xorshift), tagged with their stream and index. */
function noiseOf(tag: number, index: number, size: number): Buffer {
  const value = Buffer.allocUnsafe(size);
  let x = (Math.imul(tag + 1, 2654435761) ^ Math.imul(index + 1, 40503)) >>> 0 || 1;
  for (let i = 0; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    value.writeUInt32BE(x, i);
  }
  value.writeUInt32BE(tag, 0);
  value.writeUInt32BE(index, 4);
  return value;
}

/** Batch `k` of stream `tag`: its own record count and sizes, from a few bytes to about 180 KiB. */
function streamBatch(tag: number, k: number, first: number, producer: { producerId: bigint; producerEpoch: number }, compression: number, isTransactional = false) {
  const count = 1 + ((tag * 7 + k * 13) % 24);
  const size = 64 + ((tag * 131 + k * 71) % 8) * 1024;
  const values = Array.from({ length: count }, (_, i) => noiseOf(tag, first + i, size));
  const batch = encodeRecordBatch({
    producerId: producer.producerId,
    producerEpoch: producer.producerEpoch,
    baseSequence: first,
    isTransactional,
    compression: compression as (typeof CompressionType)[keyof typeof CompressionType],
    records: values.map((value) => ({ key: null, value, timestamp: 1_000n })),
  });
  return { batch, values };
}

function tagOf(value: Buffer): number {
  return value.readUInt32BE(0);
}

/** A raw socket to the broker, connected. */
async function rawSocket() {
  const socket = connect({ host: broker.host, port: broker.port });
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  return socket;
}

/** Waits (10 s at most) for `condition`; fails with `describe()` when it never holds. */
async function until(condition: () => boolean, describe: () => string): Promise<void> {
  for (const deadline = Date.now() + 10_000; !condition(); ) {
    assert.ok(Date.now() < deadline, `condition never held: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

let broker: RunningBroker;
let connection: BrokerConnection;

async function createTopic(name: string, numPartitions = 1, configs: { name: string; value: string }[] = []): Promise<void> {
  const created = await connection.send(ApiKey.CreateTopics, 5, {
    topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs }],
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

function produce(on: BrokerConnection, topic: string, records: Buffer, transactionalId: string | null = null, partition = 0) {
  return on.send(ApiKey.Produce, 12, { transactionalId, acks: -1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
}

/** Every record value of partition 0 of `topic`, in offset order (uncommitted transactional records included). */
async function readAll(topic: string): Promise<Buffer[]> {
  const values: Buffer[] = [];
  for (const batch of await readBatches(topic)) {
    if (batch.isControl) continue;
    for (const record of batch.records) values.push(Buffer.from(record.value ?? Buffer.alloc(0)));
  }
  return values;
}

/** Every batch of a partition of `topic` up to its high watermark, CRCs checked (control batches included). */
async function readBatches(topic: string, partitionIndex = 0): Promise<DecodedRecordBatch[]> {
  const batches: DecodedRecordBatch[] = [];
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
      topics: [{ topic, topicId: Buffer.alloc(16), partitions: [{ partition: partitionIndex, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 64 * 1024 * 1024, replicaDirectoryId: Buffer.alloc(16) }] }],
      forgottenTopicsData: [],
      rackId: '',
    });
    const partition = answer.responses[0].partitions[0];
    assert.equal(errorName(partition.errorCode), 'NONE');
    let read = 0;
    for (const batch of iterateRecordBatches(partition.records ?? Buffer.alloc(0), { verifyCrc: true })) {
      batches.push(batch);
      offset = batch.lastOffset + 1n;
      read++;
    }
    if (offset >= partition.highWatermark) return batches;
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

  it('keeps the batches of 40 pipelining connections apart on a gzip, LogAppendTime topic', async () => {
    // More connections than request slabs (each connection's reader keeps one): some frames go to buffers of
    // their own. Frames below and above the direct-read size, gzip and plain, several in flight per connection,
    // an ApiVersions request (copied out of the slab) between them; the log stamps LogAppendTime in place.
    const streams = 40;
    const perStream = 5;
    await createTopic('reuse-lat', streams, [
      { name: 'message.timestamp.type', value: 'LogAppendTime' },
      { name: 'compression.type', value: 'gzip' },
    ]);
    const connections = await Promise.all(Array.from({ length: streams }, () => BrokerConnection.open({ host: broker.host, port: broker.port })));
    try {
      const ids = await Promise.all(Array.from({ length: streams }, () => idempotentProducer()));
      const sent = await Promise.all(
        connections.map(async (on, p) => {
          const batches: { values: Buffer[]; compression: number }[] = [];
          const sends: Promise<{ baseOffset: bigint; logAppendTimeMs: bigint; errorCode: number }>[] = [];
          let first = 0;
          for (let k = 0; k < perStream; k++) {
            const compression = k % 2 === 0 ? CompressionType.gzip : CompressionType.none;
            const { batch, values } = streamBatch(100 + p, k, first, ids[p], compression);
            first += values.length;
            batches.push({ values, compression });
            sends.push(produce(on, 'reuse-lat', batch, null, p).then((answer) => answer.responses[0].partitionResponses[0]));
            if (k === 2) sends.push(on.send(ApiKey.ApiVersions, 3, { clientSoftwareName: 'reuse', clientSoftwareVersion: '1' }).then((a) => ({ baseOffset: -2n, logAppendTimeMs: -2n, errorCode: a.errorCode })));
          }
          const answers = (await Promise.all(sends)).filter((answer) => answer.baseOffset !== -2n || answer.errorCode !== ErrorCode.NONE);
          return { batches, answers };
        }),
      );
      for (let p = 0; p < streams; p++) {
        const { batches, answers } = sent[p];
        assert.deepEqual(answers.map((a) => errorName(a.errorCode)), Array(perStream).fill('NONE'), `stream ${p}`);
        const stored = await readBatches('reuse-lat', p);
        assert.equal(stored.length, perStream, `stream ${p} batch count`);
        for (let k = 0; k < perStream; k++) {
          const batch = stored[k];
          assert.equal(batch.baseOffset, answers[k].baseOffset, `stream ${p} batch ${k} offset`);
          assert.equal(batch.compression, batches[k].compression, `stream ${p} batch ${k} codec`);
          assert.equal(batch.timestampType, TimestampType.logAppendTime, `stream ${p} batch ${k} timestamp type`);
          assert.equal(batch.maxTimestamp, answers[k].logAppendTimeMs, `stream ${p} batch ${k} append time`);
          assert.equal(batch.records.length, batches[k].values.length, `stream ${p} batch ${k} record count`);
          batch.records.forEach((record, i) => assert.ok(Buffer.from(record.value ?? Buffer.alloc(0)).equals(batches[k].values[i]), `stream ${p} batch ${k} record ${i}`));
        }
      }
    } finally {
      for (const on of connections) on.close();
    }
  });

  it('keeps TV2 transactional batches queued behind implicit adds on several connections, with plain batches queued among them', async () => {
    // Every batch goes to one partition: each transactional producer's batches wait for the coordinator to add the
    // partition, and the plain batches of other connections queue behind them (`PartitionLog.enqueueAppend`),
    // while every connection goes on reading requests into request memory.
    await createTopic('reuse-tv2');
    const transactional = 4;
    const plainProducers = 3;
    const perProducer = 4;
    const connections = await Promise.all(Array.from({ length: transactional + plainProducers }, () => BrokerConnection.open({ host: broker.host, port: broker.port })));
    try {
      const ids = await Promise.all(
        connections.map(async (_, p) => {
          if (p >= transactional) return idempotentProducer();
          const init = await connection.send(ApiKey.InitProducerId, 5, { transactionalId: `reuse-tv2-${p}`, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
          assert.equal(init.errorCode, ErrorCode.NONE);
          return init;
        }),
      );
      const expected = new Map<number, Buffer[]>();
      const answers = await Promise.all(
        connections.map(async (on, p) => {
          const isTxn = p < transactional;
          const tag = 200 + p;
          const values: Buffer[] = [];
          const sends = [];
          for (let k = 0; k < perProducer; k++) {
            const { batch, values: batchValues } = streamBatch(tag, k, values.length, ids[p], k === 1 ? CompressionType.gzip : CompressionType.none, isTxn);
            values.push(...batchValues);
            sends.push(produce(on, 'reuse-tv2', batch, isTxn ? `reuse-tv2-${p}` : null));
          }
          expected.set(tag, values);
          return (await Promise.all(sends)).map((answer) => answer.responses[0].partitionResponses[0]);
        }),
      );
      for (const [p, perConnection] of answers.entries()) assert.deepEqual(perConnection.map((a) => errorName(a.errorCode)), Array(perProducer).fill('NONE'), `producer ${p}`);
      for (let p = 0; p < transactional; p++) {
        const ended = await connection.send(ApiKey.EndTxn, 5, { transactionalId: `reuse-tv2-${p}`, producerId: ids[p].producerId, producerEpoch: ids[p].producerEpoch, committed: true });
        assert.equal(ended.errorCode, ErrorCode.NONE);
      }
      const byTag = new Map<number, Buffer[]>();
      for (const value of await readAll('reuse-tv2')) {
        const list = byTag.get(tagOf(value)) ?? [];
        list.push(value);
        byTag.set(tagOf(value), list);
      }
      assert.deepEqual([...byTag.keys()].sort(), [...expected.keys()].sort(), 'only the producers’ own records are stored');
      for (const [tag, values] of expected) {
        const stored = byTag.get(tag) ?? [];
        assert.equal(stored.length, values.length, `producer ${tag} record count`);
        values.forEach((value, i) => assert.ok(stored[i].equals(value), `producer ${tag} record ${i}`));
      }
      const offsets = answers.flat().map((a) => a.baseOffset);
      assert.equal(new Set(offsets).size, offsets.length, 'every batch has offsets of its own');
    } finally {
      for (const on of connections) on.close();
    }
  });

  it('stores nothing of frames whose connections die mid-frame, and keeps the other producers’ bytes intact', async () => {
    // 36 connections each send most of a 1.3 MiB Produce frame (a slab each until the pool is used up, with a
    // socket read still aimed into it), 4 declare 100 MiB frames and send 100 KiB; all are killed while three
    // producers pipeline batches, and again after a second wave, so the memory they held is handed out again.
    await createTopic('reuse-killed', 3);
    await createTopic('reuse-killed-hostile');
    const hostileProducer = await idempotentProducer();
    const hostileFrame = (n: number) => {
      const values = Array.from({ length: 160 }, (_, i) => noiseOf(999, n * 1000 + i, 8 * 1024));
      const records = encodeRecordBatch({ producerId: hostileProducer.producerId, producerEpoch: hostileProducer.producerEpoch, baseSequence: 0, records: values.map((value) => ({ key: null, value, timestamp: 1_000n })) });
      return encodeRequestFrame(ApiKey.Produce, 12, 1, 'hostile', { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: 'reuse-killed-hostile', partitionData: [{ index: 0, records }] }] });
    };
    const hostileWave = async (base: number) => {
      const sockets = await Promise.all(Array.from({ length: 40 }, () => rawSocket()));
      await Promise.all(
        sockets.map(
          (socket, i) =>
            new Promise((resolve) => {
              if (i < 36) {
                const frame = hostileFrame(base + i);
                socket.write(frame.subarray(0, 700_000 + i * 10_000), resolve);
              } else {
                const prefix = Buffer.alloc(4);
                prefix.writeInt32BE(100 * 1024 * 1024, 0);
                socket.write(Buffer.concat([prefix, noiseOf(998, base + i, 100 * 1024)]), resolve);
              }
            }),
        ),
      );
      return sockets;
    };
    const connections = await Promise.all(Array.from({ length: 3 }, () => BrokerConnection.open({ host: broker.host, port: broker.port })));
    try {
      const ids = await Promise.all(connections.map(() => idempotentProducer()));
      const expected: Buffer[][] = [[], [], []];
      const produceRound = (round: number) =>
        Promise.all(
          connections.map(async (on, p) => {
            const sends = [];
            for (let k = 0; k < 4; k++) {
              const { batch, values } = streamBatch(300 + p, round * 4 + k, expected[p].length, ids[p], k === 3 ? CompressionType.gzip : CompressionType.none);
              expected[p].push(...values);
              sends.push(produce(on, 'reuse-killed', batch, null, p));
            }
            for (const answer of await Promise.all(sends)) assert.equal(errorName(answer.responses[0].partitionResponses[0].errorCode), 'NONE');
          }),
        );
      const first = await hostileWave(0);
      const during = produceRound(0);
      for (const socket of first) socket.destroy();
      await during;
      const second = await hostileWave(100);
      await produceRound(1);
      const killedSecond = Promise.all(second.map((socket) => new Promise((resolve) => socket.once('close', resolve))));
      for (const socket of second) socket.destroy();
      await killedSecond;
      await produceRound(2);
      // The killed connections are gone and gave back what they held against the memory budget.
      await until(() => broker.metrics().connections === 1 + connections.length && broker.metrics().queuedBytes === 0, () => JSON.stringify(broker.metrics()));
      for (let p = 0; p < 3; p++) {
        const stored = await readBatches('reuse-killed', p);
        const values = stored.flatMap((batch) => batch.records.map((record) => Buffer.from(record.value ?? Buffer.alloc(0))));
        assert.equal(values.length, expected[p].length, `producer ${p} record count`);
        expected[p].forEach((value, i) => assert.ok(values[i].equals(value), `producer ${p} record ${i}`));
      }
      assert.equal((await readBatches('reuse-killed-hostile')).length, 0, 'nothing of a frame cut short is appended');
    } finally {
      for (const on of connections) on.close();
    }
  });

  it('keeps batches apart across TLS, SASL and plain listeners sharing the request slabs', async () => {
    // TLS connections read through 'data' events (copied into slabs), plain and SASL_PLAINTEXT ones straight into
    // them; a SASL connection's Produce frames are handled in place only once it has authenticated.
    const certs = makeCertificates();
    const secured = await startBroker({
      listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
      sslKeystoreKey: certs.serverKey,
      sslKeystoreCertificateChain: certs.serverCert,
      sslTruststoreCertificates: certs.ca,
      saslEnabledMechanisms: ['PLAIN'],
      saslPlainUsers: { alice: 'alice-secret' },
    });
    const opened: BrokerConnection[] = [];
    try {
      const endpoint = (name: string) => {
        const found = secured.listeners.find((candidate) => candidate.name === name);
        assert.ok(found, `listener ${name}`);
        return { host: found.host, port: found.port };
      };
      const sasl = { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' } as const;
      const options = [
        { ...endpoint('PLAINTEXT') },
        { ...endpoint('SSL'), ssl: { ca: certs.ca } },
        { ...endpoint('SASL_PLAINTEXT'), sasl },
        { ...endpoint('SASL_SSL'), ssl: { ca: certs.ca }, sasl },
      ];
      for (const option of [...options, ...options]) {
        const on = await BrokerConnection.open(option);
        opened.push(on);
        // Negotiating versions is where the client authenticates (SaslHandshake, SaslAuthenticate).
        await on.negotiateApiVersions();
      }
      const admin = opened[0];
      const created = await admin.send(ApiKey.CreateTopics, 5, { topics: [{ name: 'reuse-listeners', numPartitions: opened.length, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 30_000, validateOnly: false });
      assert.equal(errorName(created.topics[0].errorCode), 'NONE');
      const expected = await Promise.all(
        opened.map(async (on, p) => {
          const init = await on.send(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
          assert.equal(init.errorCode, ErrorCode.NONE);
          const values: Buffer[] = [];
          const sends = [];
          for (let k = 0; k < 5; k++) {
            const { batch, values: batchValues } = streamBatch(400 + p, k, values.length, init, k === 2 ? CompressionType.gzip : CompressionType.none);
            values.push(...batchValues);
            sends.push(produce(on, 'reuse-listeners', batch, null, p));
          }
          for (const answer of await Promise.all(sends)) assert.equal(errorName(answer.responses[0].partitionResponses[0].errorCode), 'NONE', `connection ${p}`);
          return values;
        }),
      );
      const saved = connection;
      connection = admin;
      try {
        for (let p = 0; p < opened.length; p++) {
          const stored = (await readBatches('reuse-listeners', p)).flatMap((batch) => batch.records.map((record) => Buffer.from(record.value ?? Buffer.alloc(0))));
          assert.equal(stored.length, expected[p].length, `connection ${p} record count`);
          expected[p].forEach((value, i) => assert.ok(stored[i].equals(value), `connection ${p} record ${i}`));
        }
      } finally {
        connection = saved;
      }
    } finally {
      for (const on of opened) on.close();
      await secured.close();
      certs.remove();
    }
  });

  it('answers, in order, a single write of 120 pipelined requests of every size and stores each batch as sent', async () => {
    // One write: the broker reads many small frames per socket read (copied into slabs), large ones in place,
    // frames across read boundaries, and slabs fill up and are left while earlier frames in them are still held.
    await createTopic('reuse-burst');
    const producer = await idempotentProducer();
    const frames: Buffer[] = [];
    /** Per request: the number of records of its batch, or null for ApiVersions. */
    const counts: (number | null)[] = [];
    const expected: Buffer[] = [];
    for (let k = 0; frames.length < 120; k++) {
      const { batch, values } = streamBatch(500, k, expected.length, producer, k % 3 === 0 ? CompressionType.gzip : CompressionType.none);
      expected.push(...values);
      frames.push(encodeRequestFrame(ApiKey.Produce, 12, frames.length + 1, 'burst', { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: 'reuse-burst', partitionData: [{ index: 0, records: batch }] }] }));
      counts.push(values.length);
      if (k % 5 === 4) {
        frames.push(encodeRequestFrame(ApiKey.ApiVersions, 3, frames.length + 1, 'burst', { clientSoftwareName: 'burst', clientSoftwareVersion: '1' }));
        counts.push(null);
      }
    }
    const socket = await rawSocket();
    const answers: Buffer[] = [];
    const done = new Promise<void>((resolve, reject) => {
      let pending = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
          answers.push(pending.subarray(4, 4 + pending.readInt32BE(0)));
          pending = pending.subarray(4 + pending.readInt32BE(0));
        }
        if (answers.length === frames.length) resolve();
      });
      socket.once('close', () => reject(new Error(`connection closed after ${answers.length} answers`)));
    });
    socket.write(Buffer.concat(frames));
    await done;
    socket.destroy();
    let nextOffset = 0n;
    answers.forEach((frame, i) => {
      const count = counts[i];
      if (count === null) {
        const answer = decodeResponseFrame(ApiKey.ApiVersions, 3, frame);
        assert.deepEqual([answer.correlationId, answer.body.errorCode], [i + 1, ErrorCode.NONE]);
        return;
      }
      const answer = decodeResponseFrame(ApiKey.Produce, 12, frame);
      const partition = answer.body.responses[0].partitionResponses[0];
      assert.deepEqual([answer.correlationId, errorName(partition.errorCode), partition.baseOffset], [i + 1, 'NONE', nextOffset], `request ${i + 1}`);
      nextOffset += BigInt(count);
    });
    const stored = await readAll('reuse-burst');
    assert.equal(stored.length, expected.length, 'record count');
    expected.forEach((value, i) => assert.ok(stored[i].equals(value), `record ${i}`));
  });
});
